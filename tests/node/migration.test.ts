import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SecretStore } from '../../shared/core/secret-store';
import { findDefaultSource, readSource } from '../../shared/node/migration/sources';
import { createVault } from '../../shared/node/open';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { filesContaining } from '../helpers/canary';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'Node'.repeat(9)}`;
const TMDB = '0123456789abcdef0123456789abcdef';
const OPENAI = `sk-proj-${'o'.repeat(40)}`;
const ANTHROPIC = `sk-ant-api03-${'a'.repeat(40)}`;
const GOOGLE = `AIza${'g'.repeat(35)}`;
const SEED_SECRETS = { hf_token: HF, tmdb_api_key: TMDB, pyannote_token: HF, openai_api_key: OPENAI, anthropic_api_key: ANTHROPIC, google_api_key: GOOGLE };

function setup(store: SecretStore = new MemorySecretStore()) {
  const t = makeTempHome();
  const vault = createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets: store, warn: () => {} });
  // Every test but the read-back one passes (or defaults to) the in-memory fake.
  return { t, vault, secrets: store as MemorySecretStore };
}

function writeSecretsJson(t: TempHome, doc: unknown = SEED_SECRETS): string {
  const path = join(t.cwd, 'config', 'secrets.json');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(doc, null, 2));
  chmodSync(path, 0o644);
  return path;
}

// Modification times to the millisecond (utimes cannot put nanoseconds back).
const snapshot = (path: string) => (existsSync(path) ? { bytes: readFileSync(path).toString('base64'), mtime: Math.floor(statSync(path).mtimeMs) } : undefined);

describe("a source's format", () => {
  it('a file named neither .json nor .env is read by its content: NAME=value lines (.envrc) as a .env, an object as JSON, anything else refused', () => {
    const t = makeTempHome();
    const file = (name: string, text: string) => {
      const path = join(t.cwd, name);
      writeFileSync(path, text, { mode: 0o600 });
      return path;
    };
    const envrc = readSource(file('.envrc', `# direnv\nexport HF_TOKEN=${HF}\n`), {});
    expect([envrc.kind, envrc.entries.map((e) => e.target)]).toEqual(['dotenv', ['huggingface.token']]);
    expect(readSource(file('secrets.txt', ` {"hf_token": "${HF}"}`), {}).kind).toBe('secrets-json');
    expect(() => readSource(file('notes.txt', 'remember the milk\nand the keys\n'), {})).toThrow(/neither JSON nor NAME=value lines/);
    expect(() => readSource(file('broken.json', 'HF_TOKEN=x\n'), {})).toThrow(/not valid JSON/);
  });
});

describe('migration from config/secrets.json', () => {
  it('migrates every credential, creates a 0600 backup, and the profile (0600) holds no value', async () => {
    const { t, vault, secrets } = setup();
    const path = writeSecretsJson(t);
    expect(findDefaultSource(vault.profilePath, t.cwd, {}, t.home)).toBe(path);
    const source = readSource(path, {});
    const plan = await vault.planMigration(source);
    expect(plan.counts.apply).toBe(6);
    const result = await vault.applyMigration(source, plan, { now: new Date('2026-03-04T05:06:07Z') });
    expect(result.ok).toBe(true);
    expect(result.imported).toBe(6);
    expect(Object.fromEntries(secrets.items)).toEqual({
      'huggingface.token': HF, 'tmdb.api_key': TMDB, 'pyannote.token': HF, 'openai.api_key': OPENAI, 'anthropic.api_key': ANTHROPIC, 'google.api_key': GOOGLE,
    });
    // Unique per run: the time, then random hex, so two runs in the same second never collide.
    expect(result.backup).toMatch(new RegExp(`^${join(t.cwd, 'config')}/secrets\\.json\\.backup-20260304T050607Z-[0-9a-f]{6}$`));
    expect(statSync(result.backup!).mode & 0o777).toBe(0o600);
    expect(readFileSync(result.backup!)).toEqual(readFileSync(path));
    expect(statSync(t.profile).mode & 0o777).toBe(0o600);
    expect(result.plaintextLeft).toEqual([path, result.backup]);
    for (const v of [HF, TMDB, OPENAI]) expect(readFileSync(t.profile, 'utf8')).not.toContain(v);
    expect(vault.listCredentials().filter((c) => c.stored).map((c) => c.id).sort()).toEqual(['anthropic.api_key', 'google.api_key', 'huggingface.token', 'openai.api_key', 'pyannote.token', 'tmdb.api_key']);
    expect(vault.auditEvents({ event: 'migration_applied' })[0]!.details).toMatchObject({ imported: 6, source: path });
  });

  it('a second run after success changes nothing: all identical, no new backup, profile untouched', async () => {
    const { t, vault } = setup();
    const path = writeSecretsJson(t);
    await vault.applyMigration(readSource(path), await vault.planMigration(readSource(path)));
    const before = { profile: snapshot(t.profile), files: readdirSync(dirname(path)).sort() };
    const plan = await vault.planMigration(readSource(path));
    expect(plan.rows.every((r) => r.action === 'identical')).toBe(true);
    const again = await vault.applyMigration(readSource(path), plan);
    expect(again).toMatchObject({ ok: true, imported: 0 });
    expect({ profile: snapshot(t.profile), files: readdirSync(dirname(path)).sort() }).toEqual(before);
  });

  it('with unknown keys included, a second run changes nothing either; a custom value changed in the file is a conflict, kept unless chosen', async () => {
    // The custom credential a first run made was planned as "unknown" again: rewritten, a new backup, updated_at bumped.
    const { t, vault, secrets } = setup();
    const path = writeSecretsJson(t, { ...SEED_SECRETS, deepl_api_key: 'dk-first-value-1111' });
    await vault.applyMigration(readSource(path), await vault.planMigration(readSource(path), { includeUnknown: true }));
    const before = { profile: snapshot(t.profile), files: readdirSync(dirname(path)).sort() };
    const plan = await vault.planMigration(readSource(path), { includeUnknown: true });
    expect(plan.rows.map((r) => r.action)).toEqual(Array(7).fill('identical'));
    expect(await vault.applyMigration(readSource(path), plan)).toMatchObject({ ok: true, imported: 0 });
    expect({ profile: snapshot(t.profile), files: readdirSync(dirname(path)).sort() }).toEqual(before);
    writeSecretsJson(t, { deepl_api_key: 'dk-changed-value-22' });
    const changed = await vault.planMigration(readSource(path), { includeUnknown: true });
    expect(changed.rows[0]).toMatchObject({ action: 'conflict', apply: false, target: 'deepl.api_key' });
    await vault.applyMigration(readSource(path), changed);
    expect(secrets.items.get('deepl.api_key')).toBe('dk-first-value-1111');
    await vault.applyMigration(readSource(path), await vault.planMigration(readSource(path), { includeUnknown: true, overwrite: new Set(['deepl_api_key']) }));
    expect(secrets.items.get('deepl.api_key')).toBe('dk-changed-value-22');
    expect(vault.listCredentials().find((c) => c.id === 'deepl.api_key')).toMatchObject({ custom: true, envVars: ['DEEPL_API_KEY'] });
  });

  it('overwriting a custom credential from a plaintext file keeps the env var the user gave it', async () => {
    const { t, vault, secrets } = setup();
    await vault.setCredential('acme', 'api_key', 'acme-old-value-0001', { envVar: 'ACME_TOKEN' });
    const path = writeSecretsJson(t, { acme_api_key: 'acme-new-value-0002' });
    const plan = await vault.planMigration(readSource(path), { overwrite: 'all' });
    expect(plan.rows[0]).toMatchObject({ action: 'conflict', apply: true, target: 'acme.api_key' });
    expect(plan.rows[0]?.envVar).toBeUndefined();
    await vault.applyMigration(readSource(path), plan);
    expect(secrets.items.get('acme.api_key')).toBe('acme-new-value-0002');
    expect(vault.listCredentials().find((c) => c.id === 'acme.api_key')?.envVars).toEqual(['ACME_TOKEN']);
  });

  it.each([0, 1, 3, 5])('a keychain failure after %i of 6 writes restores keychain and profile, leaves the source and removes the backup', async (k) => {
    const secrets = new MemorySecretStore();
    const { t, vault } = setup(secrets);
    await vault.setCredential('openai', 'api_key', 'sk-previous-value-000000000000');
    secrets.writes = 0;
    const path = writeSecretsJson(t);
    const before = { keychain: Object.fromEntries(secrets.items), profile: snapshot(t.profile), source: snapshot(path), dir: readdirSync(dirname(path)).sort() };
    const plan = await vault.planMigration(readSource(path), { overwrite: 'all' });
    secrets.failSetAfter = k;
    const result = await vault.applyMigration(readSource(path), plan);
    expect(result.ok).toBe(false);
    expect(result.rows.filter((r) => r.status === 'failed')).toEqual([expect.objectContaining({ code: 'KEYCHAIN_ERROR', error: expect.stringContaining('injected write failure'), fix: expect.stringMatching(/\S/) })]);
    expect(result.rows.filter((r) => r.status === 'rolled_back')).toHaveLength(k);
    secrets.failSetAfter = undefined;
    expect(Object.fromEntries(secrets.items)).toEqual(before.keychain);
    expect(snapshot(t.profile)).toEqual(before.profile);
    expect(snapshot(path)).toEqual(before.source);
    expect(readdirSync(dirname(path)).sort()).toEqual(before.dir);
  });

  it('a read-back that differs is a failure, undone like the others', async () => {
    const store = new (class extends MemorySecretStore {
      override async get(a: string) {
        return a === 'tmdb.api_key' && this.items.has(a) ? 'something else' : this.items.get(a);
      }
    })();
    const lying: SecretStore = store;
    const { t, vault } = setup(lying);
    const path = writeSecretsJson(t);
    const result = await vault.applyMigration(readSource(path), await vault.planMigration(readSource(path)));
    expect(result.ok).toBe(false);
    expect(result.rows.find((r) => r.status === 'failed')).toMatchObject({ target: 'tmdb.api_key', error: expect.stringMatching(/did not return what was written/) });
    expect(store.items.size).toBe(0);
  });

  it('conflicts are skipped unless chosen; unknown keys only with include-unknown', async () => {
    const { t, vault, secrets } = setup();
    await vault.setCredential('tmdb', 'api_key', 'fedcba9876543210fedcba9876543210');
    const path = writeSecretsJson(t, { tmdb_api_key: TMDB, deepl_api_key: 'dk-9999' });
    await vault.applyMigration(readSource(path), await vault.planMigration(readSource(path)));
    expect(secrets.items.get('tmdb.api_key')).toBe('fedcba9876543210fedcba9876543210');
    expect(secrets.items.has('deepl.api_key')).toBe(false);
    await vault.applyMigration(readSource(path), await vault.planMigration(readSource(path), { overwrite: new Set(['tmdb.api_key']), includeUnknown: true }));
    expect(secrets.items.get('tmdb.api_key')).toBe(TMDB);
    expect(secrets.items.get('deepl.api_key')).toBe('dk-9999');
    expect(vault.listCredentials().find((c) => c.id === 'deepl.api_key')).toMatchObject({ custom: true, envVars: ['DEEPL_API_KEY'] });
  });

  it('--remove-plaintext deletes source and backup, only after success', async () => {
    const { t, vault } = setup();
    const path = writeSecretsJson(t);
    const result = await vault.applyMigration(readSource(path), await vault.planMigration(readSource(path)), { removePlaintext: true });
    expect(result.ok).toBe(true);
    expect(result.removed).toHaveLength(2);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dirname(path))).toEqual([]);
    expect(filesContaining(t.root, HF)).toEqual([]);
  });

  it('--remove-plaintext keeps the files while an entry is not migrated (a skipped conflict would be lost)', async () => {
    const { t, vault } = setup();
    await vault.setCredential('tmdb', 'api_key', 'fedcba9876543210fedcba9876543210');
    const path = writeSecretsJson(t, { hf_token: HF, tmdb_api_key: TMDB });
    const result = await vault.applyMigration(readSource(path), await vault.planMigration(readSource(path)), { removePlaintext: true });
    expect(result.ok).toBe(true);
    expect(result.removed).toEqual([]);
    expect(result.kept).toMatch(/1 entry was not migrated \(tmdb_api_key\)/);
    expect(existsSync(path)).toBe(true);
    expect(existsSync(result.backup!)).toBe(true);
  });

  it('--remove-plaintext deletes nothing when the file changed after it was read (a key added while the confirmation waited)', async () => {
    const { t, vault } = setup();
    await vault.setCredential('huggingface', 'token', HF);
    const path = writeSecretsJson(t, { hf_token: HF });
    const source = readSource(path);
    const plan = await vault.planMigration(source);
    // The user answers the prompt a minute later; meanwhile a key went into the file.
    writeSecretsJson(t, { hf_token: HF, tmdb_api_key: TMDB });
    const result = await vault.applyMigration(source, plan, { removePlaintext: true });
    expect(result.removed).toEqual([]);
    expect(result.kept).toContain('it changed since it was read for the plan');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ hf_token: HF, tmdb_api_key: TMDB });
    // Also when something is written (a backup made): both stay.
    const again = setup();
    const p2 = writeSecretsJson(again.t, { hf_token: HF });
    const s2 = readSource(p2);
    const plan2 = await again.vault.planMigration(s2);
    writeSecretsJson(again.t, { hf_token: HF, openai_api_key: OPENAI });
    const r2 = await again.vault.applyMigration(s2, plan2, { removePlaintext: true });
    expect(r2.removed).toEqual([]);
    expect(existsSync(p2) && existsSync(r2.backup!)).toBe(true);
    expect(readFileSync(r2.backup!, 'utf8')).toContain(OPENAI);
  });

  it('a backup folder that cannot be written: a clear error and nothing changed', async () => {
    const { t, vault, secrets } = setup();
    const path = writeSecretsJson(t);
    const before = snapshot(path);
    // /proc refuses new files even for root, which chmod cannot simulate.
    await expect(vault.applyMigration(readSource(path), await vault.planMigration(readSource(path)), { backupDir: '/proc' })).rejects.toMatchObject({ code: 'IO_ERROR', fix: expect.stringContaining('--backup-dir') });
    expect(secrets.items.size).toBe(0);
    expect(existsSync(t.profile)).toBe(false);
    expect(snapshot(path)).toEqual(before);
  });

  it('an unreadable source (a folder, a symlink, a missing file) is a clear error', () => {
    const t = makeTempHome();
    expect(() => readSource(t.cwd)).toThrow(/not a regular file/);
    expect(() => readSource(join(t.cwd, 'nope.json'))).toThrow(/does not exist/);
  });
});

describe('other sources', () => {
  it('a seed 1.0 profile with plaintext, migrated in place: upgraded to 2.0, slots emptied, backup 0600 keeps the old file', async () => {
    const { t, vault, secrets } = setup();
    mkdirSync(dirname(t.profile), { recursive: true });
    const seed = { version: '1.0', user: { name: 'Seed User', email: 'seed@example.com' }, credentials: { huggingface: { token: HF }, tmdb: { api_key: TMDB }, openai: { api_key: '', organization_id: 'org-Abc12345678' } }, online_services: { youtube: { api_key: '', enabled: false } }, preferences: { default_workflow: 'subtitle' } };
    writeFileSync(t.profile, JSON.stringify(seed), { mode: 0o600 });
    expect(() => vault.getProfile()).toThrow(/plaintext/);
    expect(findDefaultSource(vault.profilePath, t.cwd, {}, t.home)).toBe(t.profile);
    const source = readSource(t.profile);
    const result = await vault.applyMigration(source, await vault.planMigration(source));
    expect(result.ok).toBe(true);
    const p = JSON.parse(readFileSync(t.profile, 'utf8'));
    expect(p).toMatchObject({ version: '2.0', user: { name: 'Seed User' }, credentials: { huggingface: { token: '' }, tmdb: { api_key: '' }, openai: { organization_id: 'org-Abc12345678' } }, preferences: { default_workflow: 'subtitle' } });
    expect(Object.keys(p.credential_metadata).sort()).toEqual(['huggingface.token', 'openai.organization_id', 'tmdb.api_key']);
    expect(secrets.items.get('huggingface.token')).toBe(HF);
    expect(statSync(result.backup!).mode & 0o777).toBe(0o600);
    expect(result.plaintextLeft).toEqual([result.backup]);
    expect(vault.getProfile().kind).toBe('profile');
  });

  it('a seed profile migrated in place whose value conflicts with the keychain: refused with nothing changed, never the value only in a backup', async () => {
    const { t, vault, secrets } = setup();
    await vault.setCredential('huggingface', 'token', `hf_${'Other'.repeat(7)}`);
    const seed = { version: '1.0', user: { name: 'Seed User' }, credentials: { huggingface: { token: HF }, tmdb: { api_key: TMDB } } };
    const text = JSON.stringify(seed);
    writeFileSync(t.profile, text, { mode: 0o600 });
    const source = readSource(t.profile);
    const plan = await vault.planMigration(source);
    expect(plan.rows.find((r) => r.target === 'huggingface.token')).toMatchObject({ action: 'conflict', apply: false });
    await expect(vault.applyMigration(source, plan)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('huggingface.token'), fix: expect.stringContaining('--overwrite huggingface.token') });
    expect(readFileSync(t.profile, 'utf8')).toBe(text);
    expect(secrets.items.get('tmdb.api_key')).toBeUndefined();
    expect(readdirSync(dirname(t.profile)).filter((f) => f.includes('backup'))).toEqual([]);
    const taken = await vault.applyMigration(source, await vault.planMigration(source, { overwrite: new Set(['huggingface.token']) }));
    expect(taken.ok).toBe(true);
    expect(secrets.items.get('huggingface.token')).toBe(HF);
  });

  it('a seed profile migrated in place with an unknown or invalid entry the run does not store: refused with nothing changed, never its value only in a backup', async () => {
    const { t, vault, secrets } = setup();
    mkdirSync(dirname(t.profile), { recursive: true });
    const DEEPL = `dl-${'d'.repeat(30)}`;
    const seed = { version: '1.0', user: { name: 'Seed User' }, credentials: { huggingface: { token: HF }, deepl: { api_key: DEEPL }, tmdb: { api_key: ` ${TMDB} ` } } };
    const text = JSON.stringify(seed);
    writeFileSync(t.profile, text, { mode: 0o600 });
    const source = readSource(t.profile);
    const plan = await vault.planMigration(source);
    expect(plan.rows.map((r) => [r.target, r.action, r.apply])).toEqual([['huggingface.token', 'import', true], ['deepl.api_key', 'unknown', false], ['tmdb.api_key', 'invalid', false]]);
    await expect(vault.applyMigration(source, plan)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/deepl\.api_key.*tmdb\.api_key[^]*Nothing was changed/), fix: expect.stringContaining('--include-unknown') });
    expect(readFileSync(t.profile, 'utf8')).toBe(text);
    expect(secrets.items.get('huggingface.token')).toBeUndefined();
    expect(readdirSync(dirname(t.profile)).filter((f) => f.includes('backup'))).toEqual([]);
    // The invalid value corrected by hand and the unknown one taken: the profile migrates in place, every value stored.
    writeFileSync(t.profile, JSON.stringify({ ...seed, credentials: { ...seed.credentials, tmdb: { api_key: TMDB } } }), { mode: 0o600 });
    const again = readSource(t.profile);
    const taken = await vault.applyMigration(again, await vault.planMigration(again, { includeUnknown: true }));
    expect(taken.ok).toBe(true);
    expect(['huggingface.token', 'deepl.api_key', 'tmdb.api_key'].map((id) => secrets.items.get(id))).toEqual([HF, DEEPL, TMDB]);
  });

  it('a .env file and the HuggingFace token file (HF_HOME)', async () => {
    const { t, vault, secrets } = setup();
    const env = join(t.cwd, '.env');
    writeFileSync(env, `# pipeline\nexport TMDB_API_KEY="${TMDB}"\n`);
    await vault.applyMigration(readSource(env), await vault.planMigration(readSource(env)));
    expect(secrets.items.get('tmdb.api_key')).toBe(TMDB);
    const hfHome = join(t.root, 'hf');
    mkdirSync(hfHome);
    writeFileSync(join(hfHome, 'token'), `${HF}\n`);
    const src = findDefaultSource(vault.profilePath, t.cwd, { HF_HOME: hfHome }, t.home);
    expect(src).toBe(join(hfHome, 'token'));
    const parsed = readSource(src!, { HF_HOME: hfHome });
    expect(parsed.kind).toBe('hf-token-file');
    await vault.applyMigration(parsed, await vault.planMigration(parsed));
    expect(secrets.items.get('huggingface.token')).toBe(HF);
  });
});
