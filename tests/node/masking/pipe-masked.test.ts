// pipeMasked (shared/node/masking/pipe-masked.ts) builds its masker at the stream's first byte, never for a stream the
// stage left silent (issue: performance at pipeline scale, P2: ~1 ms of `exec -- true` was spent building it while the
// stage had ended already). From that first byte on, nothing is lost or reordered: the chunks already read behind it
// included, a value split across chunks masked.
import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { MASK } from '../../../shared/node/masking/stream-masker';

const built = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../../shared/node/masking/stream-masker', async (original) => {
  const real = await original<typeof import('../../../shared/node/masking/stream-masker')>();
  return { ...real, maskingStream: (...args: Parameters<typeof real.maskingStream>) => ((built.count += 1), real.maskingStream(...args)) };
});
const { pipeMasked } = await import('../../../shared/node/masking/pipe-masked');

const KEY = `sk-${'PipeMasked9'.repeat(4)}`;

/** A destination collecting what it is given. */
function sink() {
  const chunks: Buffer[] = [];
  const out = new Writable({ write: (c: Buffer, _e, done) => done(void chunks.push(c)) });
  return { out, text: () => Buffer.concat(chunks).toString() };
}

describe('pipeMasked', () => {
  it('builds nothing for a stream that ends silent (nor for one that fails first): no masker, no destination, no values asked', async () => {
    built.count = 0;
    const dest = vi.fn(() => sink().out);
    const values = vi.fn(async () => [KEY]);
    expect(await pipeMasked(Readable.from([]), dest, values)).toBeUndefined();
    const failing = new PassThrough();
    const done = pipeMasked(failing, dest, values);
    failing.destroy(Object.assign(new Error('gone'), { code: 'EIO' }));
    expect(await done).toBeUndefined();
    expect([built.count, dest.mock.calls.length, values.mock.calls.length]).toEqual([0, 0, 0]);
  });

  it('from the first byte on, every chunk in order (those read behind it too), the key masked across a chunk boundary', async () => {
    built.count = 0;
    const source = new PassThrough();
    const { out, text } = sink();
    const done = pipeMasked(source, () => out, async () => [KEY]);
    // Written before anything reads: the first 'data' finds the rest buffered behind it.
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} ${i === 1000 ? KEY.slice(0, 10) : ''}`);
    source.write(`${lines.slice(0, 1000).join('\n')}\n`);
    source.write(`${lines[1000]}`);
    source.write(`${KEY.slice(10)}\n${lines.slice(1001).join('\n')}\n`);
    source.end();
    expect(await done).toBeUndefined();
    const got = text();
    expect(got).not.toContain(KEY);
    expect(got).toContain(`line 1000 ${MASK.toString()}`);
    expect(got.split('\n').filter((l) => l.startsWith('line')).map((l) => Number(l.split(' ')[1]))).toEqual([...Array(2000).keys()]);
    expect(built.count).toBe(1);
  });
});
