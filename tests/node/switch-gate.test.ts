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
});
