import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

  // The watch was on the folder as it was: once removed (or moved away) and made again, nothing in the new one was
  // reported while the app stayed open (a profile folder restored from a backup, the unlock agent's socket folder
  // cleaned away and made again by the next unlock: the window kept showing the vault locked).
  it.each([
    ['removed', (dir: string) => rmSync(dir, { recursive: true })],
    ['moved away', (dir: string) => renameSync(dir, `${dir}.old`)],
  ])('a folder %s and made again is watched again: a file written in the new one is reported', async (_how, away) => {
    const t = makeTempHome();
    const dir = join(t.root, 'watched');
    const file = join(dir, 'runs.jsonl');
    mkdirSync(dir);
    writeFileSync(file, 'first\n');
    let changes = 0;
    const stop = watchProfile(file, () => changes++);
    try {
      away(dir);
      expect(await waitFor(() => changes === 1)).toBe(true);
      mkdirSync(dir);
      // The new folder looked for, as a folder not there yet is: given that time before the write.
      await new Promise((r) => setTimeout(r, 1_500));
      writeFileSync(file, 'second\n');
      expect(await waitFor(() => changes === 2)).toBe(true);
      writeFileSync(file, 'second\nthird\n');
      expect(await waitFor(() => changes === 3)).toBe(true);
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
