import { cancelledError } from '../core/errors';

/**
 * `work`'s outcome, or CANCELLED as soon as `signal` aborts: a provider that takes its time (verify: up to the deadline,
 * 10 s by default, for each of 8), or a keychain that stopped answering (migrate's plan), held a Ctrl-C until then, or
 * the process ended by the signal with no word. For work that changes nothing: the calls left running end with the
 * process.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(cancelledError(signal.reason));
    const settle = () => signal.removeEventListener('abort', onAbort);
    // Watched even when the abort wins (a signal already aborted): work left running that fails later was an unhandled
    // rejection, which ends Node with a stack trace on stderr instead of the command's "cancelled".
    work.then((v) => (settle(), resolve(v)), (err: unknown) => (settle(), reject(err)));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
