import type { Readable, Writable } from 'node:stream';
import { maskingStream } from './stream-masker';

/**
 * Copies a child's output stream to `dest` with `values` masked, keeping
 * backpressure (a slow reader slows the child, as a direct pipe would). If
 * `dest` goes away (EPIPE: `| head` closed), the child's stream is closed
 * too, so the child sees the broken pipe it would have seen without
 * masking. Resolves once everything has been written; never rejects.
 */
export function pipeMasked(source: Readable, dest: Writable, values: readonly string[]): Promise<void> {
  const masker = maskingStream(values);
  return new Promise((resolve) => {
    const stop = () => {
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
