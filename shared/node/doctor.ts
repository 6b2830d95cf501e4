import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { toVaultError } from '../core/errors';
import { PROFILE_VERSION } from '../core/profile-version';
import { isTimeZone } from '../core/timezone';
import type { DoctorReport, ProfileReport, RepairSummary } from '../core/views';
import type { WorkflowStatus } from '../core/workflows';
import { modeString } from './profile/secure-fs';
import type { Vault } from './vault/vault';

function modeOf(path: string): string | null {
  const s = statSync(path, { throwIfNoEntry: false });
  return s ? modeString(s.mode) : null;
}

/**
 * Checks the profile (path, permissions, schema version, parse), the keychain
 * (reachable, locked, with reason code and fix) and each workflow's
 * readiness (from the index, so it works while the keychain is locked).
 * With `repair`, first makes the index and the keychain agree (Vault.repair).
 * `ok` is false when something is broken; unready workflows are not broken.
 */
export async function runDoctor(vault: Vault, options: { repair?: boolean } = {}): Promise<DoctorReport> {
  const path = vault.profilePath;
  let repair: RepairSummary | undefined;
  if (options.repair) {
    const r = await vault.repair({ dropStale: true });
    repair = { recovered: r.recovered, added: r.added, stale: r.stale, dropped: r.dropped, orphans: r.orphans };
  }
  const profile: ProfileReport = { path, kind: 'none', mode: modeOf(path), dir_mode: modeOf(dirname(path)), version: null, problems: [] };
  try {
    const view = vault.getProfile();
    profile.kind = view.kind;
    profile.version = view.kind === 'profile' ? PROFILE_VERSION : null;
    if (view.kind === 'none') profile.problems.push({ code: 'PROFILE_NOT_FOUND', message: `No profile at ${path}.`, fix: 'Create one with: cpw-vault setup (or the app\'s onboarding)' });
    if (view.kind === 'legacy') profile.problems.push({ code: 'PROFILE_READ_ONLY', message: `Reading the deprecated ${view.path}.`, fix: 'Move it into the keychain: cpw-vault migrate' });
    // Reads check only a zone's shape (the real check costs ICU's start-up); doctor can afford the real one.
    const zone = view.profile.user.timezone;
    if (view.kind === 'profile' && zone && !isTimeZone(zone)) profile.problems.push({ code: 'PROFILE_INVALID', message: `${path}: user.timezone is not a time zone this system knows.`, fix: 'Set one: cpw-vault profile set timezone=Europe/Paris (any IANA zone, or UTC)' });
  } catch (err) {
    profile.problems.push(toVaultError(err).toJSON());
  }
  if (profile.mode && parseInt(profile.mode, 8) & 0o077) profile.problems.push({ code: 'PROFILE_PERMISSIONS', message: `${path} has mode ${profile.mode}; it should be 0600.`, fix: `Run: chmod 600 ${path}` });
  const keychain = await vault.keychainStatus();
  let workflows: WorkflowStatus[] = [];
  try {
    workflows = await vault.validateAll();
  } catch (err) {
    profile.problems.push(toVaultError(err).toJSON());
  }
  return { ok: profile.problems.length === 0 && keychain.ok, ...(repair ? { repair } : {}), profile, keychain, workflows };
}
