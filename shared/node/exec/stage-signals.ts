/** Signals that end exec before its stage runs, and are passed on to the stage once it runs. */
const ENDING: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

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

/**
 * exec's Ctrl-C, SIGTERM and SIGHUP, through one listener from before the
 * stage's pipes are made until the stage has ended. Before the stage runs,
 * one ends exec as it would by default, once what exec made on disk
 * meanwhile ({@link undo}: the pipes' folder) is removed; unless someone else
 * listens too (a passphrase prompt: it cancels, and the stage never starts).
 * Once the stage runs, they go to {@link forwardTo}'s function.
 *
 * One listener all along: Node drops a signal that libuv had read but not yet
 * handed to a listener when the last listener is removed. The stage pipes'
 * own hold was removed before exec's forwarder was added, and a SIGHUP sent
 * at that instant was lost: the stage ran to the end, exec exited 0.
 */
export class StageSignals {
  /** Removals of what must not outlive exec (the pipes' folder while it exists), run before a signal ends it. */
  readonly undo = new Set<() => void>();
  private forward: ((signal: NodeJS.Signals) => void) | undefined;
  private came: NodeJS.Signals | undefined;
  private readonly listener = (signal: NodeJS.Signals) => {
    if (this.forward) return this.forward(signal);
    this.came ??= signal;
    for (const removal of this.undo) removal();
    this.undo.clear();
    if (process.listenerCount(signal) === 1) dieOf(signal);
  };

  constructor() {
    for (const s of ENDING) process.on(s, this.listener);
  }

  /**
   * Called right before the stage is spawned: ends exec by a signal that came
   * before (one another listener took, yet nothing stopped exec), else sends
   * every later one to `forward` (the stage).
   */
  forwardTo(forward: (signal: NodeJS.Signals) => void): void {
    if (this.came) dieOf(this.came);
    this.forward = forward;
  }

  /** Once the stage has ended (or will not run): signals have their default action again. */
  stop(): void {
    for (const s of ENDING) process.off(s, this.listener);
  }
}
