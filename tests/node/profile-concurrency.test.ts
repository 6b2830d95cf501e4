import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProfileStore } from '../../shared/node/profile/store';
import { withFileLock } from '../../shared/node/profile/file-lock';
import { runFixture } from '../helpers/children';
import { makeTempHome } from '../helpers/temp';

describe('cross-process lock', () => {
  it('10 processes x 50 read-modify-write updates: all 500 are present', async () => {
    const t = makeTempHome();
    const results = await Promise.all(Array.from({ length: 10 }, (_, w) => runFixture('profile-updater', [t.profile, String(w), '50'])));
    for (const r of results) expect(r.stderr).toBe('');
    expect(results.map((r) => r.code)).toEqual(Array(10).fill(0));
    const prefs = new ProfileStore({ profilePath: t.profile, warn: () => {} }).read().profile.preferences;
    const keys = Object.keys(prefs).filter((k) => /^w\d+_\d+$/.test(k));
    expect(keys).toHaveLength(500);
  });

  it('gives up after the bounded wait with a clear PROFILE_LOCKED error', async () => {
    const t = makeTempHome();
    mkdirSync(dirname(t.profile), { recursive: true });
    // Another holder: started beside this test's call chain, not around it (inside its own chain the lock is re-entrant).
    let release!: () => void;
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    const holder = withFileLock(t.profile, () => (held(), new Promise<void>((r) => (release = r))));
    await holding;
    const store = new ProfileStore({ profilePath: t.profile, lockWaitMs: 300, warn: () => {} });
    const started = Date.now();
    await expect(store.update((p) => p)).rejects.toMatchObject({ code: 'PROFILE_LOCKED', fix: expect.stringContaining('.lock') });
    expect(Date.now() - started).toBeLessThan(5000);
    release();
    await holder;
  });

  it('is re-entrant within one call chain: a secret store that writes under the profile lock can be called from a profile update', async () => {
    const t = makeTempHome();
    mkdirSync(dirname(t.profile), { recursive: true });
    const store = new ProfileStore({ profilePath: t.profile, lockWaitMs: 300, warn: () => {} });
    let inner = false;
    await store.update(async (p) => {
      await withFileLock(t.profile, async (lock) => {
        lock.assertHeld();
        inner = true;
      }, 300);
      return p;
    });
    expect(inner).toBe(true);
  });

  it('a lock lost while held aborts the write instead of crashing the process', async () => {
    const t = makeTempHome();
    const store = new ProfileStore({ profilePath: t.profile, warn: () => {} });
    await store.update((p) => p);
    await expect(
      store.update(async (p) => {
        // Someone removes the lock folder under us; proper-lockfile notices on its next refresh.
        rmSync(`${t.profile}.lock`, { recursive: true, force: true });
        await new Promise((r) => setTimeout(r, 3500));
        return { ...p, user: { ...p.user, name: 'late' } };
      }),
    ).rejects.toMatchObject({ code: 'PROFILE_LOCKED' });
    expect(store.read().profile.user.name).toBe('');
  });
});
