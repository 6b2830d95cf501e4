/**
 * The bytes a D-Bus connection received and has not parsed yet, kept as the chunks they came in (64 KiB each, from
 * either socket). A message's chunks are joined once, when all of it is there: joining the whole inbox with each chunk
 * that arrived copied a 100 MiB reply ~1,600 times over (~80 GiB), quadratic in a size the peer chooses.
 */
export class Inbox {
  private chunks: Buffer[] = [];
  /** The bytes held. */
  length = 0;

  /** Adds a chunk as it came (not copied). */
  push(chunk: Buffer): void {
    if (!chunk.length) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /**
   * The first `n` bytes held (`n` at most {@link length}), left in the inbox: the first chunk itself when they are in
   * it (it may be longer), else a copy of exactly `n` bytes (a header split between chunks: 16 bytes, or an
   * authentication line).
   */
  peek(n: number): Buffer {
    const first = this.chunks[0]!;
    return first.length >= n ? first : Buffer.concat(this.chunks, n);
  }

  /** Removes and returns the first `n` bytes (`n` at most {@link length}): each byte is copied at most once. */
  take(n: number): Buffer {
    let spanned = 0;
    let size = 0;
    while (size < n) size += this.chunks[spanned++]!.length;
    const last = this.chunks[spanned - 1]!;
    const rest = last.subarray(last.length - (size - n));
    const taken = spanned === 1 ? last.subarray(0, n) : Buffer.concat(this.chunks.slice(0, spanned), n);
    this.chunks.splice(0, spanned, ...(rest.length ? [rest] : []));
    this.length -= n;
    return taken;
  }
}
