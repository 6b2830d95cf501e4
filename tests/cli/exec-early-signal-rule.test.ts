import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { forwardSignals } from '../../shared/cli/commands/exec-stage';
import type { CliContext } from '../../shared/cli/context';
import type { Forward, StageSignals } from '../../shared/node/exec/stage-signals';

/**
 * exec's rule for an ending signal it passed on as its stage was being started (it may have come before the fork):
 * a stage alive at exec's look in /proc may already be on its way out (`touch` takes a millisecond) and never get it.
 * On a loaded machine exec then exited 0 for a SIGTERM sent before its stage could act (exec-edges, 1 CI run in 5).
 * Driven here without the race: the forwarder is called as StageSignals calls it, the stage's end given as it came.
 */
function harness() {
  const ended: Array<{ unheard: NodeJS.Signals | undefined; waitsForHeld: boolean }> = [];
  let forward: Forward | undefined;
  const signals = {
    stageStarts: (f: Forward) => void (forward = f),
    stageEnded: (_lastly?: () => void, unheard?: NodeJS.Signals, held?: () => Promise<unknown> | undefined) => void ended.push({ unheard, waitsForHeld: held !== undefined }),
  } as unknown as StageSignals;
  const ctx = { io: { stdinIsTTY: false } } as unknown as CliContext;
  const child: ChildProcess = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  const forwarding = forwardSignals(signals, ctx, () => child);
  return { forward: forward!, forwarding, ended, child };
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

const held = () => Promise.resolve();

describe('a signal passed on as the stage starts', () => {
  // SIGALRM too: `timeout -s ALRM`'s (or a supervisor's) way to end a run, as SIGTERM is `timeout`'s. exec exited 0 for
  // one that came before its stage could act.
  it.each(['SIGTERM', 'SIGALRM'] as const)('ends exec by it (%s) when the stage then ends with success (it never acted on it), once its output is written', async (signal) => {
    const h = harness();
    h.forward(signal, true);
    await once(h.child, 'exit'); // the stand-in stage got it; the real one, on its way out, did not
    // Returned for exec to end by after the output (exec-early-signal-output.test.ts), not one that ends it at once.
    expect(h.forwarding.stop(undefined, held, { code: 0, died: null })).toBe(signal);
    // Passed on, it counts as one the stage got: a second signal is the user's second ask and waits for nothing held
    // (exec-signal-after-exit.test.ts); exec's own end by the first waits for the drain.
    expect(h.ended).toEqual([{ unheard: undefined, waitsForHeld: false }]);
  });

  it.each([
    ['its trap ended it with 42', { code: 42, died: null }],
    ['it died of the signal', { code: null, died: 'SIGTERM' as NodeJS.Signals }],
  ])('is reported as the stage ended when %s', async (_what, end) => {
    const h = harness();
    h.forward('SIGTERM', true);
    await once(h.child, 'exit');
    expect(h.forwarding.stop(undefined, held, end)).toBeUndefined();
    expect(h.ended).toEqual([{ unheard: undefined, waitsForHeld: false }]);
  });

  it('a signal passed on later, the stage then ending with success, leaves the success', async () => {
    const h = harness();
    h.forward('SIGTERM', false);
    await once(h.child, 'exit');
    expect(h.forwarding.stop(undefined, held, { code: 0, died: null })).toBeUndefined();
    expect(h.ended).toEqual([{ unheard: undefined, waitsForHeld: false }]);
  });

  // A request, not an end: dd prints its progress on SIGUSR1; node --heapsnapshot-signal=SIGUSR2 writes a snapshot,
  // gunicorn and PHP-FPM reload on SIGUSR2, and run on.
  it.each(['SIGUSR1', 'SIGUSR2'] as const)('a %s passed on as it starts, the stage then ending with success, leaves the success', async (signal) => {
    const h = harness();
    h.forward(signal, true);
    expect(h.forwarding.stop(undefined, held, { code: 0, died: null })).toBeUndefined();
    expect(h.ended).toEqual([{ unheard: undefined, waitsForHeld: true }]);
  });
});
