import { cancelledError } from '../core/errors';
import { afterPendingSignals, nodeOs } from '../node/builtins';
import { ENDING } from '../node/exec/stage-signals';

/**
 * Signals that interrupt a change: Ctrl-C, kill, a closed terminal; SIGUSR1
 * too (its default action ends the process: at a hidden prompt, the terminal
 * was left without echo). The same as exec takes ({@link ENDING}): SIGUSR2,
 * SIGALRM (`timeout -s ALRM`), SIGVTALRM, SIGIO, SIGPWR and SIGSTKFLT killed a
 * command by their default action mid-change (a migrate left its plaintext
 * backup and a change for `doctor --repair`).
 */
const INTERRUPTS: readonly NodeJS.Signals[] = ENDING;

/**
 * Runs `fn` with the {@link INTERRUPTS} signals turned into an abort of `signal`
 * instead of killing the process, so a change in progress rolls back
 * (previous values back, new ones removed) before the command exits. The
 * first signal aborts; more signals while the rollback runs are absorbed:
 * a rollback cut short would be the very thing this prevents (SIGKILL stays
 * possible; the journal repairs that at the next start).
 */
export async function interruptible<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (!controller.signal.aborted) controller.abort(name);
  };
  for (const s of INTERRUPTS) process.on(s, onSignal);
  RUNNING.push(controller.signal);
  try {
    return await fn(controller.signal);
  } finally {
    RUNNING.splice(RUNNING.lastIndexOf(controller.signal), 1);
    // The outcome is decided: a signal from now on must not change it. Removed at once, the last listener gave the
    // signal its default action back while the command was still exiting, and a Ctrl-C then ended a completed
    // `backend use` by the signal (exit 130, "cancelled" by the README) after it had printed "✓ Moved". Removed on
    // the next turn of the loop instead: the CLI has exited by then (its exit follows in the same turn).
    setImmediate(() => {
      for (const s of INTERRUPTS) process.off(s, onSignal);
    });
  }
}

/** The signals of the {@link interruptible} calls running, innermost last. */
const RUNNING: AbortSignal[] = [];

/**
 * The abort signal of the innermost {@link interruptible} call running, if
 * any: a prompt asked inside one ends with it. Its listener takes SIGTERM
 * and SIGHUP from the default action, so a question that did not know of it
 * (import's confirm, migrate's) waited for ever after `kill`.
 */
export function runningInterrupt(): AbortSignal | undefined {
  return RUNNING[RUNNING.length - 1];
}

/**
 * Whether `signal` is aborted once the signals that arrived meanwhile were handled. After work that held the main
 * thread (scrypt of a passphrase check, ~2 s), a Ctrl-C pressed during it waits in the event loop: checked at once,
 * it was missed, and `unlock` started an agent for 8 hours after the user asked to cancel. The loop runs the handler
 * first ({@link afterPendingSignals}).
 */
export async function abortedAfterPending(signal: AbortSignal): Promise<boolean> {
  await afterPendingSignals();
  return signal.aborted;
}

/**
 * Runs `fn` (work that holds the main thread: a passphrase's scrypt) with
 * the {@link INTERRUPTS} signals held instead of ending the process, then throws
 * CANCELLED if one came (after one turn of the loop: see
 * {@link abortedAfterPending}), whatever `fn` gave, so nothing is acted on
 * after the user asked to stop.
 */
export async function cancelledIfInterrupted<T>(fn: () => Promise<T>): Promise<T> {
  let held: NodeJS.Signals | undefined;
  const hold = (name: NodeJS.Signals) => void (held ??= name);
  for (const s of INTERRUPTS) process.on(s, hold);
  try {
    return await fn();
  } finally {
    await afterPendingSignals();
    for (const s of INTERRUPTS) process.off(s, hold);
    // Thrown over what fn returned or threw (a wrong passphrase): the user asked to stop before it was acted on.
    if (held) throw cancelledError(held);
  }
}

/** The conventional exit code of a command stopped by `signal`: 128 + its number (SIGINT 130, SIGTERM 143, SIGHUP 129). */
export function signalExitCode(signal: unknown): number {
  const n = typeof signal === 'string' ? (nodeOs().constants.signals as Record<string, number>)[signal] : undefined;
  return 128 + (n ?? nodeOs().constants.signals.SIGINT);
}
