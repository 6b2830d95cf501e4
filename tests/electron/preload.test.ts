import { describe, expect, it, vi } from 'vitest';
import { CHANNELS, EVENTS } from '../../shared/core/ipc-contract';

const exposed: Record<string, unknown> = {};
const invoke = vi.fn(async (...args: unknown[]) => ({ ok: true, value: args }));
const listeners = new Map<string, (...a: unknown[]) => void>();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (name: string, api: unknown) => void (exposed[name] = api) },
  webUtils: { getPathForFile: (file: { name: string }) => (file.name === 'made-by-the-page' ? '' : `/dropped/${file.name}`) },
  ipcRenderer: {
    invoke: (...args: unknown[]) => invoke(...args),
    on: (channel: string, fn: (...a: unknown[]) => void) => void listeners.set(channel, fn),
    removeListener: (channel: string) => void listeners.delete(channel),
  },
}));

type Bridge = Record<string, (...a: unknown[]) => unknown> & { on: (event: string, fn: (p: unknown) => void) => () => void };

describe('the preload', () => {
  it('exposes window.vault: one method per channel of the contract and event subscriptions, nothing else (no path resolver)', async () => {
    await import('../../electron/preload/index');
    expect(Object.keys(exposed)).toEqual(['vault']);
    const api = exposed['vault'] as Bridge;
    expect(Object.keys(api).sort()).toEqual([...Object.keys(CHANNELS), 'on'].sort());
    for (const [method, channel] of Object.entries(CHANNELS)) {
      invoke.mockClear();
      await api[method]!({ name: 'x', probe: method });
      expect(invoke.mock.calls[0]![0]).toBe(channel);
    }
  });

  it('a dropped File crosses as the path webUtils gives it (the page never sees it); a File the page made has none', async () => {
    await import('../../electron/preload/index');
    const api = exposed['vault'] as Bridge;
    invoke.mockClear();
    await api['migrationDrop']!({ name: 'secrets.json' });
    await api['migrationDrop']!({ name: 'made-by-the-page' });
    expect(invoke.mock.calls).toEqual([[CHANNELS.migrationDrop, '/dropped/secrets.json'], [CHANNELS.migrationDrop, '']]);
  });

  it('forwards each contract event with its payload, unsubscribes, and ignores names outside the contract', async () => {
    await import('../../electron/preload/index');
    const api = exposed['vault'] as Bridge;
    const seen = vi.fn();
    const off = api.on('clipboardCleared', seen);
    listeners.get(EVENTS.clipboardCleared)!({}, { cleared: true });
    expect(seen).toHaveBeenCalledWith({ cleared: true });
    off();
    expect(listeners.has(EVENTS.clipboardCleared)).toBe(false);
    const before = listeners.size;
    api.on('ipc-internal-channel', seen)();
    api.on('__proto__', seen)();
    expect(listeners.size).toBe(before);
  });
});
