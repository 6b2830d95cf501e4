// A signal that reaches exec as its stage is being forked is passed on to the stage (it may have been sent before the
// fork: exec's own to die of). On a loaded CI machine a stage that is done in a millisecond (`touch`) was alive at
// exec's look in /proc, then exited 0 without it: exec exited 0 instead of ending by the signal. forwardSignals now
// ends exec by such a signal when the stage did not die of it. (exec-edges.test.ts holds the fork with strace; this
// one drives forwardSignals itself, so the stage's timing is no longer luck.)
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { forwardSignals } from '../../shared/cli/commands/exec-stage';
import type { CliContext } from '../../shared/cli/context';
import type { Forward, StageSignals } from '../../shared/node/exec/stage-signals';

/** forwardSignals over a stage that is alive (this very process, as far as /proc goes), and what it handed StageSignals. */
function forwarding() {
  let forward: Forward | undefined;
  let ended: { unheard: NodeJS.Signals | undefined; held: unknown } | undefined;
  const sent: NodeJS.Signals[] = [];
  const signals = {
    stageStarts: (f: Forward) => (forward = f),
    stageEnded: (_lastly: unknown, unheard: NodeJS.Signals | undefined, held: unknown) => (ended = { unheard, held }),
  } as unknown as StageSignals;
  const child = { exitCode: null, signalCode: null, pid: process.pid, kill: (s: NodeJS.Signals) => sent.push(s) } as unknown as ChildProcess;
  const ctx = { io: { stdinIsTTY: false } } as unknown as CliContext;
  const { stop } = forwardSignals(signals, ctx, () => child);
  return { forward: forward!, stop, sent, ended: () => ended };
}

describe('exec: a signal passed on as the stage was being started', () => {
  it('ends exec by it when the stage then exits without dying of it (it was on its way out), not when it died of it', () => {
    const exitedZero = forwarding();
    exitedZero.forward('SIGTERM', true);
    exitedZero.stop(undefined, () => Promise.resolve(), null);
    expect([exitedZero.sent, exitedZero.ended()?.unheard]).toEqual([['SIGTERM'], 'SIGTERM']);

    const diedOfIt = forwarding();
    diedOfIt.forward('SIGTERM', true);
    diedOfIt.stop(undefined, undefined, 'SIGTERM');
    expect(diedOfIt.ended()?.unheard).toBeUndefined();
  });

  it('a signal the stage got once it ran (not just started) leaves its exit to the stage, as before', () => {
    const running = forwarding();
    running.forward('SIGTERM', false);
    running.stop(undefined, undefined, null);
    expect([running.sent, running.ended()?.unheard]).toEqual([['SIGTERM'], undefined]);
  });
});
