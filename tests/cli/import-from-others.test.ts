import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExport } from '../../shared/core/vault-export';
import { writeExportFile } from '../../shared/node/secrets/export-file';
import { BIN } from '../helpers/cli';
import { collect, type ChildResult } from '../helpers/children';
import { fileEnv, inPty, makeFileVaultHome, vaultBytes, type FileVaultHome } from '../helpers/file-vault';

/**
 * Files that come from someone else (an export handed over, a team file, an
 * age key typed by hand), and the lines that tell a user what to do with
 * them. Each case was found by an outside tester's pass.
 */

const EXPORT_PASS = 'export passphrase from a colleague';
const TMDB = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

function run(h: FileVaultHome, args: string[], options: { input?: string; env?: Record<string, string | undefined> } = {}): Promise<ChildResult> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: h.cwd, env: fileEnv(h, options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  return collect(child, options.input ?? '');
}

/** A fresh age-keygen key pair. */
function ageKeygen(): { identity: string; recipient: string } {
  const identity = execFileSync('age-keygen', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;
  return { identity, recipient: execFileSync('age-keygen', ['-y'], { input: `${identity}\n`, encoding: 'utf8' }).trim() };
}

describe('files from someone else', () => {
  let h: FileVaultHome;
  let me: string;
  let passFile: string;
  beforeAll(async () => {
    h = await makeFileVaultHome({ logN: 10 });
    expect((await run(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    me = (await run(h, ['team', 'identity'])).stdout.trim();
    passFile = join(h.root, 'export-pass.txt');
    writeFileSync(passFile, EXPORT_PASS, { mode: 0o600 });
  });
  afterAll(async () => {
    await run(h, ['lock']);
    rmSync(h.root, { recursive: true, force: true });
  });

  it('import never installs the team identity a file carries, even with --overwrite-all: the plan says why, and your key stays yours', async () => {
    const sender = ageKeygen();
    const file = join(h.root, 'from-mallory.age');
    await writeExportFile(file, buildExport([{ id: 'cpw-vault.team_identity', value: sender.identity }, { id: 'tmdb.api_key', value: TMDB }], new Date()), EXPORT_PASS, { logN: 10 });
    const r = await run(h, ['import', file, '--passphrase-file', passFile, '--yes', '--overwrite-all']);
    expect(r.code, r.stderr).toBe(0);
    const row = r.stdout.split('\n').find((l) => l.startsWith('cpw-vault.team_identity'))!;
    expect(row).toMatch(/invalid\s+no\s+a team identity is never taken from a file/);
    expect(row).toContain('cpw-vault team identity --from-export FILE');
    expect(r.stdout).not.toContain(sender.identity);
    expect((await run(h, ['team', 'identity'])).stdout.trim()).toBe(me);
    expect((await run(h, ['get', 'tmdb', 'api_key'])).stdout.trim()).toBe(TMDB);
    // The file's key given twice (a second import) is still refused; --json says the same.
    const json = await run(h, ['import', file, '--passphrase-file', passFile, '--dry-run', '--json', '--overwrite-all']);
    const plan = (JSON.parse(json.stdout) as { plan: { rows: Array<{ target: string; action: string; apply: boolean; envVar?: string }> } }).plan;
    const row2 = plan.rows.find((x) => x.target === 'cpw-vault.team_identity');
    expect(row2).toMatchObject({ action: 'invalid', apply: false });
    expect(row2).not.toHaveProperty('envVar'); // nothing is stored, so no name (it showed CUSTOM_CPW_VAULT_TEAM_IDENTITY)
  });

  it('team identity --from-export takes your own from an export you made, with a warning; a different stored one only with --force', async () => {
    const mine = ageKeygen();
    const file = join(h.root, 'my-old-machine.age');
    await writeExportFile(file, buildExport([{ id: 'cpw-vault.team_identity', value: mine.identity }], new Date()), EXPORT_PASS, { logN: 10 });
    const refused = await run(h, ['team', 'identity', '--from-export', file, '--passphrase-file', passFile]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('You already have a different team identity');
    expect((await run(h, ['team', 'identity'])).stdout.trim()).toBe(me);
    const taken = await run(h, ['team', 'identity', '--from-export', file, '--passphrase-file', passFile, '--force']);
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stderr).toContain('warning: the team identity of an export is known to whoever made the export');
    expect(taken.stdout.trim()).toBe(mine.recipient);
    expect((await run(h, ['team', 'identity'])).stdout.trim()).toBe(mine.recipient);
    expect(taken.stderr).not.toContain(mine.identity);
  });

  it('an ASCII-armored passphrase export (age -p -a, the reference CLI) is imported', async () => {
    const json = join(h.root, 'armored.json');
    writeFileSync(json, JSON.stringify(buildExport([{ id: 'armored.key', value: 'armored-value-0001' }], new Date())), { mode: 0o600 });
    const file = join(h.root, 'armored.age');
    const age = await inPty(h.cwd, fileEnv(h), ['age', '-p', '-a', '-o', file, json], [
      { expect: 'Enter passphrase', send: `${EXPORT_PASS}\r` },
      { expect: 'Confirm passphrase', send: `${EXPORT_PASS}\r` },
    ]);
    expect(age.code, age.screen).toBe(0);
    expect(readFileSync(file, 'latin1')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
    const r = await run(h, ['import', file, '--passphrase-file', passFile, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Imported 1 credential, read back');
    expect((await run(h, ['get', 'armored', 'key'])).stdout.trim()).toBe('armored-value-0001');
  });

  it('a damaged export: VAULT_CORRUPT whose fix is about that export, not "restore from a backup (or import an export)"', async () => {
    const file = join(h.root, 'cut.age');
    await writeExportFile(join(h.root, 'whole.age'), buildExport([{ id: 'cut.key', value: 'cut-value-0001' }], new Date()), EXPORT_PASS, { logN: 10 });
    writeFileSync(file, readFileSync(join(h.root, 'whole.age')).subarray(0, 150));
    const before = vaultBytes(h).vault;
    const r = await run(h, ['import', file, '--passphrase-file', passFile, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[VAULT_CORRUPT]');
    expect(r.stderr).toContain(`fix: Check that ${file} is the file cpw-vault export (or age -p) wrote, copied whole`);
    expect(r.stderr).not.toContain('import an export');
    expect(vaultBytes(h).vault).toBe(before);
  });

  it('import on a locked vault: the fix says to unlock the vault (cpw-vault unlock --passphrase-file), not import\'s own --passphrase-file', async () => {
    const file = join(h.root, 'locked.age');
    await writeExportFile(file, buildExport([{ id: 'locked.key', value: 'locked-value-0001' }], new Date()), EXPORT_PASS, { logN: 10 });
    expect((await run(h, ['lock'])).code).toBe(0);
    try {
      const r = await run(h, ['import', file, '--passphrase-file', passFile, '--yes']);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('[VAULT_LOCKED]');
      expect(r.stderr).toContain('in scripts: --passphrase-file PATH');
    } finally {
      expect((await run(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    }
  });

  it('team add with a mistyped key: exit 2 "not a valid age recipient", never an internal error; a team file holding one is TEAM_INVALID naming the member', async () => {
    const team = join(h.cwd, 'cpw-team.age');
    const mine = (await run(h, ['team', 'identity'])).stdout.trim(); // an earlier case may have replaced it
    expect((await run(h, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
    expect((await run(h, ['team', 'init', '--add', 'tmdb.api_key', '--name', 'me', '--file', team])).code).toBe(0);
    const before = readFileSync(team);
    for (const key of [`age1${'q'.repeat(58)}`, 'age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z']) {
      // The second: a right checksum, on a key (all zeros) no file can be encrypted to.
      const r = await run(h, ['team', 'add', 'dave', key, '--file', team]);
      expect(r.stderr).not.toContain('INTERNAL');
      expect(r.stderr).toContain('[INVALID_ARGUMENT] That is not a valid age recipient');
      expect(r.code).toBe(2);
    }
    expect(readFileSync(team)).toEqual(before);
    const carol = ageKeygen().recipient;
    for (const [dave, why] of [[`age1${'q'.repeat(58)}`, 'member 2 (dave) has an age recipient whose checksum does not match'], ['age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z', 'cannot be encrypted to member dave']] as const) {
      const planted = join(h.cwd, `planted-${dave.slice(-4)}.age`);
      const doc = { format: 'cpw-vault-team', version: 1, updated_at: '2026-12-01T00:00:00.000Z', members: [{ name: 'me', recipient: mine, seen: [] }, { name: 'dave', recipient: dave, seen: [] }], credentials: [], rotate: [] };
      writeFileSync(`${planted}.recipients`, `# me\n${mine}\n# dave\n${dave}\n`);
      execFileSync('age', ['-r', mine, '-a', '-o', planted], { input: JSON.stringify(doc) });
      const add = await run(h, ['team', 'add', 'carol', carol, '--file', planted]);
      expect(add.stderr).not.toContain('INTERNAL');
      expect(add.stderr).toContain('[TEAM_INVALID]');
      expect(add.stderr).toContain(why);
      expect(add.code).toBe(1);
    }
  });
});

describe('export in a fresh HOME (no profile, no vault)', () => {
  it('writes an empty export and says so; no "could not write the audit log" warning, and no profile folder made', async () => {
    const root = mkdtempSync(join(process.env['CPW_TEST_ROOT'] ?? '/tmp', 'fresh-'));
    try {
      const pass = join(root, 'p.txt');
      writeFileSync(pass, EXPORT_PASS, { mode: 0o600 });
      const env: Record<string, string | undefined> = { ...process.env, HOME: root, DBUS_SESSION_BUS_ADDRESS: undefined, XDG_RUNTIME_DIR: undefined, CPW_PROFILE: undefined };
      for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
      const r = await collect(spawn(process.execPath, [BIN, 'export', '--to', 'e.age', '--passphrase-file', pass], { cwd: root, env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] }));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('audit log');
      expect(r.stderr).toContain('nothing is stored in this vault, so the export holds no credential');
      expect(existsSync(join(root, 'e.age'))).toBe(true);
      expect(existsSync(join(root, '.cp-whisperx'))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
