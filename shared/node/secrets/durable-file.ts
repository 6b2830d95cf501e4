import { closeSync, constants, existsSync, fstatSync, fsyncSync, linkSync, lstatSync, openSync, renameSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { VaultError } from '../../core/errors';
import { shellWord } from '../../core/control-chars';
import { ioError, modeString, otherOwnerFix, READ_DATA_NOFOLLOW, readError } from '../profile/file-access';
import { fsyncDir, notRegularFile, readAllBytes, replaceLinkFix } from '../profile/secure-fs';
import { createTempBeside, missingFolder, orphanTemps, removeOrphanTemps } from '../profile/temp-files';

/** Largest vault, identity or export file read (values are at most 8 KiB each). */
export const MAX_VAULT_FILE_BYTES = 16 * 1024 * 1024;

const currentUid = typeof process.getuid === 'function' ? process.getuid() : undefined;

/**
 * The bytes of a private file, or undefined when it does not exist. Refuses
 * a symlink (its target is never opened), anything but a regular file, a
 * file owned by another user or writable by group/others, and one over the
 * size limit — each with PROFILE_* codes like the profile itself.
 */
export function readPrivateFile(path: string, maxBytes = MAX_VAULT_FILE_BYTES): Buffer | undefined {
  return readRegularFile(path, { maxBytes });
}

/**
 * The bytes of the vault's identity file, like {@link readPrivateFile}, and
 * also refused when group or others can read it: a copy of it is open to
 * offline guessing of its passphrase (the vault file is sealed to it).
 */
export function readVaultIdentity(path: string): Buffer | undefined {
  return readRegularFile(path, { ownOnly: true });
}

/**
 * The bytes of a regular file opened without following a link, at most
 * `maxBytes`; undefined when it does not exist (unless `mustExist`). With
 * `what` ("the team file"), a file the user hands in, in any mode; without,
 * a private file of the vault's own (owner and mode checked; with `ownOnly`,
 * one group or others can read is refused too). `opened` checks the opened
 * file further before it is read (throws to refuse it).
 */
export function readRegularFile(path: string, options: { what?: string; maxBytes?: number; mustExist?: boolean; ownOnly?: boolean; opened?: (s: Stats) => void } = {}): Buffer | undefined {
  const { what, maxBytes = MAX_VAULT_FILE_BYTES } = options;
  let fd: number;
  try {
    // O_NONBLOCK: a fifo at this name (planted, or a mistake) must fail the regular-file check below, not hang the open.
    fd = openSync(path, READ_DATA_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !options.mustExist) return undefined;
    if (code === 'ELOOP') throw new VaultError('PROFILE_SYMLINK', `${path} is a symbolic link; refusing to follow it.`, what ? `Give the path of ${what} itself.` : replaceLinkFix(path));
    throw readError(err, path);
  }
  try {
    const s = fstatSync(fd);
    if (!s.isFile()) {
      throw what
        ? new VaultError('INVALID_ARGUMENT', `${path} is not a regular file.`, `Give the path of ${what}.`)
        : notRegularFile(path);
    }
    options.opened?.(s);
    if (!what && currentUid !== undefined && s.uid !== currentUid) throw new VaultError('PROFILE_PERMISSIONS', `${path} belongs to another user (uid ${s.uid}); refusing to trust it.`, otherOwnerFix(path, 'vault'));
    if (!what && s.mode & 0o022) throw new VaultError('PROFILE_PERMISSIONS', `${path} can be modified by other users (mode ${modeString(s.mode)}); refusing to trust it.`, `Run: chmod 600 ${shellWord(path)}`);
    if (!what && options.ownOnly && s.mode & 0o044) throw new VaultError('PROFILE_PERMISSIONS', `${path} can be read by other users (mode ${modeString(s.mode)}); refusing to use it.`, `Run: chmod 600 ${shellWord(path)}`);
    if (s.size > maxBytes) throw new VaultError('PROFILE_TOO_LARGE', `${path} is ${s.size} bytes, over the ${maxBytes}-byte limit.`, `Check that this is ${what ?? 'the right file'}.`);
    return readAllBytes(fd, s.size);
  } finally {
    closeSync(fd);
  }
}

/**
 * What {@link writeFileDurably} refuses before writing: a symlink at `path`,
 * and with `exclusive` any file there. Callers with slow work to do first
 * (an export's scrypt) check it up front too.
 */
export function assertWritableTarget(path: string, options: { exclusive?: boolean } = {}): void {
  let existing;
  try {
    existing = lstatSync(path, { throwIfNoEntry: false });
  } catch (err) {
    // A file where a folder of the path should be (notes.txt/x.age), a folder one may not enter, a name too long:
    // said before the questions, not "INTERNAL: this is a bug in cpw-vault".
    throw missingFolder(path) ?? ioError(err, path);
  }
  if (existing?.isSymbolicLink()) throw new VaultError('PROFILE_SYMLINK', `${path} is a symbolic link; refusing to write through it.`, replaceLinkFix(path));
  // A folder where a new file goes (`export --to backups`) was "already exists ... move the old file away first".
  if (existing?.isDirectory() && options.exclusive) throw new VaultError('INVALID_ARGUMENT', `${path} is a folder; nothing was written.`, `Give the path of the new file, in that folder or another: ${shellWord(join(path, 'NAME.age'))}`);
  if (existing && options.exclusive && removedTakenName(path, existing)) existing = undefined;
  if (existing && options.exclusive) throw new VaultError('IO_ERROR', `${path} already exists; refusing to replace it.`, 'Choose another file name, or move the old file away first.');
  // A new file the user named (an export): a mistyped folder is said before the questions and the seconds of scrypt.
  const noFolder = existing ? undefined : missingFolder(path);
  if (noFolder) throw noFolder;
}

/**
 * Writes `bytes` to `path` so that a crash at any instant leaves either the
 * old file or the new one, complete: a temp file in the same folder created
 * O_CREAT|O_EXCL|O_NOFOLLOW with an unpredictable name and mode 0600, fully
 * written and fsync-ed, renamed over `path`, then the folder fsync-ed.
 * With `exclusive`, an existing `path` is refused (IO_ERROR) instead of
 * replaced (the temp file is hard-linked into place, which never replaces). Refuses a symlink at `path`.
 */
export function writeFileDurably(path: string, bytes: Uint8Array, options: { exclusive?: boolean } = {}): void {
  assertWritableTarget(path, options);
  const created = createTempBeside(path);
  const temp = created.temp;
  let fd = created.fd;
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    if (options.exclusive) {
      // link() never replaces: a file that appeared meanwhile is kept and reported.
      if (linkedInPlace(temp, path)) unlinkSync(temp);
      // An export to this name killed before its link left its temp (the whole export, encrypted) beside it, for good:
      // the name is ours now, so any other writer of it fails at its link, and a stale temp is a killed one's.
      removeStale(staleTemps(path));
    } else {
      renameSync(temp, path);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') err = new VaultError('IO_ERROR', `${path} appeared while writing; refusing to replace it.`, 'Choose another file name.');
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Already renamed or gone.
    }
    throw err instanceof VaultError ? err : ioError(err, path);
  }
  fsyncDir(dirname(path));
}

/**
 * How long ago a name taken by {@link linkedInPlace} must have been taken to be judged left by a killed writer: a live
 * one renames over it at once, and FAT keeps a file's time to 2 s.
 */
const TAKEN_NAME_STALE_MS = 5_000;

/**
 * Removes what a writer killed between the two steps of {@link linkedInPlace} left: the empty file it took `path`
 * with (else the next export refused it as a file already there, for good) and its temp file beside it. Only with
 * both there, ours (an empty file of this user's, our temp names, regular files of this user) and stale: an empty
 * file with no temp of ours beside it is the user's, and stays. True when `path` was removed.
 */
function removedTakenName(path: string, existing: Stats): boolean {
  if (!existing.isFile() || existing.size !== 0 || (currentUid !== undefined && existing.uid !== currentUid) || !isStale(existing)) return false;
  const temps = staleTemps(path);
  if (!temps.length) return false;
  try {
    for (const file of [path, ...temps]) unlinkSync(file);
  } catch {
    return !existsSync(path);
  }
  return true;
}

/** Whether a file was last written long enough ago to be a killed writer's (see TAKEN_NAME_STALE_MS). */
function isStale(s: Stats): boolean {
  return Date.now() - s.mtimeMs >= TAKEN_NAME_STALE_MS;
}

/** Our temp files beside `path` (this user's regular files: see orphanTemps) that no live writer is writing. */
function staleTemps(path: string): string[] {
  return orphanTemps(path, false).filter((temp) => {
    const s = lstatSync(temp, { throwIfNoEntry: false });
    return !!s && isStale(s);
  });
}

/** Removes `files`, each one already gone (another process cleaned it) or that cannot be removed left as it is. */
function removeStale(files: readonly string[]): void {
  for (const file of files) {
    try {
      unlinkSync(file);
    } catch {
      // gone already, or not ours to remove: left
    }
  }
}

/** What link() answers on a file system without hard links (FAT32 and exFAT: a USB stick; macOS says ENOTSUP). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Puts `temp` at `path` without replacing a file there: a hard link (true:
 * `temp` is left to remove). Where the file system has none (an export to a
 * USB stick failed there with "Permission denied ... check the owner and
 * mode", after its passphrase and scrypt), the name is taken first
 * (O_CREAT|O_EXCL|O_NOFOLLOW: EEXIST when a file appeared) and `temp`
 * renamed over that empty file of ours (false: `temp` is gone).
 */
function linkedInPlace(temp: string, path: string): boolean {
  try {
    linkSync(temp, path);
    return true;
  } catch (err) {
    if (!NO_HARD_LINKS.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  }
  closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
  try {
    renameSync(temp, path);
  } catch (err) {
    // The name taken above is ours and empty: left, the next export refused it as a file already there (a stick
    // pulled mid-write, EIO). (A kill -9 between the two steps still leaves it: the next exclusive write removes it.)
    unlinkSync(path);
    throw err;
  }
  return false;
}

/**
 * Removes temp files a killed writer left beside `path` (they only ever hold
 * ciphertext): ours only, regular files of this user. Call while holding the
 * lock that guards `path`.
 */
export function removeTempsOf(path: string): number {
  return removeOrphanTemps(path, false);
}
