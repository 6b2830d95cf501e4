import { lstatSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Decrypter, Encrypter, armor } from 'age-encryption';
import { shellWord } from '../../core/control-chars';
import { VaultError } from '../../core/errors';
import { registerSecret } from '../../core/redact';
import { MAX_TEAM_MEMBERS, hasConflictMarkers, parseRecipients, parseTeamDocument, recipientsText, sortMembers, teamConflict, type TeamDocument } from '../../core/team-document';
import { withFileLock } from '../profile/file-lock';
import { readPlacedTeamFile } from './team-file-place';
import { readRegularFile, removeTempsOf, writeFileDurably } from '../secrets/durable-file';
import { utf8Text } from '../secrets/vault-crypto';

/**
 * The team file on disk: `cpw-team.age`, an ASCII-armored age file (text, so
 * git diffs and merges it as text and a conflict shows as markers, never as
 * garbage) encrypted to every member's X25519 recipient, and
 * `cpw-team.age.recipients` beside it. Both are written durably (temp file,
 * fsync, rename), the team file first, under `cpw-team.age.lock`: a kill at
 * any instant leaves a team file that opens for exactly the old or the new
 * member set. age-encryption's messages are never passed on.
 */

/** The two files of a team vault. */
export interface TeamFiles {
  file: string;
  recipients: string;
}

/** `cpw-team.age` -> itself and `cpw-team.age.recipients`. */
export function teamFilesFor(file: string): TeamFiles {
  return { file, recipients: `${file}.recipients` };
}

const NO_MATCH = "no identity matched any of the file's recipients";
const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const MAGIC = 'age-encryption.org/v1\n';

/** The bytes of a file (any mode: it is a repository file), or undefined when absent. Refuses symlinks, non-files, over 16 MiB. */
export function readRepoFile(path: string): Buffer | undefined {
  return readRegularFile(path, { what: 'the team file' });
}

/** The raw age bytes of a team file (armored or binary, as `age -R` writes either). Throws TEAM_CONFLICT / TEAM_INVALID. */
export function ageBytesOf(bytes: Buffer, file: string): Uint8Array {
  const head = bytes.subarray(0, 64 * 1024).toString('latin1');
  if (hasConflictMarkers(head) || head.startsWith('<<<<<<< ')) throw teamConflict(file);
  if (head.trimStart().startsWith(ARMOR_BEGIN)) {
    try {
      return armor.decode(bytes.toString('latin1'));
    } catch {
      throw damaged(file, 'its armor is broken (truncated or edited)');
    }
  }
  if (!head.startsWith(MAGIC)) throw damaged(file, 'it is not an age file');
  return bytes;
}

/** The number of recipient stanzas in an age header (readable without a key). */
export function stanzaCount(age: Uint8Array): number {
  const head = Buffer.from(age.subarray(0, 64 * 1024)).toString('latin1');
  const end = head.indexOf('\n---');
  return (end < 0 ? head : head.slice(0, end)).split('\n').filter((l) => l.startsWith('-> ')).length;
}

/**
 * Most recipient stanzas a team file's header may hold: one per member (at most MAX_TEAM_MEMBERS), and a few more
 * another age tool may add (rage's grease stanza).
 */
const MAX_TEAM_STANZAS = MAX_TEAM_MEMBERS + 16;

/**
 * Refuses a header with more recipient stanzas than a team file can have members, before any is tried: age tries
 * the identity on each X25519 stanza in turn (~0.7 ms each on a loaded machine), so a hostile team file pushed to
 * the repository (16 MiB of stanzas, none ours) held team pull, team diff (git's textconv, at every git diff) and
 * the member check of a restored identity for minutes. Counted up to the header's end (`---`), never past it.
 */
function assertFewStanzas(age: Uint8Array, file: string): void {
  const bytes = Buffer.from(age.buffer, age.byteOffset, age.byteLength);
  const end = bytes.indexOf('\n---');
  let count = 0;
  for (let at = bytes.indexOf('\n-> '); at >= 0 && (end < 0 || at < end); at = bytes.indexOf('\n-> ', at + 4)) {
    if (++count > MAX_TEAM_STANZAS) throw damaged(file, `its header names more than ${MAX_TEAM_STANZAS} recipients, more than a team file has members (at most ${MAX_TEAM_MEMBERS}), so it was not decrypted`);
  }
}

/**
 * Reads and decrypts a team file with `identity`. Throws INVALID_ARGUMENT
 * (no file), TEAM_CONFLICT (merge markers), TEAM_INVALID (damaged,
 * truncated, tampered, or no team document), TEAM_NOT_RECIPIENT (the
 * identity is not one of its recipients; the fix names the command a member
 * runs, with `recipient`), PROFILE_PERMISSIONS (another user could have put
 * it there, or it is not the file whose place was checked: see
 * team-file-place.ts; `anyPlace` reads it anyway, for what takes nothing
 * from it, like git's textconv).
 */
export async function readTeamFile(file: string, identity: string, recipient: string, options: { anyPlace?: boolean } = {}): Promise<TeamDocument> {
  const bytes = readPlacedTeamFile(file, options);
  // A path given that names nothing: a usage error (exit 2), not the vault's own store missing (exit 4, "keychain").
  if (!bytes) throw new VaultError('INVALID_ARGUMENT', `There is no team file at ${file}.`, 'Check the path (--file, --team), pull the repository (git pull), or create one: cpw-vault team init --add SERVICE.KEY');
  const age = ageBytesOf(bytes, file);
  assertFewStanzas(age, file);
  const d = new Decrypter();
  d.addIdentity(identity);
  let plain: Uint8Array;
  try {
    plain = await d.decrypt(age);
  } catch (err) {
    if (err instanceof Error && err.message === NO_MATCH) throw notRecipient(file, recipient);
    throw damaged(file, 'its age encryption does not check out (truncated, tampered, or edited)');
  }
  const text = utf8Text(plain);
  if (text === undefined) throw damaged(file, 'it decrypts, but its content is not UTF-8 text (a file written in another encoding?)');
  const doc = parseTeamDocument(text, file);
  for (const c of doc.credentials) registerSecret(c.value);
  for (const p of doc.planted ?? []) if (p.value !== undefined) registerSecret(p.value);
  return doc;
}

/**
 * The recipients file's members, or undefined when it is absent. Throws TEAM_CONFLICT / TEAM_INVALID, and
 * PROFILE_PERMISSIONS as for the team file (`anyPlace`: read anyway): add and remove act on the list, so another
 * user's, put beside the user's own team file in a sticky folder, refused an add and "finished" a remove.
 */
export function readRecipientsFile(files: TeamFiles, options: { anyPlace?: boolean } = {}): { name: string; recipient: string }[] | undefined {
  const bytes = readPlacedTeamFile(files.recipients, { ...options, listOf: files.file });
  return bytes ? parseRecipients(bytes.toString('utf8'), files.recipients) : undefined;
}

/** What differs between the recipients file and the members inside the team file (recipients only; names are labels). */
export function recipientsDiffer(doc: TeamDocument, listed: { name: string; recipient: string }[] | undefined): { onlyInFile: string[]; onlyInList: string[] } | undefined {
  if (!listed) return { onlyInFile: doc.members.map((m) => m.name), onlyInList: [] };
  const inDoc = new Set(doc.members.map((m) => m.recipient));
  const inList = new Set(listed.map((m) => m.recipient));
  const onlyInFile = doc.members.filter((m) => !inList.has(m.recipient)).map((m) => m.name);
  const onlyInList = listed.filter((m) => !inDoc.has(m.recipient)).map((m) => m.name);
  return onlyInFile.length || onlyInList.length ? { onlyInFile, onlyInList } : undefined;
}

/** The error for a recipients file that does not list who can read the team file. */
export function mismatch(files: TeamFiles, diff: { onlyInFile: string[]; onlyInList: string[] }): VaultError {
  const parts = [diff.onlyInFile.length ? `the team file is encrypted to ${diff.onlyInFile.join(', ')}, not listed there` : '', diff.onlyInList.length ? `it lists ${diff.onlyInList.join(', ')}, who cannot read the team file` : ''].filter(Boolean);
  return new VaultError(
    'TEAM_MISMATCH',
    `${files.recipients} and ${files.file} disagree: ${parts.join('; ')}.`,
    `To add someone, use cpw-vault team add NAME age1... (editing the list alone gives no access). To rewrite the list from the team file: cpw-vault team recipients --write`,
  );
}

/**
 * Whether age can encrypt to `recipient`. A key's text checking out is not
 * enough: X25519's few low-order points (all zeros, for one) pass every
 * check of the text, and every encryption to them fails.
 */
export async function canEncryptTo(recipient: string): Promise<boolean> {
  try {
    const e = new Encrypter();
    e.addRecipient(recipient);
    await e.encrypt(new Uint8Array(0));
    return true;
  } catch {
    return false;
  }
}

/** Encrypts `doc` to its members (armored): the bytes of the team file. Throws TEAM_INVALID naming a member whose key age cannot use. */
export async function sealTeamDocument(doc: TeamDocument): Promise<string> {
  try {
    const e = new Encrypter();
    for (const m of sortMembers(doc.members)) e.addRecipient(m.recipient);
    return armor.encode(await e.encrypt(JSON.stringify(doc, null, 2)));
  } catch (err) {
    const unusable: string[] = [];
    for (const m of doc.members) if (!(await canEncryptTo(m.recipient))) unusable.push(m.name);
    if (!unusable.length) throw err;
    throw new VaultError('TEAM_INVALID', `The team file cannot be encrypted to member ${unusable.join(', ')}: age cannot use that age1... key. Nothing was changed.`, `Remove the member (cpw-vault team remove ${unusable[0]}), then add them again with the line their cpw-vault team identity prints.`);
  }
}

/**
 * Writes the team file and its recipients file under the team file's lock:
 * `change` gets the current document (undefined for a new file) and returns
 * the next one, or undefined for "nothing to write". The team file is
 * replaced first, then the recipients list, each atomically; temp files a
 * killed writer left are removed first. `signal` ends a wait for the lock with CANCELLED.
 */
export async function updateTeamFile(files: TeamFiles, change: () => Promise<TeamDocument | undefined>, options: { lockWaitMs?: number; beforeRename?: () => void; signal?: AbortSignal } = {}): Promise<TeamDocument | undefined> {
  return withFileLock(files.file, async (lock) => {
    removeTempsOf(files.file);
    removeTempsOf(files.recipients);
    const next = await change();
    if (!next) return undefined;
    if (!next.members.length) throw new VaultError('INVALID_ARGUMENT', 'A team file needs at least one member.', 'Add another member before removing this one.');
    const sealed = await sealTeamDocument(next);
    lock.assertHeld();
    options.beforeRename?.();
    const recipients = Buffer.from(recipientsText(next.members), 'utf8');
    if (lstatSync(files.file, { throwIfNoEntry: false })) {
      writeFileDurably(files.file, Buffer.from(sealed, 'latin1'));
      writeFileDurably(files.recipients, recipients);
      return next;
    }
    // A new team (init). A failed init removes only what it made, and changes nothing that was there before.
    const sealedBytes = Buffer.from(sealed, 'latin1');
    if (lstatSync(files.recipients, { throwIfNoEntry: false })) {
      // A list already there (committed alone to git, say) is replaced only once the team file is written: removing
      // it when the team file's write failed lost it. The team file is written exclusively, so the one removed is ours.
      writeFileDurably(files.file, sealedBytes, { exclusive: true });
      try {
        writeFileDurably(files.recipients, recipients);
      } catch (err) {
        rmSync(files.file, { force: true });
        throw err;
      }
      return next;
    }
    // No list yet: the list first, and the team file only once it is written. A failed init left a team file with
    // no recipients list, which the next init refused as "already exists"; a list alone is rewritten by it.
    writeFileDurably(files.recipients, recipients, { exclusive: true });
    try {
      writeFileDurably(files.file, sealedBytes, { exclusive: true });
    } catch (err) {
      rmSync(files.recipients, { force: true });
      throw err;
    }
    return next;
  }, { waitMs: options.lockWaitMs, foreignFix: foreignLockFix(files), signal: options.signal });
}

/** Writes only the recipients list (from the team file's members). */
export async function writeRecipientsFile(files: TeamFiles, doc: TeamDocument): Promise<void> {
  await withFileLock(files.file, async () => {
    removeTempsOf(files.recipients);
    writeFileDurably(files.recipients, Buffer.from(recipientsText(doc.members), 'utf8'));
  }, { foreignFix: foreignLockFix(files) });
}

/**
 * The fix when another user's link or file sits at `cpw-team.age.lock`: about the team file's folder (a shared one,
 * where they could plant it), not the profile's, which the default advice names and which was never in question.
 */
function foreignLockFix(files: TeamFiles): string {
  return `Keep the team file in a folder only you can write (clone its repository under your home): other users can create files in ${dirname(files.file)}. If you did not make ${files.file}.lock, leave it to that folder's owner or an admin to remove; do not use this folder.`;
}

/** Not a recipient: what to send to a member. */
export function notRecipient(file: string, recipient: string): VaultError {
  return new VaultError(
    'TEAM_NOT_RECIPIENT',
    `You are not a recipient of ${file}: it was not encrypted to your age key ${recipient}. Nothing was changed.`,
    `Ask a member to add you (your name in place of <you>), git push, and then git pull here. They run: cpw-vault team add <you> ${recipient}`,
  );
}

function damaged(file: string, why: string): VaultError {
  return new VaultError('TEAM_INVALID', `${file} cannot be read: ${why}. Nothing was changed.`, `Restore it from git: git checkout -- ${shellWord(file)}   (or git log -- ${shellWord(file)} for an older version), then ask its last writer to push again.`);
}
