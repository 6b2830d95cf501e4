// Issue 12, "Files in folders other people can write": a profile in a 1777
// folder, another user (uid 65534) planting links at the names a writer would
// use, and sidecars that belong to someone else. Tests run as root, so the
// kernel's own owner checks do not help: every refusal here is cpw-vault's.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets } from '../../shared/core/redact';
import { runDoctor } from '../../shared/node/doctor';
import { createVault, openServices, type OpenOptions } from '../../shared/node/open';
import { ProfileStore } from '../../shared/node/profile/store';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { fixture } from '../helpers/children';
import { BIN } from '../helpers/cli';
import { rejected, thrown } from '../helpers/errors';
import { makeTempHome } from '../helpers/temp';

const OTHER = 65534; // nobody
const USER = 1000; // the vault's user in the attack run as it happens
const HF = `hf_${'Sh4r3d'.repeat(6)}`;
const TMDB = '0123456789abcdef0123456789abcdef';

afterEach(() => clearRegisteredSecrets());

/** A folder like /tmp: root's, mode 1777. */
function sharedFolder(root: string): string {
  const dir = join(root, 'shared');
  mkdirSync(dir);
  chmodSync(dir, 0o1777);
  return dir;
}

/** A file of the other user, as it would be in their home. */
function otherUsersFile(root: string, name: string): string {
  const dir = join(root, 'other-home');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, `# ${name} of uid ${OTHER}\n`);
  chmodSync(file, 0o644);
  chownSync(file, OTHER, OTHER);
  return file;
}

function options(t: ReturnType<typeof makeTempHome>, profilePath: string, warnings: string[]): OpenOptions {
  return { homeDir: t.home, cwd: t.cwd, env: {}, secrets: new MemorySecretStore(), caller: 'cli', profilePath, warn: (m) => warnings.push(m) };
}

/**
 * The temp names write-file-atomic (the writer before) gives `target`: sha1 of
 * its own path, the pid, the thread id and a counter, all known to another
 * user on the machine. The first `count` of them.
 */
function predictableTempNames(target: string, count: number, lib = createRequire(import.meta.url).resolve('write-file-atomic'), pid = process.pid, thread = threadId): string[] {
  return Array.from({ length: count }, (_, i) => `${target}.${createHash('sha1').update(lib).update(String(pid)).update(String(thread)).update(String(i + 1)).digest().readUInt32BE(0)}`);
}

/** The first line a child prints. */
function firstLine(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    child.on('error', reject);
    child.on('close', () => reject(new Error(`the child exited before printing a line: ${text}`)));
  });
}

/**
 * Outside the test root (0700, root's), so the vault user can reach them: a shared folder (1777) and the vault user's
 * home, under one base folder to remove.
 */
function sharedFolderAndHome(): { base: string; shared: string; home: string } {
  const base = mkdtempSync('/tmp/cpw-shared-');
  chmodSync(base, 0o755);
  const shared = join(base, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  const home = join(base, 'home');
  mkdirSync(home);
  chownSync(home, USER, USER);
  return { base, shared, home };
}

describe('the attack as it happens: the vault run by one user (uid 1000), links planted by another (uid 65534)', () => {
  it('the ~/.bashrc of the vault user, reachable through every planted link, is not changed; the profile is written', async () => {
    const { base, shared, home } = sharedFolderAndHome();
    try {
      const bashrc = join(home, '.bashrc');
      writeFileSync(bashrc, '# the vault user\'s bashrc\n');
      chmodSync(bashrc, 0o644);
      chownSync(bashrc, USER, USER);
      const target = join(shared, 'a.profile');
      const script = realpathSync(fixture('shared-writer'));
      const child = spawn('setpriv', [`--reuid=${USER}`, `--regid=${USER}`, '--clear-groups', process.execPath, script, target, home], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
      const pid = Number(await firstLine(child));
      // What any user on the machine knows: the writer's path, its pid, thread 0, a counter from 1.
      const planted = predictableTempNames(target, 64, script, pid, 0);
      for (const name of planted) {
        symlinkSync(bashrc, name);
        lchownSync(name, OTHER, OTHER);
      }
      child.stdin.end('go\n');
      await closed;
      expect(readFileSync(bashrc, 'utf8')).toBe('# the vault user\'s bashrc\n');
      expect(statSync(bashrc).mode & 0o777).toBe(0o644);
      expect(err).toBe('');
      expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ ok: true });
      for (const name of planted) expect(readlinkSync(name)).toBe(bashrc);
      const written = lstatSync(target);
      expect(written.isFile()).toBe(true);
      expect([written.uid, written.mode & 0o777]).toEqual([USER, 0o600]);
      expect(JSON.parse(readFileSync(target, 'utf8')).user.name).toBe('Ada');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('a journal name planted by another user in the shared folder', () => {
  it('the vault user is told the file is another user\'s (it was a bare EPERM), and nothing is stored half-way', async () => {
    const { base, shared, home } = sharedFolderAndHome();
    try {
      const target = join(shared, 'a.profile');
      const journal = `${target}.journal`;
      writeFileSync(journal, '{"transactions": []}\n');
      chmodSync(journal, 0o644);
      chownSync(journal, OTHER, OTHER);
      const child = spawn('setpriv', [`--reuid=${USER}`, `--regid=${USER}`, '--clear-groups', process.execPath, realpathSync(fixture('shared-writer')), target, home], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
      await firstLine(child);
      child.stdin.end('go\n');
      await closed;
      const result = JSON.parse(out.trim().split('\n').pop()!) as { ok: boolean; code?: string; message?: string };
      expect(result).toMatchObject({ ok: false, code: 'PROFILE_PERMISSIONS' });
      expect(result.message).toMatch(new RegExp(`^${journal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(\\.[\\w.-]+)? belongs to another user \\(uid ${OTHER}\\), so cpw-vault cannot replace it \\(E(PERM|ACCES)\\); nothing was written there\\.$`));
      expect(readFileSync(journal, 'utf8')).toBe('{"transactions": []}\n');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('a profile in a folder others can write', () => {
  it('another user plants links at every predictable temp name: none of their files (or ours) is changed', async () => {
    const t = makeTempHome();
    const shared = realpathSync(sharedFolder(t.root));
    const theirs = otherUsersFile(t.root, '.bashrc');
    const ours = join(t.home, '.bashrc');
    writeFileSync(ours, '# our bashrc\n');
    const target = join(shared, 'a.profile');
    const planted = predictableTempNames(target, 1500);
    for (const [i, name] of planted.entries()) {
      symlinkSync(i % 2 ? theirs : ours, name);
      lchownSync(name, OTHER, OTHER);
    }
    const before = { theirs: readFileSync(theirs, 'utf8'), ours: readFileSync(ours, 'utf8'), theirsMode: statSync(theirs).mode, theirsUid: statSync(theirs).uid };
    const warnings: string[] = [];
    const vault = createVault(options(t, target, warnings));
    await vault.setCredential('huggingface', 'token', HF);
    await vault.setCredential('tmdb', 'api_key', TMDB);
    await vault.updateProfile({ user: { name: 'Ada' } });

    expect(readFileSync(theirs, 'utf8')).toBe(before.theirs);
    expect(statSync(theirs).mode).toBe(before.theirsMode);
    expect(statSync(theirs).uid).toBe(before.theirsUid);
    expect(readFileSync(ours, 'utf8')).toBe(before.ours);
    // Every planted link is still there, unchanged, pointing where it pointed.
    for (const [i, name] of planted.entries()) {
      expect(lstatSync(name).isSymbolicLink()).toBe(true);
      expect(readlinkSync(name)).toBe(i % 2 ? theirs : ours);
    }
    // The profile itself was written, a regular 0600 file of ours.
    const written = lstatSync(target);
    expect(written.isFile()).toBe(true);
    expect(written.mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(target, 'utf8')).user.name).toBe('Ada');
    // And no temp file of ours was left behind.
    expect(readdirSync(shared).filter((n) => n.startsWith('a.profile.tmp-'))).toEqual([]);
  });

  it('a folder of another user that others can write (no sticky bit) is refused before anything is written', async () => {
    const t = makeTempHome();
    const dir = join(t.root, 'theirs');
    mkdirSync(dir);
    chownSync(dir, OTHER, OTHER);
    chmodSync(dir, 0o777);
    const warnings: string[] = [];
    const err = await rejected(createVault(options(t, join(dir, 'a.profile'), warnings)).setCredential('tmdb', 'api_key', TMDB));
    expect(err.code).toBe('PROFILE_PERMISSIONS');
    expect(err.message).toContain(`another user (uid ${OTHER})`);
    expect(readdirSync(dir)).toEqual([]);
    expect(statSync(dir).mode & 0o7777).toBe(0o777);
  });

  it('a folder of ours that others can write without a sticky bit is refused (they could replace the profile)', async () => {
    const t = makeTempHome();
    const dir = join(t.root, 'open');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const err = await rejected(createVault(options(t, join(dir, 'a.profile'), [])).setCredential('tmdb', 'api_key', TMDB));
    expect(err.code).toBe('PROFILE_PERMISSIONS');
    expect(err.fix).toContain('chmod');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('doctor says so before a write meets it: a problem without the sticky bit, a warning with it, nothing in a private folder', async () => {
    const t = makeTempHome();
    // One store for the writes and the reports (each vault would otherwise get an empty one, which doctor rightly says
    // does not hold what the index lists).
    const secrets = new MemorySecretStore();
    const opts = (dir: string) => ({ ...options(t, join(dir, 'a.profile'), []), secrets });
    const report = async (dir: string) => runDoctor(createVault(opts(dir)));
    const open = join(t.root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const refused = await report(open);
    expect(refused.ok).toBe(false);
    expect(refused.profile.dir_mode).toBe('0777');
    expect(refused.profile.problems.map((p) => p.code)).toContain('PROFILE_PERMISSIONS');
    expect(refused.profile.problems.find((p) => p.code === 'PROFILE_PERMISSIONS')?.message).toContain('has no sticky bit');

    const shared = sharedFolder(t.root);
    await createVault(opts(shared)).setCredential('tmdb', 'api_key', TMDB);
    const sticky = await report(shared);
    expect(sticky.profile.dir_mode).toBe('1777');
    expect(sticky.profile.problems).toEqual([]);
    expect(sticky.ok).toBe(true);
    expect(sticky.profile.warnings).toEqual([expect.stringMatching(/^.*shared \(mode 1777\) can be written by other users\..*\n {4}fix: Keep the profile in a folder only you can write/s)]);

    const own = join(t.root, 'own');
    mkdirSync(own, { mode: 0o700 });
    await createVault(opts(own)).setCredential('tmdb', 'api_key', TMDB);
    const quiet = await report(own);
    expect(quiet.profile.warnings).toBeUndefined();
    expect(quiet.profile.problems).toEqual([]);
  });
});

describe('sidecars that belong to someone else', () => {
  function plantedSidecar(path: string): { text: string; mode: number } {
    writeFileSync(path, '{"theirs":true}\n');
    chmodSync(path, 0o644);
    chownSync(path, OTHER, OTHER);
    return { text: readFileSync(path, 'utf8'), mode: statSync(path).mode };
  }

  it('an audit log of another user is never written to nor chmod-ed; the change is made and the refusal said', async () => {
    const t = makeTempHome();
    const target = join(sharedFolder(t.root), 'a.profile');
    const audit = `${target}.audit.log`;
    const before = plantedSidecar(audit);
    const warnings: string[] = [];
    const vault = createVault(options(t, target, warnings));
    await vault.setCredential('tmdb', 'api_key', TMDB);
    expect(readFileSync(audit, 'utf8')).toBe(before.text);
    expect(statSync(audit).mode).toBe(before.mode);
    expect(statSync(audit).uid).toBe(OTHER);
    expect(warnings.join('\n')).toContain(`${audit} belongs to another user (uid ${OTHER}); refusing to write to it`);
  });

  it('a run history of another user is not appended to; listing it is refused with PROFILE_PERMISSIONS', async () => {
    const t = makeTempHome();
    const target = join(sharedFolder(t.root), 'a.profile');
    const warnings: string[] = [];
    const { vault, history } = await openServices(options(t, target, warnings));
    await vault.setCredential('tmdb', 'api_key', TMDB);
    const runs = `${target}.runs.jsonl`;
    const before = plantedSidecar(runs);
    await history.start({ workflow: 'subtitle', program: 'python3', credentials: ['tmdb.api_key'] }, new Date());
    expect(readFileSync(runs, 'utf8')).toBe(before.text);
    expect(warnings.join('\n')).toContain(`${runs} belongs to another user (uid ${OTHER})`);
    expect(thrown(() => history.list()).code).toBe('PROFILE_PERMISSIONS');
  });

  it('a usage folder of another user is never touched, and its marks are not trusted', async () => {
    const t = makeTempHome();
    const target = join(sharedFolder(t.root), 'a.profile');
    const warnings: string[] = [];
    const vault = createVault(options(t, target, warnings));
    await vault.setCredential('tmdb', 'api_key', TMDB);
    const usage = `${target}.usage`;
    mkdirSync(usage);
    const mark = join(usage, 'tmdb.api_key');
    writeFileSync(mark, '');
    chownSync(mark, OTHER, OTHER);
    chownSync(usage, OTHER, OTHER);
    const old = new Date('2020-01-01T00:00:00Z');
    const { utimesSync } = await import('node:fs');
    utimesSync(mark, old, old);
    await vault.getCredential('tmdb', 'api_key');
    expect(statSync(mark).mtimeMs).toBe(old.getTime());
    expect(warnings.join('\n')).toContain('belongs to another user');
  });
});

describe('fifos planted by another user at the names of sidecars', () => {
  /** `cpw-vault ...args` as the vault's user runs it; a deadline far past any answer only ends a hang, which the test reports. */
  function run(t: ReturnType<typeof makeTempHome>, args: string[], env: Record<string, string> = {}, input = '') {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, ...env }, input, encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
    expect(r.signal, `cpw-vault ${args.join(' ')} hung`).toBeNull();
    return r;
  }

  function plantFifo(path: string): void {
    rmSync(path, { force: true });
    expect(spawnSync('mkfifo', [path]).status).toBe(0);
    lchownSync(path, OTHER, OTHER);
  }

  it('at the lookup copy (a profile written before copies existed): reads answer from the profile, at once', async () => {
    const t = makeTempHome();
    const target = join(sharedFolder(t.root), 'a.profile');
    await createVault(options(t, target, [])).setCredential('custom', 'api_key', 'custom-value-1234', { envVar: 'MY_CUSTOM_KEY' });
    // The copy's name is free until a writer makes one: another user takes it first (and, in a sticky folder, keeps it).
    plantFifo(`${target}.profile.index`);
    const get = run(t, ['--profile', target, 'get', 'tmdb', 'api_key'], { TMDB_API_KEY: TMDB });
    expect(get.status, get.stderr).toBe(0);
    expect(get.stdout).toBe(TMDB);
    const list = run(t, ['--profile', target, 'list', '--json']);
    expect(list.status, list.stderr).toBe(0);
    const custom = (JSON.parse(list.stdout) as { credentials: Array<{ id: string; envVars: string[] }> }).credentials.find((c) => c.id === 'custom.api_key');
    expect(custom?.envVars).toEqual(['MY_CUSTOM_KEY']);
  });

  it('at the audit log: a read answers at once, the log refused with a warning', async () => {
    const t = makeTempHome();
    const target = join(sharedFolder(t.root), 'a.profile');
    writeFileSync(target, `${JSON.stringify({ version: '2.0', credentials: {}, credential_metadata: {} })}\n`, { mode: 0o600 });
    plantFifo(`${target}.audit.log`);
    const get = run(t, ['--profile', target, 'get', 'tmdb', 'api_key'], { TMDB_API_KEY: TMDB });
    expect(get.status, get.stderr).toBe(0);
    expect(get.stdout).toBe(TMDB);
    expect(get.stderr).toContain('could not write the audit log');
  });

  it('at the run history: exec runs the stage and returns its exit code, the history refused with a warning', () => {
    const t = makeTempHome();
    const target = join(sharedFolder(t.root), 'a.profile');
    writeFileSync(target, `${JSON.stringify({ version: '2.0', credentials: {}, credential_metadata: {} })}\n`, { mode: 0o600 });
    plantFifo(`${target}.runs.jsonl`);
    const exec = run(t, ['--profile', target, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'exit 7'], { HF_TOKEN: HF });
    expect(exec.status, exec.stderr).toBe(7);
    // Once, though the run's start and its end both failed to be recorded.
    expect(exec.stderr.match(/could not record the run/g)).toHaveLength(1);
  });

  it('a symbolic link another user planted at the lock: refused, and the fix is not to rm what the user cannot remove', async () => {
    const t = makeTempHome();
    const target = join(sharedFolder(t.root), 'a.profile');
    await createVault(options(t, target, [])).setCredential('custom', 'api_key', 'custom-value-1234');
    const before = readFileSync(target, 'utf8');
    symlinkSync(otherUsersFile(t.root, 'their-file'), `${target}.lock`);
    lchownSync(`${target}.lock`, OTHER, OTHER);
    const set = run(t, ['--profile', target, 'set', 'tmdb', 'api_key'], {}, TMDB);
    expect(set.status).not.toBe(0);
    expect(set.stderr).toContain(`is a symbolic link of another user (uid ${OTHER}), who may have planted it; refusing to follow it.`);
    expect(set.stderr).toContain('fix: Keep the profile in a folder only you can write');
    expect(set.stderr).not.toContain('rm ');
    expect(readFileSync(target, 'utf8')).toBe(before);
  });

  it('at the lock: a write is refused with PROFILE_PERMISSIONS, at once, nothing changed', async () => {
    const t = makeTempHome();
    const target = join(sharedFolder(t.root), 'a.profile');
    await createVault(options(t, target, [])).setCredential('custom', 'api_key', 'custom-value-1234');
    const before = readFileSync(target, 'utf8');
    plantFifo(`${target}.lock`);
    const set = run(t, ['--profile', target, 'set', 'tmdb', 'api_key'], {}, TMDB);
    expect(set.status).not.toBe(0);
    expect(set.stderr).toContain(`belongs to another user (uid ${OTHER})`);
    expect(readFileSync(target, 'utf8')).toBe(before);
  });
});

describe('a symlinked ~/.cp-whisperx', () => {
  function linkedHome() {
    const t = makeTempHome();
    const real = join(t.root, 'dotfiles', 'cpw');
    mkdirSync(real, { recursive: true });
    writeFileSync(join(real, 'user.profile'), JSON.stringify({ version: '2.0', user: { name: 'linked' }, credentials: {} }));
    chmodSync(join(real, 'user.profile'), 0o600);
    chmodSync(real, 0o755);
    symlinkSync(real, join(t.home, '.cp-whisperx'));
    return { t, real };
  }

  it('is refused for writing like a symlinked profile; its target is never chmod-ed', async () => {
    const { t, real } = linkedHome();
    const vault = createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets: new MemorySecretStore(), caller: 'cli', warn: () => {} });
    const err = await rejected(vault.setCredential('tmdb', 'api_key', TMDB));
    expect(err.code).toBe('PROFILE_SYMLINK');
    expect(err.message).toContain('.cp-whisperx is a symbolic link');
    expect(statSync(real).mode & 0o777).toBe(0o755);
    expect(readdirSync(real)).toEqual(['user.profile']);
  });

  it('is refused for reading, with the same code', () => {
    const { t, real } = linkedHome();
    const store = new ProfileStore({ homeDir: t.home, cwd: t.cwd, env: {}, warn: () => {} });
    expect(thrown(() => store.read()).code).toBe('PROFILE_SYMLINK');
    expect(statSync(real).mode & 0o777).toBe(0o755);
  });
});
