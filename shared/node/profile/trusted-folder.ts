import { chmodSync, lstatSync, mkdirSync, statSync, type Stats } from 'node:fs';
import { VaultError } from '../../core/errors';
import { shellWord } from '../../core/control-chars';
import { currentUid, ioError, modeString, othersCanWrite } from './file-access';

/**
 * Creates `dir` (0700) if needed and checks it is a folder a write can trust
 * (see {@link assertTrustedFolder}). When `dedicated` (a folder that belongs
 * to cpw-vault, like ~/.cp-whisperx) or just created, its mode is forced to
 * 0700 even if it already existed with a looser one. A shared folder chosen
 * with an explicit path is never chmod-ed, and a symlinked dedicated folder
 * is refused before anything is changed: its target is never chmod-ed.
 * `elsewhere`: the fix when the folder is not one to write in (another
 * user's, a link of theirs, not a folder); by default it points at
 * --profile, which moves nothing but the profile's own files.
 */
export function ensurePrivateDir(dir: string, dedicated: boolean, elsewhere?: string): void {
  try {
    if (dedicated) refuseLinkedFolder(dir);
    const created = mkdirSync(dir, { recursive: true, mode: 0o700 });
    const s = lstatSync(dir);
    if ((dedicated || created !== undefined) && s.isDirectory() && (s.mode & 0o777) !== 0o700 && s.uid === (currentUid ?? s.uid)) chmodSync(dir, 0o700);
    assertTrustedFolder(dir, dedicated, elsewhere);
  } catch (err) {
    if (err instanceof VaultError) throw err;
    throw ioError(err, dir);
  }
}

/** PROFILE_SYMLINK when `dir` (cpw-vault's own folder, ~/.cp-whisperx) is a symbolic link. */
export function refuseLinkedFolder(dir: string): void {
  if (lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink()) {
    throw new VaultError('PROFILE_SYMLINK', `${dir} is a symbolic link; refusing to follow it (its target is never changed).`, `Make it a real folder: mv ${shellWord(dir)} ${shellWord(`${dir}.link`)} && mkdir -m 700 ${shellWord(dir)}, then copy the files you need from ${dir}.link/`);
  }
}

/**
 * Checks the folder a file is written (renamed) into, and returns its stat:
 * a dedicated folder (~/.cp-whisperx) must not be a symbolic link
 * (PROFILE_SYMLINK); a link elsewhere must belong to us or root (macOS'
 * /tmp) and lead to a folder. That folder must belong to us or root, and if
 * others can write it, carry the sticky bit (like /tmp): otherwise another
 * user could rename, replace or remove our files in it (PROFILE_PERMISSIONS).
 */
function assertTrustedFolder(dir: string, dedicated: boolean, elsewhere?: string): Stats {
  if (dedicated) refuseLinkedFolder(dir);
  const link = lstatSync(dir);
  if (link.isSymbolicLink() && !trustedOwner(link.uid)) throw foreignFolder(dir, link.uid, 'symbolic link', elsewhere);
  const s = link.isSymbolicLink() ? statSync(dir) : link;
  if (!s.isDirectory()) throw new VaultError('PROFILE_INVALID', `${dir} is not a folder.`, elsewhere ?? `Move ${dir} aside, or choose another --profile path.`);
  if (!trustedOwner(s.uid)) throw foreignFolder(dir, s.uid, 'folder', elsewhere);
  // Windows has no POSIX owner or mode bits (getuid is absent there): nothing to check.
  if (currentUid !== undefined && othersCanWrite(s) && !(s.mode & 0o1000)) {
    // A file the user chose the place of (an export, a backup) is moved with the option that chose it.
    const owner = `chmod o-w,g-w ${shellWord(dir)} (or chmod +t ${shellWord(dir)})`;
    throw new VaultError('PROFILE_PERMISSIONS', `${dir} can be written by other users and has no sticky bit (mode ${modeString(s.mode)}): they could replace or remove cpw-vault's files in it.`, elsewhere ? `${elsewhere} Or, as its owner: ${owner}` : `Use a folder only you can write, or as its owner: ${owner}`);
  }
  return s;
}

/**
 * What doctor says about the folder a profile is written into: the problem a
 * write would meet there (see {@link assertTrustedFolder}), or `shared` for a
 * folder others can write that carries the sticky bit (like /tmp). There
 * they cannot touch the vault's files, but a name they take first (the lock,
 * the history, the audit log) makes cpw-vault refuse that file. Nothing when
 * the folder does not exist yet. `dedicated` (cpw-vault's own folder): a link
 * there is the PROFILE_SYMLINK every write meets.
 */
export function folderCheck(dir: string, dedicated = false): { problem?: VaultError; shared?: boolean } {
  if (!lstatSync(dir, { throwIfNoEntry: false })) return {};
  try {
    const s = assertTrustedFolder(dir, dedicated);
    return { shared: currentUid !== undefined && (s.mode & 0o022) !== 0 && (s.mode & 0o1000) !== 0 };
  } catch (err) {
    return { problem: toFolderError(err, dir) };
  }
}

function toFolderError(err: unknown, dir: string): VaultError {
  return err instanceof VaultError ? err : ioError(err, dir);
}

function trustedOwner(uid: number): boolean {
  return currentUid === undefined || uid === currentUid || uid === 0;
}

function foreignFolder(dir: string, uid: number, what: string, elsewhere = 'Use a profile in a folder you own (--profile PATH).'): VaultError {
  return new VaultError('PROFILE_PERMISSIONS', `${dir} is a ${what} of another user (uid ${uid}); refusing to write in it.`, elsewhere);
}
