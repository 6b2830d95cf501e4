import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Encrypter } from 'age-encryption';
import { buildExport, type ExportedCredential } from '../../shared/core/vault-export';
import { writeExportFile } from '../../shared/node/secrets/export-file';
import { BIN } from '../helpers/cli';
import { collect, type ChildResult } from '../helpers/children';
import { agentSockets, fileEnv, makeFileVaultHome, vaultBytes, type FileVaultHome } from '../helpers/file-vault';

/**
 * The age vault file backend, export/import and the team vault, attacked:
 * each case here was a defect found by an attacker's pass (see the commit
 * that added it). Values never reach argv; every run has a hang guard that
 * kills it (and fails the test) instead of a fixed sleep.
 */

/** Runs the CLI on a file-backend home; a run still going after `hangMs` is killed and reported as hung. */
async function run(h: FileVaultHome, args: string[], options: { input?: string; hangMs?: number } = {}): Promise<ChildResult & { hung: boolean }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: h.cwd, env: fileEnv(h), stdio: ['pipe', 'pipe', 'pipe'] });
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, options.hangMs ?? 30_000);
  const result = await collect(child, options.input ?? '');
  clearTimeout(guard);
  return { ...result, hung };
}

const EXPORT_PASS = 'export passphrase for the attack tests';

/** For the describe it is called in: a file-backend home, unlocked, with a team identity (given to `use`); locked and removed after. */
function withUnlockedHome(use: (home: FileVaultHome, identity: string) => void): void {
  let home: FileVaultHome;
  beforeAll(async () => {
    home = await makeFileVaultHome({ logN: 10 });
    expect((await run(home, ['unlock', '--passphrase-file', home.passFile])).code).toBe(0);
    use(home, (await run(home, ['team', 'identity'])).stdout.trim());
  });
  afterAll(async () => {
    await run(home, ['lock']);
    rmSync(home.root, { recursive: true, force: true });
  });
}

describe('a FIFO where cpw-vault expects a file never hangs a command', () => {
  let h: FileVaultHome;
  beforeAll(async () => {
    h = await makeFileVaultHome({ logN: 10 });
  });
  afterAll(() => rmSync(h.root, { recursive: true, force: true }));

  it.each([
    ['vault', ['get', 'tmdb', 'api_key']],
    ['identity', ['unlock', '--passphrase-file', '<pass>']],
  ] as const)('the %s file made a FIFO: %j ends with "not a regular file" (exit 1), no hang', async (which, command) => {
    const path = h.files[which];
    renameSync(path, `${path}.real`);
    execFileSync('mkfifo', ['-m', '600', path]);
    try {
      const r = await run(h, command.map((a) => (a === '<pass>' ? h.passFile : a)));
      expect(r.hung, `${command[0]} hung on the FIFO`).toBe(false);
      expect(r.stderr).toContain(`${path} is not a regular file`);
      expect(r.code).toBe(1);
    } finally {
      rmSync(path);
      renameSync(`${path}.real`, path);
    }
  });

  it.each(['a symbolic link', 'a FIFO', 'writable by others'] as const)('the vault file %s: unlock refuses it before the passphrase is read, as every read would, and starts no agent', async (what) => {
    // It checked only that the vault file existed: "✓ Unlocked", an agent running, and every get then refused the file.
    const path = h.files.vault;
    renameSync(path, `${path}.real`);
    if (what === 'a symbolic link') symlinkSync(`${path}.real`, path);
    else if (what === 'a FIFO') execFileSync('mkfifo', ['-m', '600', path]);
    else {
      writeFileSync(path, readFileSync(`${path}.real`), { mode: 0o600 });
      chmodSync(path, 0o666);
    }
    try {
      const r = await run(h, ['unlock', '--passphrase-file', h.passFile]);
      expect([r.hung, r.code, r.stderr]).toEqual([false, 1, expect.stringContaining(path)]);
      expect(r.stderr).toMatch(what === 'a symbolic link' ? /is a symbolic link/ : what === 'a FIFO' ? /is not a regular file/ : /can be modified by other users/);
      expect(r.stderr).not.toContain('Unlocked');
      expect(agentSockets(h)).toEqual([]);
    } finally {
      rmSync(path);
      renameSync(`${path}.real`, path);
    }
    expect((await run(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    expect((await run(h, ['lock'])).code).toBe(0);
  });

  it('--passphrase-fd on a FIFO opened read-write (3<>fifo): a clear refusal, no hang (it waited for ever, deaf to Ctrl-C and SIGTERM)', async () => {
    const fifo = join(h.root, 'fd.fifo');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    // exec: the hang guard's SIGKILL then reaches cpw-vault itself, not only the shell.
    const child = spawn('bash', ['-c', 'exec "$0" "$1" unlock --passphrase-fd 3 3<>"$2"', process.execPath, BIN, fifo], { cwd: h.cwd, env: fileEnv(h), stdio: ['pipe', 'pipe', 'pipe'] });
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, 30_000);
    const r = await collect(child, '');
    clearTimeout(guard);
    expect(hung, 'unlock hung on the read-write FIFO').toBe(false);
    expect(r.stderr).toContain('File descriptor 3 is a pipe opened for reading and writing (3<>)');
    expect(r.code).toBe(2);
    rmSync(fifo);
  }, 60_000);

  it('a FIFO given as --passphrase-file or as a team --identity-file: a clear refusal, no hang', async () => {
    const fifo = join(h.root, 'pass.fifo');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    const before = vaultBytes(h);
    const unlock = await run(h, ['unlock', '--passphrase-file', fifo]);
    expect(unlock.hung, 'unlock hung on the FIFO').toBe(false);
    expect(unlock.stderr).toContain(`The passphrase file ${fifo} is not a regular file`);
    const team = await run(h, ['team', 'status', '--file', join(h.cwd, 'cpw-team.age'), '--identity-file', fifo]);
    expect(team.hung, 'team status hung on the FIFO').toBe(false);
    expect(team.stderr).toContain(`The identity file ${fifo} is not a regular file`);
    expect(vaultBytes(h)).toEqual(before);
  });
});

describe('the identity file readable by other users', () => {
  it('chmod 644: unlock refuses it before any scrypt, doctor names it with a chmod that works pasted, then all is well (it was never said)', async () => {
    // A copy of the identity is open to offline guessing of its passphrase; the vault file at 0666 was refused, this at 0644 was not.
    const h = await makeFileVaultHome({ logN: 10 });
    try {
      chmodSync(h.files.identity, 0o644);
      const unlock = await run(h, ['unlock', '--passphrase-file', h.passFile]);
      expect([unlock.hung, unlock.code]).toEqual([false, 1]);
      expect(unlock.stderr).toContain(`${h.files.identity} can be read by other users (mode 0644); refusing to use it.`);
      expect(unlock.stderr).not.toContain('Unlocked');
      expect(agentSockets(h)).toEqual([]);
      const json = await run(h, ['doctor', '--json']);
      expect(json.code).not.toBe(0);
      expect(JSON.parse(json.stdout).keychain).toMatchObject({ ok: false, code: 'PROFILE_PERMISSIONS' });
      const doctor = await run(h, ['doctor']);
      expect(doctor.stderr).toContain(`${h.files.identity} can be read by other users`);
      const line = /fix: Run: (chmod 600 .*)/.exec(doctor.stderr)?.[1];
      expect(line, doctor.stderr).toBeDefined();
      expect(spawnSync('sh', ['-c', line!], { cwd: h.cwd }).status).toBe(0);
      expect(statSync(h.files.identity).mode & 0o777).toBe(0o600);
      expect((await run(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
      const healthy = await run(h, ['doctor']);
      expect(healthy.code, healthy.stderr).toBe(0);
    } finally {
      await run(h, ['lock']);
      rmSync(h.root, { recursive: true, force: true });
    }
  }, 60_000);
});

/**
 * A secret file laid out as the kubelet mounts a Secret volume: `DIR/NAME -> ..data/NAME`, `..data -> ..TIMESTAMP`, the
 * file itself in that hidden folder, with `mode`. Returns the path a pod is given (DIR/NAME) and the file's own path.
 */
function kubernetesMount(root: string, name: string, content: string, mode: number): { given: string; file: string } {
  const dir = mkdtempSync(join(root, 'secret-volume-'));
  const stamp = '..2026_12_05_09_00_00.123456789';
  mkdirSync(join(dir, stamp));
  const file = join(dir, stamp, name);
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
  symlinkSync(stamp, join(dir, '..data'));
  symlinkSync(`..data/${name}`, join(dir, name));
  return { given: join(dir, name), file };
}

describe('--passphrase-file and --identity-file mounted as Kubernetes mounts a Secret (links into a hidden folder)', () => {
  let h: FileVaultHome;
  beforeAll(async () => {
    h = await makeFileVaultHome({ logN: 10 });
  });
  afterAll(async () => {
    await run(h, ['lock']);
    rmSync(h.root, { recursive: true, force: true });
  });

  it('the link is followed and the file it leads to checked: 0400 opens the vault, 0644 is refused with the chmod to run', async () => {
    const open = kubernetesMount(h.root, 'passphrase', `${h.passphrase}\n`, 0o400);
    const unlocked = await run(h, ['unlock', '--passphrase-file', open.given]);
    expect(unlocked.stderr).not.toContain('symbolic link');
    expect(unlocked.code).toBe(0);
    expect((await run(h, ['lock'])).code).toBe(0);

    const readable = kubernetesMount(h.root, 'passphrase', `${h.passphrase}\n`, 0o644);
    const refused = await run(h, ['unlock', '--passphrase-file', readable.given]);
    expect(refused.stderr).toContain(`The passphrase file ${readable.given} can be read or changed by other users (mode 0644); refusing it.`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).not.toContain(h.passphrase);
  });

  it('the passphrase itself given where its file\'s path goes (--passphrase-file "$PASS" in CI) is not printed, and said to be no file', async () => {
    // "Cannot open the passphrase file <the passphrase> (ENOENT)" put the vault's passphrase in the job's log.
    for (const args of [['unlock', '--passphrase-file', h.passphrase], ['export', '--to', join(h.root, 'never.age'), '--passphrase-file', EXPORT_PASS]]) {
      const r = await run(h, args);
      expect(r.stderr).toContain('There is no file at the path given to --passphrase-file');
      expect(r.stderr).not.toContain(h.passphrase);
      expect(r.stderr).not.toContain(EXPORT_PASS);
      expect(r.code).toBe(2);
    }
  });

  it('a CI deploy key behind the links is read (its public key shown), one others can read is refused, and the key is never printed', async () => {
    const keyFile = join(h.root, 'made.key');
    execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
    const key = readFileSync(keyFile, 'utf8');
    const recipient = execFileSync('age-keygen', ['-y', keyFile], { encoding: 'utf8' }).trim();
    expect((await run(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);

    const readable = kubernetesMount(h.root, 'deploy.key', key, 0o640);
    const refused = await run(h, ['team', 'identity', '--import', readable.given]);
    expect(refused.stderr).toContain(`The identity file ${readable.given} can be read or changed by other users (mode 0640); refusing it.`);
    expect(refused.code).toBe(1);

    const mounted = kubernetesMount(h.root, 'deploy.key', key, 0o400);
    const imported = await run(h, ['team', 'identity', '--import', mounted.given]);
    expect(imported.stderr).not.toContain('symbolic link');
    expect(imported.code).toBe(0);
    expect((await run(h, ['team', 'identity'])).stdout.trim()).toBe(recipient);
    for (const r of [refused, imported]) expect(r.stdout + r.stderr).not.toContain('AGE-SECRET-KEY-1');
  });
});

/** The env var names (and labels) the profile holds for its custom credentials. */
function storedMeta(h: FileVaultHome): Record<string, { env_var?: string; label?: string }> {
  return (JSON.parse(readFileSync(h.profile, 'utf8')) as { credential_metadata: Record<string, { env_var?: string; label?: string }> }).credential_metadata;
}

/** The user's team identity (AGE-SECRET-KEY-1...), read from their vault file through the CLI. */
async function myIdentity(h: FileVaultHome): Promise<string> {
  const r = await run(h, ['get', 'cpw-vault', 'team_identity']);
  expect(r.code).toBe(0);
  return r.stdout.trim();
}

/** A team file as a hostile teammate writes it: any JSON, encrypted with the reference age CLI to `recipient`. */
function hostileTeamFile(dir: string, recipient: string, doc: Record<string, unknown> | Buffer): string {
  const file = join(dir, 'cpw-team.age');
  writeFileSync(`${file}.recipients`, `# me\n${recipient}\n`);
  execFileSync('age', ['-R', `${file}.recipients`, '-a', '-o', file], { input: Buffer.isBuffer(doc) ? doc : JSON.stringify(doc) });
  return file;
}

describe('a file from someone else (an export, a teammate\'s team file) cannot give a credential a dangerous env var', () => {
  let h: FileVaultHome;
  let me: string;
  withUnlockedHome((home, id) => {
    h = home;
    me = id;
  });

  it('import: LD_PRELOAD, BASH_ENV, PYTHONSTARTUP and another credential\'s HF_TOKEN are replaced by a name of its own', async () => {
    const rows: ExportedCredential[] = [
      { id: 'evil.preload', value: 'evil-value-0001', meta: { env_var: 'LD_PRELOAD' } },
      { id: 'evil.bashenv', value: 'evil-value-0002', meta: { env_var: 'BASH_ENV' } },
      { id: 'evil.py', value: 'evil-value-0003', meta: { env_var: 'PYTHONSTARTUP' } },
      { id: 'evil.hf', value: 'evil-value-0004', meta: { env_var: 'HF_TOKEN' } },
      { id: 'ld.preload', value: 'evil-value-0005', meta: { env_var: 'LD_PRELOAD' } },
      { id: 'fine.key', value: 'fine-value-0006', meta: { env_var: 'MY_FINE_KEY' } },
    ];
    const file = join(h.root, 'hostile-env.age');
    await writeExportFile(file, buildExport(rows, new Date()), EXPORT_PASS, { logN: 10 });
    const r = await run(h, ['import', file, '--passphrase-fd', '0', '--yes'], { input: EXPORT_PASS });
    expect(r.stderr).toContain('Imported 6 credentials, each read back');
    expect(r.code).toBe(0);
    const meta = storedMeta(h);
    expect(meta['evil.preload']?.env_var).toBe('EVIL_PRELOAD');
    expect(meta['evil.bashenv']?.env_var).toBe('EVIL_BASHENV');
    expect(meta['evil.py']?.env_var).toBe('EVIL_PY');
    expect(meta['evil.hf']?.env_var).toBe('EVIL_HF');
    expect(meta['ld.preload']?.env_var).toBe('CUSTOM_LD_PRELOAD');
    expect(meta['fine.key']?.env_var).toBe('MY_FINE_KEY');
    // The plan shown before anything is written says each replacement, and every custom row's name.
    expect(r.stdout).toContain('evil.preload is stored with the env var EVIL_PRELOAD: the file\'s LD_PRELOAD is not a name a credential may carry.');
    expect(r.stdout).toContain('evil.hf is stored with the env var EVIL_HF: the file\'s HF_TOKEN is not a name a credential may carry.');
    expect(r.stdout).toMatch(/fine\.key\s+import\s+yes\s+env MY_FINE_KEY\n/);
  });

  it('team pull: a teammate\'s PYTHONSTARTUP is replaced, and a malformed name no longer makes every member\'s pull fail', async () => {
    const file = hostileTeamFile(h.cwd, me, {
      format: 'cpw-vault-team', version: 1, updated_at: '2026-12-01T00:00:00.000Z',
      members: [{ name: 'me', recipient: me, seen: [] }],
      credentials: [
        { id: 'team.py', value: 'team-value-0001', meta: { updated_at: '2026-12-01T00:00:00.000Z', env_var: 'PYTHONSTARTUP' } },
        { id: 'team.bad', value: 'team-value-0002', meta: { updated_at: '2026-12-01T00:00:00.000Z', env_var: 'not a name; rm -rf ~' } },
        { id: 'team.hf', value: 'team-value-0003', meta: { updated_at: '2026-12-01T00:00:00.000Z', env_var: 'HF_TOKEN' } },
      ],
      rotate: [],
    });
    const r = await run(h, ['team', 'pull', '--yes', '--file', file]);
    expect(r.stderr).toContain('Pulled 3 credentials from');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('team.py is stored with the env var TEAM_PY: the file\'s PYTHONSTARTUP is not a name a credential may carry.');
    // Not a printable name: said without it (it could hold escape sequences).
    expect(r.stdout).toContain('team.bad is stored with the env var TEAM_BAD: the name the file gives is not one a credential may carry.');
    const meta = storedMeta(h);
    expect(meta['team.py']?.env_var).toBe('TEAM_PY');
    expect(meta['team.bad']?.env_var).toBe('TEAM_BAD');
    expect(meta['team.hf']?.env_var).toBe('TEAM_HF');
  });
});

describe('an import, a team pull or a migration never gives two credentials one env var', () => {
  // `set --env-var` refuses a name another credential carries, but these wrote whatever the file said: two
  // credentials under one name, and a stage got whichever exec injected last (a teammate's key for the user's own).
  let h: FileVaultHome;
  let me: string;
  withUnlockedHome((home, id) => {
    h = home;
    me = id;
  });

  it('the one that comes in gets a name of its own, said in the plan\'s table; the stored one keeps its name', async () => {
    expect((await run(h, ['set', 'mine', 'token', '--env-var', 'MY_TOKEN'], { input: 'my-own-value-0001' })).code).toBe(0);
    const file = join(h.root, 'clash.age');
    await writeExportFile(file, buildExport([
      { id: 'theirs.token', value: 'their-value-0002', meta: { env_var: 'MY_TOKEN' } },
      { id: 'both.one', value: 'their-value-0003', meta: { env_var: 'SHARED_NAME' } },
      { id: 'both.two', value: 'their-value-0004', meta: { env_var: 'SHARED_NAME' } },
    ], new Date()), EXPORT_PASS, { logN: 10 });
    const r = await run(h, ['import', file, '--passphrase-fd', '0', '--yes'], { input: EXPORT_PASS });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('theirs.token is stored with the env var CUSTOM_THEIRS_TOKEN: MY_TOKEN already belongs to mine.token.');
    expect(r.stdout).toContain('both.two is stored with the env var CUSTOM_BOTH_TWO: SHARED_NAME already belongs to both.one.');
    expect(r.stderr).not.toContain('value-000');
    expect(r.stderr, 'said once, in the plan').not.toContain('is stored with');
    const team = hostileTeamFile(h.cwd, me, {
      format: 'cpw-vault-team', version: 1, updated_at: '2026-12-01T00:00:00.000Z',
      members: [{ name: 'me', recipient: me, seen: [] }],
      credentials: [{ id: 'team.token', value: 'team-value-0005', meta: { updated_at: '2026-12-01T00:00:00.000Z', env_var: 'MY_TOKEN' } }],
      rotate: [],
    });
    const pulled = await run(h, ['team', 'pull', '--yes', '--file', team]);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toContain('team.token is stored with the env var CUSTOM_TEAM_TOKEN: MY_TOKEN already belongs to mine.token.');
    const env = join(h.cwd, '.env');
    writeFileSync(env, 'MY_TOKEN=from-dotenv-0006\n');
    const migrated = await run(h, ['migrate', '--from', env, '--include-unknown', '--yes']);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toContain('my.token is stored with the env var CUSTOM_MY_TOKEN: MY_TOKEN already belongs to mine.token.');
    const meta = storedMeta(h);
    const names = Object.values(meta).flatMap((m) => (m.env_var ? [m.env_var] : []));
    expect(names.length).toBe(new Set(names).size);
    expect([meta['mine.token']?.env_var, meta['theirs.token']?.env_var, meta['team.token']?.env_var]).toEqual(['MY_TOKEN', 'CUSTOM_THEIRS_TOKEN', 'CUSTOM_TEAM_TOKEN']);
    expect(meta['my.token']?.env_var).toBe('CUSTOM_MY_TOKEN');
  });
});

describe('the env var renaming on import, pull and migrate, pushed further', () => {
  let h: FileVaultHome;
  withUnlockedHome((home) => {
    h = home;
  });

  it('your own credential coming back keeps its name, whatever comes first in the file; the plan (--dry-run) shows what apply stores', async () => {
    expect((await run(h, ['set', 'mine', 'token', '--env-var', 'MY_TOKEN'], { input: 'my-own-value-0001' })).code).toBe(0);
    const file = join(h.root, 'comes-back.age');
    await writeExportFile(file, buildExport([
      { id: 'theirs.token', value: 'their-value-0002', meta: { env_var: 'MY_TOKEN' } },
      { id: 'mine.token', value: 'my-new-value-0003', meta: { env_var: 'MY_TOKEN' } },
    ], new Date()), EXPORT_PASS, { logN: 10 });
    const dry = await run(h, ['import', file, '--passphrase-fd', '0', '--dry-run', '--overwrite-all'], { input: EXPORT_PASS });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('theirs.token is stored with the env var CUSTOM_THEIRS_TOKEN: MY_TOKEN already belongs to mine.token.');
    expect(storedMeta(h)['theirs.token']).toBeUndefined();
    const r = await run(h, ['import', file, '--passphrase-fd', '0', '--yes', '--overwrite-all'], { input: EXPORT_PASS });
    expect(r.code, r.stderr).toBe(0);
    expect([storedMeta(h)['mine.token']?.env_var, storedMeta(h)['theirs.token']?.env_var]).toEqual(['MY_TOKEN', 'CUSTOM_THEIRS_TOKEN']);
    // migrate --dry-run: the row's reason names the name apply will store.
    const env = join(h.cwd, 'clash.env');
    writeFileSync(env, 'MY_TOKEN=from-dotenv-0004\n');
    const plan = JSON.parse((await run(h, ['migrate', '--from', env, '--include-unknown', '--dry-run', '--json'])).stdout).plan;
    expect(plan.rows[0]).toMatchObject({ target: 'my.token', envVar: 'CUSTOM_MY_TOKEN', reason: expect.stringContaining('(env CUSTOM_MY_TOKEN)') });
  });

  it('a custom credential with no env var recorded (an older or hand-made profile) still owns the SERVICE_KEY name exec gives it', async () => {
    expect((await run(h, ['set', 'hand', 'token'], { input: 'hand-value-0008' })).code).toBe(0);
    const doc = JSON.parse(readFileSync(h.profile, 'utf8'));
    delete doc.credential_metadata['hand.token'].env_var;
    writeFileSync(h.profile, JSON.stringify(doc, null, 2));
    const file = join(h.root, 'hand.age');
    await writeExportFile(file, buildExport([{ id: 'other.thing', value: 'other-value-0009', meta: { env_var: 'HAND_TOKEN' } }], new Date()), EXPORT_PASS, { logN: 10 });
    const r = await run(h, ['import', file, '--passphrase-fd', '0', '--yes'], { input: EXPORT_PASS });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('other.thing is stored with the env var CUSTOM_OTHER_THING: HAND_TOKEN already belongs to hand.token.');
  });

  it('a long credential id gets a name that fits (64 characters), never a profile the reader refuses', async () => {
    const id = `${'s'.repeat(30)}.${'k'.repeat(27)}`;
    const file = join(h.root, 'long.age');
    await writeExportFile(file, buildExport([
      { id: 'first.one', value: 'long-value-0005', meta: { env_var: 'LONG_CLAIMED' } },
      { id, value: 'long-value-0006', meta: { env_var: 'LONG_CLAIMED' } },
      { id: `${'t'.repeat(30)}.${'k'.repeat(30)}`, value: 'long-value-0007', meta: {} },
    ], new Date()), EXPORT_PASS, { logN: 10 });
    const r = await run(h, ['import', file, '--passphrase-fd', '0', '--yes'], { input: EXPORT_PASS });
    expect(r.code, r.stderr).toBe(0);
    const names = Object.values(storedMeta(h)).flatMap((m) => (m.env_var ? [m.env_var] : []));
    for (const n of names) expect(n).toMatch(/^[A-Z_][A-Z0-9_]{0,63}$/);
    expect(names.length).toBe(new Set(names).size);
    expect((await run(h, ['list'])).code).toBe(0);
  });
});

describe('escape sequences in a file from someone else never reach the terminal', () => {
  let h: FileVaultHome;
  let me: string;
  const ESC = '\u001b[2J\u001b]0;owned\u0007\u009b31m';
  withUnlockedHome((home, id) => {
    h = home;
    me = id;
  });

  it('import: an export date and a label with escape sequences are neither printed nor stored', async () => {
    const file = join(h.root, 'hostile-esc.age');
    const doc = { ...buildExport([{ id: 'esc.label', value: 'esc-value-0001', meta: { label: `red${ESC}` } }], new Date()), exported_at: `x${ESC}` };
    await writeExportFile(file, doc, EXPORT_PASS, { logN: 10 });
    for (const args of [['--dry-run'], ['--yes']]) {
      const r = await run(h, ['import', file, '--passphrase-fd', '0', ...args], { input: EXPORT_PASS });
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(/[\u001b\u0007\u009b]/);
    }
    expect(storedMeta(h)['esc.label']?.label ?? '').not.toMatch(/[\u001b\u0007\u009b]/);
  });

  it('team status, rotate-reminder and diff: a teammate\'s names and dates with escape sequences are not printed', async () => {
    const file = hostileTeamFile(h.cwd, me, {
      format: 'cpw-vault-team', version: 1, updated_at: `2026${ESC}`,
      members: [{ name: 'me', recipient: me, seen: ['team.esc'] }],
      credentials: [{ id: 'team.esc', value: 'team-value-0009', meta: { updated_at: `2026${ESC}`, updated_by: `mallory${ESC}`, label: `l${ESC}` } }],
      rotate: [{ name: `bob${ESC}`, removed_at: `2026${ESC}`, ids: ['team.esc'] }, { name: 'carol', removed_at: `2026${ESC}`, ids: ['team.esc'] }],
    });
    for (const args of [['team', 'status', '--file', file], ['team', 'rotate-reminder', '--file', file], ['team', 'diff', file], ['team', 'status', '--file', file, '--json']]) {
      const r = await run(h, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout + r.stderr, args.join(' ')).not.toMatch(/[\u001b\u0007\u009b]|\\u001b|\\u009b/);
    }
    expect((await run(h, ['team', 'rotate-reminder', '--file', file])).stdout).toContain('carol');
  });
});

describe('a teammate cannot plant a team_identity row in the team file', () => {
  let h: FileVaultHome;
  let me: string;
  withUnlockedHome((home, id) => {
    h = home;
    me = id;
  });

  it('team push never sends the member\'s private identity, and pull --overwrite-all never replaces it', async () => {
    const mine = await myIdentity(h);
    const planted = execFileSync('age-keygen', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;
    const file = hostileTeamFile(h.cwd, me, {
      format: 'cpw-vault-team', version: 1, updated_at: '2026-12-01T00:00:00.000Z',
      members: [{ name: 'me', recipient: me, seen: [] }],
      credentials: [
        { id: 'cpw-vault.team_identity', value: planted, meta: { updated_at: '2026-12-01T00:00:00.000Z' } },
        { id: 'team.shared', value: 'team-value-0010', meta: { updated_at: '2026-12-01T00:00:00.000Z' } },
      ],
      rotate: [],
    });
    const push = await run(h, ['team', 'push', '--file', file]);
    expect(push.code, push.stderr).toBe(0);
    const keyFile = join(h.root, 'me.key');
    writeFileSync(keyFile, `${mine}\n`, { mode: 0o600 });
    const inside = execFileSync('age', ['-d', '-i', keyFile, file], { encoding: 'utf8' });
    rmSync(keyFile);
    expect(inside).not.toContain(mine);
    // The planted row is refused and named (exit 1: someone tampered with the file); the rest is pulled.
    const pull = await run(h, ['team', 'pull', '--yes', '--overwrite-all', '--file', file]);
    expect(pull.code, pull.stderr).toBe(1);
    expect(pull.stderr).toContain('refused 1 row of the team file, nothing of it stored: cpw-vault.team_identity');
    expect(await myIdentity(h)).toBe(mine);
    expect((await run(h, ['team', 'identity'])).stdout.trim()).toBe(me);
  });
});

describe('a file that is not UTF-8 inside is refused, never imported with its bytes replaced', () => {
  let h: FileVaultHome;
  let me: string;
  /** A document whose one value holds the Latin-1 bytes of "café-secret-1": what a file saved in another encoding holds. */
  const latin1 = (head: string, tail: string) => Buffer.concat([Buffer.from(head), Buffer.from('caf\xe9-secret-1', 'latin1'), Buffer.from(tail)]);
  withUnlockedHome((home, id) => {
    h = home;
    me = id;
  });

  it('import: VAULT_CORRUPT "not UTF-8 text", exit 1, nothing stored', async () => {
    const e = new Encrypter();
    e.setPassphrase(EXPORT_PASS);
    e.setScryptWorkFactor(10);
    const file = join(h.root, 'latin1.age');
    writeFileSync(file, await e.encrypt(latin1('{"format":"cpw-vault-export","version":1,"exported_at":"x","credentials":[{"id":"enc.key","value":"', '"}]}')));
    const before = vaultBytes(h).vault;
    const r = await run(h, ['import', file, '--passphrase-fd', '0', '--yes'], { input: EXPORT_PASS });
    expect(r.stderr).toContain('[VAULT_CORRUPT]');
    expect(r.stderr).toContain('not UTF-8 text');
    expect(r.code).toBe(1);
    expect(vaultBytes(h).vault).toBe(before);
    expect((await run(h, ['get', 'enc', 'key'])).code).toBe(3);
  });

  it('team pull: TEAM_INVALID "not UTF-8 text", exit 1, nothing stored', async () => {
    const doc = latin1(`{"format":"cpw-vault-team","version":1,"updated_at":"x","members":[{"name":"me","recipient":"${me}","seen":[]}],"credentials":[{"id":"enc.team","value":"`, '","meta":{"updated_at":"x"}}],"rotate":[]}');
    const file = hostileTeamFile(h.cwd, me, doc);
    const before = vaultBytes(h).vault;
    const r = await run(h, ['team', 'pull', '--yes', '--file', file]);
    expect(r.stderr).toContain('[TEAM_INVALID]');
    expect(r.stderr).toContain('not UTF-8 text');
    expect(r.code).toBe(1);
    expect(vaultBytes(h).vault).toBe(before);
  });
});

describe('a megabyte pasted at a hidden prompt', () => {
  let h: FileVaultHome;
  beforeAll(async () => {
    h = await makeFileVaultHome({ logN: 10 });
  });
  afterAll(() => rmSync(h.root, { recursive: true, force: true }));

  it('unlock: refused within bounded time (exit 2, "over ... characters"), nothing echoed, no agent, the vault unchanged', async () => {
    const before = vaultBytes(h);
    const child = spawn('/usr/bin/python3', [resolve(import.meta.dirname, '../helpers/pty_paste.py'), 'input hidden', String(1024 * 1024), process.execPath, BIN, 'unlock'], { cwd: h.cwd, env: { ...fileEnv(h), TERM: 'xterm' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const r = JSON.parse((await collect(child)).stdout) as { screen: string; code: number | null; seconds: number };
    expect(r.code, `still running after ${r.seconds} s`).toBe(2);
    expect(r.screen).toMatch(/over \d+ characters; nothing was kept/);
    expect(r.screen).not.toContain('x'.repeat(64));
    expect(agentSockets(h)).toEqual([]);
    expect(vaultBytes(h)).toEqual(before);
  }, 200_000);
});

describe('the unlock agent keeps nothing of whoever started it', () => {
  it('a descriptor the caller inherited (a shell\'s 200>&1, a CI runner\'s pipe) is not held for the agent\'s TTL: `unlock ... | cat` ends', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    try {
      const child = spawn('bash', ['-c', `"${process.execPath}" "${BIN}" unlock --passphrase-file "${h.passFile}" 200>&1 | cat`], { cwd: h.cwd, env: fileEnv(h), stdio: ['ignore', 'pipe', 'pipe'] });
      let hung = false;
      const guard = setTimeout(() => {
        hung = true;
        child.kill('SIGKILL');
      }, 30_000);
      const r = await collect(child);
      clearTimeout(guard);
      expect(hung, 'the pipeline waited for the agent to let go of the pipe').toBe(false);
      expect(r.code, r.stderr).toBe(0);
      const lock = await run(h, ['lock']); // the agent ran all along
      expect(lock.stdout + lock.stderr).toMatch(/the unlock agent \(pid \d+\) has stopped/);
    } finally {
      await run(h, ['lock']);
      rmSync(h.root, { recursive: true, force: true });
    }
  }, 60_000);
});
