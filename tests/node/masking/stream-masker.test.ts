import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAutomaton } from '../../../shared/node/masking/automaton';
import { MASK, StreamMasker, maskPatterns, maskingStream } from '../../../shared/node/masking/stream-masker';

/** The specification, written the slow obvious way: every occurrence of every pattern, overlapping runs merged, each run replaced once. */
function reference(input: Buffer, patterns: Buffer[]): Buffer {
  const hits: Array<[number, number]> = [];
  for (const p of patterns) {
    if (!p.length) continue;
    for (let i = input.indexOf(p); i !== -1; i = input.indexOf(p, i + 1)) hits.push([i, i + p.length]);
  }
  hits.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [s, e] of hits) {
    const last = merged[merged.length - 1];
    if (last && s < last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  const parts: Buffer[] = [];
  let at = 0;
  for (const [s, e] of merged) {
    parts.push(input.subarray(at, s), MASK);
    at = e;
  }
  parts.push(input.subarray(at));
  return Buffer.concat(parts);
}

/** Feeds `input` in pieces cut at `cuts`, collecting what the masker emits. */
function streamed(input: Buffer, patterns: Buffer[], cuts: number[], dense = true): { out: Buffer; pieces: Buffer[] } {
  const automaton = buildAutomaton(patterns);
  const m = new StreamMasker(dense ? automaton : { ...automaton, dense: null });
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let at = 0;
  for (const p of [...points, input.length]) {
    pieces.push(m.push(input.subarray(at, p)));
    at = p;
  }
  pieces.push(m.end());
  return { out: Buffer.concat(pieces), pieces };
}

// Small alphabets make overlaps, prefixes of one pattern inside another and near-misses frequent.
const smallBytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max }).map((a) => Buffer.from(a.map((b) => 97 + (b % 3))));
const patternSet = fc.array(smallBytes(6).filter((p) => p.length > 0), { minLength: 1, maxLength: 5 });

describe('StreamMasker', () => {
  it('equals the reference for any patterns, input and chunking (dense table)', () => {
    fc.assert(fc.property(patternSet, smallBytes(80), fc.array(fc.nat(), { maxLength: 12 }), (patterns, input, cuts) => {
      expect(streamed(input, patterns, cuts).out.equals(reference(input, patterns))).toBe(true);
    }), { numRuns: 2000 });
  });

  it('equals the reference when walking failure links (the large-automaton path)', () => {
    fc.assert(fc.property(patternSet, smallBytes(80), fc.array(fc.nat(), { maxLength: 12 }), (patterns, input, cuts) => {
      expect(streamed(input, patterns, cuts, false).out.equals(reference(input, patterns))).toBe(true);
    }), { numRuns: 500 });
  });

  it('any bytes at all (binary) pass through unchanged apart from the matches', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 8 }).map(Buffer.from), { minLength: 1, maxLength: 4 }), fc.uint8Array({ maxLength: 300 }).map(Buffer.from), fc.array(fc.nat(), { maxLength: 8 }), (patterns, input, cuts) => {
      expect(streamed(input, patterns, cuts).out.equals(reference(input, patterns))).toBe(true);
    }), { numRuns: 1000 });
  });

  it('a token written in pieces, one byte at a time, leaves zero occurrences', () => {
    const token = Buffer.from(`hf_${'Ab1'.repeat(12)}`);
    const input = Buffer.concat([Buffer.from('token='), token, Buffer.from('\npartial hf_Ab1Ab\n'), token, token]);
    const { out } = streamed(input, [token], Array.from({ length: input.length }, (_, i) => i));
    expect(out.toString()).toBe('token=****\npartial hf_Ab1Ab\n********');
    expect(out.includes(token)).toBe(false);
  });

  it('holds back only a possible start of a value, and nothing after a line ends', () => {
    const m = new StreamMasker(buildAutomaton([Buffer.from('sk-secret-value')]));
    expect(m.push(Buffer.from('progress 10%\rprogress 20%\r')).toString()).toBe('progress 10%\rprogress 20%\r');
    expect(m.push(Buffer.from('key: sk-sec')).toString()).toBe('key: ');
    expect(m.push(Buffer.from('ond\n')).toString()).toBe('sk-second\n');
    expect(m.push(Buffer.from('x sk-secret-')).toString()).toBe('x ');
    expect(m.push(Buffer.from('value!')).toString()).toBe('****!');
    expect(m.push(Buffer.from('tail sk')).toString()).toBe('tail ');
    expect(m.end().toString()).toBe('sk');
  });

  it('maskPatterns adds the JSON-escaped and URL-encoded forms of a value', () => {
    const forms = maskPatterns(['a/b"c']).map((p) => Buffer.from(p).toString());
    // Python's quote keeps the "/" (its default safe character); encodeURIComponent and the others encode it.
    expect(forms).toEqual(['a/b"c', 'a/b\\"c', 'a%2Fb%22c', 'a/b%22c']);
    // A space and non-ASCII letters: Python's json.dumps (\\u escapes), quote_plus / urlencode (+), URLSearchParams (+, ~ encoded).
    // Then the same of its decomposed form (NFD: e + U+0301).
    expect(maskPatterns(['é ~']).map((p) => Buffer.from(p).toString())).toEqual(['é ~', '\\u00e9 ~', '%C3%A9%20~', '%C3%A9+~', '%C3%A9+%7E', 'e\u0301 ~', 'e\\u0301 ~', 'e%CC%81%20~', 'e%CC%81+~', 'e%CC%81+%7E']);
  });

  it('maskPatterns masks non-ASCII text in its composed and decomposed forms too (NFC, NFD)', () => {
    // A value stored with "e" + U+0301 came out unmasked from a stage that printed it normalized (NFC "é").
    const nfd = 'cle\u0301-字-\u1100\u1161';
    const masker = new StreamMasker(buildAutomaton(maskPatterns([nfd])));
    const printed = Buffer.from(`a ${nfd} b ${nfd.normalize('NFC')} c ${JSON.stringify(nfd.normalize('NFC'))}\n`);
    expect(Buffer.concat([masker.push(printed), masker.end()]).toString()).toBe('a **** b **** c "****"\n');
    expect(maskPatterns(['sk-plain_1.2']).length).toBe(1);
  });

  it('as a Transform stream: 4 MiB in odd chunk sizes, every occurrence masked, length otherwise kept', async () => {
    const token = 'sk-ant-abcdefghijklmnopqrstuvwxyz012345';
    const line = Buffer.from(`some log line ${token} and more text\n`);
    const input = Buffer.concat(Array.from({ length: Math.ceil((4 * 1024 * 1024) / line.length) }, () => line));
    const stream = maskingStream([token]);
    const out: Buffer[] = [];
    stream.on('data', (c: Buffer) => out.push(c));
    const done = new Promise((r) => stream.on('end', r));
    for (let at = 0, size = 1; at < input.length; at += size, size = (size * 7 + 3) % 65521 + 1) stream.write(input.subarray(at, at + size));
    stream.end();
    await done;
    const result = Buffer.concat(out);
    expect(result.includes(Buffer.from(token))).toBe(false);
    expect(result.length).toBe(input.length - (token.length - 4) * (input.length / line.length));
  });

  // exec asks the stored secrets of the vault only once a stage writes to a masked stream (exec.ts).
  it('values given as a function: asked once, at the first byte, never for an empty stream; what waited is masked', async () => {
    const token = 'sk-ant-abcdefghijklmnopqrstuvwxyz012345';
    let asked = 0;
    let answer!: (v: string[]) => void;
    const values = () => ((asked += 1), new Promise<string[]>((r) => (answer = r)));
    const silent = maskingStream(values);
    silent.resume();
    silent.end();
    await new Promise((r) => silent.on('end', r));
    expect(asked).toBe(0);
    const stream = maskingStream(values);
    const out: Buffer[] = [];
    stream.on('data', (c: Buffer) => out.push(c));
    const ended = new Promise((r) => stream.on('end', r));
    stream.write(`first ${token.slice(0, 10)}`);
    stream.write(`${token.slice(10)} then\n`);
    stream.end(`last ${token}\n`);
    await new Promise((r) => setImmediate(r));
    expect([asked, out.length]).toEqual([1, 0]);
    answer([token]);
    await ended;
    expect(Buffer.concat(out).toString()).toBe('first **** then\nlast ****\n');
  });

  it('values that fail, or a first byte whose set-up throws once they are in: the stream\'s error, never an unhandled rejection', async () => {
    const failing = maskingStream(() => Promise.reject(new Error('keychain gone')));
    const failed = new Promise<Error>((r) => failing.on('error', r));
    failing.end('x');
    expect((await failed).message).toBe('keychain gone');
    const throwing = maskingStream(async () => ['abcd'], () => {
      throw new Error('no destination');
    });
    const thrown = new Promise<Error>((r) => throwing.on('error', r));
    throwing.end('x');
    expect((await thrown).message).toBe('no destination');
  });
});
