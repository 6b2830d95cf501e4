// A profile given as nothing: a script's `--profile "$UNSET_VAR"` read and wrote the default profile (the user's main
// vault) without a word, and a CPW_PROFILE of spaces a profile named by them in the working directory.
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, keychainValues } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = 'hf_abcdefghijklmnopqrstuvwxyz0123456789';
const OTHER = 'hf_ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210';
const PROFILE_FIX = "fix: Give the profile file's path (--profile ./team.profile), or leave --profile out for the default profile.\n";
const empty = (via: string, what = 'is empty') => `error [INVALID_ARGUMENT] ${via} ${what}: it names no profile file, so nothing was read or written (the default profile is not used in its place).\n`;

/** Every command, each as a user runs it (set and git-credential with their stdin). */
const COMMANDS: [string[], string?][] = [
  [['get', 'huggingface', 'token']],
  [['set', 'huggingface', 'token'], OTHER],
  [['delete', 'huggingface', 'token', '--yes']],
  [['list']],
  [['which', '--all']],
  [['check', 'transcribe']],
  [['env', '--workflow', 'transcribe']],
  [['exec', '--workflow', 'transcribe', '--', 'true']],
  [['git-credential', 'get'], 'protocol=https\nhost=huggingface.co\n\n'],
  [['runs']],
  [['profile', 'show']],
  [['migrate', '--yes']],
  [['setup', '--non-interactive']],
  [['import', 'export.age']],
  [['backend']],
  [['lock']],
  [['team', 'identity']],
  [['doctor']],
];

describe('a profile given as nothing is refused, the default profile left as it was', () => {
  let t: TempHome;
  let profile: string;
  let values: Record<string, string>;
  beforeAll(async () => {
    t = makeTempHome();
    const stored = await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    expect(stored.code, stored.stderr).toBe(0);
    profile = readFileSync(t.profile, 'utf8');
    values = await keychainValues(t);
  });
  const untouched = async () => {
    expect(readFileSync(t.profile, 'utf8')).toBe(profile);
    expect(await keychainValues(t)).toEqual(values);
    expect(readdirSync(t.cwd)).toEqual([]);
  };

  it.each(COMMANDS)("--profile '' %j: INVALID_ARGUMENT naming --profile, exit 2, nothing read or written", async (args, input) => {
    const r = await cli(t, ['--profile', '', ...args], { input: input ?? '' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${empty('--profile')}${PROFILE_FIX}`);
    await untouched();
  });

  it.each([
    ['after the command', ['get', 'huggingface', 'token', '--profile', '']],
    ['as --profile=', ['--profile=', 'get', 'huggingface', 'token']],
    ['only spaces', ['--profile', '  ', 'set', 'huggingface', 'token']],
  ])('--profile given as nothing %s: refused the same way', async (what, args) => {
    const r = await cli(t, args, { input: OTHER });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${empty('--profile', what === 'only spaces' ? 'is only spaces' : 'is empty')}${PROFILE_FIX}`);
    await untouched();
  });

  it('--json: the refusal is the one JSON document', async () => {
    const r = await cli(t, ['--profile', '', 'list', '--json']);
    expect(r.code, r.stderr).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('--profile is empty') } });
    await untouched();
  });

  it.each([['get', 'huggingface', 'token'], ['set', 'huggingface', 'token'], ['list']])('CPW_PROFILE of spaces only, %s: refused naming CPW_PROFILE, no profile made in the working directory', async (...args) => {
    const r = await cli(t, args, { input: OTHER, env: { CPW_PROFILE: ' ' } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(`${empty('CPW_PROFILE', 'is only spaces')}fix: Set CPW_PROFILE to the profile file's path, or unset it (unset CPW_PROFILE) for the default profile.\n`);
    await untouched();
  });

  it('CPW_PROFILE= (empty) is unset, as the README says of every variable cpw-vault reads: the default profile', async () => {
    const r = await cli(t, ['get', 'huggingface', 'token'], { env: { CPW_PROFILE: '' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout === HF, 'the default profile answers').toBe(true);
  });

  it('--profile given beside a CPW_PROFILE of spaces: the option is used, the variable not read', async () => {
    const r = await cli(t, ['--profile', t.profile, 'get', 'huggingface', 'token'], { env: { CPW_PROFILE: ' ' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout === HF, 'the named profile answers').toBe(true);
  });
});
