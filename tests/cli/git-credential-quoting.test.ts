// `cpw-vault git-credential config` under a --profile whose path holds a control character (a folder unpacked from
// an archive, named with a line break): the helper's --profile was written as $'...', which bash reads and dash does
// not. git runs the helper with `sh -c` (dash on Debian), and dash read `$'/x/a\nb/p.profile'` as the path
// `$/x/a\nb/p.profile`: another profile, no token ("no HuggingFace token in the vault"), git asked the user.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'Quoting'.repeat(5)}`;
const SECTION = 'credential.https://huggingface.co';
const ASK = 'protocol=https\nhost=huggingface.co\n\n';
/**
 * A line break, a tab, quotes, a command substitution, a backslash, an escape sequence and a text-direction override:
 * each read differently by some quoting, or acted on by a terminal shown it raw.
 */
const FOLDER = "we\nird\t'q\" $(touch pwned) `touch pwned2` \\back \x1b[31mred\u202Eevil";

const homes: TempHome[] = [];
afterEach(() => {
  for (const t of homes.splice(0)) rmSync(t.root, { recursive: true, force: true });
});

describe.each(['bash', 'dash'])('git-credential config under a --profile with control characters, run in %s', (shell) => {
  it('installs a helper that git (its sh is dash) and the shell itself run with that exact profile: the token is given, nothing else runs', async () => {
    const t = makeTempHome();
    homes.push(t);
    const profile = join(t.cwd, FOLDER, 'team.profile');
    mkdirSync(join(t.cwd, FOLDER));
    expect((await cli(t, ['--profile', profile, 'set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const config = await cli(t, ['--profile', profile, 'git-credential', 'config']);
    expect(config.code).toBe(0);
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };

    const install = spawnSync(shell, ['-c', config.stdout], { cwd: t.cwd, env, encoding: 'utf8' });
    expect(install.stderr).toBe('');
    expect(install.status).toBe(0);
    const helpers = spawnSync('git', ['config', '--global', '--get-all', `${SECTION}.helper`], { env, encoding: 'utf8' }).stdout;
    const helper = helpers.slice(helpers.indexOf('\n!') + 2, -1); // the second value, after the empty one
    expect(helper).toMatch(/ git-credential$/);

    // The helper as git runs it (its sh: dash on Debian), then by the shell under test.
    const fill = spawnSync('git', ['credential', 'fill'], { cwd: t.root, env, input: ASK, encoding: 'utf8' });
    expect(fill.stderr).toBe('');
    expect(fill.stdout).toContain(`password=${HF}\n`);
    const direct = spawnSync(shell, ['-c', `${helper} get`], { cwd: t.root, env, input: ASK, encoding: 'utf8' });
    expect(direct.stderr).toBe('');
    expect(direct.stdout).toContain(`password=${HF}\n`);
    for (const dir of [t.root, t.cwd]) for (const name of ['pwned', 'pwned2']) expect(existsSync(join(dir, name))).toBe(false);
  });
});

it('a profile path holding an escape, a bell or a text-direction override is printed in printable ASCII, never as the raw character a terminal would act on', async () => {
  const t = makeTempHome();
  homes.push(t);
  const profile = join(t.cwd, 'e\x1b[31mred\x07\u202E', 'team.profile');
  mkdirSync(join(t.cwd, 'e\x1b[31mred\x07\u202E'));
  const config = await cli(t, ['--profile', profile, 'git-credential', 'config']);
  expect(config.code).toBe(0);
  expect(config.stdout).toMatch(/^[\x20-\x7e\n]*$/);
  // Inside the helper's own quoting: the bytes as printf's octal escapes.
  expect(config.stdout).toContain('\\033');
  expect(config.stdout).toContain('\\007\\342\\200\\256');
});

it('git-credential get under a --profile that names no file says so (as get does), not "no token in the vault" with a set that would make it', async () => {
  const t = makeTempHome();
  homes.push(t);
  const r = await cli(t, ['--profile', join(t.cwd, 'typo', 'team.profile'), 'git-credential', 'get'], { input: ASK });
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain('(from --profile) does not exist');
  expect(r.stderr).not.toContain('set huggingface token');
  expect(r.code).toBe(1);
});

// A --profile whose name ends in a line break: the helper's word for it keeps that break raw in its quotes (git runs the
// helper with `sh -c`, dash on Debian, which has no other one-line word for it), and the git config line quoted the
// whole helper as it was. doctor indents a fix's next lines, so the line pasted as printed set a helper whose profile
// had nine spaces after its line break: a file that is not there, and git got no token.
describe.each(['bash', 'dash', 'zsh'])("doctor's git config line for a --profile whose name ends in a line break, pasted as printed into %s", (shell) => {
  /** The helper install lines of doctor's fix, as printed: the next lines with their indent, as a paste takes them. */
  const printedInstall = (stderr: string) => {
    const lines = stderr.split('\n');
    const at = lines.findIndex((l) => l.includes('git config --global --remove-section'));
    expect(at, stderr).toBeGreaterThanOrEqual(0);
    const fix = [lines[at]!];
    for (let i = at + 1; lines[i]?.startsWith(' '.repeat(9)); i++) fix.push(lines[i]!);
    return fix.join('\n');
  };

  it('sets a helper naming that exact profile, which sh runs as git does and which gives the token', async () => {
    const t = makeTempHome();
    homes.push(t);
    const profile = join(t.cwd, 'team.profile\n');
    expect((await cli(t, ['--profile', profile, 'set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    // A token left in git's store: doctor's fix for it ends with the install lines.
    writeFileSync(join(t.home, '.git-credentials'), `https://user:${HF}@huggingface.co\n`, { mode: 0o600 });
    const install = printedInstall((await cli(t, ['--profile', profile, 'doctor'])).stderr);
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };

    const pasted = spawnSync(shell, ['-c', install], { cwd: t.cwd, env, encoding: 'utf8' });
    expect(pasted.stderr).toBe('');
    expect(pasted.status).toBe(0);
    const helpers = spawnSync('git', ['config', '--global', '--get-all', `${SECTION}.helper`], { env, encoding: 'utf8' }).stdout;
    const helper = helpers.slice(helpers.indexOf('\n!') + 2, -1);
    expect(helper).toContain(` --profile '${t.cwd}/team.profile''\n' git-credential`);

    const direct = spawnSync('sh', ['-c', `${helper} get`], { cwd: t.root, env, input: ASK, encoding: 'utf8' });
    expect(direct.stderr).toBe('');
    expect(direct.stdout).toContain(`password=${HF}\n`);
    const fill = spawnSync('git', ['credential', 'fill'], { cwd: t.root, env, input: ASK, encoding: 'utf8' });
    expect(fill.stdout).toContain(`password=${HF}\n`);
    // One line each, printable ASCII: nothing the indent can land in.
    expect(install).toMatch(/^[\x20-\x7e\n]*$/);
    expect(install.split('\n')).toHaveLength(3);
  });
});
