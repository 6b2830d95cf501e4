import { lstatSync } from 'node:fs';
import { homedir } from 'node:os';
import { splitCredentialId } from '../../core/credential';
import type { RepairSummary, UnfinishedChange, UnfinishedSwitch } from '../../core/views';
import { storeName } from '../../core/secret-store';
import { counted } from '../../core/plural';
import { runDoctor } from '../../node/doctor';
import { LEGACY_SECRETS_PATH, firstVersionSidecar, resolveProfilePaths, sidecarPath } from '../../node/profile/paths';
import { findPlaintextHfTokens, type PlaintextToken } from '../../node/git-credential/plaintext-scan';
import { isPlainFile, leftoverBackups } from '../../node/migration/backups';
import { AuditLog } from '../../node/records/audit-log';
import { FINISHED_MIGRATION, interruptedMigrationNotes, interruptedMigrations } from '../../node/migration/interrupted';
import { JournalFile } from '../../node/credentials/journal-file';
import { checkSecureFile } from '../../node/profile/secure-fs';
import { VaultError, toVaultError, type VaultErrorJSON } from '../../core/errors';
import { shWord } from '../../core/control-chars';
import { dirname, resolve } from 'node:path';
import { gitConfigLine, leakFix } from './git-credential';
import { HF_URL, hfHelperLeaks, type GitHelper } from '../../node/git-credential/helper-chain';
import { paint } from '../io';
import { interruptible } from '../signals';
import { lockHolder } from '../../node/profile/file-lock';
import { LATE_WAIT_MS } from '../../node/records/late-events';
import { describeStatus } from './check';
import { USE_FILE, fileOfferJson, fileOfferText, offersFileBackend, stepsFitting } from '../file-offer';
import { agentOfStatus, agentTrouble } from '../agent-state';
import { vaultFilesOf } from '../vault-file';
import { printJson, profilePathsOf, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';

/**
 * `cpw-vault doctor`: profile path, permissions and schema version; the
 * keychain (reachable, locked, reason code and fix); each workflow's
 * readiness; HuggingFace tokens still in plaintext (~/.git-credentials,
 * the Hub's token file) as warnings with the migration. Exit 0 when nothing
 * is broken, 4 when the keychain is not usable, 1 for any other problem (a
 * backend switch left unfinished among them: the full vault's start finishes
 * one whose process is gone, so one reported here runs, or could not be
 * finished). `--repair` first makes the index and the keychain agree, and
 * says what it changed.
 */
export async function doctor(args: { repair?: boolean }, ctx: CliContext): Promise<ExitCode> {
  muteModeWarning(ctx);
  // Doctor says what the start finished in its own words (with the backup it deleted), below: not twice.
  ctx.muteWarning?.(FINISHED_MIGRATION);
  // Before the vault opens: its start rolls a killed migration forward and deletes its backup, saying nothing.
  const interrupted = interruptedMigrations(journalOf(ctx).read());
  const full = args.repair ? await ctx.vault() : undefined;
  const report = await runDoctor(full ?? (await ctx.doctorSubject()), { repair: !!args.repair, switchRecord: switchRecordOf(ctx), interruptible });
  const { profile, keychain, workflows } = report;
  const paths = profilePathsOf(ctx);
  // The profile's lock, the run history and its lock: a fifo, a link, a folder or another user's file there was refused
  // by every set (exec: 'could not record the run') while doctor said all was well, exit 0.
  const history = sidecarPath(paths, 'runs.jsonl');
  for (const problem of [fileProblem(journalOf(ctx).path), lockProblem(paths.profile), fileProblem(history, Infinity), lockProblem(history)]) {
    if (!problem) continue;
    profile.problems.push(problem);
    report.ok = false;
  }
  const looseFolder = openFolderWarning(ctx, profile.dir_mode);
  if (looseFolder) profile.warnings = [...(profile.warnings ?? []), looseFolder];
  // The vault's HF token, asked only when git's store or the Hub's token file holds one (and never failing the report: a --profile that does
  // not exist is a finding of the report above, not an error here).
  const vaultToken = async () => {
    try {
      const reader = await ctx.reader();
      return { hint: reader.listCredentials().find((c) => c.id === 'huggingface.token')?.meta?.hint, value: await reader.storedValue('huggingface.token').catch(() => undefined) };
    } catch {
      return {};
    }
  };
  // Helpers git would hand the token to besides ours: then the fix for a token in git's store is the one that stops
  // them (the plain install line left the token going back there).
  // With the working directory removed git runs in HOME (it refuses to run in no folder): the system and global helpers.
  const leaks = hfHelperLeaks(ctx.io.cwd ?? (ctx.io.env['HOME'] || homedir()), ctx.io.env);
  const helperFix = leaks.length ? leakFix(ctx, leaks) : gitConfigLine(ctx);
  const gitHelpers = leaks.length ? [{ helpers: leaks, message: leakMessage(leaks), fix: helperFix }] : [];
  const plaintext = [...(await findPlaintextHfTokens(ctx.io.env, ctx.io.env['HOME'] || homedir(), helperFix, vaultToken)), ...legacySecretsLeft(ctx, profile.kind), ...backupsLeft(ctx, interrupted.map((m) => m.backup))];
  const offer = offersFileBackend(keychain) ? fileOfferJson(ctx.io.stdinIsTTY) : undefined;
  const historyLock = await heldHistoryLock(ctx);
  const migrations = interruptedMigrationNotes(interrupted, keychain.ok);
  // Its fix lines are pasted from the JSON too: printJson names the profile given with --profile in them, as stderr's do.
  if (ctx.globals.json) printJson(ctx.io, { ...report, plaintext_tokens: plaintext, git_helpers: gitHelpers, ...(migrations.length ? { interrupted_migrations: migrations } : {}), ...(historyLock ? { history_lock: historyLock } : {}), ...(offer ? { offer } : {}) });
  else {
    const p = paint(ctx.io);
    const mark = (good: boolean) => (good ? p.green('✓') : p.red('✗'));
    if (report.repair && full) ctx.io.err(repairLines(report.repair, storeName(full.backend())));
    ctx.io.err(`${mark(profile.problems.length === 0)} profile ${profile.path}\n    kind: ${profile.kind}  mode: ${profile.mode ?? '-'}  folder: ${profile.dir_mode ?? '-'}  schema: ${profile.version ?? '-'}\n`);
    for (const problem of profile.problems) ctx.io.err(`    ${p.red(problem.code)} ${problem.message}\n    fix: ${problem.fix}\n`);
    for (const w of profile.warnings ?? []) ctx.io.err(`    ${p.yellow('!')} ${w}\n`);
    // The vault file's description names itself ("age vault file ..."): "keychain" only before the keychain's.
    // A command hung on the vault file's agent: doctor said VAULT_LOCKED and "lock, then unlock", not that the agent is
    // stopped (kill -CONT resumes it), busy or hung, or cannot be asked, as backend and list say.
    const trouble = !keychain.ok && keychain.backend.startsWith('age vault file') ? agentTrouble(await agentOfStatus(keychain, vaultFilesOf(ctx).socket), keychain) : undefined;
    ctx.io.err(`${mark(keychain.ok)} ${keychain.backend.startsWith('age vault file') ? '' : 'keychain '}${keychain.backend}${keychain.ok ? ': reachable and unlocked' : `\n    ${p.red(keychain.code)} ${keychain.message}${trouble ? `\n    ${p.yellow('!')} ${trouble}` : ''}\n    fix: ${stepsFitting(keychain.fix, ctx.io.stdinIsTTY)}`}\n`);
    // A fix that is the vault file already (a host where no keychain can be started) is not offered it twice.
    if (offer && (keychain.ok || !keychain.fix.includes(USE_FILE))) ctx.io.err(`    ${fileOfferText(ctx.io.stdinIsTTY).split('\n').join('\n    ')}\n`);
    for (const w of keychain.warnings ?? []) ctx.io.err(`    ${p.yellow('!')} ${w}\n`);
    const store = keychain.backend.startsWith('age vault file') ? 'vault file' : 'keychain';
    for (const id of report.stale ?? []) {
      const { service, key } = splitCredentialId(id);
      ctx.io.err(`${p.red('✗')} ${id} is listed in the profile, but the ${store} does not hold its value (removed outside cpw-vault?)\n    fix: Store it again (cpw-vault set ${service} ${key}), or drop it from the list: cpw-vault doctor --repair\n`);
    }
    for (const w of workflows) ctx.io.err(describeStatus(ctx.io, w));
    for (const u of report.unfinished ?? []) ctx.io.err(`${p.yellow('!')} ${unfinishedLine(u)}\n`);
    if (report.backend_switch) ctx.io.err(`${p.red('✗')} ${switchLine(report.backend_switch)}\n`);
    // Paths found on the way (a backup the audit log or the journal named, in a folder this run does not name) shown as named ones.
    const shown = (text: string, found: Array<string | null>) => ctx.io.showingPaths?.(text, found.filter((f) => f !== null)) ?? text;
    for (const m of migrations) ctx.io.err(shown(`${m.backup_left ? p.red('✗') : p.yellow('!')} ${m.message}\n    fix: ${m.fix}\n`, [m.backup, m.source]));
    if (historyLock) ctx.io.err(`${p.yellow('!')} ${historyLock.message}\n    fix: ${historyLock.fix}\n`);
    for (const t of [...gitHelpers, ...plaintext]) ctx.io.err(`${p.yellow('!')} ${shown(t.message, ['path' in t ? t.path : null])}\n    fix: ${t.fix.split('\n').join('\n         ')}\n`);
  }
  if (!keychain.ok) return EXIT.keychain;
  // A backup still there is an unfinished change holding plaintext: a problem, as an unfinished backend switch is.
  return report.ok && !migrations.some((m) => m.backup_left) ? EXIT.ok : EXIT.failure;
}

/**
 * The seed's ./config/secrets.json still on disk beside a profile: a migrate without --remove-plaintext leaves it, and
 * doctor named its backup (with the rm) but not the file itself, which holds the same keys in plaintext. Only for the
 * default profile, whose legacy source it is (a --profile elsewhere never read it); without a profile, the profile's
 * own finding (PROFILE_READ_ONLY) says to migrate. migrate removes it only once every key it holds is in the vault.
 */
function legacySecretsLeft(ctx: CliContext, kind: string): PlaintextToken[] {
  const path = profilePathsOf(ctx).legacySecrets;
  if (kind !== 'profile' || !path || !isPlainFile(path)) return [];
  return [{
    path,
    kind: 'secrets-json',
    message: `${path} still holds secrets in plaintext (the seed's secrets file; cpw-vault no longer reads it).`,
    // Not "kept if a key differs": a setting (PORT) or an unknown entry keeps it too, each time the line is pasted. The
    // command last, as in every fix line: after it, the words in parentheses were pasted too (a shell syntax error).
    fix: `Move what it holds into the vault, then delete it (kept, saying why, while it holds what the vault does not have: a different value, an entry it does not know, a setting to copy elsewhere first): cpw-vault migrate --from ${shWord(path)} --remove-plaintext --yes`,
  }];
}

/**
 * Backups migration made that are still on disk, of any source (see
 * leftoverBackups): each holds the plaintext it copied, and once the source
 * was removed nothing else pointed at them (a new-user pass found every key
 * there after `--remove-plaintext` of a later run). Those the journal names
 * (`journalNamed`) are a migration's unfinished change, reported on their own.
 */
function backupsLeft(ctx: CliContext, journalNamed: readonly string[]): PlaintextToken[] {
  const paths = profilePathsOf(ctx);
  // Beside the sources doctor knows (./config/secrets.json, the profile) and here, whatever the source (.env, a
  // JSON file); and wherever the audit log says a migration put one: a migrate killed after its commit, before its
  // summary, named its backup nowhere else.
  const here = ctx.io.cwd === undefined ? [] : [ctx.io.cwd, dirname(resolve(ctx.io.cwd, LEGACY_SECRETS_PATH))];
  const dirs = [...here, dirname(paths.profile)];
  const named = backupsNamed(paths, (m) => ctx.io.err(`warning: ${m}\n`));
  // With --profile (or $CPW_PROFILE), a backup found here that the default profile's migrations recorded (and this
  // profile's did not) is the default profile's: its check (`--profile THIS migrate --from ... --dry-run`) compared
  // it with a vault that never held those keys, and said every row was new. The default profile's doctor names it.
  const defaults = paths.isDefault ? undefined : defaultPathsOf(ctx);
  const others = defaults ? backupsNamed(defaults, () => {}).filter((path) => !named.includes(path)) : [];
  // A backup the journal still names is a change not finished: reported above with its own fix (not rm).
  return leftoverBackups(dirs, named).filter((path) => !journalNamed.includes(path) && !others.includes(path)).map((path) => ({
    path,
    kind: 'migration-backup' as const,
    message: `${path} is a backup a migration made: it holds in plaintext what it copied.`,
    fix: `Check that its keys are in the vault (cpw-vault migrate --from ${shWord(path)} --dry-run: every row identical), then delete it: rm -- ${shWord(path)}`,
  }));
}

/** The backups the audit log of the profile at `paths` says its migrations made (`warn`: a generation left out). */
function backupsNamed(paths: ReturnType<typeof resolveProfilePaths>, warn: (message: string) => void): string[] {
  const audit = new AuditLog(sidecarPath(paths, 'audit.log'), { older: firstVersionSidecar(paths, 'audit.log'), warn });
  return audit.list({ event: 'migration_applied' }).flatMap((e) => (typeof e.details?.['backup'] === 'string' && e.details['backup'] ? [e.details['backup']] : []));
}

/**
 * The run history's lock, when a live process holds it: every exec then waits LATE_WAIT_MS for it and records its run
 * in a late file beside the history, until the holder (often a cpw-vault stopped with kill -STOP, or on a hung disk)
 * lets it go. Seen twice, LATE_WAIT_MS apart: a holder at work keeps it for an append (microseconds) or a compaction's
 * swap (milliseconds), which is no news. Not a failure of doctor: runs are still recorded.
 */
async function heldHistoryLock(ctx: CliContext): Promise<{ path: string; holder: string; message: string; fix: string } | undefined> {
  const history = sidecarPath(profilePathsOf(ctx), 'runs.jsonl');
  const path = `${history}.lock`;
  const look = () => {
    try {
      return lockHolder(history);
    } catch {
      // No lock cpw-vault made (a link, a fifo): exec's warning says so, with the rm.
      return undefined;
    }
  };
  const seen = look();
  if (!seen) return undefined;
  await new Promise((resolve) => setTimeout(resolve, LATE_WAIT_MS));
  if (look()?.id !== seen.id) return undefined;
  const message = `The run history's lock ${path} is held by ${seen.holder}: until it lets go, each exec waits ${LATE_WAIT_MS} ms for it, then records its run in a file of its own beside the history (listed by cpw-vault runs, added to the history once the lock is free).`;
  return { path, holder: seen.holder, message, fix: seen.fix.charAt(0).toUpperCase() + seen.fix.slice(1) };
}

/** Why helpers beside cpw-vault's are a leak, naming each (first word only) and where it is set. */
function leakMessage(leaks: GitHelper[]): string {
  const names = leaks.map((l) => `"${l.name}" (${l.scope}, ${l.origin})`).join(', ');
  return `git also runs the credential helper${leaks.length > 1 ? 's' : ''} ${names} for ${HF_URL}, besides cpw-vault's: after a clone or fetch succeeds git hands the HuggingFace token to each to store (git's "store" writes it to ~/.git-credentials in plaintext).`;
}

/** The credential journal of this profile, to read only (credentials/journal-file.ts). */
function journalOf(ctx: CliContext): JournalFile {
  const paths = profilePathsOf(ctx);
  return new JournalFile(sidecarPath(paths, 'journal'), paths.profile, paths.dedicatedDir, undefined);
}

/**
 * A file beside the profile (the journal, the run history) when every write would refuse it (a folder, a link, another
 * user's file, one others can write): every set and delete failed while doctor said all was well. A damaged one reads
 * as empty (JournalFile, the history's fold), so only what its reader checks first is looked at, never its content
 * (a history of 50,000 runs is megabytes). `maxBytes`: the history has no limit of its own (its bounds keep it).
 */
function fileProblem(path: string, maxBytes?: number): VaultErrorJSON | undefined {
  try {
    checkSecureFile(path, { warn: () => {}, maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return toVaultError(err).toJSON();
  }
  return undefined;
}

/** What at the lock's name of `target` every writer refuses (a fifo, a link, another user's file, a folder that is no lock). */
function lockProblem(target: string): VaultErrorJSON | undefined {
  try {
    lockHolder(target);
  } catch (err) {
    return toVaultError(err).toJSON();
  }
  return undefined;
}

/** Where a backend switch of this profile keeps its record (credentials/backend-move.ts). */
export function switchRecordOf(ctx: CliContext): string {
  return sidecarPath(profilePathsOf(ctx), 'backend-move');
}

/** A loose profile mode is one of doctor's problems, with its fix: said once, not also as a warning (call before the first read). */
export function muteModeWarning(ctx: CliContext): void {
  ctx.muteWarning?.(`${profilePathsOf(ctx).profile} is readable by other users`);
}

/** An unfinished change, with what to do about it. */
function unfinishedLine(u: UnfinishedChange): string {
  const what = `a change to ${u.credentials.join(', ') || 'credentials'} started at ${u.started_at} by ${u.owner} has not finished`;
  if (!u.abandoned_at) return `${what}: it is still running.\n    fix: Let it finish; if it is stuck, stop it, and the next cpw-vault command finishes its change.`;
  return `${what}; that process cannot be seen from here, so its change is not finished from here before ${u.abandoned_at}.\n    fix: If it still runs, let it finish. Until ${u.abandoned_at} the keychain may hold values the index does not list yet; if it was stopped, any cpw-vault command finishes it after then, or run: cpw-vault doctor --repair`;
}

/** A backend switch left unfinished, with what finishes it. */
function switchLine(s: UnfinishedSwitch): string {
  const name = (b: string) => (b === 'file' ? 'the age vault file' : b === 'keychain' ? 'the OS keychain' : `the ${b} backend`);
  const what = `a switch from ${name(s.from)} to ${name(s.to)} (cpw-vault backend use ${s.to}) started at ${s.started_at} by ${s.owner}`;
  const both = `until it ends, both hold the secrets (the profile uses ${name(s.in_use)})`;
  if (s.state === 'running') return `${what} is still running; ${both}.\n    fix: Let it finish. If it is stuck, stop it, then run cpw-vault doctor --repair: it finishes the switch.`;
  if (s.state === 'unseen') return `${what} has not finished; that process cannot be seen from here, so the switch is not finished from here before ${s.abandoned_at ?? 'an hour has passed'}; ${both}.\n    fix: If it still runs, let it finish. If it was stopped, run cpw-vault doctor --repair after ${s.abandoned_at ?? 'that'}: it finishes the switch.`;
  return `${what} was interrupted and could not be finished yet; ${both}.\n    fix: Run cpw-vault doctor --repair: it finishes the switch (removes the copies the profile does not use). If it fails again, its warning says which backend could not be asked: make that one usable first (cpw-vault backend).`;
}

/** What a repair did, one line per kind of change (names only). */
function repairLines(r: RepairSummary, store: string): string {
  if (r.skipped) return `repair: not done: ${r.skipped}\n`;
  const lines = [
    r.recovered ? `finished ${counted(r.recovered, 'change')} a crashed cpw-vault had started` : '',
    r.added.length ? `re-indexed from ${store}: ${r.added.join(', ')}` : '',
    r.dropped.length ? `removed from the index (no value in ${store}): ${r.dropped.join(', ')}` : '',
    r.orphans.length ? `left alone (in ${store}, not in the index, not a known credential): ${r.orphans.join(', ')}; add one with: cpw-vault set <service> <key> --env-var NAME` : '',
    r.shared.length ? `left alone (in the keychain under the name this profile shares with the default profile, so perhaps the default profile's): ${r.shared.join(', ')}; to make one this profile's, set it again with this profile` : '',
  ].filter(Boolean);
  return `repair: ${lines.length ? lines.join('\n        ') : `nothing to do: the index and ${store} agree`}\n`;
}

/**
 * cpw-vault's own folder (~/.cp-whisperx, or one named so) that other users may enter and list (0755 after a
 * `chmod` or a copy): the README's folder is 0700, and the next write makes it so, but until then others see which
 * files it holds (the vault file, the history). One they can write is a problem of its own (checkFolder).
 */
function openFolderWarning(ctx: CliContext, dirMode: string | null): string | undefined {
  const paths = profilePathsOf(ctx);
  const mode = dirMode ? parseInt(dirMode, 8) : 0;
  const dir = dirname(paths.profile);
  // A link in its place is refused (PROFILE_SYMLINK, with its fix): a chmod of it would change its target's mode.
  if (!paths.dedicatedDir || !(mode & 0o055) || mode & 0o022 || lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink()) return undefined;
  return `${dir} has mode ${dirMode}: other users can list the files it holds (cpw-vault keeps it 0700, and makes it so at its next write).\n    fix: Run: chmod 700 ${shWord(dir)}`;
}

/**
 * The paths of the default profile (~/.cp-whisperx/user.profile), whichever profile doctor runs on; undefined when
 * HOME is not UTF-8 (its folder cannot be named): doctor on the profile given with --profile or CPW_PROFILE was
 * refused whole for it.
 */
function defaultPathsOf(ctx: CliContext): ReturnType<typeof resolveProfilePaths> | undefined {
  try {
    return resolveProfilePaths({ env: { ...ctx.io.env, CPW_PROFILE: undefined }, cwd: ctx.io.cwd });
  } catch (err) {
    if (err instanceof VaultError && err.code === 'INVALID_ARGUMENT') return undefined;
    throw err;
  }
}
