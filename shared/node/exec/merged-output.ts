import { fstatSync, lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True when file descriptors `a` and `b` are one file: `> log 2>&1`, `2>&1 | tee`, one terminal. */
export function sameFile(a: number, b: number): boolean {
  try {
    const x = fstatSync(a);
    const y = fstatSync(b);
    return x.ino !== 0 && x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Both ends of one connected stream socket: `child` for a child's stdout and stderr alike, `ours` to read them. */
export interface OutputPair {
  ours: Socket;
  child: Socket;
}

/**
 * One socket for a child's stdout and stderr, so what it writes to the two
 * is read back in the order it wrote it (two pipes are two queues: a
 * `> log 2>&1` got every stdout line first, the stderr ones after). Made
 * over a Unix socket in a fresh private folder (mkdtemp: 0700, a random
 * name) in a TMPDIR others cannot rename it in (theirs, or sticky like
 * /tmp), removed before the child starts. Undefined when it cannot be made
 * (an unwritable or unsafe TMPDIR, a path too long for a socket): the
 * caller falls back to two pipes.
 */
export async function outputPair(): Promise<OutputPair | undefined> {
  let dir: string | undefined;
  try {
    // A folder others can write without the sticky bit lets them rename ours away and put their socket in its place.
    const parent = lstatSync(tmpdir());
    if (!parent.isDirectory() || (parent.mode & 0o022 && !(parent.mode & 0o1000))) return undefined;
    dir = mkdtempSync(join(tmpdir(), 'cpw-vault-exec-'));
    const path = join(dir, 'out.sock');
    const server = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, resolve);
      });
      const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
      const child = createConnection(path);
      await new Promise<void>((resolve, reject) => {
        child.once('connect', resolve);
        child.once('error', reject);
      });
      // Our own connection arrives at once; none (someone else's socket answered) means no pair.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ours = await Promise.race([accepted, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 5_000)))]);
      clearTimeout(timer);
      if (!ours) {
        child.destroy();
        return undefined;
      }
      return { ours, child };
    } finally {
      server.close();
    }
  } catch {
    return undefined;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
