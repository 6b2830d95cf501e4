import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { VaultError, listedNames } from '../../core/errors';
import { storeName } from '../../core/secret-store';
import { agreeing, counted } from '../../core/plural';
import { planRowNote, undoOutcome, type MigrationPlan } from '../../core/migration-plan';
import type { ApplyResult } from '../../node/migration/apply';
import { isOwnFile } from '../../node/migration/backups';
import { isTheProfile, refuseOwnFiles } from '../../node/migration/own-files';
import { findDefaultSource, readSource } from '../../node/migration/sources';
import { LEGACY_SECRETS_PATH } from '../../node/profile/paths';
import { untilAborted } from '../../node/until-aborted';
import { fromWorkingDir, paint, type CliIO } from '../io';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { interruptible } from '../signals';
import { table } from '../format';
import { shellWord, withoutControlChars } from '../../core/control-chars';

export interface MigrateArgs {
  from?: string;
  dryRun?: boolean;
  backupDir?: string;
  overwrite?: string[];
  overwriteAll?: boolean;
  includeUnknown?: boolean;
  removePlaintext?: boolean;
  yes?: boolean;
}

/** The plan as a table (no values: the plan has none). */
export function planTable(plan: MigrationPlan): string {
  const rows = plan.rows.map((r) => [r.sourceKey, r.target ?? '-', r.action, r.apply ? 'yes' : 'no', planRowNote(r)]);
  const dup = plan.duplicateKeys.length ? `duplicate keys in the source (the last one counts): ${plan.duplicateKeys.join(', ')}\n` : '';
  const c = plan.counts;
  return `${table(['SOURCE KEY', 'CREDENTIAL', 'ACTION', 'APPLY', 'NOTE'], rows)}${dup}${c.apply} to write; ${c.identical} identical, ${counted(c.conflict, 'conflict')}, ${c.unknown} unknown, ${c.invalid} invalid.\n`;
}

/** The closing summary: counts, where they went (`backend`), backup, and where plaintext is still on disk. */
export function summary(io: CliIO, result: ApplyResult, backend: string): string {
  const p = paint(io);
  const lines = [result.ok ? `${p.green('✓')} Migrated ${counted(result.imported, 'credential')} into ${storeName(backend)}.` : `${p.red('✗')} Migration failed; the source is untouched and ${undoOutcome(result)}.`];
  for (const r of result.rows.filter((x) => x.error !== undefined)) {
    lines.push(`  ${r.sourceKey} -> ${r.target}: ${r.code ? `${r.code} ` : ''}${r.error}`);
    if (r.fix) lines.push(`    fix: ${r.fix}`);
  }
  if (result.backup && result.ok) lines.push(`Backup: ${result.backup} (0600)`);
  // A failed run's backup is there only because its undo did not finish, and that undo's end deletes it: not one to keep.
  else if (result.backup) lines.push(`Backup: ${result.backup} (0600) holds every key of ${result.plaintextLeft.join(' and ')} in plaintext until the undo is finished: once ${storeName(backend)} answers, cpw-vault list or doctor (or the next command that changes credentials) finishes it and deletes this backup.`);
  // Entries left out (unknown, invalid, a kept conflict) live only in those files: no rm line then, or it loses them.
  const left = result.ok ? result.rows.filter((r) => r.status !== 'imported' && r.status !== 'identical') : [];
  if (!result.ok) {
    // Never an rm line after a failure: the source holds values the vault may not (it once said "rm -- cur.env" right
    // after "may keep the new value", with 222 of 300 values in that file alone).
    lines.push(`${p.yellow('Keep')} ${result.plaintextLeft.join(' and ')}: the migration did not complete, so the vault may not hold its values. Run the command again once the problem above is fixed.`);
  } else if (result.plaintextLeft.length && !result.kept && left.length) {
    const files = agreeing(result.plaintextLeft.length, 'it', 'them');
    const entries = agreeing(left.length, 'it', 'them');
    lines.push(`${p.yellow('Plaintext is still on disk:')} ${result.plaintextLeft.join(' and ')}. Keep ${files}: ${counted(left.length, 'entry', 'entries')} ${agreeing(left.length, 'was', 'were')} not migrated (${listedNames(left, (r) => r.sourceKey)}) and would be lost with ${files}. Migrate ${entries} as the plan's rows say (--include-unknown, --overwrite ID, or cpw-vault set for a setting or a key-shaped name), or copy ${entries} elsewhere before deleting ${files}.`);
  } else if (result.plaintextLeft.length && !result.kept && result.keepWhy) {
    lines.push(`${p.yellow('Plaintext is still on disk:')} ${result.plaintextLeft.join(' and ')}. Keep ${agreeing(result.plaintextLeft.length, 'it', 'them')}: ${result.keepWhy}`);
  } else if (result.plaintextLeft.length && !result.kept) lines.push(`${p.yellow('Plaintext is still on disk:')} ${result.plaintextLeft.join(' and ')}. Delete them once your pipelines work: rm -- ${result.plaintextLeft.map(shellWord).join(' ')}`);
  // Indented line by line: a path's own line break shown as '?' first (io.showingPaths), or it was indented too.
  if (result.kept) lines.push(`${p.yellow('Not removed:')} ${(io.showingPaths?.(result.kept) ?? result.kept).split('\n').join('\n  ')}`);
  if (result.removed.length) lines.push(`Removed plaintext: ${result.removed.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * `cpw-vault migrate`: moves plaintext secrets (secrets.json, a seed profile,
 * .env, the HuggingFace token file) into the keychain or the vault file. Shows the plan; asks
 * on a terminal unless --yes; --dry-run changes nothing.
 */
export async function migrate(args: MigrateArgs, ctx: CliContext): Promise<ExitCode> {
  // From the start: a signal while the plan is read (or asked about) cancels as cleanly as one during the writes.
  return interruptible((signal) => migrateWith(signal, args, ctx));
}

/** --backup-dir must name an existing folder: a typo must not create a tree of folders holding plaintext. */
function checkBackupDir(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new VaultError('INVALID_ARGUMENT', `--backup-dir ${dir} does not exist; nothing was changed.`, `Create it first (mkdir -m 700 ${shellWord(dir)}) or pick an existing folder.`);
  }
  if (!isDir) throw new VaultError('INVALID_ARGUMENT', `--backup-dir ${dir} is not a folder; nothing was changed.`, 'Give an existing folder.');
}

/**
 * Every --overwrite must name a row of the plan (its credential or its source
 * key): a typo was a silent no-op that kept the conflict it meant to replace.
 * `dryRun`: the command that shows the plan.
 */
export function checkOverwrite(plan: MigrationPlan, names: readonly string[], dryRun: string): void {
  const known = new Set(plan.rows.flatMap((r) => [r.sourceKey, ...(r.target ? [r.target] : [])]));
  const bad = names.filter((n) => !known.has(n));
  if (!bad.length) return;
  const conflicts = plan.rows.filter((r) => r.action === 'conflict').map((r) => r.target);
  throw new VaultError('INVALID_ARGUMENT', `--overwrite ${bad.join(', ')}: not in the plan; nothing was changed.`, conflicts.length ? `The conflicts are: ${conflicts.join(', ')}` : `This plan has no conflicts: leave --overwrite out (see: ${dryRun}).`);
}

/** .env files a pipeline keeps beside it, never taken without --from (one may be another tool's): named in the fix. */
const ENV_FILES = ['.env', 'config/.env'];

/**
 * The fix when no source was found: the .env of this folder, if there is one of this user's, else a path to give.
 * Another user's (planted in a shared folder, say) is never named: --from refuses it, as it should.
 */
function nothingFoundFix(cwd: string): string {
  const env = ENV_FILES.find((f) => isOwnFile(join(cwd, f)));
  return env ? `There is a ${env} here (or point at another file with --from PATH): cpw-vault migrate --from ${shellWord(env)}` : 'Point at the file: cpw-vault migrate --from PATH';
}

async function migrateWith(signal: AbortSignal, args: MigrateArgs, ctx: CliContext): Promise<ExitCode> {
  if (args.backupDir !== undefined) checkBackupDir(args.backupDir);
  // With no profile yet, the reader says "Ignoring config/secrets.json" of a file it passes over (another user's, a link,
  // a loop): the pass-over below says it, and so does --from's error when it names that file (a warning, then an error
  // for the same file, read as two problems).
  const legacy = ctx.io.cwd === undefined ? undefined : resolve(ctx.io.cwd, LEGACY_SECRETS_PATH);
  if (legacy !== undefined && (args.from === undefined || resolve(ctx.io.cwd!, args.from) === legacy)) ctx.muteWarning?.(`Ignoring ${legacy}:`);
  const vault = await ctx.vault();
  // The source looked for first is ./config/secrets.json: with the working directory removed, another found instead
  // (the HuggingFace token file) would not be the one meant.
  if (args.from === undefined && ctx.io.cwd === undefined) throw new VaultError('INVALID_ARGUMENT', 'Nothing to migrate from: migrate with no --from looks in the working directory first (config/secrets.json), and the working directory no longer exists.', 'Give the file: cpw-vault migrate --from /absolute/path/secrets.json, or run from a folder that exists.');
  if (args.from !== undefined) fromWorkingDir(ctx.io, args.from, '--from'); // a relative one with no working directory: said
  // A place passed over (another user's file, a FIFO) is said, and the next looked at: it was picked, then refused, and
  // the user's own sources after it (a seed profile, their HuggingFace token file) were never reached.
  let passed = 0;
  const passedOver = (f: { path: string; passedOver: string }) => (passed++, ctx.io.err(`${paint(ctx.io).yellow('!')} Passed over ${withoutControlChars(f.path)}: ${f.passedOver}.\n`));
  const path = args.from ?? findDefaultSource(vault.profilePath, ctx.io.cwd, ctx.io.env, ctx.io.env['HOME'] ?? homedir(), passedOver);
  // After a pass-over, "no config/secrets.json here" read as a contradiction of the line above it.
  if (!path) throw new VaultError('INVALID_ARGUMENT', `Nothing to migrate: ${passed ? `nothing of yours to read keys from besides what was passed over above` : 'no config/secrets.json here'}, no seed profile with plaintext, no HuggingFace token file.`, nothingFoundFix(ctx.io.cwd!));
  refuseOwnFiles(path, vault.ownFiles, { allowProfile: true }); // a seed profile in place, never its sidecars or an alias's
  const source = readSource(path, ctx.io.env);
  // A Ctrl-C while the keychain is read (one that stopped answering, 20,000 keys) ends the run now: it was held until
  // the keychain's deadline, then said KEYCHAIN_TIMEOUT, and a --dry-run printed its plan after it.
  const plan = await untilAborted(vault.planMigration(source, { overwrite: args.overwriteAll ? 'all' : new Set(args.overwrite ?? []), includeUnknown: !!args.includeUnknown }), signal);
  // The source as given (quoted): without it, pasted, the line showed the default source's plan, or none.
  checkOverwrite(plan, args.overwrite ?? [], `cpw-vault migrate${args.from === undefined ? '' : ` --from ${shellWord(args.from)}`} --dry-run`);
  if (ctx.globals.json && args.dryRun) {
    printJson(ctx.io, { plan });
    return EXIT.ok;
  }
  if (!ctx.globals.json) ctx.io.out(`Plan for ${withoutControlChars(source.path)} (${source.kind}):\n${planTable(plan)}`);
  if (args.dryRun) {
    ctx.io.err('Dry run: nothing was changed.\n');
    return EXIT.ok;
  }
  // Nothing to write and nothing to remove or empty (a re-run): nothing to confirm; the run says what plaintext is left.
  const changesNothing = plan.counts.apply === 0 && !args.removePlaintext && !isTheProfile(source.path, vault.profilePath);
  if (!args.yes && !changesNothing) {
    if (!ctx.io.stdinIsTTY) throw new VaultError('INVALID_ARGUMENT', 'Refusing to migrate without confirmation.', 'Review the plan (--dry-run), then run again with --yes.');
    const question = plan.counts.apply ? `Write ${counted(plan.counts.apply, 'credential')} to ${storeName(vault.backend())}?` : `Nothing to write (${storeName(vault.backend())} has every key already). ${args.removePlaintext ? `Remove the plaintext (${source.path})` : `Empty the plaintext slots of ${source.path}`}?`;
    if (!(await (await ctx.io.prompts()).confirm(question, true))) {
      ctx.io.err('Nothing was changed.\n');
      return EXIT.ok;
    }
  }
  const many = plan.counts.apply >= 5;
  const result = await vault.applyMigration(source, plan, {
    ...(args.backupDir ? { backupDir: args.backupDir } : {}),
    removePlaintext: !!args.removePlaintext,
    sourceNamed: args.from !== undefined,
    signal,
    ...(many ? { onProgress: (done: number, total: number, id: string) => ctx.io.err(`[${done + 1}/${total}] ${id}\n`) } : {}),
  });
  if (ctx.globals.json) printJson(ctx.io, { plan, result });
  ctx.io.err(summary(ctx.io, result, vault.backend()));
  return result.ok && !result.keptFiles?.length ? EXIT.ok : EXIT.failure;
}
