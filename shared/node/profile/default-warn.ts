/**
 * Writes a warning to stderr, as console.error would: a stderr nobody reads any more (`stage 2>&1 | head -1`, a log
 * collector that went away) drops it. The bare write's EPIPE was an unhandled 'error' event that ended the
 * library's host process over a warning.
 */
export function defaultWarn(message: string): void {
  const stderr = process.stderr;
  const ignore = (): void => undefined;
  // A synchronous error is caught by the listener held during the write; one reported later (a pipe) is announced to
  // the callback first, which holds a listener for it.
  stderr.once('error', ignore);
  try {
    stderr.write(`cpw-vault: warning: ${message}\n`, (err) => {
      if (err) stderr.once('error', ignore);
    });
  } catch {
    // No stderr to write to: the warning has nowhere to go.
  } finally {
    stderr.removeListener('error', ignore);
  }
}
