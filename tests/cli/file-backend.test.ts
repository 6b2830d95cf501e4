import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSocketFor } from '../../shared/node/agent/socket-dir';
import { readExportFile } from '../../shared/node/secrets/export-file';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { agentSockets, fileCli, fileEnv, fileStart, killIfRunning, makeFileVaultHome, startSilentAgent, unlockAgent, vaultBytes, type FileVaultHome } from '../helpers/file-vault';
import { inTurn } from '../helpers/in-turn';
import { makeTempHome } from '../helpers/temp';

const LIBRARY = resolve(import.meta.dirname, '../../dist/index.mjs');
const HF = `hf_${'PiPeLiNe'.repeat(5)}`;
const TMDB = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

/**
 * The file backend as a pipeline user meets it: no D-Bus session at all
 * (no keychain), one unlock, then stages that never ask. One vault with
 * age's real scrypt work factor, unlocked once for the whole file.
 */
describe('the file backend through the CLI, on a host with no D-Bus session', () => {
  let h: FileVaultHome;
  beforeAll(async () => {
    h = await makeFileVaultHome();
  });
  afterAll(async () => {
    await fileCli(h, ['lock']);
  });

  it('locked, with no agent and no terminal: exit 4 with the fix `cpw-vault unlock`, and nothing is written', async () => {
    const before = vaultBytes(h);
    const set = await fileCli(h, ['set', 'huggingface', 'token'], { input: HF });
    expect(set.code).toBe(4);
    expect(set.stderr).toMatch(/\[VAULT_LOCKED\][\s\S]*fix: Unlock it once for this session \(add --ttl 8h to choose how long; in scripts: --passphrase-file PATH\): cpw-vault unlock\n/);
    const get = await fileCli(h, ['get', 'huggingface', 'token', '--json']);
    expect(get.code).toBe(4);
    expect(JSON.parse(get.stdout).error.code).toBe('VAULT_LOCKED');
    expect(vaultBytes(h)).toEqual(before);
    expect((await fileCli(h, ['doctor'])).code).toBe(4);
  });

  it('refuses a passphrase file others can read, two passphrase sources, and a passphrase on the command line', async () => {
    const loose = join(h.root, 'loose.txt');
    writeFileSync(loose, `${h.passphrase}\n`);
    chmodSync(loose, 0o644);
    const r = await fileCli(h, ['unlock', '--passphrase-file', loose]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`can be read or changed by other users (mode 0644); refusing it`);
    const both = await fileCli(h, ['unlock', '--passphrase-file', h.passFile, '--passphrase-fd', '3'], { fd3: h.passphrase });
    expect(both.code).toBe(2);
    const argv = await fileCli(h, ['unlock', h.passphrase]);
    expect(argv.code).toBe(2);
    expect(argv.stderr).not.toContain(h.passphrase);
    const noTty = await fileCli(h, ['unlock']);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toMatch(/--passphrase-file PATH .* or --passphrase-fd N/);
    expect(agentSockets(h)).toEqual([]);
  });

  it('--passphrase-fd of stdout, of a descriptor the caller did not open (Node\'s own), or write-only: a clear refusal, never an internal error or a hang', async () => {
    for (const fd of ['1', '2', '4', '9']) {
      const r = await fileCli(h, ['unlock', '--passphrase-fd', fd]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/\[INVALID_ARGUMENT\] File descriptor \d+ (is std(out|err), where cpw-vault writes|is not open for cpw-vault to read)\./);
    }
    const writeOnly = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" unlock --passphrase-fd 5 5>/dev/null`], { cwd: h.cwd, env: fileEnv(h), encoding: 'utf8', timeout: 30_000 });
    expect(writeOnly.status, writeOnly.stderr).toBe(2);
    expect(writeOnly.stderr).toContain('File descriptor 5 is not open for cpw-vault to read.');
    expect(agentSockets(h)).toEqual([]);
    // The caller's own pipe, as a process substitution (bash keeps a second read end of it open): read.
    const sub = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" unlock --passphrase-fd 3 3< <(printf '%s' "$PASS") && "${process.execPath}" "${BIN}" lock`], { cwd: h.cwd, env: fileEnv(h, { PASS: h.passphrase }), encoding: 'utf8', timeout: 60_000 });
    expect(sub.status, sub.stderr).toBe(0);
    expect(sub.stdout + sub.stderr).toContain('Unlocked for');
  });

  it('a wrong passphrase: exit 1, a clear error after a pause, no agent, files byte-identical', async () => {
    const wrong = join(h.root, 'wrong.txt');
    writeFileSync(wrong, 'this is not the passphrase\n', { mode: 0o600 });
    const before = vaultBytes(h);
    const started = Date.now();
    const r = await fileCli(h, ['unlock', '--passphrase-file', wrong]);
    expect(Date.now() - started).toBeGreaterThan(1_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[VAULT_PASSPHRASE_WRONG\] That passphrase does not open .*identity\.age\. Nothing was changed\./);
    expect(r.stderr).not.toContain('this is not the passphrase');
    expect(vaultBytes(h)).toEqual(before);
    expect(agentSockets(h)).toEqual([]);
  });

  // Notepad's "Unicode" (UTF-16LE, a mark, CRLF): read as UTF-8 it was "holds more than one line"; without a line break,
  // another passphrase, said as the wrong one after its pause.
  it('a passphrase file in UTF-16 is said as such, with the conversion, before any pause: no agent, files byte-identical', async () => {
    const before = vaultBytes(h);
    for (const [name, bytes, from] of [
      ['notepad.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${h.passphrase}\r\n`, 'utf16le')]), 'UTF-16'],
      ['utf16le.txt', Buffer.from(h.passphrase, 'utf16le'), 'UTF-16LE'],
    ] as const) {
      const file = join(h.root, name);
      writeFileSync(file, bytes, { mode: 0o600 });
      const r = await fileCli(h, ['unlock', '--passphrase-file', file]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`The passphrase file ${file} is UTF-16 text`);
      expect(r.stderr).toContain(`iconv -f ${from} -t UTF-8 FILE > FILE.utf8`);
      expect(r.stderr).not.toContain(h.passphrase);
    }
    expect(vaultBytes(h)).toEqual(before);
    expect(agentSockets(h)).toEqual([]);
  });

  it('one unlock (passphrase on a descriptor), then a 13-stage pipeline reads without a terminal and asks nothing', async () => {
    const unlock = await fileCli(h, ['unlock', '--ttl', '10m', '--passphrase-fd', '3'], { fd3: `${h.passphrase}\n` });
    expect(unlock.stderr).toMatch(/Unlocked for 10m \(until .*\), agent pid \d+/);
    expect(unlock.code).toBe(0);
    expect(agentSockets(h)).toHaveLength(1);
    expect(statSync(join(h.runtime, 'cpw-vault')).mode & 0o777).toBe(0o700);
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).stderr).toMatch(/Already unlocked: agent pid \d+/);
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await fileCli(h, ['set', 'tmdb', 'api_key'], { input: `${TMDB}\n` })).code).toBe(0);
    for (let stage = 1; stage <= 13; stage++) {
      const r = await fileCli(h, ['get', stage % 2 ? 'huggingface' : 'tmdb', stage % 2 ? 'token' : 'api_key']);
      expect(r.code, `stage ${stage}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toBe(stage % 2 ? HF : TMDB);
    }
    expect((await fileCli(h, ['check', 'subtitle'])).code).toBe(0);
    // Where the values are, in words: the vault file, never "keychain" (on a host that has none).
    expect((await fileCli(h, ['list'])).stdout).toMatch(/^tmdb +api_key +vault file +/m);
    expect((await fileCli(h, ['which', 'huggingface', 'token'])).stdout).toMatch(/^huggingface\.token +vault file$/m);
    // And in the views the app shows (and list --json): the source names the store.
    const listed = JSON.parse((await fileCli(h, ['list', '--json'])).stdout).credentials.find((c: { id: string }) => c.id === 'tmdb.api_key');
    expect(listed.source).toEqual({ kind: 'keychain', store: 'file' });
    // Its metadata names the backend too (the profile's index says "keychain" for any secret store), as export does.
    expect(listed.meta.storage).toBe('file');
    // So does a read's source, in get --json and in the Node library (examples/node/summarize.mjs said "from keychain").
    expect(JSON.parse((await fileCli(h, ['get', 'tmdb', 'api_key', '--json'])).stdout).source).toEqual({ kind: 'keychain', store: 'file' });
    const read = `import { getCredential } from ${JSON.stringify(LIBRARY)}; console.log(JSON.stringify((await getCredential('tmdb', 'api_key')).source));`;
    const library = spawnSync(process.execPath, ['--input-type=module', '-e', read], { cwd: h.cwd, env: fileEnv(h), encoding: 'utf8' });
    expect(library.stderr).toBe('');
    expect(JSON.parse(library.stdout)).toEqual({ kind: 'keychain', store: 'file' });
    const env = await fileCli(h, ['env', '--workflow', 'subtitle', '--format', 'dotenv']);
    expect(env.stdout).toContain(`TMDB_API_KEY='${TMDB}'`);
    // A stage that checks its keys by shape (no value on any command line) and says so, like the examples do.
    const stage = 'const e = process.env; const ok = /^hf_/.test(e.HF_TOKEN ?? "") && e.HF_TOKEN === e.HUGGING_FACE_HUB_TOKEN && (e.TMDB_API_KEY ?? "").length === 32; console.log(`keys loaded: ${ok ? "yes" : "no"}`); process.exit(ok ? 0 : 5)';
    const exec = await fileCli(h, ['exec', '--workflow', 'subtitle', '--', process.execPath, '-e', stage]);
    expect(exec.stdout).toContain('keys loaded: yes');
    expect(exec.code).toBe(0);
    expect((await fileCli(h, ['doctor'])).stderr).toMatch(/✓ age vault file .* \(unlocked by agent pid \d+/);
    // The library through the agent: the script gets its key and exits on its own (the idle agent connection holds nothing open).
    const script = `import { getCredential } from ${JSON.stringify(resolve(import.meta.dirname, '../../dist/index.mjs'))}; const { value } = await getCredential('tmdb', 'api_key'); console.log(value.length);`;
    const started = Date.now();
    const lib = await collect(spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: h.cwd, env: fileEnv(h), stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(lib.stdout.trim()).toBe('32');
    expect(lib.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const f of [h.files.vault, h.files.identity]) {
      expect(statSync(f).mode & 0o777).toBe(0o600);
      for (const v of [HF, TMDB]) expect(readFileSync(f).includes(v)).toBe(false);
    }
  });

  it('a tampered vault file: reads and writes fail clearly and the file stays byte-identical', async () => {
    const good = readFileSync(h.files.vault);
    const bad = Buffer.from(good.map((b, i) => (i === good.length - 2 ? b ^ 0x40 : b)));
    writeFileSync(h.files.vault, bad, { mode: 0o600 });
    const get = await fileCli(h, ['get', 'huggingface', 'token']);
    expect(get.code).toBe(1);
    expect(get.stderr).toMatch(/\[VAULT_CORRUPT\] .*vault\.age cannot be read: its age encryption does not check out \(truncated or altered\)\. Nothing was changed\./);
    const set = await fileCli(h, ['set', 'tmdb', 'api_key'], { input: TMDB });
    expect(set.code).toBe(1);
    writeFileSync(h.files.vault, bad.subarray(0, 50), { mode: 0o600 });
    expect((await fileCli(h, ['get', 'huggingface', 'token'])).stderr).toContain('[VAULT_CORRUPT]');
    // doctor, with the agent unlocked, says so too (it said "reachable and unlocked", exit 0).
    const doctor = await fileCli(h, ['doctor']);
    expect(doctor.code).not.toBe(0);
    expect(doctor.stderr).toMatch(/✗ keychain .*VAULT_CORRUPT|VAULT_CORRUPT/);
    expect(doctor.stderr).not.toMatch(/reachable and unlocked/);
    expect(readFileSync(h.files.vault).equals(bad.subarray(0, 50))).toBe(true);
    writeFileSync(h.files.vault, good, { mode: 0o600 });
    expect((await fileCli(h, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
  });

  it('a FIFO or a folder at the vault file\'s name: doctor names that file\'s problem, locked or not (it said VAULT_LOCKED, or crashed)', async () => {
    const aside = `${h.files.vault}.kept`;
    renameSync(h.files.vault, aside);
    const noAgent = { XDG_RUNTIME_DIR: mkdtempSync(join(h.root, 'no-agent-')) };
    try {
      for (const plant of [() => execFileSync('mkfifo', ['-m', '600', h.files.vault]), () => mkdirSync(h.files.vault, { mode: 0o700 })]) {
        plant();
        for (const env of [{}, noAgent]) {
          const doctor = await fileCli(h, ['doctor', '--json'], { env });
          expect(doctor.code).toBe(4);
          const report = JSON.parse(doctor.stdout);
          expect(report.keychain).toMatchObject({ ok: false, code: 'PROFILE_INVALID', message: `${h.files.vault} is not a regular file.` });
          expect(report.workflows.map((w: { unknown?: string }) => w.unknown)).toEqual(report.workflows.map(() => 'vault file unreadable'));
          const text = await fileCli(h, ['doctor'], { env });
          expect(text.stderr).not.toMatch(/VAULT_LOCKED|internal error/);
          // The fix is the mv to paste (it said 'Move it aside; cpw-vault only reads regular files.', no command).
          const line = /fix: Move it aside: (mv .*)/.exec(text.stderr)?.[1];
          expect(line).toBeDefined();
          expect(spawnSync('sh', ['-c', line!], { cwd: h.cwd }).status).toBe(0);
          expect(existsSync(h.files.vault)).toBe(false);
          // Moved to a name of its own (`.aside-<time>`): an earlier one moved aside is never overwritten.
          const [aside, ...more] = readdirSync(dirname(h.files.vault)).filter((n) => n.startsWith(`${basename(h.files.vault)}.aside-`));
          expect(more).toEqual([]);
          rmSync(join(dirname(h.files.vault), aside!), { recursive: true });
          plant();
        }
        rmSync(h.files.vault, { recursive: true });
      }
    } finally {
      rmSync(h.files.vault, { recursive: true, force: true });
      renameSync(aside, h.files.vault);
    }
    expect((await fileCli(h, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
  });

  it('export --to FILE: every secret and its metadata in an age file of its own passphrase, 0600, never over an existing file', async () => {
    const exportPass = join(h.root, 'export-pass.txt');
    writeFileSync(exportPass, 'passphrase of the export file\n', { mode: 0o600 });
    const out = join(h.cwd, 'vault-export.age');
    const r = await fileCli(h, ['export', '--to', 'vault-export.age', '--passphrase-file', exportPass]);
    expect(r.stderr).toMatch(/Exported 2 credentials to .*vault-export\.age/);
    expect(r.code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out).includes(HF)).toBe(false);
    const doc = await readExportFile(out, 'passphrase of the export file');
    // storage says where the values were (the vault file), not "keychain", the profile index's word for any secret store.
    expect(doc.credentials).toEqual([
      { id: 'huggingface.token', value: HF, meta: expect.objectContaining({ hint: `••••${HF.slice(-4)}`, created_at: expect.any(String), storage: 'file' }) },
      { id: 'tmdb.api_key', value: TMDB, meta: expect.objectContaining({ hint: `••••${TMDB.slice(-4)}`, storage: 'file' }) },
    ]);
    // The profile's own format is unchanged.
    expect(JSON.parse(readFileSync(h.profile, 'utf8')).credential_metadata['huggingface.token'].storage).toBe('keychain');
    const before = readFileSync(out);
    const again = await fileCli(h, ['export', '--to', out, '--passphrase-file', exportPass]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists; refusing to replace it');
    expect(readFileSync(out).equals(before)).toBe(true);
    const short = join(h.root, 'short.txt');
    writeFileSync(short, 'short\n', { mode: 0o600 });
    const tooShort = await fileCli(h, ['export', '--to', 'x.age', '--passphrase-file', short]);
    expect(tooShort.code, tooShort.stderr).toBe(2);
    expect(existsSync(join(h.cwd, 'x.age'))).toBe(false);
    expect(readFileSync(join(h.home, '.cp-whisperx', 'audit.log'), 'utf8')).toMatch(/"event":"credentials_exported".*"count":2/);
  });

  it('delete, then lock: the agent stops and the next read is locked again', async () => {
    // which --team says it too (here: the export above counts the vault's credentials, and team init adds one): its own values are in the vault file, the team file's row says so.
    const team = join(h.cwd, 'cpw-team.age');
    expect((await fileCli(h, ['team', 'init', '--file', team, '--name', 'me', '--add', 'tmdb.api_key'])).code).toBe(0);
    expect((await fileCli(h, ['which', '--team', team, 'tmdb', 'api_key'])).stdout).toMatch(/^tmdb\.api_key +vault file \(also in the team file\)$/m);
    expect((await fileCli(h, ['delete', 'tmdb', 'api_key', '--yes'])).code).toBe(0);
    expect((await fileCli(h, ['get', 'tmdb', 'api_key'])).code).toBe(3);
    const lock = await fileCli(h, ['lock']);
    expect(lock.stderr).toMatch(/Locked: the unlock agent \(pid \d+\) has stopped/);
    expect(agentSockets(h)).toEqual([]);
    expect((await fileCli(h, ['get', 'huggingface', 'token'])).code).toBe(4);
    expect((await fileCli(h, ['lock'])).stderr).toContain('Nothing to lock');
    const audit = readFileSync(join(h.home, '.cp-whisperx', 'audit.log'), 'utf8');
    for (const event of ['vault_unlocked', 'credential_set', 'credential_read', 'credential_deleted', 'vault_locked']) expect(audit).toContain(`"event":"${event}"`);
    const reads = audit.split('\n').filter((l) => l.includes('"event":"credential_read"'));
    expect(reads.length).toBeGreaterThan(0);
    for (const line of reads) expect(JSON.parse(line).details).toEqual({ source: 'file' });
    for (const v of [HF, TMDB, h.passphrase]) expect(audit).not.toContain(v);
  });

  it('a truncated identity file, locked: doctor names that file and its restore (it said VAULT_LOCKED: run unlock, which then failed on it)', async () => {
    const identity = readFileSync(h.files.identity);
    const noAgent = { XDG_RUNTIME_DIR: mkdtempSync(join(h.root, 'no-agent-')) };
    try {
      for (const length of [0, 30, 120, Math.floor(identity.length / 2)]) {
        writeFileSync(h.files.identity, identity.subarray(0, length), { mode: 0o600 });
        const doctor = await fileCli(h, ['doctor'], { env: noAgent });
        expect(doctor.code, `cut at ${length}`).toBe(4);
        expect(doctor.stderr).toMatch(new RegExp(`VAULT_CORRUPT ${h.files.identity.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be read`));
        expect(doctor.stderr).toContain(`fix: Restore ${h.files.identity} from a backup`);
        expect(doctor.stderr).not.toMatch(/VAULT_LOCKED|cpw-vault unlock/);
      }
    } finally {
      writeFileSync(h.files.identity, identity, { mode: 0o600 });
    }
    // Whole, it is locked as before.
    expect((await fileCli(h, ['doctor'], { env: noAgent })).stderr).toContain('VAULT_LOCKED');
  });
});

describe('a vault file restored from a backup that lacks a value the index lists', () => {
  it('which says missing (exit 3) and doctor names it (exit 1), as for a keychain value removed outside cpw-vault; --repair drops it', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    try {
      const backup = readFileSync(h.files.vault);
      expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
      // The backup goes back over the vault file (as `cp vault.backup ...vault.age`): the index still lists the token.
      writeFileSync(h.files.vault, backup);
      expect((await fileCli(h, ['get', 'huggingface', 'token'])).code).toBe(3);
      const which = await fileCli(h, ['which', 'huggingface', 'token']);
      expect(which.code, which.stderr).toBe(3);
      expect(which.stdout).toMatch(/huggingface\.token\s+missing/);
      expect(which.stderr).toContain('huggingface.token: listed in the profile, but the vault file does not hold its value');
      const doctor = await fileCli(h, ['doctor']);
      expect(doctor.code, doctor.stderr).toBe(1);
      expect(doctor.stderr).toContain('✗ huggingface.token is listed in the profile, but the vault file does not hold its value');
      expect(doctor.stderr).toMatch(/✗ transcribe: not ready/);
      expect(doctor.stderr).not.toMatch(/✓ transcribe: ready/);
      expect(JSON.parse((await fileCli(h, ['doctor', '--json'])).stdout)).toMatchObject({ ok: false, stale: ['huggingface.token'] });
      const repair = await fileCli(h, ['doctor', '--repair']);
      expect(repair.stderr).toContain('removed from the index (no value in the vault file): huggingface.token');
      expect((await fileCli(h, ['doctor'])).code).toBe(0);
    } finally {
      await fileCli(h, ['lock']);
    }
  }, 60_000);
});

describe('a vault file restored from a backup that holds as many values as the index lists, not the same ones', () => {
  it('doctor names the one it lacks (exit 1): the census compares names, not only how many', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    try {
      expect((await fileCli(h, ['set', 'foo', 'bar'], { input: 'aaaaaaaa-1' })).code).toBe(0);
      const backup = readFileSync(h.files.vault);
      expect((await fileCli(h, ['delete', 'foo', 'bar', '--yes'])).code).toBe(0);
      expect((await fileCli(h, ['set', 'qux', 'quux'], { input: 'cccccccc-1' })).code).toBe(0);
      writeFileSync(h.files.vault, backup);
      const doctor = await fileCli(h, ['doctor']);
      expect(doctor.code, doctor.stderr).toBe(1);
      expect(doctor.stderr).toContain('✗ qux.quux is listed in the profile, but the vault file does not hold its value');
    } finally {
      await fileCli(h, ['lock']);
    }
  }, 60_000);
});

describe('export on the keychain backend', () => {
  it('reads every value from the keychain into the same age export', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const pass = join(t.root, 'pass');
    writeFileSync(pass, 'keychain export passphrase\n', { mode: 0o600 });
    const r = await cli(t, ['export', '--to', 'k.age', '--passphrase-file', pass, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ count: 1, credentials: ['huggingface.token'] });
    const doc = await readExportFile(join(t.cwd, 'k.age'), 'keychain export passphrase');
    expect(doc.credentials).toEqual([{ id: 'huggingface.token', value: HF, meta: expect.objectContaining({ storage: 'keychain' }) }]);
    // A dangling link planted at the name: refused at once (it passed the "exists" check and asked for a passphrase).
    symlinkSync(join(t.root, 'theirs.age'), join(t.cwd, 'planted.age'));
    const planted = await cli(t, ['export', '--to', 'planted.age']);
    expect(planted.code).not.toBe(0);
    expect(planted.stderr).toContain('[PROFILE_SYMLINK]');
    expect(planted.stderr).toContain('If you did not make this link, remove it');
    expect(existsSync(join(t.root, 'theirs.age'))).toBe(false);
  });
});

describe('an XDG_RUNTIME_DIR this user cannot look into (kept from another user across su)', () => {
  it('lock and unlock say VAULT_AGENT_UNSAFE with the folder, never an internal error', async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip();
    const base = mkdtempSync('/tmp/cpw-su-');
    ctx.onTestFinished(() => rmSync(base, { recursive: true, force: true }));
    chmodSync(base, 0o755);
    const run = join(base, 'run');
    mkdirSync(run, { mode: 0o700 }); // root's
    const home = join(base, 'home');
    mkdirSync(home);
    chownSync(home, 65534, 65534);
    for (const args of [['lock'], ['unlock', '--passphrase-file', '/dev/null']]) {
      const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', '-i', `PATH=${process.env['PATH']}`, `HOME=${home}`, `XDG_RUNTIME_DIR=${run}`, process.execPath, BIN, ...args], { cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
      const r = await collect(child);
      expect(r.stderr, args[0]).toContain(`error [VAULT_AGENT_UNSAFE] Refusing the unlock agent folder ${run}/cpw-vault: ${run}/cpw-vault cannot be looked at (EACCES)`);
      expect(r.stderr).not.toContain('INTERNAL');
    }
  });
});


/** True once process `pid` has ended (gone, or a zombie left to its parent), waiting up to 5 s. */
async function ended(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    try {
      if (readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z')) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('SIGUSR1', () => {
  // Node starts its inspector on SIGUSR1: a debugger on 127.0.0.1:9229 with no authentication, which any local user
  // could attach to and read the key the agent holds for hours, or the secrets a command has read.
  const inspectorListening = () => readFileSync('/proc/net/tcp', 'utf8').split('\n').some((l) => / 0100007F:2405 00000000:0000 0A /.test(l));

  it('stops the unlock agent (its key leaves memory) instead of opening a debugger', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const up = await fileCli(h, ['unlock', '--passphrase-file', h.passFile, '--json']);
    const pid = (JSON.parse(up.stdout) as { pid: number }).pid;
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    process.kill(pid, 'SIGUSR1');
    expect(await ended(pid)).toBe(true);
    expect(inspectorListening()).toBe(false);
    expect((await fileCli(h, ['get', 'huggingface', 'token'])).code).toBe(4);
  }, 60_000);

  it('at the agent\'s very start (before its code takes it: Node 20 opens the debugger), the agent refuses to hold the key', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    // strace sends SIGUSR1 as the agent opens its own program, before any of its code runs.
    const agentJs = resolve(dirname(BIN), '..', 'dist', 'agent.cjs');
    const r = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '-P', agentJs, '-e', 'trace=openat', '-e', 'inject=openat:signal=SIGUSR1', process.execPath, BIN, 'unlock', '--passphrase-file', h.passFile], { cwd: h.cwd, env: fileEnv(h), encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toContain('[VAULT_AGENT_UNSAFE] A debugger was started in the unlock agent as it began (SIGUSR1); it was closed, and the agent did not keep the key.');
    expect(r.status).not.toBe(0);
    expect(agentSockets(h)).toEqual([]);
    expect(inspectorListening()).toBe(false);
  }, 60_000);

  // Waiting for its value on stdin, set listens for the signals that end a change (since 7908745: a stuck stdin held
  // Ctrl-C), SIGUSR1 among them: cancelled, 128 + 10, as a prompt is. Never a debugger.
  it('ends a command waiting for its input by SIGUSR1, cancelled as any ending signal, instead of opening a debugger', async () => {
    const t = makeTempHome();
    const child = spawn(process.execPath, [BIN, 'set', 'huggingface', 'token'], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['pipe', 'pipe', 'pipe'] });
    const done = collect(child);
    // Its stdin stays open: it waits for the value. Once its main thread idles in the event loop (its code has run), the signal.
    const idle = () => readFileSync(`/proc/${child.pid}/task/${child.pid}/wchan`, 'utf8').includes('epoll');
    for (const end = Date.now() + 30_000; Date.now() < end && !idle(); ) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGUSR1');
    const r = await done;
    expect([r.code, r.signal, r.stderr]).toEqual([138, null, 'cancelled: nothing changed\n']);
    expect(inspectorListening()).toBe(false);
  });
});

describe('an unlock agent that does not answer (kill -STOP, hung)', () => {
  it('lock and unlock are not stuck behind it: it is ended (its key with it) and its socket removed, with a warning; a new unlock serves reads', async (ctx) => {
    const h = await makeFileVaultHome({ logN: 10 });
    const stopped = await unlockAgent(h, (fn) => ctx.onTestFinished(fn));
    process.kill(stopped, 'SIGSTOP');
    // list and which say the sources are unknown, exit 4, as for a keychain that does not answer, within the agent's
    // 5 s, with what to do (they said "vault file", exit 0, taking the index's word while the agent held the key).
    // Each waits on the stopped agent while the next starts (in-turn.ts); each is timed from its own start.
    const reads = [['list'], ['which', 'huggingface', 'token'], ['which', '--all'], ['list', '--json']];
    // check waits for it once, not once for its read and again for the status that explains it (10 s for "5 s").
    const log = join(h.root, 'check-connects.log');
    const traced = () => spawn('strace', ['-f', '-qq', '-o', log, '-e', 'trace=connect', process.execPath, BIN, 'check', 'transcribe'], { cwd: h.cwd, env: fileEnv(h), stdio: ['pipe', 'pipe', 'pipe'] });
    const results = await inTurn([...reads.map((args) => ({ start: () => fileStart(h, args) })), { start: traced }]);
    for (const [i, args] of reads.entries()) {
      const r = results[i]!;
      expect(r.ms, args.join(' ')).toBeLessThan(9_000);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(4);
      if (args.includes('--json')) {
        expect(JSON.parse(r.stdout)).toMatchObject({ keychain: { code: 'VAULT_LOCKED' } });
        continue;
      }
      expect(r.stderr).toContain(`? sources unknown: vault file's unlock agent not answering (pid ${stopped}: stopped) (shown from the index, not checked)`);
      expect(r.stderr).toContain('did not answer within 5 s');
      expect(r.stderr).toContain('fix: Start the unlock again (in scripts, unlock with --passphrase-file PATH): cpw-vault lock; cpw-vault unlock\n');
      expect(r.stderr).not.toContain('note: the vault file is locked');
    }
    const check = results[reads.length]!;
    expect(check.code, check.stderr).toBe(4);
    expect(check.stderr).toContain('did not answer within 5 s');
    expect(readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('agent-')).length).toBe(1);
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(4);
    const again = await fileCli(h, ['unlock', '--passphrase-file', h.passFile, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`the unlock agent of this vault (pid ${stopped}) did not answer (stopped or hung): it was ended, its key with it, and its socket removed`);
    // Ended, not left holding the key until its time to live (8 h by default): SIGKILL reaches a stopped process.
    expect(await ended(stopped)).toBe(true);
    const fresh = (JSON.parse(again.stdout) as { pid: number; already: boolean });
    expect(fresh.already).toBe(false);
    expect(fresh.pid).not.toBe(stopped);
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await fileCli(h, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    // And lock, with the new one stopped too: done, the process ended, and reads are locked.
    const second = fresh.pid;
    process.kill(second, 'SIGSTOP');
    ctx.onTestFinished(() => killIfRunning(second));
    const lock = await fileCli(h, ['lock', '--json']);
    expect(lock.code, lock.stderr).toBe(0);
    expect(lock.stderr).toContain('did not answer (stopped or hung): it was ended');
    // Not also "Nothing to lock: no unlock agent is running" (it contradicted the warning above it).
    expect(lock.stderr).toContain(`✓ Locked: the unlock agent (pid ${second}) has been ended.`);
    expect(lock.stderr).not.toContain('Nothing to lock');
    expect(JSON.parse(lock.stdout)).toEqual({ locked: true, was_running: true, pid: second });
    expect(await ended(second)).toBe(true);
    expect((await fileCli(h, ['get', 'huggingface', 'token'])).code).toBe(4);
  }, 120_000);

  it('backend says it is not answering (its pid; cpw-vault lock ends it), not "locked: no unlock agent runs", and ends nothing', async (ctx) => {
    const h = await makeFileVaultHome({ logN: 10 });
    const pid = await unlockAgent(h, (fn) => ctx.onTestFinished(fn));
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    process.kill(pid, 'SIGSTOP');
    // Both wait on the stopped agent at once (in-turn.ts).
    const [shown, json] = await inTurn([{ start: () => fileStart(h, ['backend']) }, { start: () => fileStart(h, ['backend', '--json']) }]);
    expect(shown!.code, shown!.stderr).toBe(4);
    expect(shown!.stdout).toContain(`not answering: the unlock agent (pid ${pid}) is stopped (kill -STOP, a suspended session) and did not answer; it may still hold the key in memory: cpw-vault lock ends it, its key with it`);
    expect(shown!.stdout).not.toContain('no unlock agent runs');
    expect(JSON.parse(json!.stdout)).toMatchObject({ agent: null, agent_not_answering: { pids: [pid], state: 'stopped' } });
    // Only looked at: still there, and resumed it serves reads (a status never ends or cuts off an agent).
    process.kill(pid, 'SIGCONT');
    expect((await fileCli(h, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    expect(JSON.parse((await fileCli(h, ['backend', '--json'])).stdout)).toMatchObject({ agent: { pid } });
    expect((await fileCli(h, ['lock'])).code).toBe(0);
    expect((await fileCli(h, ['backend'])).stdout).toContain('locked: no unlock agent runs (cpw-vault unlock)');
  }, 60_000);

  it('one that runs but does not answer in time (busy decrypting, or hung) is said as that in backend and list, not as stopped; nothing is ended', async (ctx) => {
    const h = await makeFileVaultHome({ logN: 10 });
    // An agent busy past the 5 s of a hello (a vault file near 16 MiB decrypting for another client, on a loaded
    // machine), stood in for by a process titled as the agent that listens on its socket, reads, and answers nothing.
    const busy = await startSilentAgent(h, (fn) => ctx.onTestFinished(fn));
    // The three wait on it at once (in-turn.ts).
    const [shown, json, list] = await inTurn([['backend'], ['backend', '--json'], ['list']].map((args) => ({ start: () => fileStart(h, args) })));
    expect(shown!.code, shown!.stderr).toBe(4);
    // Before: "did not answer (stopped or hung)", of a process that was neither stopped nor, as far as anyone knew, hung.
    expect(shown!.stdout).toContain(`not answering: the unlock agent (pid ${busy.pid}) runs but did not answer in time: busy (a large vault file being decrypted) or hung; it may still hold the key in memory`);
    expect(shown!.stdout).not.toContain('stopped');
    expect(JSON.parse(json!.stdout)).toMatchObject({ agent_not_answering: { pids: [busy.pid], state: 'running' } });
    expect(list!.code, list!.stderr).toBe(4);
    expect(list!.stderr).toContain(`? sources unknown: vault file's unlock agent not answering (pid ${busy.pid}: busy or hung) (shown from the index, not checked)`);
    expect(busy.exitCode).toBe(null);
  }, 60_000);

  it('backend with the agent\'s folder reachable by other users says the agent cannot be asked, not "locked: no unlock agent runs" under its own refusal', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const up = await fileCli(h, ['unlock', '--passphrase-file', h.passFile]);
    expect(up.code, up.stderr).toBe(0);
    const dir = agentSocketFor(h.files.identity, { XDG_RUNTIME_DIR: h.runtime }).dir;
    chmodSync(dir, 0o777);
    try {
      const shown = await fileCli(h, ['backend']);
      expect(shown.code, shown.stderr).toBe(4);
      expect(shown.stdout).toContain('VAULT_AGENT_UNSAFE Refusing the unlock agent folder');
      // Before: "locked: no unlock agent runs (cpw-vault unlock)", while the agent it had just started served the key.
      expect(shown.stdout).toContain('unlock agent: not known, it cannot be asked (VAULT_AGENT_UNSAFE, above)');
      expect(shown.stdout).not.toContain('no unlock agent runs');
      const json = JSON.parse((await fileCli(h, ['backend', '--json'])).stdout) as Record<string, unknown>;
      expect(json).toMatchObject({ status: { code: 'VAULT_AGENT_UNSAFE' }, agent_unknown: { code: 'VAULT_AGENT_UNSAFE' } });
      expect(json).not.toHaveProperty('agent');
    } finally {
      chmodSync(dir, 0o700);
    }
    expect((await fileCli(h, ['lock'])).code).toBe(0);
  }, 60_000);

  it('list and which on a locked vault file (no agent) say the sources are the index\'s, unchecked; with an agent, nothing', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const note = 'note: the vault file is locked (no unlock agent): sources are shown from the index, not checked';
    for (const args of [['list'], ['which', 'huggingface', 'token']]) expect((await fileCli(h, args)).stderr, args[0]).not.toContain(note);
    expect(JSON.parse((await fileCli(h, ['list', '--json'])).stdout)).not.toHaveProperty('keychain');
    expect((await fileCli(h, ['lock'])).code).toBe(0);
    for (const args of [['list'], ['which', 'huggingface', 'token']]) {
      const r = await fileCli(h, args);
      expect(r.code, args[0]).toBe(0);
      expect(r.stderr, args[0]).toContain(note);
      // --json says it too (the locked keychain's `keychain` member), still exit 0: nothing was asked.
      const json = await fileCli(h, [...args, '--json']);
      expect(json.code, args[0]).toBe(0);
      expect(JSON.parse(json.stdout), args[0]).toMatchObject({ keychain: { ok: false, code: 'VAULT_LOCKED', fix: expect.stringContaining('cpw-vault unlock') } });
    }
    // An agent killed by -9 leaves its socket file: nothing listens there, and the note says so.
    const up = await fileCli(h, ['unlock', '--passphrase-file', h.passFile, '--json']);
    process.kill((JSON.parse(up.stdout) as { pid: number }).pid, 'SIGKILL');
    expect(await ended((JSON.parse(up.stdout) as { pid: number }).pid)).toBe(true);
    expect(agentSockets(h)).toHaveLength(1);
    expect((await fileCli(h, ['list'])).stderr).toContain(note);
  }, 60_000);

  it('lock just after the identity file went away: the agent, stopping, is waited for and gone, exit 0 (it said VAULT_LOCKED, exit 4)', async (ctx) => {
    const h = await makeFileVaultHome({ logN: 10 });
    const gone = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z');
      } catch {
        return true;
      }
    };
    // The agent also notices on its own, once a second: a lock that comes after that finds nothing (also exit 0). Tried
    // until one lock meets the agent still there, refusing to answer because it is stopping.
    let met = 0;
    for (let round = 0; round < 4 && !met; round++) {
      const up = await fileCli(h, ['unlock', '--passphrase-file', h.passFile, '--json']);
      expect(up.code, up.stderr).toBe(0);
      const pid = (JSON.parse(up.stdout) as { pid: number }).pid;
      ctx.onTestFinished(() => killIfRunning(pid));
      renameSync(h.files.identity, join(h.root, 'identity.bak'));
      const lock = await fileCli(h, ['lock', '--json']);
      // Checked at once: lock's job is that no key stays in memory when it returns.
      const goneAtReturn = gone(pid);
      expect(lock.code, lock.stderr).toBe(0);
      expect(lock.stderr).not.toContain('VAULT_LOCKED');
      expect(goneAtReturn).toBe(true);
      expect(agentSockets(h)).toEqual([]);
      renameSync(join(h.root, 'identity.bak'), h.files.identity);
      if (lock.stderr.includes('Nothing to lock')) continue;
      expect(lock.stderr).toContain(`✓ Locked: the unlock agent (pid ${pid}) was stopping (its identity file changed or is gone) and has stopped.`);
      expect(JSON.parse(lock.stdout)).toEqual({ locked: true, was_running: true, pid });
      met++;
    }
    expect(met).toBe(1);
  }, 60_000);

  it('two silent agents bound to one socket name (the first one\'s file replaced): lock ends both, not only the stale one', async (ctx) => {
    const h = await makeFileVaultHome({ logN: 10 });
    const a = await unlockAgent(h, (fn) => ctx.onTestFinished(fn));
    process.kill(a, 'SIGSTOP');
    unlinkSync(join(h.runtime, 'cpw-vault', agentSockets(h)[0]!));
    const b = await unlockAgent(h, (fn) => ctx.onTestFinished(fn));
    process.kill(b, 'SIGSTOP');
    const lock = await fileCli(h, ['lock']);
    expect(lock.code, lock.stderr).toBe(0);
    // It ended the first listed (a) and left b, the one holding the file, stopped with the key.
    expect(await ended(b)).toBe(true);
    expect(await ended(a)).toBe(true);
    expect(lock.stderr).toMatch(new RegExp(`pid (${a}, ${b}|${b}, ${a})\\) has been ended`));
  }, 60_000);

  it('a profile reached through a link to its folder is one vault: one agent serves both paths, and lock stops it from either', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const link = join(h.root, 'linked');
    symlinkSync(dirname(h.profile), link);
    const viaLink = ['--profile', join(link, basename(h.profile))];
    const up = await fileCli(h, [...viaLink, 'unlock', '--passphrase-file', h.passFile, '--json']);
    expect(up.code, up.stderr).toBe(0);
    const pid = (JSON.parse(up.stdout) as { pid: number }).pid;
    expect((await fileCli(h, [...viaLink, 'set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    // The real path reads through the same agent (it asked for the passphrase again, or said locked).
    const get = await fileCli(h, ['get', 'huggingface', 'token']);
    expect(get.stdout, get.stderr).toBe(HF);
    const lock = await fileCli(h, ['lock']);
    expect(lock.stderr).toContain(`✓ Locked: the unlock agent (pid ${pid}) has stopped.`);
    expect(await ended(pid)).toBe(true);
    expect((await fileCli(h, [...viaLink, 'get', 'huggingface', 'token'])).code).toBe(4);
  }, 60_000);

  it("a profile whose identity file is a link to another vault's reads nothing through that vault's agent, and lock leaves it", async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const up = await fileCli(h, ['unlock', '--passphrase-file', h.passFile, '--json']);
    const pid = (JSON.parse(up.stdout) as { pid: number }).pid;
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const q = join(h.root, 'q');
    mkdirSync(q, { mode: 0o700 });
    const other = join(q, basename(h.profile));
    writeFileSync(other, readFileSync(h.profile), { mode: 0o600 });
    writeFileSync(`${other}.vault.age`, readFileSync(h.files.vault), { mode: 0o600 });
    symlinkSync(h.files.identity, `${other}.identity.age`);
    const get = await fileCli(h, ['--profile', other, 'get', 'huggingface', 'token']);
    expect(get.stdout).not.toContain(HF);
    expect(get.code).not.toBe(0);
    await fileCli(h, ['--profile', other, 'lock']);
    // The other vault's agent still serves its own profile.
    expect((await fileCli(h, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    process.kill(pid, 'SIGTERM');
  }, 60_000);

  it('lock from a shell with another XDG_RUNTIME_DIR stops the agent too: it said "nothing to lock" while the agent served', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const other = mkdtempSync(join(h.root, 'other-run-'));
    chmodSync(other, 0o700);
    const there = { XDG_RUNTIME_DIR: other };
    const up = await fileCli(h, ['unlock', '--passphrase-file', h.passFile, '--json'], { env: there });
    expect(up.code, up.stderr).toBe(0);
    const pid = (JSON.parse(up.stdout) as { pid: number }).pid;
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF, env: there })).code).toBe(0);
    const lock = await fileCli(h, ['lock']);
    expect(lock.code, lock.stderr).toBe(0);
    expect(lock.stderr).toContain(`✓ Locked: the unlock agent (pid ${pid}) (listening in ${other}/cpw-vault, started under another TMPDIR or XDG_RUNTIME_DIR) has stopped.`);
    expect(lock.stderr).not.toContain('Nothing to lock');
    expect(await ended(pid)).toBe(true);
    expect((await fileCli(h, ['get', 'huggingface', 'token'], { env: there })).code).toBe(4);
  }, 60_000);

  it('a shell spelling XDG_RUNTIME_DIR otherwise (through a link, with /./) sees the running agent, and ends it when it is stopped', async (ctx) => {
    // /proc/net/unix lists the socket as its agent bound it: compared as a string, list said "locked" beside a running
    // agent, and a stopped one could not be ended (its key stayed in memory until its time to live).
    const h = await makeFileVaultHome({ logN: 10 });
    const pid = await unlockAgent(h, (fn) => ctx.onTestFinished(fn));
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const link = join(h.root, 'run-link');
    symlinkSync(h.runtime, link);
    const note = 'note: the vault file is locked';
    for (const spelled of [link, `${h.runtime}/.`]) {
      const env = { XDG_RUNTIME_DIR: spelled };
      for (const args of [['list'], ['which', 'huggingface', 'token']]) expect((await fileCli(h, args, { env })).stderr, `${spelled} ${args[0]}`).not.toContain(note);
      expect((await fileCli(h, ['get', 'huggingface', 'token'], { env })).stdout).toBe(HF);
    }
    process.kill(pid, 'SIGSTOP');
    const lock = await fileCli(h, ['lock'], { env: { XDG_RUNTIME_DIR: link } });
    expect(lock.code, lock.stderr).toBe(0);
    expect(lock.stderr).toContain(`✓ Locked: the unlock agent (pid ${pid}) has been ended.`);
    expect(await ended(pid)).toBe(true);
    expect((await fileCli(h, ['get', 'huggingface', 'token'])).code).toBe(4);
  }, 60_000);

  it('one whose socket went while it was stopped (it could not be ended) leaves the new agent\'s socket alone when it resumes', async (ctx) => {
    const h = await makeFileVaultHome({ logN: 10 });
    const old = await unlockAgent(h, (fn) => ctx.onTestFinished(fn));
    process.kill(old, 'SIGSTOP');
    unlinkSync(join(h.runtime, 'cpw-vault', agentSockets(h)[0]!));
    const again = await fileCli(h, ['unlock', '--passphrase-file', h.passFile, '--json']);
    expect(again.code, again.stderr).toBe(0);
    ctx.onTestFinished(() => killIfRunning((JSON.parse(again.stdout) as { pid: number }).pid));
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    // Resumed, it finds its socket gone and ends; closing its listening socket removes the file by name, which was
    // the new agent's.
    process.kill(old, 'SIGCONT');
    expect(await ended(old)).toBe(true);
    const after = await fileCli(h, ['get', 'huggingface', 'token']);
    expect(after.stdout, after.stderr).toBe(HF);
    expect(agentSockets(h)).toHaveLength(1);
  }, 60_000);
});

describe('Ctrl-C while unlock checks the passphrase', () => {
  it('is "cancelled: nothing changed", exit 130, and no agent starts (it died by SIGINT, saying nothing)', async () => {
    const h = await makeFileVaultHome({ logN: 16 });
    const child = spawn(process.execPath, [BIN, 'unlock', '--passphrase-fd', '3'], { cwd: h.cwd, env: fileEnv(h), stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const done = collect(child);
    // Once the command turns Ctrl-C into a cancel, the passphrase goes in and Ctrl-C follows at once: it lands while
    // the passphrase is read or checked (scrypt), both before any agent. The sign of it in /proc's caught mask is
    // SIGHUP (caught with SIGINT and SIGTERM): Node itself catches SIGINT from its start, to restore the terminal.
    const caught = () => {
      try {
        return (BigInt(`0x${/^SigCgt:\s*([0-9a-f]+)/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? '0'}`) & 1n) !== 0n;
      } catch {
        return false;
      }
    };
    for (const end = Date.now() + 20_000; !caught() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    const fd3 = child.stdio[3] as NodeJS.WritableStream;
    fd3.on('error', () => {}); // the command may stop reading it once cancelled
    fd3.end(`${h.passphrase}\n`);
    child.kill('SIGINT');
    const r = await done;
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('cancelled: nothing changed');
    expect(agentSockets(h)).toEqual([]);
  }, 60_000);
});

describe('a locked vault file and a workflow the index finds not ready', () => {
  // Found by a new-user pass: check said "unknown: vault file locked" (exit 4) while env and exec said "missing: run
  // cpw-vault set" (exit 3), and the library's workflowEnv rejected WORKFLOW_NOT_READY: only a keychain's codes made
  // readiness unknown there, and the index alone proves nothing (a profile restored from an older backup).
  it('env, exec and the library say VAULT_LOCKED (exit 4) with the env vars the workflow lacks, as check does, never "missing"', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const check = await fileCli(h, ['check', 'transcribe']);
    expect(check.code, check.stderr).toBe(4);
    expect(check.stderr).toMatch(/\? transcribe: unknown: vault file locked/);
    for (const args of [['env', '--workflow', 'transcribe'], ['exec', '--workflow', 'transcribe', '--', 'true']]) {
      const r = await fileCli(h, args);
      expect(r.code, `${args[0]}\n${r.stderr}`).toBe(4);
      expect(r.stderr, args[0]).toMatch(/\[VAULT_LOCKED\]/);
      expect(r.stderr, args[0]).toMatch(/keys are not all in the environment either: .*\(HF_TOKEN or HUGGING_FACE_HUB_TOKEN\)/);
      expect(r.stderr, args[0]).toContain('fix: Unlock it once for this session (add --ttl 8h to choose how long; in scripts: --passphrase-file PATH): cpw-vault unlock\n');
      expect(r.stderr, args[0]).not.toMatch(/WORKFLOW_NOT_READY|missing:/);
    }
    const json = await fileCli(h, ['env', '--workflow', 'transcribe', '--json']);
    expect(JSON.parse(json.stdout).error.code).toBe('VAULT_LOCKED');
    const lib = `import { workflowEnv } from ${JSON.stringify(LIBRARY)}; workflowEnv('transcribe').then(() => console.log('ok'), (e) => console.log(e.code));`;
    const stage = spawnSync(process.execPath, ['--input-type=module', '-e', lib], { cwd: h.cwd, env: fileEnv(h), encoding: 'utf8', timeout: 30_000 });
    expect(stage.stdout.trim(), stage.stderr).toBe('VAULT_LOCKED');
  }, 60_000);
});

describe('a locked vault file and check --verify', () => {
  // check said `? diarize: unknown: vault file locked` (exit 4) and its --json the workflow document with the store's
  // status; check --verify printed an error of its own (same exit): two shapes of one answer for a script to parse.
  it('says readiness is unknown as plain check does, in its lines and its --json document (exit 4), asking no provider', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const plain = await fileCli(h, ['check', 'diarize']);
    const verify = await fileCli(h, ['check', 'diarize', '--verify']);
    expect(plain.code, plain.stderr).toBe(4);
    expect([verify.code, verify.stderr]).toEqual([4, plain.stderr]);
    expect(verify.stderr).toMatch(/^\? diarize: unknown: vault file locked\n/);
    const json = await fileCli(h, ['check', 'diarize', '--verify', '--json']);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout)).toMatchObject({ workflow: 'diarize', ready: false, unknown: 'vault file locked', keychain: { code: 'VAULT_LOCKED' } });
  }, 60_000);
});
