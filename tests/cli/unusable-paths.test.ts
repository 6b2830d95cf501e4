// Paths that cannot be used for a reason other than "not there": through a file (ENOTDIR), through a symbolic link
// loop (ELOOP), too long for the system (ENAMETOOLONG). A profile named with --profile there made every read command
// fail with "INTERNAL Unexpected error ... This is a bug in cpw-vault" (the check that a named profile exists let
// lstat throw), and the write commands said "Check that PATH exists and the disk is writable"; doctor, the command a
// user runs to find out what is wrong, failed with INTERNAL when $XDG_CONFIG_HOME, $HF_HOME or $HF_TOKEN_PATH led
// through a file or a loop (its scan for plaintext tokens let stat throw).
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'Paths'.repeat(7)}`;

async function withPaths(): Promise<{ t: TempHome; file: string; loop: string }> {
  const t = makeTempHome();
  expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
  const file = join(t.home, 'a-file');
  writeFileSync(file, 'not a folder\n');
  const loop = join(t.home, 'loop');
  symlinkSync('loop', loop);
  return { t, file, loop };
}

describe('a --profile that cannot be used', () => {
  it('through a file, a link loop or too long: each command says why and what to check, never INTERNAL', async () => {
    const { t, file, loop } = await withPaths();
    const cases = [
      { profile: join(file, 'user.profile'), why: `${file}, on its way, is a file, not a folder (ENOTDIR)`, fix: `fix: Check the path: ${file} is a file where a folder belongs (ls -ld ${file}).` },
      { profile: join(loop, 'user.profile'), why: 'a symbolic link on its way leads round in a loop (ELOOP)', fix: 'fix: Check the links on the way (namei -l ' },
      { profile: `/tmp/${'x'.repeat(300)}/user.profile`, why: "its name, or a folder's on its way, is longer than the system allows (ENAMETOOLONG)", fix: 'fix: Use a shorter path: at most 255 bytes a name, 4095 in all.' },
    ];
    for (const c of cases) {
      for (const args of [['get', 'huggingface', 'token'], ['list'], ['check', 'transcribe'], ['exec', '--workflow', 'transcribe', '--', 'true'], ['doctor'], ['set', 'tmdb', 'api_key']]) {
        const r = await cli(t, ['--profile', c.profile, ...args], { input: '0123456789abcdef0123456789abcdef' });
        expect([args[0], r.code]).toEqual([args[0], 1]);
        expect(r.stderr).not.toContain('INTERNAL');
        expect(r.stderr).toContain(c.why);
        expect(r.stderr).toContain(c.fix);
        expect(r.stdout).toBe('');
      }
    }
  });

  // `--profile ~/.cp-whisperx` (the folder, not user.profile in it) was "not a regular file. fix: Move it aside: mv
  // ~/.cp-whisperx ~/.cp-whisperx.aside-...": pasted, the whole folder went (profile, index, history, vault file), and the
  // next command began a new, empty profile. Said as a folder now, with the profile file in it to give.
  it('the profile folder itself: said to be a folder, the file in it named, and no mv of the folder offered', async () => {
    const { t } = await withPaths();
    const dir = join(t.home, '.cp-whisperx');
    for (const args of [['get', 'huggingface', 'token'], ['list'], ['doctor'], ['profile', 'set', 'name=Ada']]) {
      for (const [how, env] of [['--profile', {}], ['CPW_PROFILE', { CPW_PROFILE: dir }]] as const) {
        const r = await cli(t, [...(how === '--profile' ? ['--profile', dir] : []), ...args], { env });
        expect([args[0], how, r.code]).toEqual([args[0], how, 1]);
        expect(r.stderr).toContain(`${dir} is a folder, not a profile file.`);
        expect(r.stderr).toContain(`Give the profile file in it: ${how === '--profile' ? '--profile ' : 'CPW_PROFILE='}${join(dir, 'user.profile')}`);
        expect(r.stderr).not.toContain('mv ');
      }
    }
    const r = await cli(t, ['--profile', join(dir, 'user.profile'), 'get', 'huggingface', 'token']);
    expect(r.stdout).toBe(HF);
  });

  it('a HOME under a file: the same, for the default profile', async () => {
    const { t, file } = await withPaths();
    for (const args of [['get', 'huggingface', 'token'], ['list'], ['doctor'], ['set', 'tmdb', 'api_key']]) {
      const r = await cli(t, args, { input: '0123456789abcdef0123456789abcdef', env: { HOME: file } });
      expect([args[0], r.code]).toEqual([args[0], 1]);
      expect(r.stderr).toContain(`${file}, on its way, is a file, not a folder (ENOTDIR)`);
      expect(r.stderr).not.toContain('INTERNAL');
    }
  });
});

describe('doctor, with the places it scans for plaintext tokens unusable', () => {
  it('runs to its end and still finds the token in ~/.git-credentials: $XDG_CONFIG_HOME and $HF_HOME through a file, $HF_TOKEN_PATH a link loop', async () => {
    const { t, file, loop } = await withPaths();
    writeFileSync(join(t.home, '.git-credentials'), `https://hf_user:${HF}@huggingface.co\n`, { mode: 0o600 });
    mkdirSync(join(t.home, 'hf'));
    const env = { XDG_CONFIG_HOME: file, HF_HOME: join(file, 'hf'), HF_TOKEN_PATH: loop };
    const r = await cli(t, ['doctor'], { env });
    expect(r.stderr).not.toContain('INTERNAL');
    expect(r.stderr).toContain('✓ transcribe: ready');
    expect(r.stderr).toContain(`! ${join(t.home, '.git-credentials')} holds a HuggingFace token in plaintext (git's "store" helper), the same token your vault holds`);
    expect(r.code).toBe(0); // a warning, as with no unusable path
  });
});
