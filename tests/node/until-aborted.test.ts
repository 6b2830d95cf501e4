// untilAborted: the work's outcome, or CANCELLED once the signal aborts. With the signal aborted before the call, the
// work was never watched: when it failed later (a keychain read timing out after the Ctrl-C), Node saw an unhandled
// rejection, which ends the process with a stack trace instead of the command's "cancelled".
import { describe, expect, it } from 'vitest';
import { untilAborted } from '../../shared/node/until-aborted';

/** Collects the unhandled rejections Node reports while `fn` runs, and a little after. */
async function unhandledDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => void seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await fn();
    // Node reports unhandled rejections after the microtask queue drains: two turns of the loop are past that.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}

describe('untilAborted', () => {
  it('a signal aborted before the call: CANCELLED at once, and the work failing later is no unhandled rejection', async () => {
    const controller = new AbortController();
    controller.abort('SIGINT');
    let fail!: (err: Error) => void;
    const work = new Promise<string>((_, reject) => (fail = reject));
    const seen = await unhandledDuring(async () => {
      await expect(untilAborted(work, controller.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
      fail(new Error('KEYCHAIN_TIMEOUT after the Ctrl-C'));
    });
    expect(seen).toEqual([]);
  });

  it('an abort during the work: CANCELLED; the work failing after it is no unhandled rejection either', async () => {
    const controller = new AbortController();
    let fail!: (err: Error) => void;
    const work = new Promise<string>((_, reject) => (fail = reject));
    const seen = await unhandledDuring(async () => {
      const raced = untilAborted(work, controller.signal);
      controller.abort('SIGTERM');
      await expect(raced).rejects.toMatchObject({ code: 'CANCELLED' });
      fail(new Error('late failure'));
    });
    expect(seen).toEqual([]);
  });

  it('no abort: the work\'s value or its error, as it is', async () => {
    const controller = new AbortController();
    await expect(untilAborted(Promise.resolve(7), controller.signal)).resolves.toBe(7);
    await expect(untilAborted(Promise.reject(new Error('its own')), controller.signal)).rejects.toThrow('its own');
    await expect(untilAborted(Promise.resolve(8), undefined)).resolves.toBe(8);
  });
});
