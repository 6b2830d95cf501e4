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
