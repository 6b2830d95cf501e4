// A team file is encrypted to its members' public keys, which are public by design: anyone can make a valid one
// naming the user, holding values of their choosing (their own token in place of the user's). In a folder other users
// can write, a team file the user did not put there (another user's in a sticky folder like /tmp; any file in a
// folder without the sticky bit, where anyone can replace it; another user's own checkout, or a file others can
// write) must not give the user values, nor be trusted.
import { appendFileSync, chmodSync, chownSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, keychainValues } from '../helpers/cli';
import { NOBODY } from '../helpers/planted';
import { makeTempHome, type TempHome } from '../helpers/temp';

const THEIRS = 'fedcbafedcbafedcbafedcbafedcba98';

describe.runIf(process.getuid?.() === 0)('team commands on a team file another user can write or replace', () => {
  let t: TempHome;
  let made: string;

  /** A copy of the other user's team file (and its recipients list) in a new folder of `mode` under the test root, owned by `uid`. */
  function placed(name: string, mode: number, uid: number): string {
    const dir = join(t.root, name);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, mode);
    for (const f of ['cpw-team.age', 'cpw-team.age.recipients']) {
      copyFileSync(join(made, f), join(dir, f));
      chownSync(join(dir, f), uid, uid);
    }
    return join(dir, 'cpw-team.age');
  }

  beforeAll(async () => {
    t = makeTempHome();
    const recipient = (await cli(t, ['team', 'identity'])).stdout.trim();
    // Another user makes a valid team file of their own values, naming the user as a member (their key is public).
    const other = makeTempHome();
    expect((await cli(other, ['set', 'tmdb', 'api_key'], { input: THEIRS })).code).toBe(0);
    expect((await cli(other, ['team', 'init', '--name', 'mallory', '--add', 'tmdb.api_key'])).code).toBe(0);
    expect((await cli(other, ['team', 'add', 'alice', recipient])).code).toBe(0);
    made = other.cwd;
  }, 60_000);

  for (const [what, mode] of [['a sticky folder everyone can write (1777)', 0o1777], ['a folder everyone can write without the sticky bit (0777)', 0o777]] as const) {
    it(`team pull, get --team and status refuse another user's team file in ${what}; the vault is unchanged`, async () => {
      const file = placed(`shared-${mode.toString(8)}`, mode, NOBODY);
      const before = await keychainValues(t);
      for (const args of [['team', 'pull', '--yes', '--file', file], ['team', 'pull', '--dry-run', '--file', file], ['get', '--team', file, 'tmdb', 'api_key'], ['team', 'status', '--file', file]]) {
        const r = await cli(t, args);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr, args.join(' ')).toContain(`[PROFILE_PERMISSIONS] Refusing the team file ${file}:`);
        expect(r.stderr).toContain(mode & 0o1000 ? 'it belongs to another user (uid 65534)' : 'can be written by other users and has no sticky bit (mode 0777)');
        expect(r.stderr).toContain('--file PATH');
        expect(r.stdout + r.stderr).not.toContain(THEIRS);
      }
      expect(await keychainValues(t)).toEqual(before);
      expect((await cli(t, ['get', 'tmdb', 'api_key'])).code).not.toBe(0);
    }, 60_000);
  }

  it('a folder of another user\'s above the file, in a sticky folder, is refused too (the file in it may be anyone\'s)', async () => {
    const file = placed(join('sticky', 'theirs'), 0o755, 0);
    chmodSync(join(t.root, 'sticky'), 0o1777);
    chownSync(dirname(file), NOBODY, NOBODY);
    const r = await cli(t, ['team', 'pull', '--yes', '--file', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`[PROFILE_PERMISSIONS] Refusing the team file ${file}: ${dirname(file)} belongs to another user (uid 65534), in ${join(t.root, 'sticky')}, which other users can write (mode 1777).`);
    expect((await cli(t, ['get', 'tmdb', 'api_key'])).code).not.toBe(0);
  }, 60_000);

  it('another user\'s team file in their own checkout (0755, only they can write) is refused by every command that takes from it, and team diff still describes it', async () => {
    const file = placed('colleague', 0o755, NOBODY);
    chownSync(dirname(file), NOBODY, NOBODY);
    const before = await keychainValues(t);
    const reads = [['team', 'pull', '--yes', '--file', file], ['team', 'pull', '--dry-run', '--file', file], ['get', '--team', file, 'tmdb', 'api_key'], ['which', '--team', file, 'tmdb', 'api_key'], ['exec', '--team', file, '--workflow', 'subtitle', '--', 'true'], ['team', 'status', '--file', file]];
    const writes = [['team', 'add', 'bob', await identityToRecipient(await generateIdentity()), '--file', file], ['team', 'remove', 'alice', '--file', file], ['team', 'push', '--file', file]];
    for (const args of [...reads, ...writes]) {
      const r = await cli(t, args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toContain(`[PROFILE_PERMISSIONS] Refusing the team file ${file}: it belongs to another user (uid 65534), who can put any values in it.`);
      expect(r.stderr, args.join(' ')).toContain(`cp ${file} ${file}.recipients`);
      expect(r.stdout + r.stderr).not.toContain(THEIRS);
    }
    expect(await keychainValues(t)).toEqual(before);
    expect((await cli(t, ['get', 'tmdb', 'api_key'])).code).not.toBe(0);
    const diff = await cli(t, ['team', 'diff', file]);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('member alice ');
  }, 120_000);

  it('a team file of the user\'s own in a folder another user owns (0755) is refused too: its owner can replace it', async () => {
    const file = placed('colleague-dir', 0o755, 0);
    chownSync(dirname(file), NOBODY, NOBODY);
    const r = await cli(t, ['team', 'pull', '--yes', '--file', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`[PROFILE_PERMISSIONS] Refusing the team file ${file}: ${dirname(file)} belongs to another user (uid 65534), who can replace anything in it.`);
    expect((await cli(t, ['get', 'tmdb', 'api_key'])).code).not.toBe(0);
  }, 60_000);

  it('a team file of the user\'s own that other users can write (0666) is refused, with the chmod that fixes it', async () => {
    const file = placed('writable', 0o755, 0);
    chmodSync(file, 0o666);
    const r = await cli(t, ['team', 'pull', '--yes', '--file', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`[PROFILE_PERMISSIONS] Refusing the team file ${file}: other users can write it (mode 0666)`);
    expect(r.stderr).toContain(`chmod go-w ${file}`);
    expect((await cli(t, ['get', 'tmdb', 'api_key'])).code).not.toBe(0);
  }, 60_000);

  it('a file of the user\'s own in a sticky folder is still pulled, and team diff (git\'s textconv, it takes nothing) still describes a refused one', async () => {
    const planted = placed('diff', 0o777, NOBODY);
    const diff = await cli(t, ['team', 'diff', planted]);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('member alice ');
    const own = placed('own', 0o1777, 0);
    const pull = await cli(t, ['team', 'pull', '--yes', '--file', own]);
    expect(pull.code, pull.stderr).toBe(0);
    expect((await cli(t, ['get', 'tmdb', 'api_key'])).stdout).toBe(THEIRS);
  }, 60_000);

  // The list was read wherever it was: beside the user's own team file in a sticky folder, another user's list naming
  // "eve" made team add refuse (TEAM_MISMATCH), and team remove eve re-encrypt the file and say it finished a remove
  // that never was. The list is the team file's other half: another user's is refused as the team file is.
  it('a recipients list another user put beside the user\'s own team file (sticky folder) is refused, not acted on', async () => {
    const file = placed('sticky-list', 0o1777, 0);
    const list = `${file}.recipients`;
    appendFileSync(list, `# eve\n${await identityToRecipient(await generateIdentity())}\n`);
    chownSync(list, NOBODY, NOBODY);
    const before = readFileSync(file);
    const bob = await identityToRecipient(await generateIdentity());
    for (const args of [['team', 'remove', 'eve', '--file', file], ['team', 'add', 'bob', bob, '--file', file], ['team', 'status', '--file', file]]) {
      const r = await cli(t, args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toContain(`[PROFILE_PERMISSIONS] Refusing the recipients list ${list}: it belongs to another user (uid 65534), in ${dirname(file)}, which other users can write (mode 1777).`);
    }
    expect(readFileSync(file)).toEqual(before);
    const diff = await cli(t, ['team', 'diff', file]);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('member alice ');
  }, 60_000);
});
