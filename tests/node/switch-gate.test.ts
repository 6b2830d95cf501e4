import { describe, expect, it } from 'vitest';
import { SwitchGate } from '../../shared/node/vault/switch-gate';

describe('a backend switch and the calls of the same process', () => {
  it('a call held by a switch that outlasts the wait is refused as "a switch is under way", not run; after the switch, calls run', async () => {
    const gate = new SwitchGate(50);
    let end!: () => void;
    const switching = gate.exclusive(() => new Promise<void>((resolve) => (end = resolve)));
    let ran = false;
    const held = gate.run(async () => {
      ran = true;
    });
    await expect(held).rejects.toMatchObject({ code: 'BACKEND_SWITCHING', message: expect.stringContaining('is under way and has not finished') });
    expect(ran).toBe(false);
    end();
    await switching;
    expect(await gate.run(async () => 'read')).toBe('read');
  });

  it('a call that began before the switch counted itself in: the switch waits for it, and a call after the switch waits for the switch', async () => {
    const gate = new SwitchGate();
    const order: string[] = [];
    let finishRead!: () => void;
    const read = gate.run(() => new Promise<void>((resolve) => (finishRead = resolve)).then(() => void order.push('read')));
    const switched = gate.exclusive(async () => void order.push('switch'));
    const write = gate.run(async () => void order.push('write'));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    finishRead();
    await Promise.all([read, switched, write]);
    expect(order).toEqual(['read', 'switch', 'write']);
  });

  // The app's Lock pressed while a switch hangs: it locks at once, and again as the switch ends (the agent a switch to
  // the vault file starts), before the calls the switch held go on (an Unlock pressed after the Lock is not undone).
  it('what is queued during a switch runs once as it ends, done or failed, before the calls it held; nothing is queued without a switch', async () => {
    const gate = new SwitchGate();
    const order: string[] = [];
    const relock = async () => void order.push('relock');
    expect(gate.whenSwitchEnds(relock)).toBe(false);
    let fail!: (err: Error) => void;
    const switched = gate.exclusive(() => new Promise<void>((_, reject) => (fail = reject)).finally(() => void order.push('switch')));
    expect(gate.whenSwitchEnds(relock)).toBe(true);
    expect(gate.whenSwitchEnds(relock)).toBe(true);
    expect(gate.whenSwitchEnds(async () => { throw new Error('not ended'); })).toBe(true);
    const unlock = gate.run(async () => void order.push('unlock'));
    fail(new Error('the switch failed'));
    // The switch's own failure is its answer, not the queued one's.
    await expect(switched).rejects.toThrow('the switch failed');
    await unlock;
    expect(order).toEqual(['switch', 'relock', 'unlock']);
    expect(gate.whenSwitchEnds(relock)).toBe(false);
    await gate.exclusive(async () => void order.push('next switch'));
    expect(order).toEqual(['switch', 'relock', 'unlock', 'next switch']);
  });
});
