// `team remove bob` lists the keys bob has seen, and rotate-reminder keeps listing each "until it has a new value
// pushed". A value changed since the last version was taken for a new one: alice's `team push` of the value her vault
// held all along (the one bob pulled before he changed it) cleared the reminder, "Nothing to rotate", while bob's vault
// still holds that very value. A pushed value counts as rotated only when it was stored in the pusher's vault after
// the removal (set, or pulled from a member who rotated it).
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const T0 = '0123456789abcdef0123456789abcdef';
const T1 = '7723456789abcdef0123456789abcdef';
const T2 = '5523456789abcdef0123456789abcdef';

describe('team rotate-reminder after a member is removed', () => {
  it('a push of a value stored before the removal (one bob saw) keeps the reminder; a value set after it clears it', async () => {
    const alice = makeTempHome();
    const bob = { ...makeTempHome(), cwd: alice.cwd }; // one repository folder, two users' vaults
    expect((await cli(alice, ['set', 'tmdb', 'api_key'], { input: T0 })).code).toBe(0);
    expect((await cli(alice, ['team', 'init', '--name', 'alice', '--add', 'tmdb.api_key'])).code).toBe(0);
    const bobKey = (await cli(bob, ['team', 'identity'])).stdout.trim();
    expect((await cli(alice, ['team', 'add', 'bob', bobKey])).code).toBe(0);
    expect((await cli(bob, ['team', 'pull', '--yes'])).code).toBe(0); // bob holds T0
    expect((await cli(bob, ['set', 'tmdb', 'api_key'], { input: T1 })).code).toBe(0);
    expect((await cli(bob, ['team', 'push'])).code).toBe(0);
    expect((await cli(alice, ['team', 'remove', 'bob'])).code).toBe(0);

    const stale = await cli(alice, ['team', 'push']); // alice's vault still holds T0, which bob pulled
    expect(stale.code, stale.stderr).toBe(0);
    expect(stale.stderr).toContain('Pushed tmdb.api_key');
    expect(stale.stderr).toContain('tmdb.api_key is still to rotate');
    const kept = JSON.parse((await cli(alice, ['team', 'rotate-reminder', '--json'])).stdout) as { rotate: { name: string; ids: string[] }[] };
    expect(kept.rotate).toEqual([expect.objectContaining({ name: 'bob', ids: ['tmdb.api_key'] })]);

    expect((await cli(alice, ['set', 'tmdb', 'api_key'], { input: T2 })).code).toBe(0);
    const rotated = await cli(alice, ['team', 'push']);
    expect(rotated.stderr).not.toContain('still to rotate');
    expect((await cli(alice, ['team', 'rotate-reminder'])).stderr).toContain('Nothing to rotate');
  });
});
