import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lchownSync, mkdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildExport } from '../../shared/core/vault-export';
import { readExportFile, writeExportFile } from '../../shared/node/secrets/export-file';
import { SecretServiceStore } from '../../shared/node/secrets/secret-service';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import { BIN } from '../helpers/cli';
import { collect, type ChildResult } from '../helpers/children';
import { inPty, makeFileVaultHome } from '../helpers/file-vault';
import { makeTempHome, type TempHome } from '../helpers/temp';
import { currentOwner } from '../../shared/node/profile/owner';

const HF = `hf_${'SwItCh'.repeat(6)}`;
const TMDB = '9a8b7c6d5e4f30211203f4e5d6c7b8a9';
const CUSTOM = 'deepl-custom-value-0123456789';
const OPENAI = `sk-proj-${'SwItCh'.repeat(7)}`;
const PASS = 'vault passphrase of the switch test';
const EXPORT_PASS = 'export passphrase of the switch test';
/** Budget of one test: several real scrypts (age's work factor) through the CLI, on a machine others load too. */
const BUDGET = 300_000;

interface Home extends TempHome {
  runtime: string;
}

function home(): Home {
  const t = makeTempHome();
  const runtime = join(t.root, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  chmodSync(runtime, 0o700);
  return { ...t, runtime };
}

/** cpw-vault on `h`: with the test keyring, or (noDbus) with no D-Bus session at all; `fd3` written to descriptor 3. */
function run(h: Home, args: string[], options: { input?: string; fd3?: string | Buffer; noDbus?: boolean; env?: Record<string, string> } = {}): Promise<ChildResult> & { child: ReturnType<typeof spawn> } {
  const env: Record<string, string | undefined> = { ...process.env, HOME: h.home, XDG_RUNTIME_DIR: h.runtime, CPW_KEYCHAIN_SERVICE: h.service, ...options.env };
  if (options.noDbus) Object.assign(env, { DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined });
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: h.cwd, env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  const fd3 = child.stdio[3] as NodeJS.WritableStream;
  fd3.on('error', () => {});
  fd3.end(options.fd3 ?? '');
  return Object.assign(collect(child, options.input ?? ''), { child });
}

const profileOf = (h: TempHome) => JSON.parse(readFileSync(h.profile, 'utf8')) as { storage?: { backend?: string }; credential_metadata: Record<string, { env_var?: string }> };

/** What the keychain holds of this home's namespace (the default profile: the service name itself). */
async function keychainHolds(h: TempHome): Promise<string[]> {
  const kc = new SecretServiceStore({ service: h.service, env: process.env, timeoutMs: 10_000 });
  try {
    return await kc.list();
  } finally {
    kc.close();
  }
}

async function keychainHome(): Promise<Home> {
  const h = home();
  expect((await run(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
  expect((await run(h, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
  expect((await run(h, ['set', 'deepl', 'api_key', '--env-var', 'DEEPL_KEY', '--label', 'DeepL'], { input: CUSTOM })).code).toBe(0);
  return h;
}

describe('backend use on a host with no D-Bus session at all', () => {
  it('a fresh host switches to the vault file, unlocks once, and a pipeline stage runs; Debian age opens the vault the switch made', async () => {
    const h = home();
    const before = await run(h, ['backend'], { noDbus: true });
    expect(before.stdout).toMatch(/backend: keychain[\s\S]*KEYCHAIN_UNAVAILABLE[\s\S]*cpw-vault backend use file/);
    expect(before.code).toBe(4); // ✗ and exit 0 once: a script could not tell
    const beforeJson = await run(h, ['backend', '--json'], { noDbus: true });
    expect(beforeJson.code).toBe(4);
    expect(JSON.parse(beforeJson.stdout)).toMatchObject({ backend: 'keychain', status: { ok: false, code: 'KEYCHAIN_UNAVAILABLE' } });
    // doctor and setup offer the vault file; neither switches by itself.
    const doctor = await run(h, ['doctor'], { noDbus: true });
    expect(doctor.code).toBe(4);
    expect(doctor.stderr).toMatch(/KEYCHAIN_UNAVAILABLE[\s\S]*age-encrypted file beside the profile[\s\S]*cpw-vault backend use file/);
    const setup = await run(h, ['setup', '--non-interactive'], { noDbus: true, env: { HF_TOKEN: HF } });
    expect(setup.code).toBe(4);
    expect(setup.stderr).toMatch(/Or keep the secrets in an age-encrypted file: cpw-vault backend use file --passphrase-file PATH/);
    // Nothing exported yet (the first thing a provisioning script may try): the same offer, not the bare keychain fix.
    const bare = await run(h, ['setup', '--non-interactive'], { noDbus: true });
    expect(bare.code).toBe(4);
    expect(bare.stderr).toMatch(/KEYCHAIN_UNAVAILABLE[\s\S]*Or keep the secrets in an age-encrypted file: cpw-vault backend use file --passphrase-file PATH/);
    // Any command that finds no keychain points at the vault file too (set said only "start a desktop session").
    const set = await run(h, ['set', 'huggingface', 'token'], { input: HF, noDbus: true });
    expect(set.code).toBe(4);
    expect(set.stderr).toMatch(/KEYCHAIN_UNAVAILABLE[\s\S]*fix: .*dbus-run-session[\s\S]*Or keep the secrets in an age-encrypted file beside the profile: cpw-vault backend use file/);
    // Refused before anything is written: no profile half set up (it would look done).
    const named = await run(h, ['setup', '--non-interactive', '--name', 'Grace Hopper'], { noDbus: true });
    expect(named.code).toBe(4);
    expect(existsSync(h.profile)).toBe(false);
    // A bad argument is the command line's fault: said first (exit 2), not hidden behind the keychain's error.
    const badWorkflow = await run(h, ['setup', '--non-interactive', '--default-workflow', 'bogus'], { noDbus: true, env: { HF_TOKEN: HF } });
    expect(badWorkflow.code, badWorkflow.stderr).toBe(2);
    expect(badWorkflow.stderr).toMatch(/default_workflow/);
    expect(badWorkflow.stderr).not.toContain('KEYCHAIN_UNAVAILABLE');
    expect(existsSync(h.profile)).toBe(false);
    const use = await run(h, ['backend', 'use', 'file', '--passphrase-fd', '3'], { fd3: `${PASS}\n`, noDbus: true });
    expect(use.stderr).toMatch(/Moved 0 credentials from the OS keychain to the age vault file\.\n/);
    expect(use.stderr).toContain('Next: cpw-vault unlock');
    expect(use.code).toBe(0);
    expect(profileOf(h).storage?.backend).toBe('file');
    const files = vaultFilesFor(h.profile);
    for (const f of [files.vault, files.identity]) expect(statSync(f).mode & 0o777).toBe(0o600);
    expect((await run(h, ['backend', 'use', 'file', '--passphrase-fd', '3'], { fd3: PASS, noDbus: true })).code).toBe(2);
    const bogus = await run(h, ['backend', 'use', 'cloud'], { noDbus: true });
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('is not a backend');
    expect((await run(h, ['unlock', '--passphrase-fd', '3'], { fd3: PASS, noDbus: true })).code).toBe(0);
    expect((await run(h, ['set', 'huggingface', 'token'], { input: HF, noDbus: true })).stderr).toContain('Stored huggingface.token in the vault file');
    expect((await run(h, ['set', 'tmdb', 'api_key'], { input: TMDB, noDbus: true })).code).toBe(0);
    const stage = 'const e = process.env; process.exit(e.HF_TOKEN === e.HUGGING_FACE_HUB_TOKEN && /^hf_/.test(e.HF_TOKEN ?? "") && (e.TMDB_API_KEY ?? "").length === 32 ? 0 : 5)';
    const exec = await run(h, ['exec', '--workflow', 'subtitle', '--', process.execPath, '-e', stage], { noDbus: true });
    expect(exec.code, exec.stderr).toBe(0);
    // setup's last line on a vault file names the unlock its stages need only when no agent listens (it said so always).
    expect((await run(h, ['setup', '--non-interactive'], { noDbus: true })).stderr).toMatch(/Next: cpw-vault exec --workflow transcribe/);
    // Once the vault file is the backend, no message says the keychain: a missing key, migrate, doctor's repair.
    expect((await run(h, ['get', 'openai', 'api_key'], { noDbus: true })).stderr).toContain('openai.api_key is not set: not in OPENAI_API_KEY, not in the vault file.');
    mkdirSync(join(h.cwd, 'config'));
    writeFileSync(join(h.cwd, 'config', 'secrets.json'), JSON.stringify({ openai_api_key: OPENAI }));
    const migrated = await run(h, ['migrate', '--yes', '--remove-plaintext'], { noDbus: true });
    expect(migrated.stderr, migrated.stderr).toContain('Migrated 1 credential into the vault file.');
    expect((await run(h, ['doctor', '--repair'], { noDbus: true })).stderr).toContain('repair: nothing to do: the index and the vault file agree');
    expect((await run(h, ['which', 'huggingface', 'token'], { noDbus: true, env: { HF_TOKEN: `${HF}x` } })).stderr).toContain('HF_TOKEN shadows a different value stored in the vault file.');
    const shadowed = await run(h, ['which', 'huggingface', 'token', '--json'], { noDbus: true, env: { HF_TOKEN: `${HF}x` } });
    expect(JSON.parse(shadowed.stdout).credentials[0].shadows).toEqual({ env: 'HF_TOKEN', stored: 'file' }); // not "keychain"
    expect((await run(h, ['lock'], { noDbus: true })).code).toBe(0);
    // Back to a keychain this host lacks: refused before the vault's passphrase is read (a wrong one is never tried; it was asked first, then the first write failed).
    const back = await run(h, ['backend', 'use', 'keychain', '--passphrase-fd', '3'], { fd3: 'not the passphrase at all\n', noDbus: true });
    expect(back.code, back.stderr).toBe(4);
    expect(back.stderr).toMatch(/^error \[KEYCHAIN_UNAVAILABLE\] .*Nothing was moved: the secrets stay in the vault file\./);
    expect(back.stderr).not.toContain('PASSPHRASE');
    expect(back.stderr).not.toContain('Or keep the secrets in an age-encrypted file'); // they are there already
    expect(profileOf(h).storage?.backend).toBe('file');
    const env = { ...process.env, HOME: h.home, TERM: 'xterm' };
    const age = await inPty(h.cwd, env, ['age', '-d', '-i', files.identity, files.vault], [{ expect: 'Enter passphrase for identity file', send: `${PASS}\r` }]);
    expect(age.code, age.screen.slice(-400)).toBe(0);
    expect(JSON.parse(age.screen.slice(age.screen.indexOf('{')))).toEqual({ version: 1, entries: { 'huggingface.token': HF, 'tmdb.api_key': TMDB, 'openai.api_key': OPENAI } });
  }, BUDGET);
});

describe('setup on a host with no D-Bus session, cancelled after the vault file was made', () => {
  it('Ctrl-C at the first question after the switch says the vault file stays (it said "nothing changed"), exit 130', async () => {
    const h = home();
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: h.home, XDG_RUNTIME_DIR: h.runtime, CPW_KEYCHAIN_SERVICE: h.service };
    delete env['DBUS_SESSION_BUS_ADDRESS'];
    delete env['DISPLAY'];
    const r = await inPty(h.cwd, env, [process.execPath, BIN, 'setup'], [
      { expect: 'Keep the secrets in an age-encrypted vault file', send: 'y\r' },
      { expect: 'New vault passphrase', send: `${PASS}\r` },
      { expect: 'Type it again', send: `${PASS}\r` },
      { expect: 'Your name', send: '\u0003' },
    ]);
    expect(r.stuck_at, r.screen.slice(-400)).toBeUndefined();
    expect(r.code).toBe(130);
    expect(r.screen).toContain('cancelled: what was done before stays (the profile keeps its secrets in the age vault file now); nothing else changed');
    expect(r.screen).not.toContain('cancelled: nothing changed');
    expect(r.screen).toContain('your API keys go to the age vault file');
    expect(profileOf(h).storage?.backend).toBe('file');
  }, BUDGET);
});

describe('backend use between the keychain and the vault file', () => {
  it('moves every secret across with read-back, says what it moved, and leaves nothing behind either way', async () => {
    const h = await keychainHome();
    const toFile = await run(h, ['backend', 'use', 'file', '--passphrase-fd', '3', '--json'], { fd3: PASS });
    expect(toFile.code, toFile.stderr).toBe(0);
    expect(JSON.parse(toFile.stdout)).toMatchObject({ from: 'keychain', to: 'file', moved: ['deepl.api_key', 'huggingface.token', 'tmdb.api_key'], missing: [] });
    expect(await keychainHolds(h)).toEqual([]);
    expect(profileOf(h).storage?.backend).toBe('file');
    expect(profileOf(h).credential_metadata['deepl.api_key']?.env_var).toBe('DEEPL_KEY');
    expect(existsSync(join(h.home, '.cp-whisperx', 'backend-move'))).toBe(false);
    const files = vaultFilesFor(h.profile);
    for (const v of [HF, TMDB, CUSTOM]) expect(readFileSync(files.vault).includes(v)).toBe(false);
    // Locked: a read without a terminal says so; after one unlock the values come from the file.
    expect((await run(h, ['get', 'tmdb', 'api_key'])).code).toBe(4);
    expect((await run(h, ['unlock', '--passphrase-fd', '3'], { fd3: PASS })).code).toBe(0);
    expect((await run(h, ['get', 'deepl', 'api_key'])).stdout).toBe(CUSTOM);
    const show = await run(h, ['backend', '--json']);
    expect(JSON.parse(show.stdout)).toMatchObject({ backend: 'file', status: { ok: true }, agent: { pid: expect.any(Number) } });
    expect(show.code).toBe(0);

    // A wrong passphrase for the vault being left: a clear error after a pause, nothing moved.
    const wrongPass = join(h.root, 'wrong-pass');
    writeFileSync(wrongPass, 'not the vault passphrase\n', { mode: 0o600 });
    const vaultBefore = readFileSync(files.vault);
    const wrong = await run(h, ['backend', 'use', 'keychain', '--passphrase-file', wrongPass]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('[VAULT_PASSPHRASE_WRONG]');
    expect(readFileSync(files.vault).equals(vaultBefore)).toBe(true);
    expect(await keychainHolds(h)).toEqual([]);
    expect(profileOf(h).storage?.backend).toBe('file');
    const toKeychain = await run(h, ['backend', 'use', 'keychain', '--json']);
    expect(toKeychain.code, toKeychain.stderr).toBe(0);
    expect(JSON.parse(toKeychain.stdout)).toMatchObject({ from: 'file', to: 'keychain', moved: ['deepl.api_key', 'huggingface.token', 'tmdb.api_key'], agent_stopped: true });
    expect(existsSync(files.vault) || existsSync(files.identity)).toBe(false);
    expect((await keychainHolds(h)).sort()).toEqual(['deepl.api_key', 'huggingface.token', 'tmdb.api_key']);
    expect((await run(h, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    const audit = readFileSync(join(h.home, '.cp-whisperx', 'audit.log'), 'utf8');
    expect(audit.match(/"event":"backend_switched"/g)).toHaveLength(2);
    // Its agent stopped with the switch away: that lock is in the log, after the switch (it showed none at all).
    expect(audit.slice(audit.lastIndexOf('"event":"backend_switched"')).match(/"event":"vault_locked"/g)).toHaveLength(1);
    for (const v of [HF, TMDB, CUSTOM, PASS]) expect(audit).not.toContain(v);
  }, BUDGET);

  it('refuses vault files already there and a short passphrase: nothing changes', async () => {
    const h = await keychainHome();
    const short = await run(h, ['backend', 'use', 'file', '--passphrase-fd', '3'], { fd3: 'short' });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('too short');
    // Bytes that are not UTF-8 would reach Node as U+FFFD (two passphrases opening one vault, the age CLI neither); only spaces.
    const latin1 = await run(h, ['backend', 'use', 'file', '--passphrase-fd', '3'], { fd3: Buffer.from('correct horse \xff\xfe battery\n', 'latin1') });
    expect(latin1.code).toBe(2);
    expect(latin1.stderr).toContain('The new passphrase is not UTF-8 text');
    for (const blank of [' '.repeat(14), '\u200b'.repeat(14)]) {
      const spaces = await run(h, ['backend', 'use', 'file', '--passphrase-fd', '3'], { fd3: blank });
      expect(spaces.code).toBe(2);
      expect(spaces.stderr).toContain('only spaces');
    }
    const files = vaultFilesFor(h.profile);
    writeFileSync(files.vault, 'not mine', { mode: 0o600 });
    const there = await run(h, ['backend', 'use', 'file', '--passphrase-fd', '3'], { fd3: PASS });
    expect(there.code).toBe(1);
    expect(there.stderr).toContain('already exists; refusing to create a new vault over it');
    expect(readFileSync(files.vault, 'utf8')).toBe('not mine');
    expect(profileOf(h).storage?.backend ?? 'keychain').toBe('keychain');
    expect((await keychainHolds(h)).length).toBe(3);
  }, BUDGET);

  // A profile carried to a GPU server from a laptop: its keys are in the laptop's keychain. The move failed after the
  // passphrase with KEYCHAIN_UNAVAILABLE, whose fix offered `cpw-vault backend use file`, the command that had just failed.
  it('a profile whose keys are in a keychain this host cannot reach: refused before anything is made, with the way on, not the same command', async () => {
    const h = await keychainHome();
    const before = readFileSync(h.profile, 'utf8');
    const use = await run(h, ['backend', 'use', 'file', '--passphrase-fd', '3'], { fd3: PASS, noDbus: true });
    expect(use.code).toBe(4);
    expect(use.stderr).toContain('[KEYCHAIN_UNAVAILABLE]');
    expect(use.stderr).not.toContain('Or keep the secrets in an age-encrypted file beside the profile');
    expect(use.stderr).not.toContain('Reading the secrets');
    expect(use.stderr).toContain('This profile lists 3 secrets kept in the OS keychain');
    expect(use.stderr).toContain('cpw-vault export --to vault.age');
    expect(readFileSync(h.profile, 'utf8')).toBe(before);
    const files = vaultFilesFor(h.profile);
    expect(existsSync(files.vault) || existsSync(files.identity)).toBe(false);
    expect((await keychainHolds(h)).length).toBe(3);
  }, BUDGET);

  // A profile in a folder others can write (/tmp): another user's link at the vault's name was "the old vault files ...
  // they may hold secrets: keep them", and the fix was to move them away, which the sticky bit forbids.
  it('another user\'s link planted at a vault file\'s name in a shared folder: refused as theirs, dangling or not, before the passphrase', async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip();
    const h = home();
    const shared = join(h.root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const profile = join(shared, 'p.profile');
    const files = vaultFilesFor(profile);
    writeFileSync(join(h.root, 'target'), 'theirs');
    for (const [f, target] of [[files.identity, join(h.root, 'nowhere')], [files.vault, join(h.root, 'target')]] as const) {
      symlinkSync(target, f);
      lchownSync(f, 65534, 65534);
      const use = await run(h, ['--profile', profile, 'backend', 'use', 'file', '--passphrase-fd', '3'], { fd3: PASS, noDbus: true });
      expect(use.code).toBe(1);
      expect(use.stderr).toContain(`${f} already exists; refusing to create a new vault over it. Nothing was moved.`);
      expect(use.stderr).toContain('It belongs to another user (uid 65534), who may have planted it');
      expect(use.stderr).not.toContain('Move the old vault files away');
      expect(use.stderr).not.toContain('Switching the profile');
      unlinkSync(f);
    }
    expect(readFileSync(join(h.root, 'target'), 'utf8')).toBe('theirs');
  }, BUDGET);

  // It ended with "Next: cpw-vault unlock" where that unlock can only refuse the folder (an outside pass, headless).
  it('switching where no unlock agent may listen ends with that refusal and its fix, never "Next: cpw-vault unlock"', async () => {
    const h = home();
    const loose = join(h.root, 'loose-run');
    mkdirSync(loose);
    chmodSync(loose, 0o777);
    const use = await run(h, ['backend', 'use', 'file', '--passphrase-fd', '3'], { fd3: PASS, noDbus: true, env: { XDG_RUNTIME_DIR: loose } });
    expect(use.code, use.stderr).toBe(0);
    expect(use.stderr).not.toContain('Next: cpw-vault unlock');
    expect(use.stderr).toContain('No unlock agent may run here');
    expect(use.stderr).toContain(`XDG_RUNTIME_DIR is ${loose}, which other users can change (mode 0777, not sticky)`);
    expect(use.stderr).toMatch(/\nfix: /);
    expect(profileOf(h).storage?.backend).toBe('file');
  }, BUDGET);

  // SIGVTALRM too (and SIGUSR2, SIGALRM ...: every signal exec takes): its default action killed the switch midway.
  it.each([['Ctrl-C', 'SIGINT', 130], ['a SIGVTALRM', 'SIGVTALRM', 154]] as const)('%s while the new vault is being made: cancelled, nothing changed, no vault file left', async (_what, signal, code) => {
    const h = await keychainHome();
    const p = run(h, ['backend', 'use', 'file', '--passphrase-fd', '3'], { fd3: PASS });
    // Interrupt once it has read the secrets: it is then creating the vault (scrypt, seconds).
    await new Promise<void>((resolve) => {
      let seen = '';
      p.child.stderr!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('Reading the secrets')) resolve();
      });
    });
    p.child.kill(signal);
    const r = await p;
    expect(r.stderr).toMatch(/cancelled: nothing changed/i);
    expect(r.code).toBe(code);
    const files = vaultFilesFor(h.profile);
    expect(existsSync(files.vault) || existsSync(files.identity)).toBe(false);
    expect(existsSync(join(h.home, '.cp-whisperx', 'backend-move'))).toBe(false);
    expect(profileOf(h).storage?.backend ?? 'keychain').toBe('keychain');
    expect((await run(h, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
  }, BUDGET);

  // Two shells switching at once: the second waited for the lock, overwrote the first's move record, then said the
  // vault files the first had just made "already exist" with the fix "Move the old vault files away first", which,
  // followed, takes away the only copy of every secret.
  it('a second switch while one runs is refused as such, never "move the vault files away"; the first completes', async () => {
    const h = await keychainHome();
    const record = join(h.home, '.cp-whisperx', 'backend-move');
    const first = run(h, ['backend', 'use', 'file', '--passphrase-fd', '3'], { fd3: PASS });
    const started = Date.now();
    while (!existsSync(record) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 20));
    const second = await run(h, ['backend', 'use', 'file', '--passphrase-fd', '3'], { fd3: PASS });
    const done = await first;
    expect(done.code, done.stderr).toBe(0);
    expect(second.code).not.toBe(0);
    expect(second.stderr).not.toMatch(/move (?:the old|both) vault files away/i);
    expect(second.stderr).toMatch(/Another cpw-vault \(process \d+\) is switching this profile's backend|already keeps its secrets in the age vault file/);
    expect(profileOf(h).storage?.backend).toBe('file');
    expect(existsSync(record)).toBe(false);
    expect((await run(h, ['unlock', '--passphrase-fd', '3'], { fd3: PASS })).code).toBe(0);
    expect((await run(h, ['get', 'deepl', 'api_key'])).stdout).toBe(CUSTOM);
    expect((await run(h, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    expect((await run(h, ['lock'])).code).toBe(0);
  }, BUDGET);

  // A switch killed with kill -9 whose finishing at the next start failed (the keychain did not answer there): its
  // record stays, its process is gone. The next 'backend use' said "Another cpw-vault (process N) is switching",
  // to be waited for, when none was running.
  it('a killed switch left unfinished is never called "another cpw-vault is switching"', async () => {
    const h = await keychainHome();
    expect((await run(h, ['backend', 'use', 'file', '--passphrase-fd', '3'], { fd3: PASS })).code).toBe(0);
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => gone.on('exit', r));
    const record = join(h.home, '.cp-whisperx', 'backend-move');
    const files = vaultFilesFor(h.profile);
    const ids = ['huggingface.token', 'tmdb.api_key', 'deepl.api_key'];
    writeFileSync(record, JSON.stringify({ id: 'killed000001', owner: { ...currentOwner(), pid: gone.pid }, started_at: new Date().toISOString(), from: 'file', to: 'keychain', ids, written: ids, target_files: [], source_files: [files.identity, files.vault] }), { mode: 0o600 });
    const use = await run(h, ['backend', 'use', 'keychain'], { noDbus: true });
    expect(use.code).not.toBe(0);
    expect(use.stderr).not.toMatch(/Another cpw-vault .* is switching/);
    expect(use.stderr).toContain(`was interrupted (process ${gone.pid} is gone) and could not be finished yet; nothing changed`);
    expect(profileOf(h).storage?.backend).toBe('file');
    expect(existsSync(record)).toBe(true);
  }, BUDGET);
});

describe('import of an encrypted export', () => {
  it('keychain HOME -> file HOME: the plan first, conflicts kept unless chosen, all written and read back; bad files change nothing', async () => {
    const src = await keychainHome();
    expect((await run(src, ['export', '--to', 'move.age', '--passphrase-fd', '3'], { fd3: EXPORT_PASS })).code).toBe(0);
    const exportFile = join(src.cwd, 'move.age');
    // The same export at a low scrypt work factor for the cases that are not about age's cost (each run decrypts it once).
    const fast = join(src.root, 'move-fast.age');
    await writeExportFile(fast, await readExportFile(exportFile, EXPORT_PASS), EXPORT_PASS, { logN: 10 });

    // The vault file made by the library at a low scrypt cost: this test is about import; the switch (age's cost, two
    // scrypts of seconds each with its unlock) is the tests' above.
    const dst = await makeFileVaultHome({ logN: 10, passphrase: PASS });
    expect((await run(dst, ['unlock', '--passphrase-fd', '3'], { fd3: PASS, noDbus: true })).code).toBe(0);
    expect((await run(dst, ['set', 'tmdb', 'api_key'], { input: '00000000000000000000000000000000', noDbus: true })).code).toBe(0);
    const files = vaultFilesFor(dst.profile);
    const vaultBefore = readFileSync(files.vault);

    const wrong = await run(dst, ['import', fast, '--passphrase-fd', '3', '--yes'], { fd3: 'not the export passphrase', noDbus: true });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('[VAULT_PASSPHRASE_WRONG]');
    const tampered = join(dst.root, 'tampered.age');
    const bytes = readFileSync(fast);
    writeFileSync(tampered, Buffer.from(bytes.map((b, i) => (i === bytes.length - 3 ? b ^ 1 : b))));
    const bad = await run(dst, ['import', tampered, '--passphrase-fd', '3', '--yes'], { fd3: EXPORT_PASS, noDbus: true });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('[VAULT_CORRUPT]');
    const dry = await run(dst, ['import', fast, '--passphrase-fd', '3', '--dry-run'], { fd3: EXPORT_PASS, noDbus: true });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/huggingface\.token\s+huggingface\.token\s+import\s+yes/);
    expect(dry.stdout).toMatch(/tmdb\.api_key\s+tmdb\.api_key\s+conflict\s+no/);
    expect(dry.stdout).toContain('2 to write; 0 identical, 1 conflict');
    expect((await run(dst, ['import', fast, '--passphrase-fd', '3'], { fd3: EXPORT_PASS, noDbus: true })).stderr).toContain('Refusing to import without confirmation');
    expect(readFileSync(files.vault).equals(vaultBefore)).toBe(true);

    const apply = await run(dst, ['import', exportFile, '--passphrase-fd', '3', '--yes', '--json'], { fd3: EXPORT_PASS, noDbus: true });
    expect(apply.code, apply.stderr).toBe(0);
    expect(JSON.parse(apply.stdout).imported.sort()).toEqual(['deepl.api_key', 'huggingface.token']);
    expect((await run(dst, ['get', 'huggingface', 'token'], { noDbus: true })).stdout).toBe(HF);
    expect((await run(dst, ['get', 'tmdb', 'api_key'], { noDbus: true })).stdout).toBe('00000000000000000000000000000000');
    expect(profileOf(dst).credential_metadata['deepl.api_key']?.env_var).toBe('DEEPL_KEY');
    // A typo in --overwrite is named (exit 2), not a silent "Nothing to import" that kept the conflict.
    const typo = await run(dst, ['import', fast, '--passphrase-fd', '3', '--yes', '--overwrite', 'tmdb.apikey'], { fd3: EXPORT_PASS, noDbus: true });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('--overwrite tmdb.apikey: not in the plan; nothing was changed.');
    expect(typo.stderr).toContain('The conflicts are: tmdb.api_key');
    const over = await run(dst, ['import', fast, '--passphrase-fd', '3', '--yes', '--overwrite', 'tmdb.api_key'], { fd3: EXPORT_PASS, noDbus: true });
    expect(over.stderr).toContain('Imported 1 credential, read back');
    expect((await run(dst, ['get', 'tmdb', 'api_key'], { noDbus: true })).stdout).toBe(TMDB);
    const again = await run(dst, ['import', fast, '--passphrase-fd', '3', '--yes'], { fd3: EXPORT_PASS, noDbus: true });
    expect(again.stderr).toContain('Nothing to import');
    await run(dst, ['lock'], { noDbus: true });
  }, BUDGET);

  it('a hostile export: bad ids and values become invalid rows, escape sequences are not printed, nothing else is written', async () => {
    const h = await keychainHome();
    const file = join(h.root, 'hostile.age');
    const doc = buildExport([
      { id: '\u001b]0;pwned\u0007evil.key', value: 'x'.repeat(20) },
      { id: 'openai.api_key', value: { nested: true } },
      { id: '__proto__.polluted', value: 'y'.repeat(20) },
      { id: 'anthropic.api_key', value: `sk-ant-${'a'.repeat(40)}`, meta: { label: 'x'.repeat(500), env_var: 'rm -rf /' } },
    ], new Date());
    await writeExportFile(file, doc, EXPORT_PASS, { logN: 10 });
    const r = await run(h, ['import', file, '--passphrase-fd', '3', '--yes', '--json'], { fd3: EXPORT_PASS });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { plan: { counts: Record<string, number> }; imported: string[] };
    expect(out.plan.counts).toMatchObject({ invalid: 3, import: 1 });
    expect(out.imported).toEqual(['anthropic.api_key']);
    expect(r.stdout + r.stderr).not.toContain('\u001b]0;');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect((await keychainHolds(h)).sort()).toEqual(['anthropic.api_key', 'deepl.api_key', 'huggingface.token', 'tmdb.api_key']);
  }, BUDGET);
});
