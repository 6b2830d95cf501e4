/**
 * Runs a handler's calls one after the other: a call that arrives while an
 * earlier one still runs waits for it to settle, then runs and sees what the
 * earlier one did. For handlers that check, then create: a double click (or a
 * page firing the channel in a loop) would otherwise have each call find
 * nothing and create its own — two team keys, the first caller's overwritten
 * after it was shown; two unlock agents on one socket.
 */
export function oneAtATime<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let last: Promise<unknown> = Promise.resolve();
  return (...args: A) => {
    const next = last.then(() => fn(...args), () => fn(...args));
    last = next.catch(() => {});
    return next;
  };
}

/**
 * For a call without arguments that only reports (doctor): one run at a
 * time, and the calls that arrive while it runs share the one run after it
 * (which sees what the running one did) instead of each queuing its own.
 * The keychain banner asks every 10 s whether the last answer came or not,
 * and a doctor of a hung keychain takes up to twice 9 s: queued one by one,
 * the calls piled up for as long as the keychain hung (and a page calling
 * in a loop could pile up as many as it liked), each one more probe of the
 * keychain, and "Check again" answered only after all those before it.
 */
export function oneRunAndOneNext<R>(fn: () => Promise<R>): () => Promise<R> {
  let running: Promise<R> | undefined;
  let next: Promise<R> | undefined;
  const start = (): Promise<R> => {
    const run = fn();
    running = run;
    const done = () => void (running === run && (running = undefined));
    run.then(done, done);
    return run;
  };
  return () => {
    if (!running) return start();
    next ??= running.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      next = undefined;
      return start();
    });
    return next;
  };
}
