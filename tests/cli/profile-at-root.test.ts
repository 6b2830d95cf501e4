// A profile directly in the root folder: `--profile "$DIR/user.profile"` with DIR unset is /user.profile, which a user
// almost never means. get said "does not exist ... To create a profile there: cpw-vault --profile /user.profile setup";
// as root, set stored the key under it and wrote its index, audit log and usage marks beside it, in /.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { resolveProfilePaths } from '../../shared/node/profile/paths';
import { cli, keychainValues } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'AtRoot'.repeat(6)}`;

/** A profile name of this test's own in /, and whatever a run left there under it removed afterwards. */
function atRoot(): string {
  const name = `cpw-test-${randomBytes(6).toString('hex')}.profile`;
  onTestFinished(() => {
    for (const f of readdirSync('/')) if (f.startsWith(name)) rmSync(join('/', f), { recursive: true, force: true });
  });
  return name;
}

const said = (via: string, given: string, path = given) =>
  `${via} ${given}${path === given ? '' : ` (${path})`} is directly in the root folder /: ${given.startsWith('/') ? 'most often a path built from a variable that is not set ("$DIR/user.profile" with DIR unset)' : 'a relative path, taken from the working folder / (where cron, systemd and containers often start)'}. Nothing was read or written.`;

describe.runIf(process.platform !== 'win32')('a profile directly in the root folder is refused, naming what was given', () => {
  it.each([
    [['get', 'huggingface', 'token'], ''],
    [['list'], ''],
    [['set', 'huggingface', 'token'], HF],
  ])('--profile /NAME %j: INVALID_ARGUMENT, exit 2, nothing read, stored or written in /', async (args, input) => {
    const t = makeTempHome();
    const name = atRoot();
    const r = await cli(t, ['--profile', `/${name}`, ...args], { input });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`error [INVALID_ARGUMENT] ${said('--profile', `/${name}`)}\nfix: Check the variable the path is built from, or give a profile in a folder of its own: --profile ~/.cp-whisperx/team.profile\n`);
    expect(readdirSync('/').filter((f) => f.startsWith(name))).toEqual([]);
    expect(await keychainValues(t)).toEqual({});
  });

  it('CPW_PROFILE=/NAME is refused as well, its fix naming CPW_PROFILE', async () => {
    const t = makeTempHome();
    const name = atRoot();
    const r = await cli(t, ['set', 'huggingface', 'token'], { input: HF, env: { CPW_PROFILE: `/${name}` } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(said('CPW_PROFILE', `/${name}`));
    expect(r.stderr).toContain('fix: Set CPW_PROFILE to a profile in a folder of its own');
    expect(readdirSync('/').filter((f) => f.startsWith(name))).toEqual([]);
  });

  it('the library too, a relative path judged from its working directory; a profile one folder down is taken', () => {
    expect(() => resolveProfilePaths({ profilePath: '/user.profile' })).toThrow(said('--profile', '/user.profile'));
    expect(() => resolveProfilePaths({ profilePath: 'user.profile', cwd: '/' })).toThrow(said('--profile', 'user.profile', '/user.profile'));
    expect(() => resolveProfilePaths({ profilePath: '/tmp/../user.profile' })).toThrow(said('--profile', '/tmp/../user.profile', '/user.profile'));
    expect(() => resolveProfilePaths({ profilePath: '/' })).toThrow("--profile / is the root folder itself: most often");
    expect(resolveProfilePaths({ profilePath: '/srv/team.profile' }).profile).toBe('/srv/team.profile');
    expect(resolveProfilePaths({ profilePath: 'team.profile', cwd: '/srv' }).profile).toBe('/srv/team.profile');
  });
});

describe.runIf(process.platform !== 'win32')('a profile whose folder leads to the root folder through a symbolic link is refused', () => {
  const led = (via: string, given: string, link: string, name: string, path = given) =>
    `${via} ${given}${path === given ? '' : ` (${path})`} leads to /${name}, directly in the root folder /: its folder ${link} leads to / through a symbolic link. Nothing was read or written.`;

  it('--profile ~/rootlink/NAME (set, get): INVALID_ARGUMENT naming the path and where it leads, nothing stored or written in /', async () => {
    const t = makeTempHome();
    const name = atRoot();
    const link = join(t.home, 'rootlink');
    symlinkSync('/', link);
    for (const [args, input] of [[['set', 'huggingface', 'token'], HF], [['get', 'huggingface', 'token'], '']] as const) {
      const r = await cli(t, ['--profile', join(link, name), ...args], { input });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`error [INVALID_ARGUMENT] ${led('--profile', join(link, name), link, name)}\nfix: Give a profile in a folder of its own: --profile ~/.cp-whisperx/team.profile\n`);
    }
    expect(readdirSync('/').filter((f) => f.startsWith(name))).toEqual([]);
    expect(await keychainValues(t)).toEqual({});
  });

  it('CPW_PROFILE relative through a chain of two links: refused as well, naming CPW_PROFILE and the folder it resolved to', async () => {
    const t = makeTempHome();
    const name = atRoot();
    symlinkSync('/', join(t.home, 'to-root'));
    symlinkSync(join(t.home, 'to-root'), join(t.cwd, 'here'));
    const r = await cli(t, ['set', 'huggingface', 'token'], { input: HF, env: { CPW_PROFILE: `here/${name}` } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(led('CPW_PROFILE', `here/${name}`, join(t.cwd, 'here'), name, join(t.cwd, 'here', name)));
    expect(r.stderr).toContain('fix: Set CPW_PROFILE to a profile in a folder of its own');
    expect(readdirSync('/').filter((f) => f.startsWith(name))).toEqual([]);
  });

  it('the library too; a profile in a folder reached through a link elsewhere (/home -> /data/home) is taken and works', async () => {
    const t = makeTempHome();
    symlinkSync('/', join(t.home, 'rootlink'));
    expect(() => resolveProfilePaths({ profilePath: join(t.home, 'rootlink', 'user.profile') })).toThrow(led('--profile', join(t.home, 'rootlink', 'user.profile'), join(t.home, 'rootlink'), 'user.profile'));
    mkdirSync(join(t.root, 'data', 'home'), { recursive: true });
    symlinkSync(join(t.root, 'data', 'home'), join(t.root, 'home2'));
    const profile = join(t.root, 'home2', 'team.profile');
    expect(resolveProfilePaths({ profilePath: profile }).profile).toBe(profile);
    expect((await cli(t, ['--profile', profile, 'set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const got = await cli(t, ['--profile', profile, 'get', 'huggingface', 'token']);
    expect([got.code, got.stdout]).toEqual([0, HF]);
    expect(readdirSync(join(t.root, 'data', 'home'))).toContain('team.profile');
  });
});
