import { Transform, type TransformCallback } from 'node:stream';
import { buildAutomaton, type Automaton } from './automaton';

/** What a masked value becomes. */
export const MASK = Buffer.from('****');
const EMPTY = Buffer.alloc(0);

/**
 * Masks values in a byte stream, chunk by chunk, in linear time (one
 * Aho-Corasick step per byte). Every maximal run of bytes covered by
 * overlapping occurrences of the values becomes one `****`; every other
 * byte passes unchanged, binary included. A value split across chunks is
 * still caught: only bytes that could still be the start of a value are
 * held back, so nothing waits longer than the partial value in progress
 * (values hold no line breaks, so never past the end of a line).
 */
export class StreamMasker {
  private state = 0;
  /** Bytes fed so far. */
  private pos = 0;
  /** Offset of the first byte not yet emitted; `held` holds [emitted, pos). */
  private emitted = 0;
  private held: Buffer = EMPTY;
  /** Pending masked intervals, flat [start, end, start, end, ...], disjoint and sorted. */
  private intervals: number[] = [];

  constructor(private readonly automaton: Automaton, private readonly replacement: Buffer = MASK) {}

  /** Feeds a chunk; returns what is safe to write now (possibly empty). */
  push(chunk: Uint8Array): Buffer {
    if (!chunk.length) return EMPTY;
    this.scan(chunk);
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const view = this.held.length ? Buffer.concat([this.held, bytes]) : bytes;
    return this.emit(view, this.pos - this.automaton.depth[this.state]!);
  }

  /** End of the stream: everything held back, masked where it matched. */
  end(): Buffer {
    const out = this.emit(this.held, this.pos);
    this.state = 0;
    return out;
  }

  private scan(chunk: Uint8Array): void {
    const { dense, classOf, classes, matchLen } = this.automaton;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const next = this.candidates(bytes);
    let state = this.state;
    const base = this.pos + 1;
    for (let i = 0; i < bytes.length; i++) {
      // In the start state, jump to the next place a match can begin (found by indexOf, at memchr speed).
      if (state === 0 && (i = next(i)) >= bytes.length) break;
      const cls = classOf[bytes[i]!]!;
      state = dense ? dense[state * classes + cls]! : this.automaton.step(state, cls);
      const len = matchLen[state]!;
      if (len) this.mark(base + i - len, base + i);
    }
    this.state = state;
    this.pos += bytes.length;
  }

  /**
   * For a chunk: the first position at or after `from` where a pattern's first bytes (its
   * needle) occur, or where the chunk ends with the start of a pattern cut off by the chunk's
   * end (the last NEEDLE-1 bytes are walked byte by byte). The chunk's length when none.
   */
  private candidates(bytes: Buffer): (from: number) => number {
    const { needles, startsPattern } = this.automaton;
    const at = needles.map(() => -1);
    const tail = Math.max(0, bytes.length - 3);
    return (from) => {
      let best = bytes.length;
      for (let k = 0; k < needles.length; k++) {
        if (at[k]! < from && at[k] !== bytes.length) {
          const found = bytes.indexOf(needles[k]!, from);
          at[k] = found === -1 ? bytes.length : found;
        }
        if (at[k]! < best) best = at[k]!;
      }
      for (let i = Math.max(from, tail); i < best; i++) if (startsPattern[bytes[i]!]) return i;
      return best;
    };
  }

  /** Adds the occurrence [start, end), merging it with pending intervals it overlaps. */
  private mark(start: number, end: number): void {
    const iv = this.intervals;
    let s = start;
    while (iv.length && iv[iv.length - 1]! > s) {
      s = Math.min(s, iv[iv.length - 2]!);
      iv.length -= 2;
    }
    iv.push(s, end);
  }

  /** Emits [emitted, safe) of `view` (which starts at `emitted`): final intervals as the mask, the rest raw. */
  private emit(view: Buffer, safe: number): Buffer {
    const origin = this.emitted;
    const parts: Buffer[] = [];
    const iv = this.intervals;
    let at = origin;
    let k = 0;
    // An interval ending at or before `safe` can no longer grow: later matches start at `safe` or after.
    for (; k < iv.length && iv[k + 1]! <= safe; k += 2) {
      if (iv[k]! > at) parts.push(view.subarray(at - origin, iv[k]! - origin));
      parts.push(this.replacement);
      at = iv[k + 1]!;
    }
    if (k) iv.splice(0, k);
    const limit = iv.length ? Math.min(safe, iv[0]!) : safe;
    if (limit > at) {
      parts.push(view.subarray(at - origin, limit - origin));
      at = limit;
    }
    // The held-back tail is copied so a large chunk is not kept alive by a small slice of it.
    this.held = at - origin < view.length ? Buffer.from(view.subarray(at - origin)) : EMPTY;
    this.emitted = at;
    return parts.length === 1 ? parts[0]! : parts.length ? Buffer.concat(parts) : EMPTY;
  }
}

/** A value every shape below leaves as it is. */
const PLAIN = /^[A-Za-z0-9_.-]*$/;

/** `c` as %XX (upper-case hex, as every encoder here writes it). */
const pct = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;

/** The inside of a JSON string holding `v` with every non-ASCII character escaped (Python's json.dumps, by default). */
function jsonAscii(v: string): string {
  return JSON.stringify(v).slice(1, -1).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The byte patterns to mask for `values`, with the shapes a program commonly
 * prints them in: JSON-escaped (as JavaScript writes it, and as Python's
 * json.dumps does by default, non-ASCII as \uXXXX) and URL-encoded (as
 * encodeURIComponent, Python's quote, quote(safe=""), quote_plus / urlencode
 * (what requests puts in a query string), and URLSearchParams write it).
 * Non-ASCII text also in its composed and decomposed forms (NFC, NFD): a stage that normalizes what it prints (Python's
 * unicodedata, a macOS file name) printed a value stored with "e" + U+0301 as "é", unmasked.
 * For a token of letters, digits, `-` and `_` these are all the value itself.
 */
export function maskPatterns(values: Iterable<string>): Uint8Array[] {
  const out = new Map<string, Uint8Array>();
  for (const value of values) {
    // Letters, digits, "_", "." and "-" (every catalog key) read the same in every shape: one pattern, no encoding work.
    if (PLAIN.test(value)) {
      out.set(value, Buffer.from(value, 'utf8'));
      continue;
    }
    for (const v of new Set([value, value.normalize('NFC'), value.normalize('NFD')])) addForms(out, v);
  }
  return [...out.values()];
}

/** The shapes of `v` (see {@link maskPatterns}) added to `out`. */
function addForms(out: Map<string, Uint8Array>, v: string): void {
  const uri = encodeURIComponent(v); // keeps letters, digits and -_.!~*'()
  const quoted = uri.replace(/[!'()*]/g, pct); // Python's quote(v, safe=""): keeps letters, digits and _.-~
  const forms = [
    v,
    JSON.stringify(v).slice(1, -1),
    jsonAscii(v),
    uri,
    quoted,
    quoted.replace(/%2F/g, '/'), // quote(v): "/" is safe by default
    quoted.replace(/%20/g, '+'), // quote_plus(v), urlencode
    uri.replace(/[!'()~]/g, pct).replace(/%20/g, '+'), // URLSearchParams: keeps letters, digits and *-._
  ];
  for (const form of forms) out.set(form, Buffer.from(form, 'utf8'));
}

/** What a stream is masked for: the values, or how to get them (asked at the stream's first byte, once). */
export type MaskValues = Iterable<string> | (() => Promise<Iterable<string>>);

/**
 * A Transform stream that masks `values` (see {@link StreamMasker}). Its
 * automaton is built at the first byte, after `onFirstByte` (which may set
 * up where the output goes): a stage that prints nothing on a stream (most
 * print nothing on one of the two) never pays for either. `values` given as
 * a function is asked then too, the first byte and those after it held
 * (backpressure) until it answers.
 */
export function maskingStream(values: MaskValues, onFirstByte?: () => void): Transform {
  let masker: StreamMasker | undefined;
  const pass = (chunk: Buffer, done: TransformCallback) => {
    const out = masker!.push(chunk);
    done(null, out.length ? out : undefined);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (masker) return pass(chunk, done);
      const start = (patterns: Iterable<string>) => {
        onFirstByte?.();
        masker = new StreamMasker(buildAutomaton(maskPatterns(patterns)));
        pass(chunk, done);
      };
      if (typeof values !== 'function') return start(values);
      // A throw in `start` (outside the stream's own call now) is the stream's error, never an unhandled rejection.
      const startOrFail = (patterns: Iterable<string>) => {
        try {
          start(patterns);
        } catch (err) {
          done(err as Error);
        }
      };
      values().then(startOrFail, (err: Error) => done(err));
    },
    flush(done) {
      const out = masker?.end() ?? EMPTY;
      done(null, out.length ? out : undefined);
    },
  });
}
