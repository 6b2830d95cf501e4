// For the fixtures that lock the Secret Service collection behind a long-lived store's back (locked-since*.child.ts,
// kpx-locked-since.child.ts): the provider asked through gdbus, as Seahorse or `secret-tool lock` would, and what a
// store's call said (its value, or its error's code, message and fix), with how long it took.
import { spawnSync } from 'node:child_process';

/** A Secret Service method called through gdbus on the session bus; its stdout. */
export const gdbus = (path: string, method: string, ...args: string[]): string =>
  spawnSync('gdbus', ['call', '--session', '--dest', 'org.freedesktop.secrets', '--object-path', path, '--method', method, ...args], { encoding: 'utf8', timeout: 20_000 }).stdout ?? '';

/** Whether the default collection is locked now. */
export const collectionLocked = (): boolean => gdbus('/org/freedesktop/secrets/aliases/default', 'org.freedesktop.DBus.Properties.Get', 'org.freedesktop.Secret.Collection', 'Locked').includes('true');

/** Locks the default collection (Service.Lock). */
export const lockCollection = (): string => gdbus('/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', "['/org/freedesktop/secrets/aliases/default']");

/** What `read` said: its value, or its error's code, message and fix; and how long it took. */
export async function said(read: () => Promise<unknown>): Promise<{ value?: unknown; code?: string; message?: string; fix?: string; ms: number }> {
  const t0 = Date.now();
  try {
    return { value: await read(), ms: Date.now() - t0 };
  } catch (err) {
    const e = err as { code?: string; message: string; fix?: string };
    return { code: e.code, message: e.message, fix: e.fix, ms: Date.now() - t0 };
  }
}
