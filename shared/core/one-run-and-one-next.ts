/**
 * For a call without arguments that only reports: one run at a time, and the
 * calls that arrive while it runs share the one run after it (which sees what
 * the running one did) instead of each queuing its own. Main's doctor: the
 * keychain banner asks every 10 s whether the last answer came or not, and a
 * doctor of a hung keychain takes up to twice 9 s: queued one by one, the calls
 * piled up for as long as the keychain hung (and a page calling in a loop could
 * pile up as many as it liked), each one more probe of the keychain, and "Check
 * again" answered only after all those before it. The Security screen's status
 * read again each time the window is looked at (renderer/screens/security-status.ts).
 * Throws what `fn` throws.
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
