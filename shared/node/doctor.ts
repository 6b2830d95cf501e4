import { lstatSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { CATALOG, catalogEntry, plainSlotProblem } from '../core/catalog';
import { slotValue } from '../core/credential-index';
import { splitCredentialId, type CredentialId } from '../core/credential';
import { envVarClashFix, envVarClashIn, envVarClashText, isReservedEnvVar } from '../core/env-var-names';
import type { Profile } from '../core/profile-schema';
import type { CancelSignal } from '../core/secret-store';
import { isVaultError, toVaultError } from '../core/errors';
import { shellWord } from '../core/control-chars';
import { PROFILE_VERSION } from '../core/profile-version';
import type { DoctorReport, ProfileReport, RepairSummary, UnfinishedSwitch } from '../core/views';
import { unknownStatus, type WorkflowStatus } from '../core/workflows';
import { readMoveRecord } from './credentials/move-record';
import { unfinishedSwitch } from './credentials/unfinished';
import { folderCheck } from './profile/trusted-folder';
import { knownTimeZone } from './profile/time-zone';
import { PROFILE_DIR_NAME } from './profile/paths';
import type { ProfileReader } from './profile/reader';
import { ProfileStore } from './profile/store';
import { profileView } from './profile/profile-view';
import type { VaultReader } from './vault/reader';
import type { Vault } from './vault/vault';

/** The mode of `path` (`bits`: 0o1777 keeps a folder's sticky bit, /tmp is 1777), or null when it does not exist. */
function modeOf(path: string, bits = 0o777): string | null {
  const s = statSync(path, { throwIfNoEntry: false });
  return s ? (s.mode & bits).toString(8).padStart(4, '0') : null;
}

/**
 * The profile's own mode: none for a link or anything but a regular file, which a read refuses (said on its own). The
 * mode of a link's target was checked, and its fix (chmod, which follows the link) changed the target's mode.
 */
function fileModeOf(path: string): string | null {
  const s = lstatSync(path, { throwIfNoEntry: false });
  return s?.isFile() ? (s.mode & 0o777).toString(8).padStart(4, '0') : null;
}

/** The profile's folder as a write would find it: a problem (others can write it, no sticky bit; another user's), or a warning for a shared sticky folder. */
function checkFolder(profile: ProfileReport): void {
  const dir = dirname(profile.path);
  // cpw-vault's own folder linked elsewhere: every write refuses it (PROFILE_SYMLINK). Only the profile's read said so:
  // with none in it doctor said "Create one with: cpw-vault setup", which the link refused; linked to a 0777 folder,
  // "chmod o-w,g-w <the link>", which changes the target.
  const dedicated = basename(dir) === PROFILE_DIR_NAME;
  const { problem, shared } = folderCheck(dir, dedicated);
  // cpw-vault's own folder (~/.cp-whisperx) of this user's, left writable by others: it is kept 0700, so that is the
  // fix (the shared folder's said to use ~/.cp-whisperx, which it was; the other's offered chmod +t, still open to all).
  const s = dedicated ? lstatSync(dir, { throwIfNoEntry: false }) : undefined;
  const own = s?.isDirectory() && s.uid === process.getuid?.() && s.mode & 0o022 ? `Run: chmod 700 ${shellWord(dir)}` : undefined;
  if (problem) profile.problems.push(own && problem.code === 'PROFILE_PERMISSIONS' ? { ...problem.toJSON(), fix: own } : problem.toJSON());
  if (shared) {
    profile.warnings = [
      `${dir} (mode ${profile.dir_mode}) can be written by other users. The sticky bit keeps them from changing the vault's files, but a file they create first under a name the vault uses beside the profile (its lock, history or audit log) makes cpw-vault refuse it.\n    fix: ${own ?? 'Keep the profile in a folder only you can write: cpw-vault uses ~/.cp-whisperx when no --profile is given.'}`,
    ];
  }
}

/** Runs `fn` with a signal that the user's Ctrl-C (or kill) aborts instead of ending the process (the CLI's signals.ts). */
export type Interruptible = <T>(fn: (signal: CancelSignal | undefined) => Promise<T>) => Promise<T>;

/** What doctor examines: the full vault, or (for a plain `doctor` on the light path) its read side with a validating profile reader. */
export type DoctorSubject = Pick<Vault, 'profilePath' | 'getProfile' | 'keychainStatus' | 'validateAll' | 'unfinishedChanges'> & Partial<Pick<Vault, 'repair'>>;

/**
 * Checks the profile (path, permissions, schema version, parse), the keychain
 * (reachable, locked, with reason code and fix) and each workflow's
 * readiness (from the index, so it works while the keychain is locked).
 * With `repair`, first makes the index and the keychain agree (Vault.repair).
 * `switchRecord`: the path of the profile's backend-switch record; one still
 * there (the start did not finish its switch) is reported. `ok` is false when
 * something is broken; unready workflows are not broken. `interruptible`
 * (the CLI's) runs the repair alone, with the signal a Ctrl-C aborts: it ends
 * its wait for another's profile lock with CANCELLED, nothing changed.
 */
export async function runDoctor(vault: DoctorSubject, options: { repair?: boolean; switchRecord?: string; interruptible?: Interruptible } = {}): Promise<DoctorReport> {
  const path = vault.profilePath;
  let repair: RepairSummary | undefined;
  let inUse = 'keychain';
  if (options.repair) {
    if (!vault.repair) throw new Error('doctor --repair needs the full vault');
    const run = vault.repair.bind(vault);
    const r = await (options.interruptible ?? ((fn) => fn(undefined)))((signal) => run({ dropStale: true, signal }));
    repair = { recovered: r.recovered, added: r.added, stale: r.stale, dropped: r.dropped, orphans: r.orphans, shared: r.shared, ...(r.skipped ? { skipped: r.skipped } : {}) };
  }
  // Asked first, answered while the profile is read and checked below (its parse is CPU, the status a round trip).
  const keychainAsked = vault.keychainStatus();
  const profile: ProfileReport = { path, kind: 'none', mode: fileModeOf(path), dir_mode: modeOf(dirname(path), 0o1777), version: null, problems: [] };
  checkFolder(profile);
  // A linked ~/.cp-whisperx (said above) holding no profile: "Create one with: cpw-vault setup" sent the user to a
  // command the link refuses; holding one, its read meets the same refusal, said once.
  const linkedFolder = profile.problems.some((p) => p.code === 'PROFILE_SYMLINK');
  try {
    const view = vault.getProfile();
    profile.kind = view.kind;
    profile.version = view.kind === 'profile' ? PROFILE_VERSION : null;
    if (view.kind === 'profile') inUse = view.profile.storage?.backend ?? 'keychain';
    if (view.kind === 'none' && !linkedFolder) profile.problems.push({ code: 'PROFILE_NOT_FOUND', message: `No profile at ${path}.`, fix: 'Open the app (its onboarding makes one), or create one with: cpw-vault setup' });
    if (view.kind === 'legacy') profile.problems.push({ code: 'PROFILE_READ_ONLY', message: `Reading the deprecated ${view.path}.`, fix: 'Move it into the keychain: cpw-vault migrate' });
    // Reads check only a zone's shape; doctor checks the zone itself (in the system's tzdata, else ICU).
    const zone = view.profile.user.timezone;
    if (view.kind === 'profile' && zone && !knownTimeZone(zone)) profile.problems.push({ code: 'PROFILE_INVALID', message: `${path}: user.timezone is not a time zone this system knows.`, fix: 'Set one (any IANA zone, or UTC), e.g.: cpw-vault profile set timezone=Europe/Paris' });
    if (view.kind === 'profile') {
      profile.problems.push(...keysInPlainSlots(view.profile, path));
      const carriers = [...reservedCarriers(view.profile), ...sharedCarriers(view.profile)];
      if (carriers.length) profile.warnings = [...(profile.warnings ?? []), ...carriers];
    }
  } catch (err) {
    const e = toVaultError(err);
    if (!profile.problems.some((p) => p.code === e.code && p.message === e.message)) profile.problems.push(e.toJSON());
  }
  if (profile.mode && parseInt(profile.mode, 8) & 0o077) profile.problems.push({ code: 'PROFILE_PERMISSIONS', message: `${path} has mode ${profile.mode}; it should be 0600.`, fix: `Run: chmod 600 ${shellWord(path)}` });
  const keychain = await keychainAsked;
  let workflows: WorkflowStatus[] = [];
  try {
    workflows = await vault.validateAll();
  } catch (err) {
    const e = toVaultError(err);
    // The keychain's own problem is reported once, in its section; the profile's (the same error, met again by the
    // workflows' read: PROFILE_PLAINTEXT) once, in its own.
    const again = profile.problems.some((p) => p.code === e.code && p.message === e.message);
    if ((keychain.ok || e.code !== keychain.code) && !again) profile.problems.push(e.toJSON());
  }
  // Readiness comes from the index; while the store cannot be asked, the index proves nothing: unknown.
  if (!keychain.ok) workflows = workflows.map((w) => unknownStatus(w, keychain.code));
  // Values removed outside cpw-vault (Seahorse, secret-tool): the index still lists them, and doctor said "ready" where
  // check and exec said missing. Only the full vault comes here with a count that differs (the light path hands over).
  const stale = keychain.ok && !options.repair && vault.repair ? await staleEntries(vault) : [];
  if (stale.length) workflows = await vault.validateAll({ verify: true }).catch(() => workflows);
  const unfinished = vault.unfinishedChanges();
  const record = options.switchRecord ? readMoveRecord(options.switchRecord) : undefined;
  const backendSwitch: UnfinishedSwitch | undefined = record && unfinishedSwitch(record, inUse);
  return {
    ok: profile.problems.length === 0 && keychain.ok && !stale.length && !backendSwitch,
    ...(repair ? { repair } : {}),
    profile,
    storage: inUse,
    keychain,
    workflows,
    ...(unfinished.length ? { unfinished } : {}),
    ...(backendSwitch ? { backend_switch: backendSwitch } : {}),
    ...(stale.length ? { stale } : {}),
  };
}

/**
 * A key sitting in a slot that is not a secret's (the OpenAI organization ID, kept in plain text): refused since, but
 * one stored before (set --force, the app's "Save anyway") stayed, shown in full by list and the app.
 */
function keysInPlainSlots(p: Profile, path: string): DoctorReport['profile']['problems'] {
  return CATALOG.filter((e) => !e.secret).flatMap((e) => {
    const value = slotValue(p, e.id);
    const problem = value ? plainSlotProblem(e.id, value) : undefined;
    if (!problem) return [];
    const remove = `cpw-vault delete ${e.service} ${e.key}`;
    const like = problem.like;
    return [{
      code: 'CREDENTIAL_INVALID' as const,
      message: `${path}: ${e.id} holds a value with ${problem.shape}, in plain text (not a secret's place: list and the app show it in full).`,
      fix: like ? `If it is your ${like.label}, store it where secrets go (cpw-vault set ${like.service} ${like.key}), then remove it from there: ${remove}` : `Store the key under a name of its own (cpw-vault set <service> <key>), then remove it from there: ${remove}`,
    }];
  });
}

/**
 * Custom credentials stored under an env var name refused since (read as configuration: OPENAI_BASE_URL, PATH ...):
 * exec does not set it and get does not read it, which nothing said.
 */
function reservedCarriers(p: Profile): string[] {
  return Object.entries(p.credential_metadata).flatMap(([id, m]) => {
    const name = m.env_var;
    if (!m.custom || !name || !isReservedEnvVar(name)) return [];
    return [`${id}: its env var ${name} is one a secret may no longer take (read as configuration), so exec does not set it and get does not read it.\n    fix: ${nameOfItsOwn(id)}`];
  });
}

/**
 * Custom credentials carrying the env var of another: refused since, but two sets racing in an older version (or a
 * hand edit) stored such pairs. Two custom ones naming one name as their own, one naming a catalog credential's, or
 * one without a name of its own whose SERVICE_KEY another carries too (`my-svc.api_key` and `my_svc.api_key`), carry
 * none: each is said as exec says it.
 */
function sharedCarriers(p: Profile): string[] {
  return Object.keys(p.credential_metadata).flatMap((id) => {
    const clash = catalogEntry(id) ? undefined : envVarClashIn(p.credential_metadata, id);
    return clash ? [`${envVarClashText(clash)}\n    fix: ${envVarClashFix(clash)}`] : [];
  });
}

/** The fix for a custom credential's env var: a name of its own (the value is asked again). */
function nameOfItsOwn(id: string): string {
  const { service, key } = splitCredentialId(id);
  const word = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return `Give it a name of its own (the value is asked again): cpw-vault set ${service} ${key} --env-var MY_${word(service)}_${word(key)}`;
}

/** The index's entries without a value in the store (what `--repair` would drop), found by a repair that drops nothing. */
async function staleEntries(vault: DoctorSubject): Promise<CredentialId[]> {
  try {
    return (await vault.repair!({ dropStale: false })).stale;
  } catch (err) {
    if (!isVaultError(err)) throw err;
    return []; // a store that cannot be listed now: its status above says so
  }
}

/**
 * Doctor's subject on the light path (a plain `cpw-vault doctor`): the read
 * side of the vault, with the profile validated by the full schema. The
 * caller hands over to the full vault when the index needs a repair first.
 */
export function readSideSubject(reader: VaultReader, profile: ProfileReader): DoctorSubject {
  const store = new ProfileStore({ reader: profile });
  return {
    profilePath: reader.profilePath,
    getProfile: () => profileView(store),
    keychainStatus: () => reader.secretStore().status(),
    validateAll: (options) => reader.validateAll(options),
    unfinishedChanges: () => reader.unfinishedChanges(),
  };
}
