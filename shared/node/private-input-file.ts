import { accessSync, closeSync, constants, fstatSync, openSync, realpathSync, statSync, type Stats } from 'node:fs';
import { shellWord, withoutControlChars } from '../core/control-chars';
import { VaultError } from '../core/errors';
import { plantedWhy } from './planted-place';
import { isLink, modeString, READ_DATA } from './profile/file-access';
import { readAllBytes } from './profile/secure-fs';

/** How to mount a secret so that it is accepted by its path: readable by its reader alone. */
const MOUNT_0400 = 'mount it readable by you alone, mode 0400 (Docker: the secret\'s mode: 0400, and its uid: yours; Kubernetes: defaultMode: 0400, in a container run as root)';

/**
 * The fix for a passphrase or key file on a read-only mount: a secret mounted into a container (Docker's /run/secrets,
 * 0444 by default; a Kubernetes Secret volume, 0644), whose mode is set where it is mounted, since chmod cannot change
 * it there (EROFS).
 */
const READ_ONLY_FIX = `It is on a read-only mount (a Docker or Kubernetes secret?), where chmod cannot change it: ${MOUNT_0400}.`;

/**
 * The fix for another user's file on a read-only mount. Kubernetes cannot give a Secret's files a uid: a container not
 * run as root reads them (root's) through the pod's group (fsGroup, 0440), which stays refused (a file another user
 * can change is not trusted by its path), and "mount it 0400 in a container run as root" was a fix such a pod cannot
 * follow. What it can do is open the file itself and hand cpw-vault the descriptor: `unowned` says how, for this file.
 */
function unownedOnReadOnlyFix(unowned: string): string {
  return `It is another user's file on a read-only mount (a Docker or Kubernetes secret?), where neither chmod nor chown can change it, and another user's file is not trusted by its path. In a container not run as root (a Kubernetes Secret read through the pod's fsGroup), ${unowned}. Or ${MOUNT_0400}.`;
}

/** Whether `path` is on a read-only file system (EROFS comes before any permission check), where chmod fails. */
function onReadOnlyMount(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EROFS';
  }
}

/** How {@link readPrivateInputFile} names the file and what it tells the user for one that is not a plain file. */
export interface PrivateInputFile {
  /** "passphrase file", "identity file". */
  what: string;
  maxBytes: number;
  /** The fix line for a FIFO, a directory, a device. */
  notRegularFix: string;
  /** The fix line for a file over `maxBytes`. */
  tooLargeFix: string;
  /**
   * For another user's file on a read-only mount: how to give its content without its path, which the file's reader
   * may do for a file it could open (e.g. "open it yourself and give the descriptor: cpw-vault unlock --passphrase-fd 3
   * 3< PATH"), `shown` being the path as a shell word.
   */
  unownedFix(shown: string): string;
}

/**
 * Reads a file a user gives by path whose content is a secret (`--passphrase-file`, `--identity-file`): the file
 * opened must be a regular file of the user's own that neither group nor others can read or change, and at most
 * `maxBytes`; else PROFILE_PERMISSIONS or INVALID_ARGUMENT, naming the path, never quoting the content.
 *
 * A symbolic link is followed, and the file it leads to is what is checked (fstat of the opened descriptor: a link
 * swapped after a look cannot slip another file past it). Kubernetes mounts every secret as a link into a hidden
 * folder, and a link to a file of the user's own that only the user can read gives nobody anything; a link to
 * someone else's file, or to one others can read, is refused as that file would be. But a path another user could
 * have put there (see {@link plantedWhy}: a link or file of theirs in /tmp, a folder of theirs above it) is refused
 * before it is opened: their link in /tmp to a private file of the user's made that file the passphrase, and to
 * /etc/shadow, the fix "chmod 600 <the link>" changed /etc/shadow's mode. The place is looked at again once the file
 * is open, and the path must still lead to the file opened (a link planted between the look and the open).
 */
export function readPrivateInputFile(path: string, file: PrivateInputFile): Buffer {
  const { what, maxBytes } = file;
  // Shown with "?" for a line break or an escape sequence (`--identity-file "$(cat key.txt)"` put the file's lines in).
  const shown = withoutControlChars(path);
  assertOwnPlace(path, what);
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO with no writer fails the regular-file check below instead of hanging the open.
    fd = openSync(path, READ_DATA);
  } catch (err) {
    throw new VaultError('INVALID_ARGUMENT', `Cannot open the ${what} ${shown} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`, 'Check the path.');
  }
  try {
    const s = fstatSync(fd);
    if (!s.isFile()) throw new VaultError('INVALID_ARGUMENT', `The ${what} ${shown} is not a regular file.`, file.notRegularFix);
    const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
    // Its owner first: another user's file cannot be given a mode by this one (chmod: EPERM), so "Run: chmod 600" was no fix.
    if (uid !== undefined && s.uid !== uid) throw new VaultError('PROFILE_PERMISSIONS', `The ${what} ${shown} belongs to another user (uid ${s.uid}); refusing it.`, onReadOnlyMount(path) ? unownedOnReadOnlyFix(file.unownedFix(shellWord(path))) : 'Use a file of your own.');
    if (s.mode & 0o077) throw new VaultError('PROFILE_PERMISSIONS', `The ${what} ${shown} can be read or changed by other users (mode ${modeString(s.mode)}); refusing it.`, onReadOnlyMount(path) ? READ_ONLY_FIX : modeFix(path, s));
    if (s.size > maxBytes) throw new VaultError('INVALID_ARGUMENT', `The ${what} ${shown} is over ${maxBytes} bytes.`, file.tooLargeFix);
    assertOwnPlace(path, what, s);
    return readAllBytes(fd, s.size);
  } finally {
    closeSync(fd);
  }
}

/**
 * Throws PROFILE_PERMISSIONS when another user could have put `path` where it is (plantedWhy), or, `opened` given,
 * when the path no longer leads to that opened file (a link planted, or the file removed, since the look before the
 * open). Names the path and who owns what, never suggests a chmod: the entry may be a link to any file.
 */
function assertOwnPlace(path: string, what: string, opened?: Stats): void {
  const why = plantedWhy(path, true);
  const moved = opened && !sameFile(path, opened) ? 'the path no longer leads to the file opened (a link was planted on it, or the file replaced, as it was opened)' : undefined;
  const reason = why ?? moved;
  if (reason === undefined) return;
  const link = isLink(path) ? ', a link' : '';
  throw new VaultError(
    'PROFILE_PERMISSIONS',
    `Refusing the ${what} ${withoutControlChars(path)}${link}: ${withoutControlChars(reason)}; nothing of it was read.`,
    `Keep the ${what} in a folder only you can write (your home, say) and give that path. To see who put it there: ls -l ${shellWord(path)}`,
  );
}

/**
 * The fix for a file of the user's that others can read: its chmod, of the file itself. chmod follows a link, so a
 * link is never named: the file it leads to is (as it really is, when that is the file opened), else it is replaced.
 */
function modeFix(path: string, opened: Stats): string {
  if (!isLink(path)) return `Run: chmod 600 ${shellWord(path)}`;
  let target: string | undefined;
  try {
    target = realpathSync(path);
  } catch {
    target = undefined;
  }
  if (target !== undefined && sameFile(target, opened)) return `${shellWord(path)} is a link to ${shellWord(target)}: Run: chmod 600 ${shellWord(target)}`;
  return `${shellWord(path)} is a link: put a 0600 file of your own in its place (rm ${shellWord(path)}, then write the file there), or give the file it leads to.`;
}

/** Whether `path` (followed) is the file `opened` is (device and inode); false when it cannot be seen. */
function sameFile(path: string, opened: Stats): boolean {
  try {
    const s = statSync(path);
    return s.dev === opened.dev && s.ino === opened.ino;
  } catch {
    return false;
  }
}
