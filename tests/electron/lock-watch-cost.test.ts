// What main's lock watch costs while the window is open: every check reads the system's table of Unix sockets
// (/proc/net/unix), a read that holds main's event loop (8 ms for 5,000 sockets, 34 ms for 19,000, measured). A check
// read it once per socket path and twice more to pick the folder: ~4 reads every 5 s for a profile reached through a
// linked folder (two socket names, as spelled and as it really is).
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { LOCK_RECHECK_MS, watchVaultLock } from '../../electron/main/lock-watch';
import { makeTempHome } from '../helpers/temp';

const reads = vi.hoisted(() => ({ table: 0 }));
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  const readFileSync = ((path: unknown, ...rest: unknown[]) => {
    if (path === '/proc/net/unix') reads.table++;
    return (fs.readFileSync as (...a: unknown[]) => unknown)(path, ...rest);
  }) as typeof fs.readFileSync;
  return { ...fs, default: { ...fs, readFileSync }, readFileSync };
});

afterEach(() => void vi.useRealTimers());

it.each([
  ['in a folder of its own', false],
  ['reached through a linked folder', true],
])('a periodic check reads the socket table once, for a profile %s', (_where, linked) => {
  const t = makeTempHome();
  const real = join(t.root, 'real');
  mkdirSync(real);
  if (linked) symlinkSync(real, join(t.root, 'link'));
  const profilePath = join(t.root, linked ? 'link' : 'real', 'user.profile');
  const runtime = join(t.root, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
  const stop = watchVaultLock({ vault: { profilePath }, env: { XDG_RUNTIME_DIR: runtime } }, () => {});
  try {
    reads.table = 0;
    vi.advanceTimersByTime(LOCK_RECHECK_MS);
    expect(reads.table).toBe(1);
    vi.advanceTimersByTime(LOCK_RECHECK_MS * 3);
    expect(reads.table).toBe(4);
  } finally {
    stop();
  }
});
