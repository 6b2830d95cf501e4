import type { StageProcess } from './native-spawn';
import { procStatFields } from '../builtins';

/**
 * Signals that end exec before its stage runs (their default action), and are
 * passed on to the stage once it runs; every other command takes them as an
 * interrupt (cli/signals.ts). SIGUSR1 too: the launcher gave it its
 * default action back (Node's is its inspector). SIGALRM (`timeout -s ALRM`, a
 * supervisor's alarm), SIGVTALRM, SIGIO, SIGPWR (a UPS daemon's) and SIGSTKFLT:
 * left to their default action, one killed exec while its stage ran on with its
 * keys, unwaited for, the run left interrupted; one before the stage left the
 * pipes' folder behind. SIGIO is SIGPOLL: one name only, or each signal came
 * twice. Not SIGPROF: V8's CPU profiler (`--cpu-prof`, `--prof`) samples on it,
 * and a listener took every sample (no profile written, the process killed by
 * SIGPROF as it ended; exec would pass ~1,000 a second to its stage).
 */
export const ENDING: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGVTALRM', 'SIGIO', 'SIGPWR', 'SIGSTKFLT'];

/**
 * Signals whose default action ends a process without a core dump. A stage
 * that died of one ends exec by the same signal, as `env`, `sudo` or `nice`
 * do: an exit status of 143 is not a death by SIGTERM to whoever waits
 * (Python's subprocess says 143 instead of -15), and bash, which got the
 * terminal's Ctrl-C too, goes on with a script's loop when the command it
 * waited for exited instead of dying of SIGINT. (SIGSEGV, SIGABRT, SIGQUIT ...
 * would dump a core of exec itself: those stay exit 128+n.)
 */
const PLAIN_DEATHS: ReadonlySet<string> = new Set(['SIGHUP', 'SIGINT', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGKILL', 'SIGPROF', 'SIGVTALRM', 'SIGIO', 'SIGPOLL', 'SIGPWR', 'SIGSTKFLT']);

/** Ends this process by `signal` when it is a {@link PLAIN_DEATHS} one; returns otherwise (the caller exits 128+n). */
export function dieOf(signal: NodeJS.Signals): void {
  if (!PLAIN_DEATHS.has(signal)) return;
  if (signal !== 'SIGKILL') {
    process.removeAllListeners(signal);
    // A listener added and removed puts the default action back (Node ignores SIGPIPE, and takes SIGUSR1 for its inspector).
    const nothing = () => {};
    process.on(signal, nothing);
    process.off(signal, nothing);
  }
  process.kill(process.pid, signal);
}

/** What exec does with a signal while its stage runs; `justStarted`: it may have come before the stage was forked. */
export type Forward = (signal: NodeJS.Signals, justStarted: boolean) => void;

/**
 * exec's {@link ENDING} signals (Ctrl-C, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGIO, SIGPWR, SIGSTKFLT),
 * through one listener from before the stage's pipes are made until exec ends:
 * - before the stage runs, one ends exec as it would by default; while
 *   something that must not be left behind is being made ({@link holding}:
 *   the pipes' folder), once that is done and removed. Unless someone else
 *   listens too (a passphrase prompt: it cancels, and the stage never starts);
 * - while the stage runs, it goes to the {@link stageStarts} function;
 * - once the stage has ended, it ends exec at once (as by default), right
 *   after what {@link stageEnded} was given to do first (record the run's end;
 *   write output held for the values it is masked for: a second signal does
 *   not wait for that).
 *
 * One listener all along: Node drops a signal that libuv had read but not yet
 * handed to a listener when the last listener is removed. The stage pipes'
 * own hold was removed before exec's forwarder was added, and a SIGHUP sent
 * at that instant was lost; removed when the stage ended, a signal that came
 * as a stage failed to start was lost (exit 127, not the signal).
 */
export class StageSignals {
  private phase: 'before' | 'stage' | 'after' = 'before';
  private holds = 0;
  private interrupt: (() => void) | undefined;
  private came: NodeJS.Signals | undefined;
  private forward: Forward | undefined;
  private justStarted = false;
  private lastly: ((signal: NodeJS.Signals) => void) | undefined;
  private held: (() => Promise<unknown> | undefined) | undefined;
  private dying = false;
  private readonly listener = (signal: NodeJS.Signals) => {
    if (this.phase === 'stage') return this.forward!(signal, this.justStarted);
    if (this.phase === 'after') return this.dieNow(signal);
    this.came ??= signal;
    this.interrupt?.();
    this.endIfCame();
  };

  constructor() {
    for (const s of ENDING) process.on(s, this.listener);
  }

  /**
   * Runs `work` (it makes something on disk and removes it before it ends)
   * with these signals held: one that comes meanwhile calls `interrupt` (to
   * cut it short) and ends exec once `work` is done.
   */
  async holding<T>(work: () => Promise<T>, interrupt?: () => void): Promise<T> {
    this.holds++;
    this.interrupt = interrupt;
    try {
      return await work();
    } finally {
      this.holds--;
      this.interrupt = undefined;
      this.endIfCame();
    }
  }

  /**
   * Called right before the stage is spawned: ends exec by a signal that came
   * before (one another listener took, yet nothing stopped exec), else sends
   * every later one to `forward` (the stage). Those handled before the first
   * turn of the event loop after the spawn may have been sent before the fork:
   * `justStarted`.
   */
  stageStarts(forward: Forward): void {
    if (this.came) dieOf(this.came);
    this.phase = 'stage';
    this.forward = forward;
    this.justStarted = true;
    setImmediate(() => (this.justStarted = false));
  }

  /**
   * The stage has ended (or could not start): a signal from now on ends exec
   * at once, after `lastly` (synchronous, bounded: exec is to end now), given the signal exec ends by.
   * `unheard`: one that came while the stage was exiting (a zombie, its exit
   * not yet handled), which it could no longer get either: it ends exec now,
   * after `lastly`, as one coming next would. Left until the output was
   * drained, a background process of the stage holding that output kept exec
   * (and the Ctrl-C meant to end it) waiting for as long as it ran.
   * `held`: output the stage wrote that exec read and holds until it knows
   * what to mask in it (a promise settled once it is written, bounded by the
   * secret store's deadline), or nothing. The stage's output read by then is
   * written before exec ends, as it would have been without the wait; a
   * second signal ends exec at once.
   */
  stageEnded(lastly?: (signal: NodeJS.Signals) => void, unheard?: NodeJS.Signals, held?: () => Promise<unknown> | undefined): void {
    this.phase = 'after';
    this.lastly = lastly;
    this.held = held;
    if (unheard) this.dieNow(unheard);
  }

  private dieNow(signal: NodeJS.Signals): void {
    const waiting = this.dying ? undefined : this.held?.();
    this.dying = true;
    if (waiting) {
      const die = () => this.dieNow(signal);
      void waiting.then(die, die);
      return;
    }
    try {
      this.lastly?.(signal);
    } catch {
      // never thrown by exec's (it says what it could not record): should one throw, exec still ends by the signal, not by a crash
    }
    dieOf(signal);
  }

  /** exec is done: signals have their default action again. */
  stop(): void {
    for (const s of ENDING) process.off(s, this.listener);
  }

  private endIfCame(): void {
    if (this.phase === 'before' && this.came && !this.holds && process.listenerCount(this.came) === 1) dieOf(this.came);
  }
}

/**
 * True when `child` has exited, even if its exit has not been handled yet (a
 * zombie, from /proc): a signal sent to it now reaches nobody.
 */
export function exitedAlready(child: Pick<StageProcess, 'exitCode' | 'signalCode' | 'pid'>): boolean {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return child.pid !== undefined && procStatFields(child.pid)?.[0] === 'Z';
}
