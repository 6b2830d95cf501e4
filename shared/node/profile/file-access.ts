import { constants, lstatSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { VaultError } from '../../core/errors';
import { shellWord } from '../../core/control-chars';

/** This process's uid; undefined on Windows (no POSIX owners there: the owner checks are skipped). */
export const currentUid = typeof process.getuid === 'function' ? process.getuid() : undefined;

/**
 * Whether `s` is another user's file (never so on Windows): the one rule for a file found rather than given (doctor's
 * look at the Hub's token file, the app's found migration sources) and for a source's keys (migrate refuses it). A
 * token there is theirs (a shared HF_HOME, a link planted in a home others can write), never one for the user's vault.
 */
export function othersFile(s: Pick<Stats, 'uid'>): boolean {
  return currentUid !== undefined && s.uid !== currentUid;
}

/**
 * How a file read only as data is opened: never blocking (a FIFO at the name fails the regular-file check on the
 * descriptor instead of hanging the open) and never made the controlling terminal (O_NOCTTY: run as a session leader
 * with none, a CI job's `setsid cpw-vault ...`, a link from a path read to a terminal no session holds made it
 * cpw-vault's, its Ctrl-C and hangup then reaching cpw-vault). READ_DATA follows a last link (git's files, a passphrase
 * file: links as their readers follow them); READ_DATA_NOFOLLOW refuses one (ELOOP).
 */
export const READ_DATA = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;
export const READ_DATA_NOFOLLOW = READ_DATA | constants.O_NOFOLLOW;

/** What `s` is when it is not a regular file, in a user's words: `a named pipe (FIFO)`, `a socket`, `a device`, `a folder`. */
export function kindOf(s: Stats): string {
  return s.isFIFO() ? 'a named pipe (FIFO)' : s.isSocket() ? 'a socket' : s.isBlockDevice() || s.isCharacterDevice() ? 'a device' : s.isDirectory() ? 'a folder' : 'not a regular file';
}

/** Why what is found at a place secrets are looked for (config/secrets.json, the token file) is passed over when it is no regular file. */
export function notAKeysFile(s: Stats): string {
  return `it is ${kindOf(s)}, not a file to read keys from`;
}

/** The uid owning `path` itself (not followed), when it can be seen. */
function ownerOf(path: string): number | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false })?.uid;
  } catch {
    return undefined;
  }
}

/**
 * Removes `path` when it is a regular file of this user's: never a link's target, nor a file another user planted
 * at that name in a shared folder (as root, too). Never throws: none there, or not ours to remove, is left.
 */
export function removeOwnFile(path: string): void {
  try {
    const s = lstatSync(path);
    if (s.isFile() && (currentUid === undefined || s.uid === currentUid)) unlinkSync(path);
  } catch {
    // none there, or not ours to remove
  }
}

export function ioError(err: unknown, path: string): VaultError {
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
  if (code === 'EACCES' || code === 'EPERM') {
    const owner = ownerOf(path);
    if (owner !== undefined && currentUid !== undefined && owner !== currentUid) {
      // A name planted by another user in a shared folder (/tmp): the sticky bit lets nobody but them replace it.
      return new VaultError('PROFILE_PERMISSIONS', `${path} belongs to another user (uid ${owner}), so cpw-vault cannot replace it (${code}); nothing was written there.`, 'Keep the profile in a folder only you can write (cpw-vault uses ~/.cp-whisperx when no --profile is given), or ask that user or an admin to remove the file.', { cause: err });
    }
    return new VaultError('PROFILE_PERMISSIONS', `Permission denied for ${path} (${code}).`, `Check the owner and mode of ${path}: ls -l ${shellWord(path)}`, { cause: err });
  }
  if (code === 'EISDIR') return new VaultError('IO_ERROR', `${path} is a folder, where a file belongs (${code}); nothing was written there.`, 'Move that folder out of the way, or choose another path.', { cause: err });
  const room = roomError(err, path) ?? explainedError(err, path, `Cannot access ${path}`);
  if (room) return room;
  return new VaultError('IO_ERROR', `Cannot access ${path} (${code}).`, `Check that ${path} exists and the disk is writable.`, { cause: err });
}

/**
 * {@link ioError} for a file opened to be read: nothing is written there, so "cannot replace it; nothing was written
 * there" with a fix about the profile's folder (another user's team file, migration source or export) and "check
 * that the disk is writable" sent the user after the wrong thing. A refused read names whose file it is, and the
 * folders above it (one the user may not enter refuses the read as well).
 */
export function readError(err: unknown, path: string): VaultError {
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
  if (code === 'EACCES' || code === 'EPERM') {
    const owner = ownerOf(path);
    const whose = owner !== undefined && currentUid !== undefined && owner !== currentUid ? `, a file of another user (uid ${owner})` : '';
    return new VaultError('PROFILE_PERMISSIONS', `Permission denied reading ${path}${whose} (${code}); nothing was read.`, `Check the owner and mode of it and of the folders above it: ls -ld ${shellWord(path)} ${shellWord(dirname(path))}`, { cause: err });
  }
  return explainedError(err, path, `Cannot read ${path}`, '; nothing was read')
    ?? new VaultError('IO_ERROR', `Cannot read ${path} (${code}); nothing was read.`, `Check that ${path} exists and can be read: ls -l ${shellWord(path)}`, { cause: err });
}

/**
 * Why a file, pipe or socket could not be opened for want of a descriptor (the process's limit, `ulimit -n`, or the
 * system's table), and the fix; undefined for any other error. "Check that it exists", or "there is no D-Bus session
 * bus", sent the user after something that was there all along.
 */
export function descriptorShortage(err: unknown): { why: string; fix: string } | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EMFILE' || code === 'ENFILE' ? SHORTAGE[code] : undefined;
}

const SHORTAGE = {
  EMFILE: { why: 'this process has as many files open as its limit allows (EMFILE)', fix: 'Raise the limit (ulimit -n 1024 in the shell that runs it), then run the command again.' },
  ENFILE: { why: 'the system has as many files open as it allows (ENFILE)', fix: "Close some programs (or raise the system's limit, fs.file-max), then run the command again." },
};

/** Whether `fix` is {@link descriptorShortage}'s: the keychain is there, so "keep the secrets in a file instead" would mislead. */
export function isDescriptorFix(fix: string): boolean {
  return fix === SHORTAGE.EMFILE.fix || fix === SHORTAGE.ENFILE.fix;
}

/**
 * Why `path` could not be used where its errno alone sends the user after the wrong thing ("check that it exists" for
 * a path through a file, a link loop or a name too long), and the fix; undefined for any other error.
 */
function pathProblem(err: unknown, path: string): { why: string; fix: string } | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOTDIR') {
    const file = fileOnTheWay(path);
    return file
      ? { why: `${file}, on its way, is a file, not a folder (${code})`, fix: `Check the path: ${file} is a file where a folder belongs (ls -ld ${shellWord(file)}).` }
      : { why: `a part of its path is not a folder (${code})`, fix: `Check each part of the path: namei -l ${shellWord(path)}` };
  }
  if (code === 'ELOOP') {
    let link = false;
    try {
      link = lstatSync(path).isSymbolicLink();
    } catch {
      // the loop is on the way to it
    }
    return link
      ? { why: `it is a symbolic link, which cpw-vault does not follow there (${code})`, fix: `Put the file itself at ${path}, not a link.` }
      : { why: `a symbolic link on its way leads round in a loop (${code})`, fix: `Check the links on the way (namei -l ${shellWord(path)}), then point the looping one at a real folder.` };
  }
  if (code === 'ENAMETOOLONG') return { why: `its name, or a folder's on its way, is longer than the system allows (${code})`, fix: 'Use a shorter path: at most 255 bytes a name, 4095 in all.' };
  return undefined;
}

/** The nearest folder above `path` that exists and is not a folder (a file, or a link to one); undefined if none is. */
function fileOnTheWay(path: string): string | undefined {
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      return statSync(dir).isDirectory() ? undefined : dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') return undefined;
    }
  }
  return undefined;
}

/** {@link descriptorShortage} or {@link pathProblem} as the error of `what` (`Cannot read PATH`), with `after` (`; nothing was read`) before its period. */
function explainedError(err: unknown, path: string, what: string, after = ''): VaultError | undefined {
  const known = descriptorShortage(err) ?? pathProblem(err, path);
  return known && new VaultError('IO_ERROR', `${what}: ${known.why}${after}.`, known.fix, { cause: err });
}

/** {@link ioError} for a write refused for room (a full disk, a used-up quota, a file size limit); undefined for any other error. */
export function roomError(err: unknown, path: string): VaultError | undefined {
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
  const full = FULL[code];
  return full && new VaultError('IO_ERROR', `Cannot write ${path}: ${full.why} (${code}).`, full.fix(shellWord(dirname(path))), { cause: err });
}

/** A write refused for room: what "Cannot access ... Check that it exists" would have sent the user looking for in vain. */
const FULL: Record<string, { why: string; fix: (dir: string) => string }> = {
  ENOSPC: { why: 'the disk is full', fix: (dir) => `Free some space on that disk (df -h ${dir}), then run the command again.` },
  EDQUOT: { why: 'your disk quota there is used up', fix: (dir) => `Remove some of your files on that disk (quota -s; du -sh ${dir}), then run the command again.` },
  EFBIG: { why: "the file would pass this process's file size limit", fix: () => 'Raise the limit (ulimit -f unlimited in the shell that runs it), then run the command again.' },
};

/**
 * Whether users other than this one can write `s`: its mode lets everyone, or a group other than the user's
 * primary group. A group-writable file or folder of the user's own group is fine (user private groups, umask 002).
 */
export function othersCanWrite(s: Stats): boolean {
  return (s.mode & 0o002) !== 0 || ((s.mode & 0o020) !== 0 && s.gid !== process.getgid?.());
}

/** Whether `path` itself is a symbolic link (not followed); false when it cannot be seen (gone, or a loop on the way to it). */
export function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

export function modeString(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

/**
 * The fix for a file of ours (`what`: the profile, the vault) that belongs to another user: on Linux only root can
 * give a file away, and the uid is written out. The line said `as its owner: chown $(id -u) PATH`, which did nothing
 * pasted by its owner (their own uid) and failed pasted by this user (EPERM).
 */
export function otherOwnerFix(path: string, what: string): string {
  const to = currentUid === undefined ? '$(id -u)' : String(currentUid);
  return `Use your own ${what}, or have it given to you (only root can): sudo chown ${to} ${shellWord(path)}`;
}
