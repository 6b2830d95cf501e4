import { ftruncateSync, readSync, writeSync } from 'node:fs';

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
