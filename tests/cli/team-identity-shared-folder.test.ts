// A plain `team identity` looks up the team file of the working folder (a courtesy: "you are already a member ...
// pull"). In a folder other users can write (mode 1777, like /tmp), the cpw-team.age there may be one another user
// planted, encrypted to the user's public key (which is public) under their name: it must not be read as the user's
// team, nor sent them to pull its keys. What `team identity` says and does is otherwise unchanged (exit 0, the key).
import { chmodSync, chownSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { NOBODY } from '../helpers/planted';
import { makeTempHome } from '../helpers/temp';

describe.runIf(process.getuid?.() === 0)('team identity in a folder other users can write', () => {
  it('does not call a team file another user put there the user\'s team, nor send them to pull it', async () => {
    const t = makeTempHome();
    const recipient = (await cli(t, ['team', 'identity'])).stdout.trim();
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: '0123456789abcdef0123456789abcdef' })).code).toBe(0);
    expect((await cli(t, ['team', 'init', '--name', 'alice', '--add', 'tmdb.api_key'])).code).toBe(0);
    // Another user's copy of a team file naming the user as member, in a sticky folder everyone can write.
    const shared = join(t.root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    copyFileSync(join(t.cwd, 'cpw-team.age'), join(shared, 'cpw-team.age'));
    chownSync(join(shared, 'cpw-team.age'), NOBODY, NOBODY);

    const there = await cli({ ...t, cwd: shared }, ['team', 'identity']);
    expect([there.code, there.stdout.trim()]).toEqual([0, recipient]);
    expect(there.stderr).not.toContain('already a member');
    expect(there.stderr).toContain(`Send the age1... line to a member, who runs: cpw-vault team add <you> ${recipient}`);

    // The user's own team file there (others cannot replace it: the sticky bit) is still looked up.
    chownSync(join(shared, 'cpw-team.age'), 0, 0);
    const own = await cli({ ...t, cwd: shared }, ['team', 'identity']);
    expect(own.stderr).toContain(`You are already a member of ${join(shared, 'cpw-team.age')} (as alice): nothing to send; take its keys with: cpw-vault team pull\n`);
  }, 60_000);
});
