import type { ChildProcess } from 'node:child_process';
import { childProcess } from '../builtins';
import { pipesFolderPrefix, pipesTmpdir } from './pipe-leftovers';
import { nativePipe } from './native-spawn';
import { pipeReader } from './pipe-reader';
import { fromPool, type FifoPlace } from './pipe-pool';
import type { StageSignals } from './stage-signals';
import { closeSync, constants as fs, existsSync, fstatSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

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

/** True when file descriptor `fd` is /dev/null: what goes there needs no masking. */
export function isDevNull(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isCharacterDevice() && st.rdev === statSync('/dev/null').rdev;
  } catch {
    return false;
  }
}

/** Which streams get a pipe; `merged`: stdout and stderr are one file, read through one pipe. */
type Wanted = { out: boolean; err: boolean; merged: boolean };

/** One real pipe: `child` is the write end a stage gets as its stdout or stderr, `ours` reads what it writes. */
export interface StagePipe {
  ours: Readable;
  child: number;
}

/** The pipes of a stage's masked streams; `merged`: one pipe for both (`out` and `err` are then the same). */
export interface StagePipes {
  out?: StagePipe;
  err?: StagePipe;
  /** Closes our copies of the write ends (once the stage has its own: its exit, and its children's, then ends the streams). */
  release(): void;
  /** Closes everything (the stage ended, or never started). */
  discard(): void;
  /**
   * True when this exec made FIFOs itself (forked mkfifo: the pool was short, or unusable): it then also removes
   * what killed execs left in TMPDIR (`removeLeftoverPipes`). The others, most, leave that scan to those.
   */
  made: boolean;
}

/** Linux's O_PATH: an fd naming the FIFO that is neither a reader nor a writer (not in Node's constants). */
const O_PATH = 0o10000000;
/**
 * How often a stage's open of a pipe whose reader is gone is let through (see
 * {@link letOpenersThrough}): every 2 ms for the first 10 s (a loop of opens
 * right after `| head` left, before the stage notices), then less and less
 * often, to one every half second (a stage that lingers for hours).
 */
const OPENERS_FIRST_MS = 2;
const OPENERS_FAST_FOR_MS = 10_000;
const OPENERS_LAST_MS = 500;

/**
 * Real pipes for the streams exec masks, on Linux. Node's own child
 * pipes are socket pairs, and Linux cannot open a socket by name: a stage
 * writing to `/dev/stdout` or `/dev/stderr` (`echo warning > /dev/stderr`,
 * `tee /dev/stdout`, Python's `open("/dev/stdout", "w")`) failed with "No such
 * device or address" under exec, and only there. (Elsewhere /dev/fd/N is a
 * dup of the descriptor, which works with a socket: Node's pipes are kept.)
 * With `merged` (stdout and stderr are one file: `> log 2>&1`) both streams
 * share one pipe, so they are read back in the order the stage wrote them.
 *
 * Where the addon that starts stages is built (native-spawn.ts), they are
 * anonymous pipes it makes (pipe2): nothing on disk. Otherwise (no addon,
 * `CPW_VAULT_SPAWN=node`), FIFOs: Node cannot make an anonymous pipe for a
 * child's fd. Each FIFO is claimed from the pool of spares (pipe-pool.ts), or made mode
 * 0600 by `mkfifo` there (with the spares, when too few are left), or, the
 * pool unusable, in a fresh private folder (mkdtemp: 0700, a random name),
 * in a TMPDIR others cannot rename it in (theirs, or sticky like /tmp);
 * opened at both ends, checked to be a FIFO of ours that nobody else can
 * open, and unlinked (its folder removed) before the stage starts: nobody
 * else can read the stage's output. It runs held by `signals`
 * ({@link StageSignals.holding}): a Ctrl-C, SIGTERM or SIGHUP meanwhile stops
 * mkfifo and ends exec once its FIFOs are gone (removed at once by the
 * signal, mkfifo still at work made it fail half-empty). Only a kill -9 in
 * those few milliseconds leaves them: their names hold the exec's pid and
 * start, and a later exec removes them (`removeLeftoverPipes`,
 * pipe-leftovers.ts, and `fromPool`).
 * Undefined when that cannot be done (no `mkfifo`, an unwritable or unsafe
 * TMPDIR): the caller uses Node's pipes.
 */
export async function stagePipes(want: Wanted, signals: Pick<StageSignals, 'holding'>): Promise<StagePipes | undefined> {
  if ((!want.out && !want.err) || process.platform !== 'linux') return undefined;
  const names = want.merged ? ['both'] : [...(want.out ? ['out'] : []), ...(want.err ? ['err'] : [])];
  const anonymous = anonymousPipes(want, names.length);
  if (anonymous) return anonymous;
  let maker: ChildProcess | undefined;
  return signals.holding(() => makeFifos(want, names, (p) => (maker = p)), () => maker?.kill('SIGKILL'));
}

/** The ends of one pipe: ours to read, the stage's to write. */
interface PipeEnds {
  read: number;
  write: number;
}

/**
 * The stage's pipes, `count` anonymous ones made by the addon that starts stages (native-spawn.ts): real pipes, as
 * FIFOs are, with no name on disk, so nothing to claim, open by name, check or remove (~2.5 ms of each exec), and
 * nothing another user's TMPDIR could hold up. Undefined where there is no addon (or it is switched off): FIFOs then.
 */
function anonymousPipes(want: Wanted, count: number): StagePipes | undefined {
  const ends: PipeEnds[] = [];
  while (ends.length < count) {
    const made = nativePipe();
    if (!made) break;
    ends.push({ read: made[0], write: made[1] });
  }
  if (ends.length === count) {
    try {
      // No neither-ends: opening an anonymous pipe by name (/dev/stdout) never waits for a reader (a FIFO's open does).
      return pipesOf(want, ends, [], false);
    } catch {
      return undefined; // a read end that could not be watched (pipesOf closed them all): FIFOs then, as without the addon
    }
  }
  for (const { read, write } of ends) {
    closeSync(read);
    closeSync(write);
  }
  return undefined;
}

/**
 * The stage's pipes over `ends` (one per name: `both`, or `out` and/or `err`); `named`: each FIFO's neither-end (see
 * {@link letOpenersThrough}), none for anonymous pipes; `made`: see {@link StagePipes.made}. Owns every descriptor
 * given: when a read end cannot be watched, it closes them all and throws.
 */
function pipesOf(want: Wanted, ends: readonly PipeEnds[], named: readonly number[], made: boolean): StagePipes {
  const readers: Readable[] = [];
  try {
    for (const { read } of ends) readers.push(pipeReader(read));
  } catch (err) {
    for (const r of readers) r.destroy();
    for (const fd of [...ends.slice(readers.length).map((e) => e.read), ...ends.map((e) => e.write), ...named]) closeSync(fd);
    throw err;
  }
  const pipes = ends.map(({ write }, i): StagePipe => ({ ours: readers[i]!, child: write }));
  const first = pipes[0]!;
  const out = want.merged || want.out ? first : undefined;
  const err = want.merged ? first : want.err ? pipes[pipes.length - 1] : undefined;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    for (const p of pipes) closeSync(p.child);
  };
  const stopOpeners = named.length ? letOpenersThrough(pipes, named) : () => {};
  return {
    ...(out ? { out } : {}),
    ...(err ? { err } : {}),
    made,
    release,
    discard: () => {
      release();
      stopOpeners();
      for (const p of pipes) p.ours.destroy();
    },
  };
}

async function makeFifos(want: Wanted, names: readonly string[], started: (mkfifo: ChildProcess) => void): Promise<StagePipes | undefined> {
  const mkfifo = ['/usr/bin/mkfifo', '/bin/mkfifo'].find((p) => existsSync(p));
  let place: FifoPlace | undefined;
  const opened: number[] = [];
  try {
    const base = pipesTmpdir();
    if (!base) return undefined;
    place = fromPool(base, names.length) ?? (mkfifo ? freshFolder(base, names) : undefined);
    if (!place) return undefined;
    if (place.make.length) {
      if (!mkfifo) return undefined;
      // A fork of this process, replaced by mkfifo at once (its own environment: no credential variable in it). The
      // pool's folder is its fd 3; it goes on past a name it cannot make (a spare another exec made meanwhile): its
      // exit code says nothing of ours, which the opens below check.
      const made = await new Promise<boolean>((resolve) => {
        const p = childProcess().spawn(mkfifo, ['-m', '600', '--', ...place!.make], { stdio: ['ignore', 'ignore', 'ignore', ...(place!.fd === undefined ? [] : [place!.fd])], env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
        started(p);
        p.once('error', () => resolve(false));
        p.once('exit', (code) => resolve(code === 0 || place!.fd !== undefined));
      });
      if (!made) return undefined;
    }
    const { paths } = place;
    const ends = paths.map((path) => {
      // The read end first, not blocking (no writer yet); then the write end, which a reader lets open at once.
      const read = openSync(path, fs.O_RDONLY | fs.O_NONBLOCK | fs.O_NOFOLLOW);
      opened.push(read);
      const write = openSync(path, fs.O_WRONLY | fs.O_NOFOLLOW);
      opened.push(write);
      const named = openSync(path, O_PATH | fs.O_NOFOLLOW);
      opened.push(named);
      const [r, w, n] = [fstatSync(read), fstatSync(write), fstatSync(named)];
      const ours = r.isFIFO() && (process.getuid === undefined || r.uid === process.getuid()) && (r.mode & 0o077) === 0;
      if (!ours || r.dev !== w.dev || r.ino !== w.ino || r.dev !== n.dev || r.ino !== n.ino) throw new Error('not our FIFO');
      return { read, write, named };
    });
    // Theirs now, closed by pipesOf if it fails.
    opened.length = 0;
    return pipesOf(want, ends, ends.map((e) => e.named), place.make.length > 0);
  } catch {
    return undefined;
  } finally {
    for (const fd of opened) closeSync(fd);
    place?.done();
  }
}

/** A fresh private folder (mkdtemp: 0700, a random name) for FIFOs `names`, when the pool cannot be used; `done` removes it. */
function freshFolder(base: string, names: readonly string[]): FifoPlace {
  // Named after this exec: one killed -9 before it removed the folder leaves it to the next exec to remove.
  const dir = mkdtempSync(pipesFolderPrefix(base));
  const paths = names.map((n) => join(dir, n));
  return { paths, make: paths, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Once our read end of a pipe is closed (its reader went away: `| head`; its
 * file could not be written), a stage's writes to it fail with EPIPE, as
 * with any pipe. But opening a FIFO to write waits for a reader, where an
 * anonymous pipe's open does not: a stage reopening `/dev/stdout` then (a
 * Python loop of `open("/dev/stdout", "w")` ignoring the error) waited for
 * ever, and exec with it. A reader opened and closed at once, through an
 * O_PATH fd of the FIFO, lets such an open through; its next write fails as
 * with a pipe. Returns the stop.
 */
function letOpenersThrough(pipes: readonly StagePipe[], named: readonly number[]): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let every = OPENERS_FIRST_MS;
  let since = 0;
  const gone = new Set<number>();
  const tick = () => {
    if (stopped) return;
    for (const i of gone) {
      try {
        closeSync(openSync(`/proc/self/fd/${named[i]}`, fs.O_RDONLY | fs.O_NONBLOCK));
      } catch {
        // no /proc: nothing to let through
      }
    }
    if (Date.now() - since > OPENERS_FAST_FOR_MS) every = Math.min(OPENERS_LAST_MS, every * 1.1);
    timer = setTimeout(tick, every);
    timer.unref();
  };
  // Only for a read end closed before the stage's output ended (its reader left, its file could not be written):
  // at the end of the output (EOF: every writer closed it) nobody can open it again.
  pipes.forEach((p, i) => {
    let ended = false;
    p.ours.once('end', () => (ended = true));
    p.ours.once('close', () => {
      if (ended || stopped) return;
      gone.add(i);
      if (timer) return;
      since = Date.now();
      tick();
    });
  });
  return () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    for (const fd of named) closeSync(fd);
  };
}
