import { spawn } from 'node:child_process';
import { closeSync, constants as fs, existsSync, fstatSync, lstatSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
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

/** One real pipe: `child` is the write end a stage gets as its stdout or stderr, `ours` reads what it writes. */
export interface StagePipe {
  ours: Socket;
  child: number;
}

/** The pipes of a stage's masked streams; `merged`: one pipe for both (`out` and `err` are then the same). */
export interface StagePipes {
  out?: StagePipe;
  err?: StagePipe;
  /** Closes our copies of the write ends (once the stage has its own: its exit, and its children's, then ends the streams). */
  release(): void;
  /** Closes everything (the stage never started). */
  discard(): void;
}

/**
 * Real pipes (FIFOs) for the streams exec masks. Node's own child pipes are
 * socket pairs, and a socket cannot be opened by name: a stage writing to
 * `/dev/stdout` or `/dev/stderr` (`echo warning > /dev/stderr`,
 * `tee /dev/stdout`, Python's `open("/dev/stdout", "w")`) failed with "No such
 * device or address" under exec, and only there. With `merged` (stdout and
 * stderr are one file: `> log 2>&1`) both streams share one pipe, so they are
 * read back in the order the stage wrote them (two pipes are two queues).
 *
 * Each FIFO is made mode 0600 by `mkfifo` in a fresh private folder
 * (mkdtemp: 0700, a random name) in a TMPDIR others cannot rename it in
 * (theirs, or sticky like /tmp), opened at both ends, checked to be a FIFO
 * of ours that nobody else can open, and its folder removed before the
 * stage starts: nothing is left on disk, and nobody else can read the stage's
 * output. Undefined when that cannot be done (no `mkfifo`: Windows; an
 * unwritable or unsafe TMPDIR): the caller uses Node's pipes.
 */
export async function stagePipes(want: { out: boolean; err: boolean; merged: boolean }): Promise<StagePipes | undefined> {
  if (!want.out && !want.err) return undefined;
  const names = want.merged ? ['both'] : [...(want.out ? ['out'] : []), ...(want.err ? ['err'] : [])];
  const mkfifo = ['/usr/bin/mkfifo', '/bin/mkfifo'].find((p) => existsSync(p));
  let dir: string | undefined;
  const opened: number[] = [];
  try {
    // A folder others can write without the sticky bit lets them rename ours away and put their own in its place.
    const parent = lstatSync(tmpdir());
    if (!mkfifo || !parent.isDirectory() || (parent.mode & 0o022 && !(parent.mode & 0o1000))) return undefined;
    dir = mkdtempSync(join(tmpdir(), 'cpw-vault-exec-'));
    const paths = names.map((n) => join(dir!, n));
    // A fork of this process, replaced by mkfifo at once (its own environment: no credential variable in it).
    const made = await new Promise<boolean>((resolve) => {
      const p = spawn(mkfifo, ['-m', '600', '--', ...paths], { stdio: 'ignore', env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
      p.once('error', () => resolve(false));
      p.once('exit', (code) => resolve(code === 0));
    });
    if (!made) return undefined;
    const ends = paths.map((path) => {
      // The read end first, not blocking (no writer yet); then the write end, which a reader lets open at once.
      const read = openSync(path, fs.O_RDONLY | fs.O_NONBLOCK | fs.O_NOFOLLOW);
      opened.push(read);
      const write = openSync(path, fs.O_WRONLY | fs.O_NOFOLLOW);
      opened.push(write);
      const [r, w] = [fstatSync(read), fstatSync(write)];
      const ours = r.isFIFO() && (process.getuid === undefined || r.uid === process.getuid()) && (r.mode & 0o077) === 0;
      if (!ours || r.dev !== w.dev || r.ino !== w.ino) throw new Error('not our FIFO');
      return { read, write };
    });
    const pipes: StagePipe[] = ends.map(({ read, write }) => ({ ours: new Socket({ fd: read, readable: true, writable: false }), child: write }));
    opened.length = 0;
    const first = pipes[0]!;
    const out = want.merged || want.out ? first : undefined;
    const err = want.merged ? first : want.err ? pipes[pipes.length - 1] : undefined;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const p of pipes) closeSync(p.child);
    };
    return {
      ...(out ? { out } : {}),
      ...(err ? { err } : {}),
      release,
      discard: () => {
        release();
        for (const p of pipes) p.ours.destroy();
      },
    };
  } catch {
    for (const fd of opened) {
      closeSync(fd);
    }
    return undefined;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
