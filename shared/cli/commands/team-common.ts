import { userInfo } from 'node:os';
import { fromWorkingDir } from '../io';
import { VaultError } from '../../core/errors';
import { isCredentialId, type TeamDocument } from '../../core/team-document';
import { MAX_IDENTITY_FILE_BYTES, TEAM_IDENTITY, parseIdentityText, teamIdentity, type TeamKey } from '../../node/team/identity';
import { mismatch, readRecipientsFile, readTeamFile, recipientsDiffer, teamFilesFor, type TeamFiles } from '../../node/team/team-file';
import { listSharedKeys, listSharedKeyText, namesOfKey, sharedKeyText, sharedKeys, type SharedKey } from '../../core/team-shared-keys';
import type { CliContext } from '../context';
import { shownText } from '../../core/control-chars';

/** Options every team command takes. */
export interface TeamTarget {
  /** The team file (default cpw-team.age in the current folder). */
  file?: string;
  /** A CI deploy identity (an age-keygen file only its owner can read) instead of the stored one. */
  identityFile?: string;
  /** The same identity read from this open descriptor (`3< /run/secrets/key`: a file the shell could open, a pipe). */
  identityFd?: string;
}

/** The default team file name. */
export const DEFAULT_TEAM_FILE = 'cpw-team.age';

/** The team files a command works on. */
export function filesOf(ctx: CliContext, args: TeamTarget): TeamFiles {
  return teamFilesFor(fromWorkingDir(ctx.io, args.file ?? DEFAULT_TEAM_FILE, 'The team file'));
}

/** The identity of this run: --identity-file or --identity-fd, else the one in the user's vault (read side only). */
export async function identityOf(ctx: CliContext, args: TeamTarget, usesVault = false): Promise<TeamKey> {
  if (args.identityFd !== undefined) return identityOfFd(args);
  return teamIdentity(() => ctx.reader(), args.identityFile ? fromWorkingDir(ctx.io, args.identityFile, '--identity-file') : undefined, { fileHint: !usesVault });
}

/**
 * --identity-fd: the identity read from the descriptor, checked as --passphrase-fd's (see readDescriptor), at most as
 * much as an identity file. A Kubernetes Secret is root's, 0440, read through the pod's group: refused by its path (not
 * trusted), the pod's shell can open it, as it does for the passphrase (`--passphrase-fd 3 3< FILE`).
 */
export function identityOfFd(args: TeamTarget): Promise<TeamKey> {
  if (args.identityFile !== undefined) throw new VaultError('INVALID_ARGUMENT', 'Give --identity-file or --identity-fd, not both.', 'Keep one of them.');
  const fd = args.identityFd!;
  // Read once: it is read to its end and closed, and a command may ask twice (team status: its key, then the file).
  let key = fromFd.get(fd);
  if (!key) fromFd.set(fd, (key = readIdentityFd(fd)));
  return key;
}

const fromFd = new Map<string, Promise<TeamKey>>();

async function readIdentityFd(fd: string): Promise<TeamKey> {
  const { readDescriptor } = await import('../descriptor-input');
  const bytes = await readDescriptor(fd, { option: '--identity-fd', what: 'the identity', command: '', sample: 'key.txt', maxBytes: MAX_IDENTITY_FILE_BYTES, tooLargeFix: 'Give a file written by age-keygen.' });
  return parseIdentityText(bytes.toString('utf8'), `File descriptor ${Number(fd)}`);
}

/**
 * What opening a team file warned of on stderr, for --json (stable names, present on every team command's document):
 * `recipients_mismatch` when the recipients file disagrees with the team file (else null), `shared_keys`, each
 * age key the file holds under more than one member name (see team-shared-keys.ts), and `recipients_shared_keys`,
 * each the recipients file holds under more than one name (unless the team file has it under those very names).
 */
export interface TeamNotes {
  recipients_mismatch: { only_in_file: string[]; only_in_list: string[]; message: string; fix: string } | null;
  shared_keys: SharedKey[];
  recipients_shared_keys: SharedKey[];
}

/**
 * The decrypted team file, with the recipients file checked against it (a warning, or `strict`: TEAM_MISMATCH) and
 * its members and the list's checked for a key under two names (a warning): each said on stderr, and returned as `notes`.
 * A team file another user could have put where it is is refused (PROFILE_PERMISSIONS) unless `anyPlace`.
 */
export async function openTeam(ctx: CliContext, args: TeamTarget, options: { strict?: boolean; tolerate?: (diff: { onlyInFile: string[]; onlyInList: string[] }, doc: TeamDocument) => boolean; usesVault?: boolean; anyPlace?: boolean } = {}): Promise<{ files: TeamFiles; key: TeamKey; doc: TeamDocument; notes: TeamNotes }> {
  const files = filesOf(ctx, args);
  // pull and push read or write the vault anyway: an identity file would not get them past a missing keychain.
  const key = await identityOf(ctx, args, options.usesVault);
  const doc = await readTeamFile(files.file, key.identity, key.recipient, { anyPlace: options.anyPlace === true });
  const listed = readRecipientsFile(files, { anyPlace: options.anyPlace === true });
  const diff = recipientsDiffer(doc, listed);
  const notes: TeamNotes = { recipients_mismatch: null, shared_keys: sharedKeys(doc.members), recipients_shared_keys: listSharedKeys(listed ?? [], doc.members) };
  if (diff && !options.tolerate?.(diff, doc)) {
    const err = mismatch(files, diff);
    if (options.strict) throw err;
    ctx.io.err(`warning: ${err.message}\n  fix: ${err.fix}\n`);
    // On stderr alone, a script reading --json never learned that someone may read the file the list does not name.
    notes.recipients_mismatch = { only_in_file: diff.onlyInFile, only_in_list: diff.onlyInList, message: err.message, fix: err.fix };
  }
  for (const k of notes.shared_keys) ctx.io.err(`warning: ${sharedKeyText(files.file, k)}\n`);
  for (const k of notes.recipients_shared_keys) ctx.io.err(`warning: ${listSharedKeyText(files.recipients, k, doc.members)}\n`);
  return { files, key, doc, notes };
}

/** The credential ids given with --add, checked (`service.key`; never the team identity itself). */
export function idsOf(list: string[] | undefined): string[] {
  const out: string[] = [];
  for (const raw of list ?? []) {
    const id = raw.replace('/', '.');
    if (!isCredentialId(id)) throw new VaultError('INVALID_ARGUMENT', `"${shownText(raw, 80)}" is not a credential name.`, 'Name credentials service.key, e.g. --add tmdb.api_key --add huggingface.token');
    if (id === TEAM_IDENTITY.id) throw new VaultError('INVALID_ARGUMENT', 'Your team identity is yours alone; it never goes into a team file.', 'Share your public key instead: cpw-vault team identity');
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

/** The member name of this user: --name, else $USER, else "me". */
export function selfName(ctx: CliContext, name: string | undefined): string {
  if (name !== undefined) return name;
  // A container or a cron job often has no $USER: the account's own name then, before a last-resort "me" (every member alike).
  for (const candidate of [ctx.io.env['USER'], ctx.io.env['LOGNAME'], accountName()]) {
    const clean = (candidate ?? '').replace(/[^A-Za-z0-9._@+-]/g, '').slice(0, 64);
    if (/^[A-Za-z0-9]/.test(clean)) return clean;
  }
  return 'me';
}

function accountName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined; // a uid with no passwd entry (a container run as an arbitrary uid)
  }
}

/** Every member name of `recipient`, in the order of the file (one written by hand or with age -R may give a key several). */
export function membersOf(doc: TeamDocument, recipient: string): string[] {
  return namesOfKey(doc.members, recipient);
}
