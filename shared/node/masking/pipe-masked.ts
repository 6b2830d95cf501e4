import type { Readable, Writable } from 'node:stream';
import { maskingStream, type MaskValues } from './stream-masker';

/**
 * Copies a child's output stream to `dest()` with `values` masked (given, or
 * asked at the first byte: see maskingStream), keeping
 * backpressure (a slow reader slows the child, as a direct pipe would). If
 * the destination goes away (EPIPE: `| head` closed), the child's stream is
 * closed too, so the child sees the broken pipe it would have seen without
 * masking. Resolves once everything has been written; never rejects.
 *
 * `dest` is called at the child's first byte on the stream, never if it
 * writes none: `process.stdout` / `process.stderr` are built when first
 * read, and for a pipe that is a socket over a new pipe handle (~0.5 ms of
 * exec's time), which a stage silent on that stream (`exec -- true`, most
 * stages on one of the two) does not need.
 *
 * Resolves with the error of a write that failed otherwise (a full disk:
 * ENOSPC, EIO): the child's stream is closed as for EPIPE, but that is not
 * the reader's choice, it is output lost, and the caller must say so (the
 * child may well have finished already, happy, with exit 0).
 *
 * `onReaderGone` runs first on EPIPE: the child wrote what could not be
 * delivered, so without masking that write would have raised SIGPIPE; exec
 * sends it. (Closing the child's stream alone is not the same: it is a socket
 * holding unread data, and the child's next write fails with "Connection reset
 * by peer", which `yes` or a shell prints before exiting 1.)
 */
export function pipeMasked(source: Readable, dest: () => Writable, values: MaskValues, onReaderGone?: () => void): Promise<NodeJS.ErrnoException | undefined> {
  // Nothing is built before the stream's first byte: a stage silent on it (`exec -- true`, most stages on one of the
  // two) ended before exec got back to its event loop from building the masker and its pipe (~1 ms), and its end
  // waited for that. The first chunk stops the flow at once (paused, nothing more is read or dropped) and goes first.
  return new Promise((resolve) => {
    const empty = () => resolve(undefined);
    source.once('data', (first: Buffer) => {
      source.pause();
      source.off('end', empty);
      source.off('error', empty);
      resolve(copyMasked(source, first, dest, values, onReaderGone));
    });
    source.once('end', empty);
    source.once('error', empty);
  });
}

/** {@link pipeMasked} from the stream's first chunk `first` on (taken from `source`, paused). */
function copyMasked(source: Readable, first: Buffer, dest: () => Writable, values: MaskValues, onReaderGone?: () => void): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    let stopped = false;
    const stop = (err?: NodeJS.ErrnoException) => {
      if (stopped) return;
      stopped = true;
      if (err?.code === 'EPIPE') onReaderGone?.();
      source.unpipe(masker);
      // A reader gone: our end closes, so the stage's next write breaks as on a direct pipe. Output that cannot be
      // written (a full disk): the rest is read and dropped, so the stage runs on as it would (its later writes would
      // fail, not kill it: closed, our end gave it a SIGPIPE and exec said 141, its cleanup never ran), and the
      // caller fails the run for the output lost.
      if (err?.code === 'EPIPE') source.destroy();
      else source.resume();
      masker.destroy();
      resolve(err && err.code !== 'EPIPE' ? err : undefined);
    };
    let piped = false;
    const masker = maskingStream(values, () => {
      piped = true;
      const out = dest();
      out.on('error', stop);
      masker.pipe(out, { end: false });
    });
    masker.on('error', stop);
    source.on('error', () => masker.end());
    // Ended by hand: pipe()'s own ending compares its destination with process.stdout and process.stderr, building both.
    source.on('end', () => masker.end());
    // A failed write reports its error on a later tick than the data it was given: let it land before saying "all written".
    masker.on('end', () => setImmediate(() => resolve(undefined)));
    // Nothing came: nothing to write, and nothing reads the masker to its end.
    masker.on('finish', () => piped || resolve(undefined));
    masker.write(first);
    source.pipe(masker, { end: false });
  });
}
