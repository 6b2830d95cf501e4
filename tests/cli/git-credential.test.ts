import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { inPrivateSession } from '../helpers/private-session';
import { makeTempHome, type TempHome } from '../helpers/temp';
import { FakeProviders } from '../fakes/fake-providers';
import { fileCli, fileEnv, inPty, makeFileVaultHome } from '../helpers/file-vault';
import { GitHttpServer } from '../fakes/git-http-server';

const HF = `hf_${'Gitc'.repeat(9)}`;
const HELPER = `!'${process.execPath}' '${BIN}' git-credential`;
const PTY = resolve(import.meta.dirname, '../helpers/pty_drive.py');
const ASK = (host: string, protocol = 'https') => `protocol=${protocol}\nhost=${host}\n\n`;

/** Runs git with a throwaway HOME, no system config, no prompts, and cpw-vault as the only credential helper. */
function git(t: TempHome, args: string[], options: { input?: string; env?: Record<string, string>; helper?: string } = {}) {
  const r = spawnSync('git', ['-c', 'credential.helper=', '-c', `credential.helper=${options.helper ?? HELPER}`, ...args], {
    cwd: t.cwd, input: options.input ?? '', encoding: 'utf8', timeout: 60_000,
    env: { PATH: process.env['PATH'], HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', DBUS_SESSION_BUS_ADDRESS: process.env['DBUS_SESSION_BUS_ADDRESS'], XDG_RUNTIME_DIR: process.env['XDG_RUNTIME_DIR'], ...options.env } as NodeJS.ProcessEnv,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cpw-vault git-credential', () => {
  it('git credential fill for https://huggingface.co gets the HF token; the user name comes from whoami once verified', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const fill = git(t, ['credential', 'fill'], { input: ASK('huggingface.co') });
    expect(fill.stderr).toBe('');
    expect(fill.stdout).toBe(`protocol=https\nhost=huggingface.co\nusername=hf_user\npassword=${HF}\n`);
    const fake = new FakeProviders();
    fake.tokens.set(HF, 'valid');
    const origin = await fake.start();
    try {
      expect((await cli(t, ['verify', 'huggingface', 'token'], { env: { CPW_VAULT_ENDPOINT_HUGGINGFACE: `${origin}/hf` } })).code).toBe(0);
    } finally {
      await fake.stop();
    }
    expect(git(t, ['credential', 'fill'], { input: ASK('huggingface.co') }).stdout).toContain('username=ada-lovelace\npassword=');
    // A user name git already has (from the URL) is kept.
    expect(git(t, ['credential', 'fill'], { input: `protocol=https\nhost=huggingface.co\nusername=ada\n\n` }).stdout).toContain('username=ada\npassword=');
  });

  it.each([['github.com'], ['huggingface.co.evil.example'], ['huggingface.co:8443'], ['hf.co']])('another host (%s) gets nothing: git falls back (and fails without prompts)', async (host) => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const r = git(t, ['credential', 'fill'], { input: ASK(host) });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).not.toContain(HF);
    expect(r.stderr).toMatch(/terminal prompts disabled/);
    const plain = git(t, ['credential', 'fill'], { input: ASK('huggingface.co', 'http') });
    expect(plain.stdout + plain.stderr).not.toContain(HF);
  });

  // The helper compared hosts after a URL parser had normalised them: it percent-decoded `huggingface%2eco` and folded
  // Unicode look-alikes into `huggingface.co`, so it gave the token for hosts git does not reach there. For a remote
  // `https://huggingface%252eco/x` git asks for host `huggingface%2eco`, while curl (7.88) looks up `huggingface%252eco`.
  it('a host that only a URL parser turns into huggingface.co gets nothing: percent-encoded, Unicode look-alikes', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    for (const host of ['huggingface%2eco', 'huggingface%2Eco:443', '\uff48uggingface.co', 'hugging\u00adface.co', 'huggingface\u3002co', 'huggingface.co\u200b']) {
      const r = await cli(t, ['git-credential', 'get'], { input: ASK(host) });
      expect([host, r.code, r.stdout]).toEqual([host, 0, '']);
    }
    const viaGit = git(t, ['credential', 'fill'], { input: 'url=https://huggingface%252eco/ada/private\n\n' });
    expect(viaGit.stdout + viaGit.stderr).not.toContain(HF);
    // The same host, as git may spell it, still gets the token.
    for (const host of ['HuggingFace.Co', 'huggingface.co:443']) expect((await cli(t, ['git-credential', 'get'], { input: ASK(host) })).stdout).toBe(`username=hf_user\npassword=${HF}\n`);
  });

  it('hostile requests get nothing: 1 MiB of junk, invalid UTF-8, a host with a path or user, a NUL', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    for (const input of [
      `protocol=https\n${'x'.repeat(1024 * 1024)}\nhost=huggingface.co\n\n`,
      'protocol=https\nhost=hugging\xfe\xffface.co\n\n',
      'protocol=https\nhost=huggingface.co/evil\n\n',
      'protocol=https\nhost=evil@huggingface.co\n\n',
      'protocol=https\nhost=huggingface.co\0.evil.example\n\n',
      'host=huggingface.co\n\n',
    ]) {
      const r = await cli(t, ['git-credential', 'get'], { input });
      expect([r.code, r.stdout]).toEqual([0, '']);
    }
  });

  it('a 100 MB request is read to its end with bounded memory (it took 349 MB), and answered from what a request can hold', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const big = join(t.root, 'big-request');
    writeFileSync(big, `protocol=https\nhost=huggingface.co\npath=${'p'.repeat(100 * 1024 * 1024)}\n\n`);
    const r = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, BIN, 'git-credential', 'get'], { input: readFileSync(big), env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8', maxBuffer: 1024 * 1024 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`password=${HF}`);
    expect(Number(/maxrss=(\d+)/.exec(r.stderr)![1]) / 1024).toBeLessThan(150); // MiB: Node itself is ~45
  });

  it('store and erase read a 100 MB request to its end with bounded memory, as get does, and exit 0 having changed nothing', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const big = Buffer.from(`protocol=https\nhost=huggingface.co\nusername=ada\npassword=hf_${'G'.repeat(100 * 1024 * 1024)}\n\n`);
    for (const operation of ['store', 'erase']) {
      const r = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, BIN, 'git-credential', operation], { input: big, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8', maxBuffer: 1024 * 1024 });
      expect(r.status, `${operation}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toBe('');
      expect(Number(/maxrss=(\d+)/.exec(r.stderr)![1]) / 1024, operation).toBeLessThan(150); // MiB: it held all of it
    }
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
  });

  // From an outside pass: the helper read stdin to its end, so a caller that keeps it open after the blank line (a
  // script, a credential manager, a person typing the request) got nothing until it closed it: git's own helpers answer
  // at the blank line, as the protocol ends a request there.
  it('answers at the blank line: a writer that keeps stdin open gets the answer, and the helper exits 0 at once', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    for (const [operation, request] of [['get', ASK('huggingface.co')], ['get', 'protocol=https\r\nhost=huggingface.co\r\n\r\n'], ['store', `protocol=https\nhost=huggingface.co\nusername=x\npassword=${HF}\n\n`], ['erase', ASK('huggingface.co')], ['get', '\n']] as const) {
      const child = spawn(process.execPath, [BIN, 'git-credential', operation], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['pipe', 'pipe', 'pipe'] });
      const done = collect(child);
      for (const part of request.match(/[^]{1,7}/g)!) child.stdin.write(part); // in pieces, as a slow writer sends it
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000); // stdin stays open: only the answer ends it
      const r = await done;
      clearTimeout(timer);
      child.stdin.destroy();
      expect([operation, r.signal, r.code], r.stderr).toEqual([operation, null, 0]);
      expect(r.stdout).toBe(operation === 'get' && request !== '\n' ? `username=hf_user\npassword=${HF}\n` : '');
    }
  });

  it('typed by hand on a terminal, key by key, the answer comes at the blank line (no Ctrl-D)', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const steps = [...'protocol=https\nhost=huggingface.co\n\n'].map((key) => ({ expect: '', send: key, delay: 0.02 }));
    const r = spawnSync('python3', [PTY, JSON.stringify([...steps, { expect: `password=${HF}`, send: '' }]), process.execPath, BIN, 'git-credential', 'get'], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8', timeout: 60_000 });
    const out = JSON.parse(r.stdout) as { screen: string; code: number | null; stuck_at?: string };
    expect(out.stuck_at, out.screen).toBeUndefined();
    expect(out.code, out.screen).toBe(0);
    expect(out.screen).toContain(`username=hf_user\r\npassword=${HF}\r\n`);
  });

  it('typed by hand with the vault file locked: after the blank line, the passphrase prompt reads the terminal', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await fileCli(h, ['lock'])).code).toBe(0);
    const steps = [...'protocol=https\nhost=huggingface.co\n\n'].map((key) => ({ expect: '', send: key, delay: 0.02 }));
    const r = await inPty(h.cwd, fileEnv(h), [process.execPath, BIN, 'git-credential', 'get'], [...steps, { expect: 'Passphrase', send: `${h.passphrase}\r` }, { expect: `password=${HF}`, send: '' }]);
    expect(r.stuck_at, r.screen).toBeUndefined();
    expect(r.code, r.screen).toBe(0);
  });

  // The fields git passes on need not be UTF-8 (a user name from the URL, a `path`, the server's `wwwauth[]` headers
  // that git 2.41+ forwards): the helper refused the whole request ("stdin is not valid UTF-8; nothing was stored",
  // exit 2), so a clone of huggingface.co fell back to a password prompt. A NUL in the user name, or a line break in
  // $HF_TOKEN, was an internal error ("This is a bug in cpw-vault").
  it('a request with bytes that are not UTF-8, a user name with a NUL, a token with a line break in the env: answered or refused cleanly', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const raw = (input: Buffer, env: Record<string, string> = {}) => {
      const r = spawnSync(process.execPath, [BIN, 'git-credential', 'get'], { cwd: t.cwd, input, encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, ...env } });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const bytes = (text: string) => Buffer.from(text, 'latin1');
    expect(raw(bytes('protocol=https\nhost=huggingface.co\nwwwauth[]=Basic realm="Hugging \xe9 Face"\n\n'))).toEqual({ code: 0, stdout: `username=hf_user\npassword=${HF}\n`, stderr: '' });
    // The user name is left out of the answer (git keeps the one it has) when it cannot be said back as it came.
    expect(raw(bytes('protocol=https\nhost=huggingface.co\nusername=caf\xe9\n\n'))).toEqual({ code: 0, stdout: `password=${HF}\n`, stderr: '' });
    expect(raw(bytes('protocol=https\nhost=huggingface.co\nusername=a\0b\n\n'))).toEqual({ code: 0, stdout: `password=${HF}\n`, stderr: '' });
    // A host that is not UTF-8 is not huggingface.co.
    expect(raw(bytes('protocol=https\nhost=hugging\xe9face.co\n\n'))).toEqual({ code: 0, stdout: '', stderr: '' });
    const broken = raw(bytes('protocol=https\nhost=huggingface.co\n\n'), { HF_TOKEN: `${HF.slice(0, 10)}\n${HF.slice(10)}` });
    expect([broken.code, broken.stdout]).toEqual([2, '']);
    expect(broken.stderr).toMatch(/^cpw-vault git-credential: no HuggingFace token given to git: the HuggingFace token in \$HF_TOKEN holds a line break or NUL.* fix: set HF_TOKEN to the token alone/);
    expect(broken.stderr).not.toMatch(/INTERNAL|bug in cpw-vault/);
    expect(broken.stderr).not.toContain(HF.slice(10));
    // Through git: a user name in Latin-1 from the URL still gets the token.
    const fill = spawnSync('git', ['-c', 'credential.helper=', '-c', `credential.helper=${HELPER}`, 'credential', 'fill'], {
      cwd: t.cwd, input: bytes('protocol=https\nhost=huggingface.co\nusername=caf\xe9\n\n'), timeout: 60_000,
      env: { PATH: process.env['PATH'], HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', DBUS_SESSION_BUS_ADDRESS: process.env['DBUS_SESSION_BUS_ADDRESS'], XDG_RUNTIME_DIR: process.env['XDG_RUNTIME_DIR'] } as NodeJS.ProcessEnv,
    });
    expect(fill.status, fill.stderr.toString()).toBe(0);
    expect(fill.stdout.equals(bytes(`protocol=https\nhost=huggingface.co\nusername=caf\xe9\npassword=${HF}\n`))).toBe(true);
  });

  // git reads a lone CR as a line break too (credential.protectProtocol, git 2.39.5+): the helper passed a token with
  // one on, and git died with "credential value for password contains carriage return", advising to turn the
  // protection off.
  it('a token with a carriage return in $HF_TOKEN is refused in one clear line, never handed to git', async () => {
    const t = makeTempHome();
    const env = { HF_TOKEN: `${HF.slice(0, 10)}\r${HF.slice(10)}` };
    const r = await cli(t, ['git-credential', 'get'], { input: ASK('huggingface.co'), env });
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/^cpw-vault git-credential: no HuggingFace token given to git: the HuggingFace token in \$HF_TOKEN holds a line break or NUL.* fix: set HF_TOKEN to the token alone/);
    const fill = git(t, ['credential', 'fill'], { input: ASK('huggingface.co'), env });
    expect(fill.stderr).not.toMatch(/protectProtocol/);
    expect(fill.stdout + fill.stderr).not.toContain(HF.slice(10));
  });

  it('store and erase write nothing: approve/reject leave the vault and the disk as they were', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const before = { profile: readFileSync(t.profile, 'utf8'), files: readdirSync(join(t.home, '.cp-whisperx')).sort() };
    const other = `hf_${'Othr'.repeat(9)}`;
    expect(git(t, ['credential', 'approve'], { input: `protocol=https\nhost=huggingface.co\nusername=x\npassword=${other}\n\n` }).code).toBe(0);
    expect(git(t, ['credential', 'reject'], { input: `protocol=https\nhost=huggingface.co\nusername=x\npassword=${HF}\n\n` }).code).toBe(0);
    expect({ profile: readFileSync(t.profile, 'utf8'), files: readdirSync(join(t.home, '.cp-whisperx')).sort() }).toEqual(before);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    expect(existsSync(join(t.home, '.git-credentials'))).toBe(false);
  });

  it('no value in argv: /proc/*/cmdline, read over and over while the helper runs, never holds the token', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const dump = join(t.root, 'cmdlines');
    const wrapper = join(t.root, 'scan-helper.sh');
    // A background job's stdin is /dev/null; git's request comes on stdin, so it is kept on fd 3 first.
    writeFileSync(wrapper, `#!/bin/sh\nexec 3<&0\n"$SCAN_NODE" "$SCAN_BIN" git-credential "$@" <&3 &\npid=$!\nwhile kill -0 $pid 2>/dev/null; do cat /proc/[0-9]*/cmdline >> "$SCAN_DUMP" 2>/dev/null; echo >> "$SCAN_DUMP"; done\nwait $pid\n`);
    chmodSync(wrapper, 0o755);
    const r = git(t, ['credential', 'fill'], { input: ASK('huggingface.co'), helper: `!${wrapper}`, env: { SCAN_NODE: process.execPath, SCAN_BIN: BIN, SCAN_DUMP: dump } });
    expect(r.stdout).toContain(`password=${HF}`);
    const seen = readFileSync(dump, 'utf8');
    expect(seen).toContain('git-credential\0get');
    expect(seen).not.toContain(HF);
  });

  it('a locked keychain: git gets nothing, and one clear line on stderr says why', async () => {
    const t = makeTempHome();
    const seed = `printf %s '${HF}' | '${process.execPath}' '${BIN}' set huggingface token`;
    const r = await inPrivateSession('locked', ['git', '-c', 'credential.helper=', '-c', `credential.helper=${HELPER}`, 'credential', 'fill'], { home: t, setup: seed, input: ASK('huggingface.co'), env: { GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' } });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('password=');
    expect(r.stderr).toMatch(/cpw-vault git-credential: no HuggingFace token given to git: .*locked.* fix: /i);
    expect(r.stdout + r.stderr).not.toContain(HF);
  });
});

describe('installing the helper, and a real clone', () => {
  let repos: string;
  let server: GitHttpServer;
  let origin: string;

  beforeAll(async () => {
    const t = makeTempHome();
    repos = join(t.root, 'repos');
    mkdirSync(repos);
    const run = (args: string[], cwd = repos) => spawnSync('git', args, { cwd, env: { ...process.env, HOME: t.home, GIT_CONFIG_NOSYSTEM: '1' }, stdio: 'ignore' });
    run(['init', '-q', '--bare', '--initial-branch=main', 'ada-lovelace/private-model.git']);
    const work = join(t.root, 'seed');
    run(['init', '-q', work]);
    writeFileSync(join(work, 'config.yaml'), 'model: private\n');
    run(['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'add', '.'], work);
    run(['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'seed'], work);
    run(['push', '-q', join(repos, 'ada-lovelace/private-model.git'), 'HEAD:refs/heads/main'], work);
    server = new GitHttpServer(repos, HF);
    origin = await server.start();
  });
  afterAll(() => server.stop());

  it('`git-credential config` prints the line; once run, git clone of a private repository works with no token on disk or in the URL', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const bin = join(t.root, 'bin');
    mkdirSync(bin);
    symlinkSync(BIN, join(bin, 'cpw-vault'));
    const PATH = `${bin}:${process.env['PATH']}`;
    const config = await cli(t, ['git-credential', 'config'], { env: { PATH } });
    expect(config.stdout).toBe([
      'git config --global --remove-section credential.https://huggingface.co 2>/dev/null || :',
      "git config --global --add credential.https://huggingface.co.helper '' &&",
      "git config --global --add credential.https://huggingface.co.helper '!cpw-vault git-credential'\n",
    ].join('\n'));
    const env = { ...process.env, PATH, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', HF_ENDPOINT: origin };
    expect(spawnSync('sh', ['-c', config.stdout], { env }).status).toBe(0);
    // The loopback "Hub" is the configured HF endpoint; git looks up helpers by URL, so install it for that origin the same way.
    expect(spawnSync('git', ['config', '--global', `credential.${origin}.helper`, '!cpw-vault git-credential'], { env }).status).toBe(0);
    // Asynchronously: the git server runs in this process.
    const clone = await collect(spawn('git', ['clone', '-q', `${origin}/ada-lovelace/private-model.git`, 'model'], { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(clone.stderr).toBe('');
    expect(clone.code).toBe(0);
    expect(readFileSync(join(t.cwd, 'model', 'config.yaml'), 'utf8')).toBe('model: private\n');
    expect(server.authorizations.map((a) => Buffer.from(a.slice(6), 'base64').toString())).toContain(`hf_user:${HF}`);
    expect(readFileSync(join(t.cwd, 'model', '.git', 'config'), 'utf8')).not.toContain(HF);
    expect(existsSync(join(t.home, '.git-credentials'))).toBe(false);
  });

  it('under --profile (relative), the helper line carries its absolute path: git asked the default profile', async () => {
    const t = makeTempHome();
    const mine = `hf_${'TeamProf'.repeat(4)}`;
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    await cli(t, ['--profile', './team.profile', 'set', 'huggingface', 'token'], { input: mine });
    const config = await cli(t, ['--profile', './team.profile', 'git-credential', 'config']);
    expect(config.stdout).toContain(`--profile ${join(t.cwd, 'team.profile')} git-credential`);
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
    expect(spawnSync('sh', ['-c', config.stdout], { env }).status).toBe(0);
    // git runs it from another folder (a repository's).
    const fill = spawnSync('git', ['credential', 'fill'], { cwd: t.root, env, input: 'protocol=https\nhost=huggingface.co\n\n', encoding: 'utf8' });
    expect(fill.stdout).toContain(`password=${mine}\n`);
    // CPW_PROFILE too: git runs the helper from shells that do not export it.
    const fromEnv = await cli(t, ['git-credential', 'config'], { env: { CPW_PROFILE: './team.profile' } });
    expect(fromEnv.stdout).toContain(`--profile ${join(t.cwd, 'team.profile')} git-credential`);
  });
});

describe('doctor and plaintext HuggingFace tokens', () => {
  it('warns about ~/.git-credentials and the Hub token file (never the token), and the fixes it offers work', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'tmdb', 'api_key'], { input: '0123456789abcdef0123456789abcdef' });
    const old = `hf_${'Plan'.repeat(9)}`;
    writeFileSync(join(t.home, '.git-credentials'), `https://octo:ghp_notours@github.com\nhttps://ada:${old}@huggingface.co\n`, { mode: 0o600 });
    mkdirSync(join(t.home, '.cache', 'huggingface'), { recursive: true });
    writeFileSync(join(t.home, '.cache', 'huggingface', 'token'), old);
    const r = await cli(t, ['doctor']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/! .*\.git-credentials holds a HuggingFace token in plaintext.*\n\s+fix: printf 'protocol=https\\nhost=huggingface\.co\\n\\n' \| git credential-store --file \S+ get \| sed -n 's\/\^password=\/\/p' \| cpw-vault set huggingface token/);
    expect(r.stderr).toMatch(/huggingface\/token holds a HuggingFace token in plaintext.*\n\s+fix: Move it into the vault, then run stages under cpw-vault exec, which gives them HF_TOKEN: cpw-vault migrate --from \S+ --remove-plaintext --yes\n/);
    expect(r.stdout + r.stderr).not.toContain(old);
    const json = JSON.parse((await cli(t, ['doctor', '--json'])).stdout);
    expect(json.plaintext_tokens.map((p: { kind: string }) => p.kind)).toEqual(['git-credentials', 'hf-token-file']);
    // Run the offered fixes as a user would (cpw-vault on PATH).
    const bin = join(t.root, 'bin');
    mkdirSync(bin);
    symlinkSync(BIN, join(bin, 'cpw-vault'));
    const env = { ...process.env, PATH: `${bin}:${process.env['PATH']}`, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, GIT_CONFIG_NOSYSTEM: '1' };
    for (const p of json.plaintext_tokens as Array<{ fix: string }>) {
      const fix = p.fix.replace(/^Move it into the vault, .*?HF_TOKEN: /, '');
      const done = spawnSync('sh', ['-ec', fix], { cwd: t.cwd, env, encoding: 'utf8' });
      expect(done.status).toBe(0);
    }
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(old);
    expect(readFileSync(join(t.home, '.git-credentials'), 'utf8')).toBe('https://octo:ghp_notours@github.com\n');
    expect(existsSync(join(t.home, '.cache', 'huggingface', 'token'))).toBe(false);
    expect(JSON.parse((await cli(t, ['doctor', '--json'])).stdout).plaintext_tokens).toEqual([]);
  });

  it('under a --profile that does not exist yet, doctor still reports (reading the vault\'s token for the comparison failed it)', async () => {
    const t = makeTempHome();
    writeFileSync(join(t.home, '.git-credentials'), `https://ada:hf_${'Nope'.repeat(9)}@huggingface.co\n`, { mode: 0o600 });
    const r = await cli(t, ['--profile', './nope.profile', 'doctor', '--json']);
    const report = JSON.parse(r.stdout) as { profile: { problems: Array<{ code: string }> }; plaintext_tokens: Array<{ kind: string }> };
    expect(report.profile.problems.map((p) => p.code)).toContain('PROFILE_NOT_FOUND');
    expect(report.plaintext_tokens.map((p) => p.kind)).toEqual(['git-credentials']);
  });

  it("with a token in the vault: git's same token is only erased; a different one is named by its hint and never set by the fix", async () => {
    const t = makeTempHome();
    const stored = `hf_${'Vaul'.repeat(9)}2345`;
    const other = `hf_${'GitS'.repeat(9)}1234`;
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: stored })).code).toBe(0);
    const creds = join(t.home, '.git-credentials');
    writeFileSync(creds, `https://ada:${other}@huggingface.co\n`, { mode: 0o600 });
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, GIT_CONFIG_NOSYSTEM: '1', PATH: `${join(t.root, 'nobin')}:${process.env['PATH']}` };
    const differs = JSON.parse((await cli(t, ['doctor', '--json'])).stdout).plaintext_tokens[0] as { message: string; fix: string };
    expect(differs.message).toContain('••••1234, not the token your vault holds (••••2345)');
    // Pasted as a whole, the fix checks first and replaces nothing (it replaced the vault's token without a word).
    expect(differs.fix.split('\n')[0]).toMatch(/^cpw-vault verify huggingface token && printf .* erase$/);
    expect(differs.message).toMatch(/ The fix erases git's copy only if your vault's token works; if it does not, take git's instead: .*\| cpw-vault set huggingface token$/);
    writeFileSync(creds, `https://ada:${stored}@huggingface.co\n`, { mode: 0o600 });
    // Another token that ends alike is not "the same": compared by value, never by hint (its erase lost git's only copy).
    writeFileSync(creds, `https://ada:hf_${'Else'.repeat(9)}2345@huggingface.co\n`, { mode: 0o600 });
    const alike = JSON.parse((await cli(t, ['doctor', '--json'])).stdout).plaintext_tokens[0] as { message: string; fix: string };
    expect(alike.message).toContain('not the token your vault holds, though both end in ••••2345');
    expect(alike.fix.split('\n')[0]).toMatch(/^cpw-vault verify huggingface token/);
    writeFileSync(creds, `https://ada:${stored}@huggingface.co\n`, { mode: 0o600 });
    const same = JSON.parse((await cli(t, ['doctor', '--json'])).stdout).plaintext_tokens[0] as { message: string; fix: string };
    expect(same.message).toContain('the same token your vault holds (••••2345)');
    expect(same.fix).not.toContain('cpw-vault set');
    const done = spawnSync('sh', ['-ec', same.fix.split('\n').slice(0, 1).join('\n')], { cwd: t.cwd, env, encoding: 'utf8' });
    expect(done.status, done.stderr).toBe(0);
    expect(readFileSync(creds, 'utf8')).toBe('');
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(stored);
  });
});
