import type { Readable, Writable } from 'node:stream';
import { maskingStream } from './stream-masker';

/**
 * Copies a child's output stream to `dest` with `values` masked, keeping
 * backpressure (a slow reader slows the child, as a direct pipe would). If
 * `dest` goes away (EPIPE: `| head` closed), the child's stream is closed
 * too, so the child sees the broken pipe it would have seen without
 * masking. Resolves once everything has been written; never rejects.
 *
 * `onReaderGone` runs first on EPIPE: the child wrote what could not be
 * delivered, so without masking that write would have raised SIGPIPE; exec
 * sends it. (Closing the child's stream alone is not the same: it is a socket
 * holding unread data, and the child's next write fails with "Connection reset
 * by peer", which `yes` or a shell prints before exiting 1.)
 */
export function pipeMasked(source: Readable, dest: Writable, values: readonly string[], onReaderGone?: () => void): Promise<void> {
  const masker = maskingStream(values);
  return new Promise((resolve) => {
    let stopped = false;
    const stop = (err?: NodeJS.ErrnoException) => {
      if (stopped) return;
      stopped = true;
      if (err?.code === 'EPIPE') onReaderGone?.();
      source.unpipe(masker);
      source.destroy();
      masker.destroy();
      resolve();
    };
    dest.on('error', stop);
    masker.on('error', stop);
    source.on('error', () => masker.end());
    masker.on('end', () => resolve());
    masker.pipe(dest, { end: false });
    source.pipe(masker);
  });
}
