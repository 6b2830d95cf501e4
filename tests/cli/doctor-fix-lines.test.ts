// A careful user's pass on `cpw-vault doctor`: every finding about the profile it runs on, every fix line one that
// works when pasted, nothing changed unasked.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect } from '../helpers/children';
import { BIN, cli, hex } from '../helpers/cli';
import { NOBODY, homeOf } from '../helpers/planted';
import { makeTempHome } from '../helpers/temp';

type Found = { kind: string; path: string; fix: string };
const backupsFound = (stdout: string) => (JSON.parse(stdout) as { plaintext_tokens: Found[] }).plaintext_tokens.filter((p) => p.kind === 'migration-backup').map((p) => p.path);

describe('doctor --profile OTHER', () => {
  it('names only the backups its own migrations made, not the one the default profile left in the working folder', async () => {
    const t = makeTempHome();
    const other = join(t.root, 'elsewhere', 'other.profile');
    mkdirSync(join(t.root, 'elsewhere'), { mode: 0o700 });
    const values = [hex(32), hex(32)];
    // The default profile migrates ./.env; the other profile migrates ./other.env: both backups land in the working folder.
    writeFileSync(join(t.cwd, '.env'), `TMDB_API_KEY=${values[0]}\n`, { mode: 0o600 });
    writeFileSync(join(t.cwd, 'other.env'), `TMDB_API_KEY=${values[1]}\n`, { mode: 0o600 });
    expect((await cli(t, ['migrate', '--from', join(t.cwd, '.env'), '--yes'])).code).toBe(0);
    expect((await cli(t, ['--profile', other, 'migrate', '--from', join(t.cwd, 'other.env'), '--yes'])).code).toBe(0);
    const backup = (name: string) => readdirSync(t.cwd).filter((f) => f.startsWith(`${name}.backup-`)).map((f) => join(t.cwd, f));
    const [defaults, others] = [backup('.env'), backup('other.env')];
    expect(defaults).toHaveLength(1);
    expect(others).toHaveLength(1);

    const json = await cli(t, ['--profile', other, 'doctor', '--json']);
    expect(backupsFound(json.stdout)).toEqual(others);
    const text = await cli(t, ['--profile', other, 'doctor']);
    expect(text.stderr).not.toContain(defaults[0]);
    expect(text.stderr).toContain(`${others[0]} is a backup a migration made`);
    // The default profile's doctor still names its own (and its check, pasted, finds every row identical).
    const mine = await cli(t, ['doctor', '--json']);
    expect(backupsFound(mine.stdout)).toContain(defaults[0]);
    const check = await cli(t, ['migrate', '--from', defaults[0]!, '--dry-run']);
    expect(check.code, check.stderr).toBe(0);
    const theirs = await cli(t, ['--profile', other, 'migrate', '--from', others[0]!, '--dry-run']);
    for (const pasted of [check, theirs]) expect(pasted.stdout).toContain('0 to write; 1 identical, 0 conflicts,');
    expect(values.some((v) => (json.stdout + text.stderr + mine.stdout).includes(v))).toBe(false);
  }, 120_000);

  it('--json: the fix lines name that profile, and the one for a missing key, pasted into sh, stores it there', async () => {
    const t = makeTempHome();
    const dir = join(t.root, "team's profiles");
    mkdirSync(dir, { mode: 0o700 });
    const other = join(dir, 'other.profile');
    expect((await cli(t, ['--profile', other, 'profile', 'set', 'name=Other']).then((r) => r.code))).toBe(0);
    const r = await cli(t, ['--profile', other, 'doctor', '--json']);
    const report = JSON.parse(r.stdout) as { workflows: Array<{ workflow: string; missing: Array<{ fix: string }> }> };
    const fixes = report.workflows.flatMap((w) => w.missing.map((m) => m.fix));
    expect(fixes.length).toBeGreaterThan(0);
    for (const fix of fixes) expect(fix).not.toMatch(/cpw-vault set/); // each names the profile: `cpw-vault --profile ... set`
    const fix = report.workflows.find((w) => w.workflow === 'transcribe')!.missing[0]!.fix;
    const line = /run: (cpw-vault .+ set huggingface token)$/.exec(fix)?.[1];
    expect(line, fix).toBe(`cpw-vault --profile '${other.replace(/'/g, `'\\''`)}' set huggingface token`);
    // Pasted as printed into sh, with `cpw-vault` on PATH (as npm link installs it).
    const bin = join(t.root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'cpw-vault'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}:${process.env['PATH']}`, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
    const pasted = await collect(spawn('sh', ['-c', line!], { cwd: t.cwd, env }), `hf_${hex(34)}`);
    expect(pasted.code, pasted.stderr).toBe(0);
    expect((await cli(t, ['--profile', other, 'check', 'transcribe'])).code).toBe(0);
    expect(existsSync(t.profile)).toBe(false); // the default profile was never created
    // The paths in the report are data: never rewritten.
    expect((JSON.parse(r.stdout) as { profile: { path: string } }).profile.path).toBe(other);
  }, 120_000);
});

describe('doctor on a profile another user owns', () => {
  // Run as root (the harness): doctor runs as uid 1000 on a profile of uid 65534's, and root pastes its fix.
  it.runIf(process.getuid?.() === 0)('the fix line, pasted by root (only root can give a file away), makes the profile the user\'s', async () => {
    // A folder uid 1000 can reach (the run's root is root's own 0700 folder).
    const { base, home } = homeOf(1000, 'cpw-doctor-owner-', { name: "user's home" });
    try {
      const profile = join(home, 'team.profile');
      writeFileSync(profile, `${JSON.stringify({ version: '2.0', credentials: {} })}\n`, { mode: 0o600 });
      chownSync(profile, 65534, 65534);
      const asUser = () => collect(spawn(process.execPath, [BIN, '--profile', profile, 'doctor', '--json'], { uid: 1000, gid: 1000, cwd: home, env: { PATH: process.env['PATH'], HOME: home } }), '');
      const before = await asUser();
      const problem = (JSON.parse(before.stdout) as { profile: { problems: Array<{ code: string; message: string; fix: string }> } }).profile.problems.find((p) => p.message.includes('belongs to another user'));
      expect(problem, before.stdout + before.stderr).toMatchObject({ code: 'PROFILE_PERMISSIONS' });
      const line = problem!.fix.slice(problem!.fix.lastIndexOf(': ') + 2);
      // root's sudo (none is installed here): runs the command as root.
      const bin = join(base, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'sudo'), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
      const pasted = await collect(spawn('sh', ['-c', line], { cwd: base, env: { ...process.env, PATH: `${bin}:${process.env['PATH']}` } }), '');
      expect(pasted.code, `${line}: ${pasted.stderr}`).toBe(0);
      expect(statSync(profile).uid).toBe(1000);
      const after = await asUser();
      expect(after.stdout).not.toContain('belongs to another user');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("doctor and a HuggingFace token in git's store that differs from the vault's", () => {
  it('the fix, pasted whole into a terminal while the vault\'s token cannot be verified, keeps git\'s token', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${hex(34)}` })).code).toBe(0);
    const gits = `hf_${hex(34)}`;
    const creds = join(t.home, '.git-credentials');
    writeFileSync(creds, `https://ada:${gits}@huggingface.co\n`, { mode: 0o600 });
    const found = (JSON.parse((await cli(t, ['doctor', '--json'])).stdout) as { plaintext_tokens: Found[] }).plaintext_tokens.find((p) => p.kind === 'git-credentials')!;
    expect(found.fix).not.toContain(gits);
    const bin = join(t.root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'cpw-vault'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
    // A terminal runs a paste line by line (a line that fails does not stop the next): an interactive bash reading it.
    // The Hub cannot be reached (a closed local port), so verify cannot say the vault's token works.
    const env = { ...process.env, PATH: `${bin}:${process.env['PATH']}`, HOME: t.home, HISTFILE: '/dev/null', CPW_KEYCHAIN_SERVICE: t.service, GIT_CONFIG_NOSYSTEM: '1', HF_ENDPOINT: 'http://127.0.0.1:9', HTTPS_PROXY: undefined, https_proxy: undefined };
    const pasted = await collect(spawn('bash', ['--norc', '--noprofile', '-i'], { cwd: t.cwd, env }), `${found.fix}\nexit\n`);
    expect(pasted.stdout).toContain('huggingface.token: unreachable'); // verify ran, and could not say it works
    expect(readFileSync(creds, 'utf8'), pasted.stderr).toContain(gits);
  }, 120_000);
});


describe("doctor and another user's file where it looks for a plaintext HuggingFace token", () => {
  // In a home other users can write (mode 1777), or a shared HF_HOME, that file is theirs: its token is theirs, and
  // doctor's fix took it into the user's vault (git credential-store ... | cpw-vault set huggingface token), so the
  // user's stages would upload to their account. migrate --from refuses another user's file for that very reason.
  it("a ~/.git-credentials, git's credentials file (a planted link) or the Hub's token file of another user's is not read, and no fix takes its token", async () => {
    const t = makeTempHome();
    const theirs = (path: string, text: string) => {
      writeFileSync(path, text, { mode: 0o644 });
      chownSync(path, NOBODY, NOBODY);
    };
    const token = `hf_${hex(34)}`;
    theirs(join(t.home, '.git-credentials'), `https://mallory:${token}@huggingface.co\n`);
    mkdirSync(join(t.home, '.config', 'git'), { recursive: true });
    theirs(join(t.root, 'their-credentials'), `https://mallory:${token}@huggingface.co\n`);
    symlinkSync(join(t.root, 'their-credentials'), join(t.home, '.config', 'git', 'credentials'));
    const hfHome = join(t.root, 'shared-hf');
    mkdirSync(hfHome, { mode: 0o1777 });
    chmodSync(hfHome, 0o1777);
    theirs(join(hfHome, 'token'), `${token}\n`);
    const r = await cli(t, ['doctor', '--json'], { env: { HF_HOME: hfHome, XDG_CONFIG_HOME: undefined, GIT_CONFIG_NOSYSTEM: '1' } });
    const found = (JSON.parse(r.stdout) as { plaintext_tokens: Found[] }).plaintext_tokens;
    expect(found.map((p) => [p.kind, p.path])).toEqual([]);
    // The user's own file, beside them, is still found.
    writeFileSync(join(hfHome, 'token.mine'), `${token}\n`, { mode: 0o600 });
    const own = await cli(t, ['doctor', '--json'], { env: { HF_HOME: hfHome, HF_TOKEN_PATH: join(hfHome, 'token.mine'), XDG_CONFIG_HOME: undefined, GIT_CONFIG_NOSYSTEM: '1' } });
    expect((JSON.parse(own.stdout) as { plaintext_tokens: Found[] }).plaintext_tokens.map((p) => [p.kind, p.path])).toEqual([['hf-token-file', join(hfHome, 'token.mine')]]);
  }, 120_000);
});

describe('doctor and the seed\'s config/secrets.json left beside a profile', () => {
  it('names it (it named only its backup) with a fix that, pasted, deletes it once the vault holds every key it holds', async () => {
    const t = makeTempHome();
    const tmdb = hex(32);
    mkdirSync(join(t.cwd, 'config'));
    const source = join(t.cwd, 'config', 'secrets.json');
    writeFileSync(source, JSON.stringify({ tmdb_api_key: tmdb, hf_token: `hf_${hex(34)}` }), { mode: 0o600 });
    expect((await cli(t, ['migrate', '--yes'])).code).toBe(0); // without --remove-plaintext: the file stays
    const found = () => cli(t, ['doctor', '--json']).then((r) => (JSON.parse(r.stdout) as { plaintext_tokens: Found[] }).plaintext_tokens.find((p) => p.path === source));
    const named = await found();
    expect(named, 'doctor names config/secrets.json').toMatchObject({ kind: 'secrets-json' });
    expect(named!.fix).not.toContain(tmdb);
    const line = named!.fix.slice(named!.fix.lastIndexOf(': ') + 2);
    const bin = join(t.root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'cpw-vault'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
    const paste = () => collect(spawn('sh', ['-c', line], { cwd: t.cwd, env: { ...process.env, PATH: `${bin}:${process.env['PATH']}`, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service } }), '');
    // The vault's TMDB key changed since: the file holds the only copy of the old one, and is kept.
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: hex(32) })).code).toBe(0);
    await paste();
    expect(existsSync(source)).toBe(true);
    expect(await found()).toBeDefined();
    // Once the vault holds what it holds, the same line deletes it, and doctor has nothing to say about it.
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: tmdb })).code).toBe(0);
    const done = await paste();
    expect(existsSync(source), done.stderr).toBe(false);
    expect(await found()).toBeUndefined();
  }, 120_000);
});

describe('doctor and cpw-vault\'s own folder left open to other users', () => {
  it('says a 0755 ~/.cp-whisperx is not 0700, changes nothing itself, and its chmod line, pasted, ends the warning', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${hex(34)}` })).code).toBe(0);
    const dir = join(t.home, '.cp-whisperx');
    chmodSync(dir, 0o755);
    const r = await cli(t, ['doctor']);
    expect(r.stderr).toContain(`! ${dir} has mode 0755: other users can list the files it holds`);
    expect(statSync(dir).mode & 0o777).toBe(0o755); // doctor never changes it unasked
    const report = JSON.parse((await cli(t, ['doctor', '--json'])).stdout) as { profile: { warnings?: string[] } };
    const warning = report.profile.warnings?.find((w) => w.startsWith(dir));
    const line = warning!.slice(warning!.lastIndexOf('Run: ') + 5);
    expect(spawnSync('sh', ['-c', line]).status).toBe(0);
    expect((await cli(t, ['doctor'])).stderr).not.toContain('other users can list');
  }, 120_000);
});

describe('doctor on a profile or folder that is a symbolic link', () => {
  // Its mode check followed the link: a profile linked to /etc/shadow got "has mode 0640; it should be 0600. fix: Run:
  // chmod 600 <the link>", and a ~/.cp-whisperx linked to a 0755 folder "fix: Run: chmod 700 <the link>": pasted, each
  // changed the target's mode (as root, /etc/shadow's), beside the refusal that says the target is never changed.
  it('names the link with its own fix, and no chmod that would change the target', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${hex(34)}` })).code).toBe(0);
    const dir = join(t.home, '.cp-whisperx');
    const target = join(t.root, 'target.profile');
    writeFileSync(target, readFileSync(t.profile));
    chmodSync(target, 0o640);
    rmSync(t.profile);
    symlinkSync(target, t.profile);
    const linked = await cli(t, ['doctor']);
    expect(linked.code).toBe(1);
    expect(linked.stderr).toContain(`PROFILE_SYMLINK ${t.profile} is a symbolic link`);
    expect(linked.stderr).not.toContain('chmod 600');
    const report = JSON.parse((await cli(t, ['doctor', '--json'])).stdout) as { profile: { problems: Array<{ code: string }> } };
    expect(report.profile.problems.map((p) => p.code)).toEqual(['PROFILE_SYMLINK']);
    const folder = join(t.root, 'folder');
    renameSync(dir, folder);
    chmodSync(folder, 0o755);
    symlinkSync(folder, dir);
    const r = await cli(t, ['doctor']);
    expect(r.stderr).toContain(`PROFILE_SYMLINK ${dir} is a symbolic link`);
    expect(r.stderr).not.toContain('chmod 700');
    expect(statSync(target).mode & 0o777).toBe(0o640);
    expect(statSync(folder).mode & 0o777).toBe(0o755);
  }, 120_000);

  // The link was refused only where the profile was read: a ~/.cp-whisperx linked to a folder with no profile in it
  // got "No profile ... Create one with: cpw-vault setup" (exit 0 on the warning alone: setup then refused the link),
  // and one linked to a 0777 folder "chmod o-w,g-w <the link>", which, pasted, changed the target.
  it('a linked ~/.cp-whisperx is named as the refusal every write meets, empty or open to all, with no chmod of the link', async () => {
    const t = makeTempHome();
    const dir = join(t.home, '.cp-whisperx');
    const folder = join(t.root, 'folder');
    mkdirSync(folder, { mode: 0o700 });
    symlinkSync(folder, dir);
    const empty = await cli(t, ['doctor']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain(`PROFILE_SYMLINK ${dir} is a symbolic link`);
    expect(empty.stderr).not.toContain('Create one with');
    expect((JSON.parse((await cli(t, ['doctor', '--json'])).stdout) as { profile: { problems: Array<{ code: string }> } }).profile.problems.map((p) => p.code)).toEqual(['PROFILE_SYMLINK']);
    expect((await cli(t, ['setup', '--non-interactive'], { env: { HF_TOKEN: `hf_${hex(34)}` } })).stderr).toContain(`PROFILE_SYMLINK`);
    rmSync(dir);
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${hex(34)}` })).code).toBe(0);
    rmSync(folder, { recursive: true });
    renameSync(dir, folder);
    chmodSync(folder, 0o777);
    symlinkSync(folder, dir);
    const open = await cli(t, ['doctor']);
    expect(open.code).toBe(1);
    expect(open.stderr).not.toContain('chmod');
    const report = JSON.parse((await cli(t, ['doctor', '--json'])).stdout) as { profile: { problems: Array<{ code: string }> } };
    expect(report.profile.problems.map((p) => p.code)).toEqual(['PROFILE_SYMLINK']);
    expect(statSync(folder).mode & 0o777).toBe(0o777);
  }, 120_000);
});

describe("doctor and cpw-vault's own folder left writable by other users", () => {
  // For ~/.cp-whisperx itself at 1777 the fix said "Keep the profile in a folder only you can write: cpw-vault uses
  // ~/.cp-whisperx when no --profile is given" (it was that folder, with no --profile), and at 0777 "chmod +t" (still
  // writable by all). cpw-vault keeps its own folder 0700: that is the line to paste.
  it('1777 and 0777: the fix is chmod 700 of that folder, which, pasted, ends the finding', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${hex(34)}` })).code).toBe(0);
    const dir = join(t.home, '.cp-whisperx');
    for (const mode of [0o1777, 0o777]) {
      chmodSync(dir, mode);
      const r = await cli(t, ['doctor']);
      expect(r.stderr).not.toContain('when no --profile is given');
      expect(r.stderr).not.toContain('chmod +t');
      const line = /fix: (?:.*)Run: (chmod 700 .*)/.exec(r.stderr)?.[1];
      expect(line, r.stderr).toBe(`chmod 700 ${dir}`);
      expect(spawnSync('sh', ['-c', line!]).status).toBe(0);
      const after = await cli(t, ['doctor']);
      expect(after.code, after.stderr).toBe(0);
      expect(after.stderr).not.toContain('other users');
    }
  }, 120_000);
});

describe('doctor and a journal that every write would refuse', () => {
  // A folder (or a link) at the journal's name made every set fail ("is a folder, where a file belongs"), while doctor
  // said all was well, exit 0: the journal's damage is said where it cannot be read as empty.
  it('a folder at its name: named, exit 1, and the fix, pasted, lets set work again; a link: named too', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${hex(34)}` })).code).toBe(0);
    const journal = join(t.home, '.cp-whisperx', 'journal');
    mkdirSync(journal);
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: hex(32) })).code).toBe(1);
    const r = await cli(t, ['doctor']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${journal} is not a regular file.`);
    const line = /fix: Move it aside: (mv .*)/.exec(r.stderr)?.[1];
    expect(spawnSync('sh', ['-c', line!], { cwd: t.cwd }).status).toBe(0);
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: hex(32) })).code).toBe(0);
    expect((await cli(t, ['doctor'])).stderr).not.toContain(journal);
    const target = join(t.root, 'elsewhere');
    writeFileSync(target, '{}\n', { mode: 0o600 });
    symlinkSync(target, journal);
    const linked = await cli(t, ['doctor', '--json']);
    expect(linked.code).toBe(1);
    expect((JSON.parse(linked.stdout) as { profile: { problems: Array<{ code: string; message: string }> } }).profile.problems).toEqual([expect.objectContaining({ code: 'PROFILE_SYMLINK', message: `${journal} is a symbolic link; refusing to follow it.` })]);
  }, 120_000);
});

describe('doctor and what every write refuses at the profile lock\'s name and the run history\'s', () => {
  /** Doctor's finding about `path`: exit 1, named, and its fix's command, which pasted ends the finding. */
  async function namedAndFixed(t: ReturnType<typeof makeTempHome>, path: string, what: string): Promise<void> {
    const r = await cli(t, ['doctor']);
    expect(r.code, what).toBe(1);
    const found = r.stderr.split('\n').findIndex((l) => l.includes(path));
    expect(found, `${what}: ${r.stderr}`).toBeGreaterThan(-1);
    const fix = r.stderr.split('\n').slice(found).find((l) => l.trim().startsWith('fix:'));
    const command = /.*\b((?:rm|mv|chmod|chown|cp) .*)$/.exec(fix ?? '')?.[1]; // its last command (a link's: the cp that keeps its target; as root, chown without sudo)
    expect(command, `${what}: ${fix}`).toBeDefined();
    expect(spawnSync('sh', ['-c', command!], { cwd: t.cwd }).status, what).toBe(0);
    const after = await cli(t, ['doctor']);
    expect(after.stderr, what).not.toContain(path);
  }

  // A fifo, a link (to /etc/shadow), another user's file or a folder with something in it at user.profile.lock made
  // every set fail (a folder after waiting for it first) while doctor said nothing, exit 0.
  it('user.profile.lock: a fifo, a link, another user\'s file, a folder: set refuses at once, doctor names it with a fix that works pasted', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${hex(34)}` })).code).toBe(0);
    const lock = `${t.profile}.lock`;
    const plants: Array<[string, () => void]> = [
      ['fifo', () => expect(spawnSync('mkfifo', ['-m', '600', lock]).status).toBe(0)],
      ['link', () => symlinkSync('/etc/shadow', lock)],
      ['another user\'s file', () => (writeFileSync(lock, '', { mode: 0o600 }), chownSync(lock, 4242, 4242))],
      ['folder', () => mkdirSync(join(lock, 'inside'), { recursive: true })],
    ];
    for (const [what, plant] of plants) {
      plant();
      const started = Date.now();
      const set = await cli(t, ['set', 'tmdb', 'api_key'], { input: hex(32) });
      expect(set.code, what).toBe(1);
      expect(set.stderr, what).not.toContain('waiting for');
      expect(Date.now() - started, what).toBeLessThan(8_000);
      await namedAndFixed(t, lock, what);
    }
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: hex(32) })).code).toBe(0);
  }, 180_000);

  it('runs.jsonl: a link, a folder, a fifo, one others can write, another user\'s: doctor names it with a fix that works pasted', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${hex(34)}` })).code).toBe(0);
    expect((await cli(t, ['exec', '--workflow', 'transcribe', '--', 'true'])).code).toBe(0);
    const history = join(t.home, '.cp-whisperx', 'runs.jsonl');
    const kept = readFileSync(history);
    rmSync(history);
    const target = join(t.root, 'elsewhere-runs');
    writeFileSync(target, kept, { mode: 0o600 });
    const plants: Array<[string, () => void]> = [
      ['link', () => symlinkSync(target, history)],
      ['folder', () => mkdirSync(history)],
      ['fifo', () => expect(spawnSync('mkfifo', ['-m', '600', history]).status).toBe(0)],
      ['0666', () => (writeFileSync(history, kept), chmodSync(history, 0o666))],
      ['another user\'s', () => (writeFileSync(history, kept, { mode: 0o600 }), chownSync(history, 4242, 4242))],
    ];
    for (const [what, plant] of plants) {
      plant();
      await namedAndFixed(t, history, what);
      rmSync(history, { recursive: true, force: true });
      for (const aside of readdirSync(join(t.home, '.cp-whisperx')).filter((n) => n.startsWith('runs.jsonl.aside'))) rmSync(join(t.home, '.cp-whisperx', aside), { recursive: true });
    }
  }, 180_000);
});

describe('a fix line that moves a file aside, pasted twice', () => {
  // `mv X X.aside` overwrote the X.aside an earlier paste made (the history or journal set aside then, lost), or moved
  // X into it when that was a folder.
  it('moves each to a name of its own: what was set aside before is kept', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${hex(34)}` })).code).toBe(0);
    const dir = join(t.home, '.cp-whisperx');
    const history = join(dir, 'runs.jsonl');
    for (const round of ['first', 'second']) {
      mkdirSync(history);
      writeFileSync(join(history, round), round);
      const r = await cli(t, ['doctor']);
      const fix = r.stderr.split('\n').find((l) => l.includes('fix:') && l.includes(`mv ${history}`));
      const command = /\b(mv .*)$/.exec(fix ?? '')?.[1];
      expect(command, r.stderr).toBeDefined();
      expect(spawnSync('sh', ['-c', command!], { cwd: t.cwd }).status).toBe(0);
      expect(existsSync(history)).toBe(false);
    }
    const asides = readdirSync(dir).filter((n) => n.startsWith('runs.jsonl.aside-'));
    expect(asides.map((n) => readdirSync(join(dir, n))).sort()).toEqual([['first'], ['second']]);
  }, 120_000);
});
