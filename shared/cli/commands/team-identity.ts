import { VaultError, cancelledError } from '../../core/errors';
import { writeFileDurably } from '../../node/secrets/durable-file';
import { MIN_PASSPHRASE_LENGTH, sealWithPassphrase } from '../../node/secrets/vault-crypto';
import { TEAM_IDENTITY, ensureIdentity, identityFileText, parseIdentityText, readIdentityFile, storedIdentity, withIdentityLock, type TeamKey } from '../../node/team/identity';
import { printJson, type CliContext } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { fromWorkingDir, paint, type StdinUse } from '../io';
import { shellWord } from '../../core/control-chars';
import { readPassphrase, type PassphraseSource } from '../passphrase-input';
import { abortedAfterPending, cancelledIfInterrupted, interruptible } from '../signals';
import { readTeamFile } from '../../node/team/team-file';
import { filesOf, identityOfFd, membersOf } from './team-common';

export interface IdentityArgs extends PassphraseSource {
  /** The team file a restored identity may already be a member of (default cpw-team.age in this folder). */
  file?: string;
  /** An age-keygen identity file to store as this user's team identity (`-` = stdin). */
  import?: string;
  /** A cpw-vault export (one you made) whose team identity to store as yours: the one way an export's identity comes in. */
  fromExport?: string;
  /** Replace a stored identity that differs from the imported one. */
  force?: boolean;
  /** Write the identity, age-encrypted with a passphrase, to this new file (backup). */
  exportIdentity?: string;
  identityFile?: string;
  /** Print the key of the identity read from this descriptor (see identityOfFd). */
  identityFd?: string;
}

/**
 * `cpw-vault team identity`: prints the user's age public key (and nothing
 * else on stdout), creating the identity in the user's secret store on first
 * use. `--import FILE|-` stores an age-keygen identity instead;
 * `--from-export FILE` the one in an export you made (moving to a new
 * machine: `import` never takes it, since the file's writer knows it);
 * `--export-identity FILE` writes a passphrase-encrypted copy (`age -d FILE`
 * gives back the identity file); `--identity-file PATH` (or `--identity-fd N`) prints that file's key.
 */
export async function teamIdentityCmd(args: IdentityArgs, ctx: CliContext): Promise<ExitCode> {
  return interruptible(async (signal) => {
    let key: TeamKey;
    let note: string;
    let created = false;
    if ([args.identityFile ?? args.identityFd, args.import, args.fromExport].filter((a) => a !== undefined).length > 1 || (args.fromExport !== undefined && args.exportIdentity)) {
      throw new VaultError('INVALID_ARGUMENT', 'Give one of --identity-file (or --identity-fd), --import and --from-export (and --export-identity apart from --from-export: each has its own passphrase).', 'Run them one at a time.');
    }
    // A backup that cannot be written is said before an identity is created or stored for it.
    if (args.exportIdentity) await assertBackupTarget(fromWorkingDir(ctx.io, args.exportIdentity, '--export-identity'));
    if (args.identityFd !== undefined) {
      key = await identityOfFd(args);
      note = `Identity from file descriptor ${Number(args.identityFd)}.`;
    } else if (args.identityFile) {
      key = await readIdentityFile(fromWorkingDir(ctx.io, args.identityFile, '--identity-file'));
      note = `Identity from ${args.identityFile}.`;
    } else if (args.import !== undefined) {
      key = await storeIdentity(await identityToImport(args.import, ctx), args, ctx, signal);
      note = `Imported into your vault as ${TEAM_IDENTITY.id}.`;
    } else if (args.fromExport !== undefined) {
      key = await storeIdentity(await identityOfExport(args, ctx), args, ctx, signal);
      note = `Took the team identity of ${args.fromExport} into your vault as ${TEAM_IDENTITY.id}.`;
    } else {
      const made = await ensureIdentity(await ctx.vault(), signal);
      key = made;
      created = made.created;
      note = made.created ? `Created a team identity; its private half is in your vault as ${TEAM_IDENTITY.id} (never in a plain file).` : `Your team identity (${TEAM_IDENTITY.id} in your vault).`;
    }
    if (args.exportIdentity) {
      try {
        await exportIdentity(args, key, ctx, signal);
      } catch (err) {
        throw created ? createdThenFailed(err, key, fromWorkingDir(ctx.io, args.exportIdentity, '--export-identity')) : err;
      }
    }
    if (ctx.globals.json) printJson(ctx.io, { recipient: key.recipient });
    else ctx.io.out(`${key.recipient}\n`);
    // An identity made just now is nobody's member yet; any other may be (restored, or asked again by a member).
    ctx.io.err(`${note} ${(!created && (await memberStep(args, key, ctx))) || `Send the age1... line to a member, who runs: cpw-vault team add <you> ${key.recipient}`}\n`);
    return EXIT.ok;
  });
}

/**
 * The error of an --export-identity that failed after this run created the identity. The identity stays stored (a
 * first use needs it anyway, and it is in the vault, not a plain file): "cancelled: nothing changed" was false, and a
 * user who believed it found a new identity in `cpw-vault list`. Same code, so a Ctrl-C still exits 130.
 */
function createdThenFailed(err: unknown, key: TeamKey, target: string): unknown {
  if (!(err instanceof VaultError)) return err;
  const stored = `your new team identity was created and stays stored in your vault as ${TEAM_IDENTITY.id} (${key.recipient})`;
  const again = `To write the backup: cpw-vault team identity --export-identity ${shellWord(target)}`;
  // A cancel prints its message alone (no fix line), so the way on is in it; its cause is the signal (the exit code).
  if (err.code === 'CANCELLED') return new VaultError('CANCELLED', `cancelled: the backup ${target} was not written; ${stored}. ${again}`, err.fix, { cause: (err as { cause?: unknown }).cause });
  return new VaultError(err.code, `${err.message} The backup was not written; ${stored}.`, `${err.fix} ${again}`, { cause: err, fields: err.fields });
}

/**
 * The next step of a user whose identity is already a member of the team file here (or --file): restored on a new
 * machine, or asked for again by a plain `team identity`. Pull, where "send the age1... line to a member" sent them
 * to ask for what they have. Undefined
 * when the file is absent, damaged, not encrypted to `key`, or one another user could have put there (readTeamFile
 * refuses it: one in /tmp encrypted to the user's public key was an invitation to pull another user's values): only
 * looked at, never a reason to fail the restore.
 */
async function memberStep(args: IdentityArgs, key: TeamKey, ctx: CliContext): Promise<string | undefined> {
  const files = filesOf(ctx, args);
  let names: string[];
  try {
    names = membersOf(await readTeamFile(files.file, key.identity, key.recipient), key.recipient);
  } catch {
    return undefined;
  }
  if (!names.length) return undefined;
  const given = args.file !== undefined ? ` --file ${shellWord(files.file)}` : '';
  return `You are already a member of ${files.file} (as ${names.join(', ')}): nothing to send; take its keys with: cpw-vault team pull${given}`;
}

/** How to give `--import -` an identity file, when what stdin is gives none. */
const IMPORT_FIX = 'Pipe the file written by age-keygen (cpw-vault team identity --import - < key.txt), or give its path: --import key.txt';

/**
 * stdin read for `--import -`: an identity file is a few lines, so past 64 KiB it is not one (`< /dev/zero` was read
 * until memory ran out, the size checked only after). "Nothing was imported", never set's "the value".
 */
const IDENTITY_FROM_STDIN: StdinUse = {
  maxBytes: 64 * 1024,
  refuse: (why) => {
    switch (why.kind) {
      case 'closed':
        return new VaultError('INVALID_ARGUMENT', 'stdin is closed (a `<&-` redirect, or a caller that gave none): there is no identity file to import from it; nothing was imported.', IMPORT_FIX);
      case 'folder':
        return new VaultError('INVALID_ARGUMENT', 'stdin is a folder, not an identity file (a `< DIR` redirect?); nothing was imported.', IMPORT_FIX);
      case 'too-large':
        return new VaultError('INVALID_ARGUMENT', `stdin holds more than ${why.maxBytes} bytes: an identity file is a few lines, so this is not one; nothing was imported.`, IMPORT_FIX);
      case 'utf16':
        return new VaultError('INVALID_ARGUMENT', 'stdin is UTF-16 text (saved as "Unicode" by Notepad, or written by PowerShell\'s >), not the plain text age-keygen writes; nothing was imported.', 'Convert it first: iconv -f UTF-16 -t UTF-8 key.txt | cpw-vault team identity --import -');
      case 'not-utf8':
        return new VaultError('INVALID_ARGUMENT', 'stdin is not valid UTF-8, so it is not an identity file (age-keygen writes plain text); nothing was imported.', IMPORT_FIX);
    }
  },
};

/** The age-keygen identity of `--import FILE|-`. */
async function identityToImport(from: string, ctx: CliContext): Promise<TeamKey> {
  if (from !== '-') return readIdentityFile(fromWorkingDir(ctx.io, from, '--import'));
  return parseIdentityText(await ctx.io.readStdin(IDENTITY_FROM_STDIN), 'stdin');
}

/**
 * The team identity in the export `--from-export` names (its passphrase: a hidden prompt, --passphrase-file or
 * --passphrase-fd). Warns first: whoever wrote the export knows that key, so it must be one the user made.
 */
async function identityOfExport(args: IdentityArgs, ctx: CliContext): Promise<TeamKey> {
  const path = fromWorkingDir(ctx.io, args.fromExport!, '--from-export');
  const { assertExportFile, readExportFile } = await import('../../node/secrets/export-file');
  assertExportFile(path); // a mistyped path is said before its passphrase is asked, not after
  const passphrase = await readPassphrase(args, ctx.io, { message: `Passphrase of the export file ${path}`, command: `cpw-vault team identity --from-export ${shellWord(args.fromExport!)}` });
  ctx.io.err('Decrypting the export...\n');
  const found = (await readExportFile(path, passphrase)).credentials.find((c) => c.id === TEAM_IDENTITY.id);
  if (typeof found?.value !== 'string') throw new VaultError('INVALID_ARGUMENT', `${path} holds no team identity (${TEAM_IDENTITY.id}).`, 'Export again from the vault that has it (cpw-vault export --to FILE), or make one here: cpw-vault team identity');
  const key = await parseIdentityText(found.value, `The ${TEAM_IDENTITY.id} in ${path}`);
  ctx.io.err(`warning: the team identity of an export is known to whoever made the export: every team file encrypted to ${key.recipient} is theirs to read. Take it only from an export you made yourself.\n`);
  return key;
}

/** Stores `key` as the user's team identity; a different one already stored is replaced only with --force. */
async function storeIdentity(key: TeamKey, args: IdentityArgs, ctx: CliContext, signal: AbortSignal): Promise<TeamKey> {
  const vault = await ctx.vault();
  // Looked at and replaced under the identity lock: a first use running at the same time has either stored its key
  // (then this is a replacement, refused without --force) or not started.
  return withIdentityLock(vault, async () => {
    const current = await storedIdentity(vault);
    if (current?.identity === key.identity) return key;
    if (current && !args.force) {
      throw new VaultError('INVALID_ARGUMENT', `You already have a different team identity (${current.recipient}); replacing it loses access to every team file encrypted to it.`, `Keep a backup first (cpw-vault team identity --export-identity FILE), then run again with --force.`);
    }
    await vault.setCredential(TEAM_IDENTITY.service, TEAM_IDENTITY.key, key.identity, { label: TEAM_IDENTITY.label, envVar: TEAM_IDENTITY.envVar, signal });
    return key;
  }, signal);
}

/** The checks an export makes of its file (see assertExportTarget), with a fix that names --export-identity. */
async function assertBackupTarget(target: string): Promise<void> {
  const { assertExportTarget, exportElsewhere } = await import('../../node/secrets/export-file');
  assertExportTarget(target, exportElsewhere('--export-identity FILE'));
}

async function exportIdentity(args: IdentityArgs, key: TeamKey, ctx: CliContext, signal: AbortSignal): Promise<void> {
  const target = fromWorkingDir(ctx.io, args.exportIdentity!, '--export-identity');
  await assertBackupTarget(target); // before the passphrase is asked and scrypt runs
  const { checkNewPassphrase } = await import('../../node/secrets/vault-admin');
  const passphrase = await readPassphrase(args, ctx.io, { message: `Passphrase for the identity backup (at least ${MIN_PASSPHRASE_LENGTH} characters)`, command: `cpw-vault team identity --export-identity ${shellWord(args.exportIdentity!)}`, confirm: true, validate: (v) => checkNewPassphrase(v) });
  ctx.io.err('Encrypting the identity backup...\n');
  // The seconds of scrypt hold the main thread: a Ctrl-C then was never acted on, and the backup the user had
  // cancelled was written anyway (✓, exit 0). Held and acted on before anything is written, as export does.
  const sealed = await cancelledIfInterrupted(() => sealWithPassphrase(identityFileText(key, new Date()), passphrase));
  if (await abortedAfterPending(signal)) throw cancelledError(signal.reason);
  await assertBackupTarget(target); // again: the folder may have been swapped during the scrypt
  writeFileDurably(target, sealed, { exclusive: true });
  ctx.io.err(`${paint(ctx.io).green('✓')} Wrote ${target} (age, passphrase-encrypted, 0600). Restore with: age -d ${shellWord(target)} | cpw-vault team identity --import -\n`);
}
