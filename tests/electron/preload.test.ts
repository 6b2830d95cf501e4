import { describe, expect, it, vi } from 'vitest';
import { CHANNELS, EVENTS } from '../../shared/core/ipc-contract';

const exposed: Record<string, unknown> = {};
const invoke = vi.fn(async (...args: unknown[]) => ({ ok: true, value: args }));
const listeners = new Map<string, (...a: unknown[]) => void>();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (name: string, api: unknown) => void (exposed[name] = api) },
  webUtils: { getPathForFile: (file: { name: string }) => `/dropped/${file.name}` },
  ipcRenderer: {
    invoke: (...args: unknown[]) => invoke(...args),
    on: (channel: string, fn: (...a: unknown[]) => void) => void listeners.set(channel, fn),
    removeListener: (channel: string) => void listeners.delete(channel),
  },
}));

describe('the preload', () => {
  it('exposes window.vault: one method per channel of the contract, the change event and the dropped-file path, nothing else', async () => {
    await import('../../electron/preload/index');
    expect(Object.keys(exposed)).toEqual(['vault']);
    const api = exposed['vault'] as Record<string, (...a: unknown[]) => unknown>;
    expect(Object.keys(api).sort()).toEqual([...Object.keys(CHANNELS), 'onProfileChanged', 'pathForFile'].sort());
    expect(api['pathForFile']!({ name: 'secrets.json' })).toBe('/dropped/secrets.json');
    for (const [method, channel] of Object.entries(CHANNELS)) {
      invoke.mockClear();
      await api[method]!({ probe: method });
      expect(invoke.mock.calls[0]![0]).toBe(channel);
    }
  });

  it('forwards the profile-change event and unsubscribes', async () => {
    await import('../../electron/preload/index');
    const api = exposed['vault'] as { onProfileChanged: (fn: () => void) => () => void };
    const seen = vi.fn();
    const off = api.onProfileChanged(seen);
    listeners.get(EVENTS.profileChanged)!({});
    expect(seen).toHaveBeenCalledTimes(1);
    off();
    expect(listeners.has(EVENTS.profileChanged)).toBe(false);
  });
});
