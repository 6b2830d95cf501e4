import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { toVaultError, type VaultErrorJSON } from '../../core/errors';
import { PROFILE_VERSION } from '../../core/profile-schema';
import type { KeychainStatus } from '../../core/secret-store';
import type { WorkflowStatus } from '../../core/workflows';
import { modeString } from '../../node/secure-fs';
import { paint } from '../io';
import { describeStatus } from './check';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';

interface ProfileReport {
  path: string;
  kind: 'profile' | 'legacy' | 'none';
  mode: string | null;
  dir_mode: string | null;
  version: string | null;
  problems: VaultErrorJSON[];
}

function modeOf(path: string): string | null {
  const s = statSync(path, { throwIfNoEntry: false });
  return s ? modeString(s.mode) : null;
}

/**
 * `cpw-vault doctor`: profile path, permissions and schema version; the
 * keychain (reachable, locked, reason code and fix); each workflow's
 * readiness. Exit 0 when nothing is broken, 4 when the keychain is not
 * usable, 1 for any other problem.
 */
export async function doctor(_args: object, ctx: CliContext): Promise<ExitCode> {
  const vault = await ctx.vault();
  const path = vault.store.paths.profile;
  const report: ProfileReport = { path, kind: 'none', mode: modeOf(path), dir_mode: modeOf(dirname(path)), version: null, problems: [] };
  try {
    const view = vault.getProfile();
    report.kind = view.kind;
    report.version = view.kind === 'profile' ? PROFILE_VERSION : null;
    if (view.kind === 'none') report.problems.push({ code: 'PROFILE_NOT_FOUND', message: `No profile at ${path}.`, fix: 'Create one with: cpw-vault setup' });
    if (view.kind === 'legacy') report.problems.push({ code: 'PROFILE_READ_ONLY', message: `Reading the deprecated ${view.path}.`, fix: 'Move it into the keychain: cpw-vault migrate' });
  } catch (err) {
    report.problems.push(toVaultError(err).toJSON());
  }
  if (report.mode && parseInt(report.mode, 8) & 0o077) report.problems.push({ code: 'PROFILE_PERMISSIONS', message: `${path} has mode ${report.mode}; it should be 0600.`, fix: `Run: chmod 600 ${path}` });
  const keychain: KeychainStatus = await vault.keychainStatus();
  let workflows: WorkflowStatus[] = [];
  try {
    workflows = await vault.validateAll();
  } catch (err) {
    report.problems.push(toVaultError(err).toJSON());
  }
  const ok = report.problems.length === 0 && keychain.ok;
  if (ctx.globals.json) printJson(ctx.io, { ok, profile: report, keychain, workflows });
  else {
    const p = paint(ctx.io);
    const mark = (good: boolean) => (good ? p.green('✓') : p.red('✗'));
    ctx.io.err(`${mark(report.problems.length === 0)} profile ${path}\n    kind: ${report.kind}  mode: ${report.mode ?? '-'}  folder: ${report.dir_mode ?? '-'}  schema: ${report.version ?? '-'}\n`);
    for (const problem of report.problems) ctx.io.err(`    ${p.red(problem.code)} ${problem.message}\n    fix: ${problem.fix}\n`);
    ctx.io.err(`${mark(keychain.ok)} keychain ${keychain.backend}${keychain.ok ? ': reachable and unlocked' : `\n    ${p.red(keychain.code)} ${keychain.message}\n    fix: ${keychain.fix}`}\n`);
    for (const w of workflows) ctx.io.err(describeStatus(ctx.io, w));
  }
  if (!keychain.ok) return EXIT.keychain;
  return ok ? EXIT.ok : EXIT.failure;
}
