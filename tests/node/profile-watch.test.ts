import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { watchProfile } from '../../shared/node/profile/watch';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const waitFor = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
};

describe('watching the profile for changes made elsewhere', () => {
  it('fires when the CLI edits the profile (an atomic rename), once per change', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=First']);
    let changes = 0;
    const stop = watchProfile(t.profile, () => changes++);
    await cli(t, ['profile', 'set', 'name=Second']);
    expect(await waitFor(() => changes === 1)).toBe(true);
    await cli(t, ['profile', 'prefs', 'set', 'ai_provider=anthropic']);
    expect(await waitFor(() => changes === 2)).toBe(true);
    stop();
    await cli(t, ['profile', 'set', 'name=Third']);
    await new Promise((r) => setTimeout(r, 400));
    expect(changes).toBe(2);
  });

  it('a first run: the folder made after the watch started (onboarding) is found and watched from then on', async () => {
    const t = makeTempHome();
    let changes = 0;
    const stop = watchProfile(t.profile, () => changes++);
    try {
      await cli(t, ['profile', 'set', 'name=First']);
      expect(await waitFor(() => changes === 1, 10_000)).toBe(true);
      await cli(t, ['profile', 'set', 'name=Second']);
      expect(await waitFor(() => changes === 2, 10_000)).toBe(true);
    } finally {
      stop();
    }
  });

  it('a profile that cannot be looked at (a file where its folder should be: ENOTDIR) starts no exception in main', () => {
    const t = makeTempHome();
    writeFileSync(dirname(t.profile), 'not a folder');
    let stop: (() => void) | undefined;
    expect(() => (stop = watchProfile(t.profile, () => {}))).not.toThrow();
    stop?.();
  });
});
