import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { VaultError } from '../../core/errors';
import { ioError } from '../profile/file-access';
import { assertOwnFile, symlinkError } from '../profile/secure-fs';

/**
 * Appends `line` whole (see {@link appendWholeLine}) to our JSON-lines file `path`: made 0600 when missing (and
 * made 0600 again when it is not), never through a link planted at its name, never to another user's file or a
 * FIFO (refused, never hanging); returns the file's size after. A link is said to be one: "Cannot access (ELOOP):
 * check that it exists" sent the user looking.
 */
export function appendOwnLine(path: string, line: string, takeBack: boolean): number {
  let fd: number | undefined;
  try {
    // O_NONBLOCK: a fifo planted at this name fails the open (ENXIO) or the check below, instead of hanging it.
    // O_RDWR: the last byte is read (a line cut short before).
    fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
    const st = assertOwnFile(fd, path);
    if ((st.mode & 0o777) !== 0o600) fchmodSync(fd, 0o600);
    appendWholeLine(fd, st.size, line, takeBack);
    return fstatSync(fd).size;
  } catch (err) {
    if (err instanceof VaultError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw symlinkError(path);
    throw ioError(err, path);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes `line` at the end of `fd`, a JSON-lines file opened O_APPEND whose
 * size was `size`: after a newline when its last line was cut short (so the
 * line is never joined to that one and lost with it), and whole. A disk that
 * fills up mid-line (ENOSPC, EDQUOT) or a file size limit (EFBIG, `ulimit -f`)
 * makes a write short: the rest is written again until the kernel says why
 * not, and that error is thrown. With `takeBack` (the caller holds the file's
 * lock: nothing was appended after it) what was written is truncated away, so
 * the file keeps no damaged line; without (the audit log, appended to by many
 * without a lock), the cut line stays and the next append starts a new one.
 */
export function appendWholeLine(fd: number, size: number, line: string, takeBack: boolean): void {
  const last = Buffer.alloc(1);
  const cut = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
  const bytes = Buffer.from(cut ? `\n${line}` : line, 'utf8');
  try {
    for (let done = 0; done < bytes.length; ) {
      const n = writeSync(fd, bytes, done, bytes.length - done);
      if (n <= 0) throw Object.assign(new Error('nothing written'), { code: 'ENOSPC' });
      done += n;
    }
  } catch (err) {
    if (takeBack) {
      try {
        ftruncateSync(fd, size);
      } catch {
        // the cut line stays; the next append starts a new one
      }
    }
    throw err;
  }
}
