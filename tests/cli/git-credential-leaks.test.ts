import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

// git runs every credential helper listed for a URL and, once a clone or fetch succeeds, hands the token to each
// to store: beside HuggingFace's own `git config --global credential.helper store`, installing ours put the token
// in ~/.git-credentials in plaintext, and doctor's fix printed the same line again.

const HF = `hf_${'Leak'.repeat(9)}`;

/** A user's shell: cpw-vault on PATH, a throwaway HOME and keychain, no system git config unless `env` names one. */
async function setUp(): Promise<{ t: TempHome; env: NodeJS.ProcessEnv }> {
  const t = makeTempHome();
  await cli(t, ['set', 'huggingface', 'token'], { input: HF });
  const bin = join(t.root, 'bin');
  mkdirSync(bin);
  symlinkSync(BIN, join(bin, 'cpw-vault'));
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env['PATH']}`, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
  delete env['GIT_CONFIG_SYSTEM'];
  return { t, env };
}

function sh(shell: string, script: string, env: NodeJS.ProcessEnv, cwd: string) {
  const r = spawnSync(shell, ['-c', script], { env, cwd, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** What a clone does with the credential: fill (the token is used), then approve (every helper is told to store it). */
function cloneAndApprove(env: NodeJS.ProcessEnv, cwd: string, url = 'https://huggingface.co/ada/private-model'): string {
  const fill = spawnSync('git', ['credential', 'fill'], { env, cwd, input: `url=${url}\n\n`, encoding: 'utf8', timeout: 60_000 });
  expect(fill.stdout, fill.stderr).toContain(`password=${HF}\n`);
  expect(spawnSync('git', ['credential', 'approve'], { env, cwd, input: `${fill.stdout}\n`, timeout: 60_000 }).status).toBe(0);
  return fill.stdout;
}

const stored = (t: TempHome) => (existsSync(join(t.home, '.git-credentials')) ? readFileSync(join(t.home, '.git-credentials'), 'utf8') : '');
const doctor = async (t: TempHome, env: NodeJS.ProcessEnv, cwd = t.cwd) => JSON.parse(spawnSync(process.execPath, [BIN, 'doctor', '--json'], { env, cwd, encoding: 'utf8' }).stdout) as { git_helpers: Array<{ helpers: Array<{ name: string; scope: string }>; message: string; fix: string }> };

describe('the git credential helper beside a helper that stores', () => {
  it.each([
    ['bash', 'written before ours', (g: string) => `${g}`],
    ['dash', 'written before ours', (g: string) => `${g}`],
    // Ours from an earlier install, the user's store added after it in the file: installing again moves ours last.
    ['sh', 'written after an earlier install of ours', (g: string) => `git config --global credential.https://huggingface.co.helper '!cpw-vault git-credential' && ${g}`],
  ])('%s: a general credential.helper store (%s) never gets the token, and doctor finds nothing', async (shell, _order, before) => {
    const { t, env } = await setUp();
    sh(shell, `${before('git config --global credential.helper store')} && eval "$(cpw-vault git-credential config)"`, env, t.cwd);
    cloneAndApprove(env, t.cwd);
    expect(stored(t).includes(HF), 'the token is in ~/.git-credentials').toBe(false);
    expect((await doctor(t, env)).git_helpers).toEqual([]);
  });

  it('a store helper in the system config is dropped for huggingface.co too', async () => {
    const { t, env } = await setUp();
    const system = join(t.root, 'system-gitconfig');
    writeFileSync(system, '[credential]\n\thelper = store\n');
    const withSystem = { ...env, GIT_CONFIG_SYSTEM: system, GIT_CONFIG_NOSYSTEM: '' };
    sh('sh', 'eval "$(cpw-vault git-credential config)"', withSystem, t.cwd);
    cloneAndApprove(withSystem, t.cwd);
    expect(stored(t).includes(HF), 'the token is in ~/.git-credentials').toBe(false);
  });

  it('store added after the install (a new [credential] section at the end): doctor names it, and its fix stops the leak', async () => {
    const { t, env } = await setUp();
    sh('sh', 'eval "$(cpw-vault git-credential config)" && git config --global credential.helper store', env, t.cwd);
    // git itself reads it last, so it still gets the token: doctor must say so, and how to stop it.
    const report = await doctor(t, env);
    expect(report.git_helpers.map((g) => g.helpers.map((h) => [h.name, h.scope]))).toEqual([[['store', 'global']]]);
    expect(report.git_helpers[0]!.message).toMatch(/git also runs the credential helper "store" \(global, file:.*\.gitconfig\) for https:\/\/huggingface\.co, besides cpw-vault's/);
    const human = spawnSync(process.execPath, [BIN, 'doctor'], { env, cwd: t.cwd, encoding: 'utf8' }).stderr;
    expect(human).toContain('! git also runs the credential helper "store"');
    sh('sh', report.git_helpers[0]!.fix, env, t.cwd);
    cloneAndApprove(env, t.cwd);
    expect(stored(t).includes(HF), 'the token is in ~/.git-credentials').toBe(false);
    expect((await doctor(t, env)).git_helpers).toEqual([]);
  });

  // git applies a `credential.https://ada@huggingface.co` section to remotes with that user name only: doctor asked git
  // about https://huggingface.co alone, so a store helper there got the token for `https://ada@huggingface.co/...`
  // clones and doctor named nothing.
  it('a store helper for one user name (credential.https://ada@huggingface.co) after the install: doctor names it, and its fix stops the leak', async () => {
    const { t, env } = await setUp();
    sh('sh', 'eval "$(cpw-vault git-credential config)" && git config --global credential.https://ada@huggingface.co.helper store', env, t.cwd);
    const report = await doctor(t, env);
    expect(report.git_helpers.map((g) => g.helpers.map((h) => [h.name, h.scope]))).toEqual([[['store', 'global']]]);
    sh('sh', report.git_helpers[0]!.fix, env, t.cwd);
    cloneAndApprove(env, t.cwd, 'https://ada@huggingface.co/ada/private-model');
    expect(stored(t).includes(HF), 'the token is in ~/.git-credentials').toBe(false);
    expect((await doctor(t, env)).git_helpers).toEqual([]);
  });

  // Seen by an outside pass (h153): doctor started one git per user name any credential section gave, for any host:
  // 20 accounts at github.com were 20 more gits (~6 ms each) though none can apply to huggingface.co.
  it('user names in sections for other hosts start no git of their own; one for huggingface.co is still named', async () => {
    const { t, env } = await setUp();
    const accounts = Array.from({ length: 20 }, (_, i) => `git config --global credential.https://user${i}@github.com.helper store`).join(' && ');
    sh('sh', `eval "$(cpw-vault git-credential config)" && ${accounts} && git config --global 'credential.https://ada lovelace@huggingface.co.helper' store`, env, t.cwd);
    const bin = join(t.root, 'counted-git');
    mkdirSync(bin);
    const asked = join(t.root, 'git-asked');
    const real = spawnSync('sh', ['-c', 'command -v git'], { env, encoding: 'utf8' }).stdout.trim();
    writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "$@" >> '${asked}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
    const report = await doctor(t, { ...env, PATH: `${bin}:${env['PATH']}` });
    expect(report.git_helpers.map((g) => g.helpers.map((h) => [h.name, h.scope]))).toEqual([[['store', 'global']]]);
    // The config list, the sections for https://huggingface.co, and the one user name that can apply there.
    expect(readFileSync(asked, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it("a store helper in a repository's own config: doctor there names it, and its fix (for that repository) stops the leak", async () => {
    const { t, env } = await setUp();
    const repo = join(t.cwd, 'model');
    sh('sh', `eval "$(cpw-vault git-credential config)" && git init -q model && git -C model config credential.helper store`, env, t.cwd);
    const report = await doctor(t, env, repo);
    expect(report.git_helpers[0]!.helpers).toEqual([{ name: 'store', scope: 'local', origin: 'file:.git/config' }]);
    expect(report.git_helpers[0]!.fix).toContain(`git -C ${repo} config --local --add credential.https://huggingface.co.helper ''`);
    sh('sh', report.git_helpers[0]!.fix, env, t.root);
    cloneAndApprove(env, repo);
    expect(stored(t).includes(HF), 'the token is in ~/.git-credentials').toBe(false);
  });

  // The fix named the repository as shellWord then did, `git -C $'.../m\to\033[31mdel'`: dash reads `$'...'` as `$` and a
  // quoted word, and its git said "cannot change to '$/...'", leaving the store helper in place.
  it.each(['dash', 'bash'])("a repository whose folder's name holds a tab, an escape and an é: doctor's fix is printable ASCII and stops the leak in %s", async (shell) => {
    const { t, env } = await setUp();
    const name = 'm\to\u001b[31mdél';
    const repo = join(t.cwd, name);
    mkdirSync(repo);
    sh('sh', 'eval "$(cpw-vault git-credential config)" && git init -q . && git config credential.helper store', env, repo);
    const report = await doctor(t, env, repo);
    expect(report.git_helpers[0]!.helpers).toEqual([{ name: 'store', scope: 'local', origin: 'file:.git/config' }]);
    const fix = report.git_helpers[0]!.fix;
    expect(fix).toMatch(/^[\x20-\x7e\n]*$/);
    expect(fix).not.toContain("$'");
    expect(fix.split('\n')).toHaveLength(3);
    sh(shell, fix, env, t.root);
    cloneAndApprove(env, repo);
    expect(stored(t).includes(HF), 'the token is in ~/.git-credentials').toBe(false);
    expect((await doctor(t, env, repo)).git_helpers).toEqual([]);
  });

  it("doctor's fix for a token already in ~/.git-credentials stops it coming back", async () => {
    const { t, env } = await setUp();
    sh('sh', 'eval "$(cpw-vault git-credential config)" && git config --global credential.helper store', env, t.cwd);
    cloneAndApprove(env, t.cwd);
    const plaintext = JSON.parse(spawnSync(process.execPath, [BIN, 'doctor', '--json'], { env, cwd: t.cwd, encoding: 'utf8' }).stdout).plaintext_tokens as Array<{ kind: string; fix: string }>;
    expect(plaintext.map((p) => p.kind)).toEqual(['git-credentials']);
    sh('sh', plaintext[0]!.fix, env, t.cwd);
    expect(stored(t).includes(HF), 'the token is in ~/.git-credentials').toBe(false);
    cloneAndApprove(env, t.cwd);
    expect(stored(t).includes(HF), 'the token is in ~/.git-credentials').toBe(false);
  });
});

describe('doctor asks git about helpers only when its config may run ours', () => {
  // git's two processes cost doctor ~15 ms (issue 16's P3: doctor <= 1.3x get); most users never install the helper.
  it('no config names cpw-vault: git is not started; the global config installs it: git is asked', async () => {
    const { t, env } = await setUp();
    delete env['GIT_CONFIG_NOSYSTEM'];
    const bin = join(t.root, 'fake-git');
    mkdirSync(bin);
    const asked = join(t.root, 'git-asked');
    writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "$@" >> '${asked}'\nexit 1\n`, { mode: 0o755 });
    const fakeEnv = { ...env, PATH: `${bin}:${env['PATH']}`, XDG_CONFIG_HOME: join(t.root, 'xdg') };
    const run = () => spawnSync(process.execPath, [BIN, 'doctor', '--json'], { env: fakeEnv, cwd: t.cwd, encoding: 'utf8' });
    // (A system config that names cpw-vault or includes others is rightly read by git: then only the second half holds.)
    const system = existsSync('/etc/gitconfig') ? readFileSync('/etc/gitconfig', 'utf8') : '';
    run();
    if (!/git-credential|\[\s*include/i.test(system)) expect(existsSync(asked)).toBe(false);
    writeFileSync(join(t.home, '.gitconfig'), "[credential \"https://huggingface.co\"]\n\thelper =\n\thelper = !cpw-vault git-credential\n");
    run();
    expect(readFileSync(asked, 'utf8')).toContain('config --list');
  });

  it.each([
    ['a FIFO', (path: string) => expect(spawnSync('mkfifo', [path]).status).toBe(0)],
    ['a link to /dev/zero', (path: string) => symlinkSync('/dev/zero', path)],
  ])('~/.gitconfig that is %s (planted in a home others can write, or a mistake) does not hold doctor: it ends, and reports', async (_what, plant) => {
    const { t, env } = await setUp();
    delete env['GIT_CONFIG_NOSYSTEM']; // else git's config is left to git, and doctor reads none of it
    for (const file of [join(t.home, '.gitconfig'), join(t.root, 'xdg', 'git', 'config')]) {
      mkdirSync(dirname(file), { recursive: true });
      plant(file);
    }
    // The limit only ends a doctor that never would: before, it waited for a writer (FIFO) or read without end (/dev/zero).
    const r = spawnSync(process.execPath, [BIN, 'doctor', '--json'], { env: { ...env, XDG_CONFIG_HOME: join(t.root, 'xdg') }, cwd: t.cwd, encoding: 'utf8', timeout: 50_000, killSignal: 'SIGKILL' });
    expect(r.signal, 'doctor still reading ~/.gitconfig').toBeNull();
    expect(JSON.parse(r.stdout)).toMatchObject({ git_helpers: [], plaintext_tokens: [] });
  });
});
