import { closeSync, constants, fstatSync, fsyncSync, lstatSync, openSync, readSync, renameSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { VaultError } from '../../core/errors';
import { shellWord } from '../../core/control-chars';
import { isoNow } from '../../core/iso-time';
import { createTempBeside } from './temp-files';
import { currentUid, ioError, modeString, otherOwnerFix, READ_DATA_NOFOLLOW, readError } from './file-access';
import { ensurePrivateDir } from './trusted-folder';

// Still importable from here for reader.ts, which takes them with the rest of this file.
export { ioError } from './file-access';
export { refuseLinkedFolder } from './trusted-folder';

/** Largest file cpw-vault reads by default (secrets.json and the like). */
export const MAX_FILE_BYTES = 1024 * 1024;
/**
 * The profile's limits. 10,000 credentials make a profile of about 3 MiB.
 * Writes that grow it stop at 16 MiB, reads go to 32 MiB: a file the reader
 * refuses is never written, and a vault over the write limit (by hand) can
 * still be read, and shrunk by deleting credentials.
 */
export const PROFILE_WRITE_LIMIT = 16 * 1024 * 1024;
export const PROFILE_READ_LIMIT = 32 * 1024 * 1024;

/** Identity of a file's content on disk, to notice when another process replaced it. */
export interface FileStamp {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  return !!a && !!b && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** Stamp of `path` (not following a symlink), or undefined when it does not exist. */
export function stampOf(path: string): FileStamp | undefined {
  try {
    const s = lstatSync(path);
    return { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(err, path);
  }
}

/**
 * The name a fix line moves `path` aside to: `<path>.aside-<UTC time to the millisecond>`. A fixed `<path>.aside`
 * was overwritten by the next such fix pasted (the journal or history set aside the time before, lost), or took
 * `path` into it when it was a folder.
 */
export function asideName(path: string): string {
  return `${path}.aside-${isoNow().replace(/[-:.]/g, '')}`;
}

/** Something other than a regular file at a name cpw-vault reads or writes (a folder, a FIFO), with the mv to paste. */
export function notRegularFile(path: string): VaultError {
  return new VaultError('PROFILE_INVALID', `${path} is not a regular file.`, `Move it aside: mv ${shellWord(path)} ${shellWord(asideName(path))}`);
}

/**
 * Checks an opened sidecar (audit log, run history) before anything is
 * written to it: a regular file of this user. Throws PROFILE_PERMISSIONS for
 * another user's file (in a shared folder it could be planted there to take
 * or swallow our records), PROFILE_INVALID for anything but a file.
 */
export function assertOwnFile(fd: number, path: string): Stats {
  const s = fstatSync(fd);
  if (!s.isFile()) throw notRegularFile(path);
  if (currentUid !== undefined && s.uid !== currentUid) {
    throw new VaultError('PROFILE_PERMISSIONS', `${path} belongs to another user (uid ${s.uid}); refusing to write to it.`, `Use a profile in a folder only you can write (--profile PATH), or as its owner remove it: rm ${shellWord(path)}`);
  }
  return s;
}

/** Options for reading a protected file. */
export interface SecureReadOptions {
  /** Called with a warning a user should see (e.g. a group-readable file). */
  warn: (message: string) => void;
  /** Largest accepted size in bytes. */
  maxBytes?: number;
}

/**
 * Reads a file that may hold private data, refusing what is unsafe: a symlink
 * (PROFILE_SYMLINK; its target is never opened), a file owned by another
 * user or writable by group/other (PROFILE_PERMISSIONS), one over the size
 * limit (PROFILE_TOO_LARGE). Warns when group/other can read it. ENOENT is
 * rethrown as is, so callers can fall back to the next location.
 */
export function readSecureFile(path: string, options: SecureReadOptions): { text: string; stamp: FileStamp } {
  const { bytes, stamp } = readSecureBytes(path, options);
  return { text: bytes.toString('utf8'), stamp };
}

/** {@link readSecureFile}, as bytes (for a caller that decodes only the part it needs). */
export function readSecureBytes(path: string, options: SecureReadOptions): { bytes: Buffer; stamp: FileStamp } {
  return withSecureFile(path, options, (fd, s) => ({ bytes: readAllBytes(fd, s.size), stamp: { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs } }));
}

/** What {@link readSecureBytes} would refuse, thrown the same way, without reading the file (doctor, of a large one). */
export function checkSecureFile(path: string, options: SecureReadOptions): void {
  withSecureFile(path, options, () => undefined);
}

/** `use(fd, stat)` of `path` opened and checked as {@link readSecureFile} does; ENOENT thrown as it is. */
function withSecureFile<T>(path: string, options: SecureReadOptions, use: (fd: number, s: Stats) => T): T {
  let fd: number;
  try {
    // O_NONBLOCK: a fifo (another user's, planted at a sidecar's name in a shared folder) must not hang the open;
    // the checks below then refuse it as not a regular file.
    fd = openSync(path, READ_DATA_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw err;
    if (code === 'ELOOP') throw symlinkError(path);
    throw readError(err, path);
  }
  try {
    const s = fstatSync(fd);
    assertPrivateFile(s, path, options);
    return use(fd, s);
  } finally {
    closeSync(fd);
  }
}

/**
 * The checks of {@link readSecureFile} on a file's stat: a regular file of
 * this user that only this user can modify, within the size limit (warns when
 * others can read it).
 */
export function assertPrivateFile(s: Stats, path: string, options: SecureReadOptions): void {
  if (!s.isFile()) throw notRegularFile(path);
  if (currentUid !== undefined && s.uid !== currentUid) {
    throw new VaultError('PROFILE_PERMISSIONS', `${path} belongs to another user (uid ${s.uid}); refusing to trust it.`, otherOwnerFix(path, 'profile'));
  }
  if (s.mode & 0o022) {
    throw new VaultError('PROFILE_PERMISSIONS', `${path} can be modified by other users (mode ${modeString(s.mode)}); refusing to trust it.`, `Run: chmod 600 ${shellWord(path)}`);
  }
  if (s.mode & 0o044) options.warn(`${path} is readable by other users (mode ${modeString(s.mode)}). Run: chmod 600 ${shellWord(path)}`);
  const max = options.maxBytes ?? MAX_FILE_BYTES;
  if (s.size > max) throw new VaultError('PROFILE_TOO_LARGE', `${path} is ${s.size} bytes, over the ${max}-byte limit.`, 'Check that this is the right file.');
}

/**
 * True for a regular file of this user's that nobody else may read or write (0600 or stricter), not followed
 * through a link: what cpw-vault writes. Stricter than {@link assertPrivateFile}, which only warns when others can
 * read: for a file whose name other programs use too (the first versions' sidecars in a project folder).
 */
export function isPrivateFile(path: string): boolean {
  try {
    const s = lstatSync(path);
    return s.isFile() && (s.mode & 0o077) === 0 && (currentUid === undefined || s.uid === currentUid);
  } catch {
    return false;
  }
}

/** Reads `size` bytes of an open file as UTF-8 (fewer if it shrank meanwhile). */
export function readAllText(fd: number, size: number): string {
  return readAllBytes(fd, size).toString('utf8');
}

/** Reads `size` bytes of an open file (fewer if it shrank meanwhile). */
export function readAllBytes(fd: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let read = 0;
  while (read < size) {
    const n = readSync(fd, buf, read, size - read, read);
    if (n === 0) break;
    read += n;
  }
  return buf.subarray(0, read);
}

/** A link where a file of ours belongs (opened O_NOFOLLOW: ELOOP), refused with the fix for whose link it is. */
export function symlinkError(path: string): VaultError {
  return new VaultError('PROFILE_SYMLINK', `${path} is a symbolic link; refusing to follow it.`, replaceLinkFix(path));
}

/**
 * fsync of a folder, so a rename or unlink in it is on disk (a file system that refuses it is left as is); the one
 * for every writer (profile, index overlay, vault and export files). Opened O_DIRECTORY: anything else at that name
 * (a FIFO, whose open waited for a writer for ever; a terminal, which a session leader's open made its controlling
 * one) is not opened at all. A link to a folder is followed (no O_NOFOLLOW): the rename went through it into its
 * target, and that folder is the one to make durable. Throws nothing.
 */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Replaces `path` atomically with `text`, mode 0600: a temp file in the same
 * folder, created O_CREAT|O_EXCL|O_NOFOLLOW under an unpredictable name (so
 * a link or file planted by another user in a shared folder is never opened),
 * fully written and fsync-ed, renamed over `path`, then the folder fsync-ed.
 * A reader (or a crash at any instant) sees the old or the new content, never
 * a mix. Refuses a symlink at `path` (PROFILE_SYMLINK, its target untouched)
 * and a folder others could replace files in (see ensurePrivateDir).
 * Why not write-file-atomic (used before): it opens a predictable temp name
 * with 'w', which follows a planted symlink and truncates its target.
 * `text` is a string (written as UTF-8) or bytes already encoded. Returns
 * the stamp of the file it wrote, as renamed (from its own descriptor:
 * another program may have put another file at `path` since), or undefined
 * when it could not be had.
 */
export async function writeSecureFile(path: string, text: string | Uint8Array, dedicatedDir: boolean): Promise<FileStamp | undefined> {
  ensurePrivateDir(dirname(path), dedicatedDir);
  try {
    if (lstatSync(path).isSymbolicLink()) throw symlinkError(path);
  } catch (err) {
    if (err instanceof VaultError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(err, path);
  }
  const created = createTempBeside(path);
  const temp = created.temp;
  const fd = created.fd;
  try {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    renameSync(temp, path);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // renamed or gone already
    }
    throw ioError(err, path);
  }
  let stamp: FileStamp | undefined;
  try {
    const s = fstatSync(fd); // after the rename, which moves the ctime
    stamp = { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
  } catch {
    // only a shortcut for the records that name it
  }
  closeSync(fd);
  fsyncDir(dirname(path));
  return stamp;
}

const SYSTEM_PATH = /^\/(dev|proc|sys|etc|usr|bin|sbin|lib|lib32|lib64|boot)(\/|$)/;

/**
 * The fix line for a symbolic link where a private file must be: a copy of
 * its target in its place. Never a move: the target often belongs to a
 * dotfiles manager, and moving it would break that tool's checkout.
 */
export function replaceLinkFix(path: string): string {
  const q = shellWord(path);
  // Advice to remove or overwrite is for a link that is the user's to remove: never a system one (`--profile
  // /dev/stdin` was told `rm '/dev/stdin'`, which as root breaks the machine), nor another user's.
  if (SYSTEM_PATH.test(path)) return `${path} is a link of the system, not a file cpw-vault can keep: give the path of a regular file of your own (e.g. under ~/.cp-whisperx).`;
  const owner = lstatSync(path, { throwIfNoEntry: false })?.uid;
  if (owner !== undefined && currentUid !== undefined && owner !== currentUid && owner !== 0) {
    return `The link belongs to another user (uid ${owner}), who may have planted it: do not use this path. Use a file in a folder only you can write (e.g. ~/.cp-whisperx).`;
  }
  return `If you did not make this link, remove it (rm ${q}): someone may have planted it. If you did, replace it with a copy of its target (the target stays where it is): cp --remove-destination "$(readlink -f ${q})" ${q}`;
}
