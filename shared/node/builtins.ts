/**
 * Node built-ins the read path rarely needs, loaded on first use rather than
 * at start: `cpw-vault get` pays each module it loads at every start, and
 * node:crypto (temp names, run ids, hashed names) or node:child_process
 * (a provider's --version) cost milliseconds a read never uses, node:os
 * (the host name of a lock's holder, signal numbers) its heap.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

/** node:crypto, on first use. */
export function nodeCrypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto');
}

/** node:os, on first use (its load left ~15 KB of heap that, with the rest, made every `get` pay a garbage collection). */
export function nodeOs(): typeof import('node:os') {
  return process.getBuiltinModule('node:os');
}

/** node:child_process, on first use. */
export function childProcess(): typeof import('node:child_process') {
  return process.getBuiltinModule('node:child_process');
}

/** `bytes` random bytes as hex, unpredictable (temp file names others must not guess, transaction ids). */
export function randomHex(bytes: number): string {
  return nodeCrypto().randomBytes(bytes).toString('hex');
}

/** SHA-256 of `text`, hex. */
export function sha256Hex(text: string | Uint8Array): string {
  return nodeCrypto().createHash('sha256').update(text).digest('hex');
}

/**
 * `bytes` bytes of hex that are unique, not unpredictable: names that only
 * tell one holder or record from another (a lock's nonce, a run's id) and
 * guard nothing. Math.random, which Node seeds per process from the
 * system's random source: no node:crypto for them on the hot path.
 */
export function uniqueHex(bytes: number): string {
  let out = '';
  for (let i = 0; i < bytes; i++) out += Math.floor(Math.random() * 256).toString(16).padStart(2, '0');
  return out;
}

/**
 * The fields of /proc/<pid>/stat from the 3rd on (index 0: the state, 1: the
 * parent pid, 2: the process group, 4: the terminal, 5: its foreground group,
 * 19: the start in clock ticks after boot); undefined where it cannot be read
 * (not Linux, a process gone). Counted from the last ")": the name before
 * it, in parentheses, may hold spaces and parentheses.
 */
export function procStatFields(pid: number | 'self'): string[] | undefined {
  let stat: string;
  try {
    stat = readProcFile(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * A small /proc file as latin1 text. readFileSync sees such a file's size as 0 and reads it through 64 KiB buffers
 * it then joins: ~0.13 ms a file, where one read into a small buffer takes ~0.03 ms (exec reads two at every start).
 * Read on to the end, so a longer one is never cut short.
 */
export function readProcFile(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(1024);
    let length = 0;
    for (;;) {
      if (length === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]);
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) return buf.toString('latin1', 0, length);
      length += n;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The NUL-separated entries of a /proc file of this process (cmdline, environ), as raw bytes; [] where it cannot be
 * read, or when the whole file does not pass `worth` (a look at it all, before it is cut into entries).
 */
export function procEntries(file: 'cmdline' | 'environ', worth?: (raw: Buffer) => boolean): Buffer[] {
  let raw: Buffer;
  try {
    raw = readFileSync(`/proc/self/${file}`);
  } catch {
    return [];
  }
  if (worth && !worth(raw)) return [];
  const entries: Buffer[] = [];
  for (let start = 0; start < raw.length; ) {
    const nul = raw.indexOf(0, start);
    const end = nul < 0 ? raw.length : nul;
    entries.push(raw.subarray(start, end));
    start = end + 1;
  }
  return entries;
}

/**
 * Resolves once the signals that arrived while the main thread was held (a
 * passphrase's scrypt) have reached their listeners. libuv reads them in its
 * poll phase: one setImmediate queued from a poll callback runs before the
 * next poll, and a Ctrl-C during an export's scrypt was missed (its listener
 * removed first, the signal dropped). Two always span one poll.
 */
export async function afterPendingSignals(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
}
