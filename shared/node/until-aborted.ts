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
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal.removeEventListener('abort', onAbort);
    work.then((v) => (settle(), resolve(v)), (err: unknown) => (settle(), reject(err)));
  });
}
