import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VaultError } from '../../shared/core/errors';
import { clearRegisteredSecrets } from '../../shared/core/redact';
import { writeSecureFile } from '../../shared/node/profile/secure-fs';
import { createVault, type OpenOptions as VaultOptions } from '../../shared/node/open';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { makeTempHome } from '../helpers/temp';
import { rejected } from '../helpers/errors';

const HF = `hf_${'A1b2'.repeat(9)}`;
const HF2 = `hf_${'Z9y8'.repeat(9)}`;
const TMDB = '0123456789abcdef0123456789abcdef';

afterEach(() => clearRegisteredSecrets());

function setup(options: Partial<VaultOptions> = {}) {
  const t = makeTempHome();
  const secrets = new MemorySecretStore();
  const warnings: string[] = [];
  let clock = new Date('2026-05-01T10:00:00Z').getTime();
  const writes: string[] = [];
  const vault = createVault({
    homeDir: t.home, cwd: t.cwd, env: {}, secrets, caller: 'cli', warn: (m) => warnings.push(m),
    now: () => new Date(clock),
    writeFile: async (...args) => {
      writes.push(args[0]);
      return writeSecureFile(...args);
    },
    ...options,
  });
  return { t, vault, secrets, warnings, writes, tick: (ms: number) => (clock += ms) };
}

describe('Vault credentials', () => {
  it('stores the value in the keychain and only metadata in the profile', async () => {
    const { t, vault, secrets } = setup();
    const { meta } = await vault.setCredential('huggingface', 'token', HF);
    expect(secrets.items.get('huggingface.token')).toBe(HF);
    expect(meta).toMatchObject({ hint: `••••${HF.slice(-4)}`, storage: 'keychain', created_at: '2026-05-01T10:00:00.000Z' });
    const text = readFileSync(t.profile, 'utf8');
    expect(text).not.toContain(HF);
    expect(JSON.parse(text).credentials.huggingface.token).toBe('');
    expect(await vault.getCredential('huggingface', 'token')).toEqual({ value: HF, source: { kind: 'keychain' } });
  });

  it('keeps created_at and moves updated_at on replace', async () => {
    const { vault, tick } = setup();
    await vault.setCredential('huggingface', 'token', HF);
    tick(5000);
    const { meta } = await vault.setCredential('huggingface', 'token', HF2);
    expect(meta.created_at).toBe('2026-05-01T10:00:00.000Z');
    expect(meta.updated_at).toBe('2026-05-01T10:00:05.000Z');
  });

  it('env vars take precedence, in catalog order, and report their name', async () => {
    const { vault } = setup({ env: { HUGGING_FACE_HUB_TOKEN: 'hf_from_second_alias_xxxxxxxxxxxxxxxxx' } });
    await vault.setCredential('huggingface', 'token', HF);
    expect(await vault.getCredential('huggingface', 'token')).toEqual({ value: 'hf_from_second_alias_xxxxxxxxxxxxxxxxx', source: { kind: 'env', name: 'HUGGING_FACE_HUB_TOKEN' } });
    const both = setup({ env: { HF_TOKEN: 'hf_first', HUGGING_FACE_HUB_TOKEN: 'hf_second' } });
    expect((await both.vault.getCredential('huggingface', 'token')).source).toEqual({ kind: 'env', name: 'HF_TOKEN' });
  });

  it('list names the same source as a read: a blank env var is none, the next alias is, and the store after them', async () => {
    const sourceIn = (env: Record<string, string>) => {
      const { vault } = setup({ env });
      return vault.setCredential('huggingface', 'token', HF).then(() => vault.listCredentials().find((c) => c.id === 'huggingface.token')!.source);
    };
    expect(await sourceIn({ HF_TOKEN: ' \t', HUGGING_FACE_HUB_TOKEN: 'hf_second' })).toEqual({ kind: 'env', name: 'HUGGING_FACE_HUB_TOKEN' });
    expect(await sourceIn({ HF_TOKEN: 'hf_first', HUGGING_FACE_HUB_TOKEN: 'hf_second' })).toEqual({ kind: 'env', name: 'HF_TOKEN' });
    expect(await sourceIn({ HF_TOKEN: '', HUGGING_FACE_HUB_TOKEN: '  ' })).toEqual({ kind: 'keychain' });
  });

  it('a format mismatch is a warning the caller must accept', async () => {
    const { t, vault, secrets } = setup();
    const e = await rejected(vault.setCredential('tmdb', 'api_key', 'not-a-tmdb-key-value'));
    expect(e.code).toBe('CREDENTIAL_FORMAT');
    expect(e.message).toMatch(/32 hexadecimal/);
    expect(e.message + e.fix).not.toContain('not-a-tmdb-key-value');
    expect(secrets.items.size).toBe(0);
    expect(() => statSync(t.profile)).toThrow();
    const r = await vault.setCredential('tmdb', 'api_key', 'not-a-tmdb-key-value', { acceptFormatWarning: true });
    expect(r.warning).toMatch(/TMDB/);
    expect(secrets.items.get('tmdb.api_key')).toBe('not-a-tmdb-key-value');
  });

  it.each([
    ['', 'CREDENTIAL_INVALID'],
    ['   ', 'CREDENTIAL_INVALID'],
    ['line1\nline2', 'CREDENTIAL_INVALID'],
    ['x'.repeat(9000), 'CREDENTIAL_INVALID'],
    [42, 'CREDENTIAL_INVALID'],
  ])('refuses a bad value (%#) with %s and writes nothing', async (value, code) => {
    const { t, vault, secrets } = setup();
    const e = await rejected(vault.setCredential('huggingface', 'token', value));
    expect(e.code).toBe(code);
    if (typeof value === 'string' && value.trim()) expect(e.message).not.toContain(value.trim().slice(0, 20));
    expect(secrets.items.size).toBe(0);
    expect(() => statSync(t.profile)).toThrow();
  });

  it.each([['Hugging', 'token'], ['huggingface', 'to ken'], ['../x', 'y'], ['a', '']])('refuses the name %s %s', async (s, k) => {
    const { vault } = setup();
    expect((await rejected(vault.setCredential(s, k, HF))).code).toBe('INVALID_ARGUMENT');
  });

  it('keeps the non-secret organization id in the profile slot, not the keychain', async () => {
    const { t, vault, secrets } = setup();
    await vault.setCredential('openai', 'organization_id', 'org-Abcdef123456');
    expect(secrets.items.size).toBe(0);
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).credentials.openai.organization_id).toBe('org-Abcdef123456');
    expect(await vault.getCredential('openai', 'organization_id')).toEqual({ value: 'org-Abcdef123456', source: { kind: 'profile' } });
    expect(await vault.deleteCredential('openai', 'organization_id')).toBe(true);
    expect(await vault.findCredential('openai', 'organization_id')).toBeUndefined();
  });

  it('supports custom credentials with the env var the user chose', async () => {
    const { vault, secrets } = setup({ env: { MY_DEEPL_KEY: 'from-env-value' } });
    await vault.setCredential('deepl', 'api_key', 'stored-value-123', { envVar: 'MY_DEEPL_KEY', label: 'DeepL' });
    expect(secrets.items.get('deepl.api_key')).toBe('stored-value-123');
    const view = vault.listCredentials().find((c) => c.id === 'deepl.api_key')!;
    expect(view).toMatchObject({ custom: true, label: 'DeepL', envVars: ['MY_DEEPL_KEY'], source: { kind: 'env', name: 'MY_DEEPL_KEY' } });
    expect((await rejected(vault.setCredential('other', 'key', 'v', { envVar: 'lower-case' }))).code).toBe('INVALID_ARGUMENT');
  });

  it('a custom credential set again without an env var keeps the one it has (a rotation renamed it to SERVICE_KEY)', async () => {
    const { vault } = setup();
    await vault.setCredential('svca', 'key', 'first-value-123', { envVar: 'MY_NAME' });
    await vault.setCredential('svca', 'key', 'second-value-456');
    expect(vault.listCredentials().find((c) => c.id === 'svca.key')?.envVars).toEqual(['MY_NAME']);
    await vault.setCredential('svca', 'key', 'third-value-789', { envVar: 'OTHER_NAME' });
    expect(vault.listCredentials().find((c) => c.id === 'svca.key')?.envVars).toEqual(['OTHER_NAME']);
  });

  it('two sets racing for one env var: one stores, the other is refused with nothing stored (both got it)', async () => {
    const { vault, secrets } = setup();
    const results = await Promise.allSettled([
      vault.setCredential('alpha', 'api_key', 'alpha-value-1234', { envVar: 'SHARED_KEY' }),
      vault.setCredential('beta', 'api_key', 'beta-value-5678', { envVar: 'SHARED_KEY' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason as VaultError;
    expect(refused.code).toBe('INVALID_ARGUMENT');
    expect(refused.message).toMatch(/SHARED_KEY already belongs to (alpha|beta)\.api_key\. Nothing was stored\./);
    const names = vault.listCredentials().filter((c) => c.custom).map((c) => c.envVars[0]);
    expect(names).toEqual(['SHARED_KEY']);
    expect([...secrets.items.keys()].filter((k) => k.endsWith('.api_key'))).toHaveLength(1);
  });

  it('lists metadata for every catalog credential and never a value', async () => {
    const { vault } = setup();
    await vault.setCredential('huggingface', 'token', HF);
    await vault.setCredential('tmdb', 'api_key', TMDB);
    const list = vault.listCredentials();
    expect(list.map((c) => c.id)).toContain('vimeo.access_token');
    expect(list.find((c) => c.id === 'huggingface.token')).toMatchObject({ stored: true, source: { kind: 'keychain' }, envVars: ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN'] });
    expect(list.find((c) => c.id === 'youtube.api_key')).toMatchObject({ stored: false, source: null });
    const json = JSON.stringify(list);
    expect(json).not.toContain(HF);
    expect(json).not.toContain(TMDB);
  });

  it('deletes value and metadata; deleting again reports false', async () => {
    const { vault, secrets } = setup();
    await vault.setCredential('huggingface', 'token', HF);
    expect(await vault.deleteCredential('huggingface', 'token')).toBe(true);
    expect(secrets.items.size).toBe(0);
    expect(vault.listCredentials().find((c) => c.id === 'huggingface.token')!.stored).toBe(false);
    expect(await vault.deleteCredential('huggingface', 'token')).toBe(false);
  });

  it('puts the keychain back when the profile cannot be written', async () => {
    const { t, vault, secrets } = setup();
    await vault.setCredential('huggingface', 'token', HF);
    const diskFull = async () => {
      throw new VaultError('IO_ERROR', 'disk full', 'free space');
    };
    const broken = createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets, warn: () => {}, writeFile: diskFull });
    await expect(broken.setCredential('huggingface', 'token', HF2)).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(secrets.items.get('huggingface.token')).toBe(HF);
    await expect(broken.setCredential('tmdb', 'api_key', TMDB)).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(secrets.items.has('tmdb.api_key')).toBe(false);
  });

  it('a locked keychain is KEYCHAIN_LOCKED for get and set, and nothing is lost', async () => {
    const { t, vault, secrets } = setup();
    await vault.setCredential('huggingface', 'token', HF);
    const before = readFileSync(t.profile);
    secrets.failWith = 'KEYCHAIN_LOCKED';
    expect((await rejected(vault.getCredential('huggingface', 'token'))).code).toBe('KEYCHAIN_LOCKED');
    const e = await rejected(vault.setCredential('huggingface', 'token', HF2));
    expect(e.code).toBe('KEYCHAIN_LOCKED');
    expect(e.fix).toMatch(/unlock/i);
    expect(readFileSync(t.profile)).toEqual(before);
    secrets.failWith = undefined;
    expect((await vault.getCredential('huggingface', 'token')).value).toBe(HF);
  });

  it('reads the deprecated secrets.json as a source when there is no profile', async () => {
    const { t, vault } = setup();
    mkdirSync(join(t.cwd, 'config'));
    writeFileSync(join(t.cwd, 'config', 'secrets.json'), JSON.stringify({ hf_token: HF }), { mode: 0o600 });
    expect(await vault.getCredential('huggingface', 'token')).toMatchObject({ value: HF, source: { kind: 'legacy' } });
    expect((await vault.validateWorkflow('transcribe')).ready).toBe(true);
    // A write creates the profile (the legacy file is a read fallback only); the warning points at migrate.
    await vault.setCredential('tmdb', 'api_key', TMDB);
    expect(existsSync(t.profile)).toBe(true);
  });
});

describe('usage stamps', () => {
  it('reads never write the profile; the last use is a mark beside it, moved at most once a minute', async () => {
    const { t, vault, writes, tick } = setup();
    await vault.setCredential('huggingface', 'token', HF);
    writes.length = 0;
    const profileBefore = readFileSync(t.profile, 'utf8');
    for (let i = 0; i < 500; i++) await vault.getCredential('huggingface', 'token');
    expect(writes).toHaveLength(0);
    expect(readFileSync(t.profile, 'utf8')).toBe(profileBefore);
    const mark = join(t.home, '.cp-whisperx', 'usage', 'huggingface.token');
    expect(statSync(mark).mode & 0o777).toBe(0o600);
    expect(statSync(mark).size).toBe(0);
    expect(vault.listCredentials().find((c) => c.id === 'huggingface.token')!.meta!.last_used_at).toBe('2026-05-01T10:00:00.000Z');
    tick(30_000);
    await vault.getCredential('huggingface', 'token');
    expect(vault.listCredentials().find((c) => c.id === 'huggingface.token')!.meta!.last_used_at).toBe('2026-05-01T10:00:00.000Z');
    tick(60_000);
    await vault.getCredential('huggingface', 'token');
    expect(vault.listCredentials().find((c) => c.id === 'huggingface.token')!.meta!.last_used_at).toBe('2026-05-01T10:01:30.000Z');
    expect(writes).toHaveLength(0);
  });
});

describe('workflows through the vault', () => {
  it('turns ready when the key is added; unknown names are WORKFLOW_UNKNOWN', async () => {
    const { vault } = setup();
    expect((await vault.validateWorkflow('subtitle')).ready).toBe(false);
    await vault.setCredential('huggingface', 'token', HF);
    await vault.setCredential('tmdb', 'api_key', TMDB);
    expect((await vault.validateWorkflow('subtitle', { verify: true })).ready).toBe(true);
    const e = await rejected(vault.validateWorkflow('transcode'));
    expect(e.code).toBe('WORKFLOW_UNKNOWN');
    expect(e.fix).toContain('transcribe, translate, subtitle, diarize, summarize');
  });

  it('verify notices an index entry whose keychain value is gone', async () => {
    const { vault, secrets } = setup();
    await vault.setCredential('huggingface', 'token', HF);
    secrets.items.clear();
    expect((await vault.validateWorkflow('transcribe')).ready).toBe(true);
    expect((await vault.validateWorkflow('transcribe', { verify: true })).ready).toBe(false);
  });

  it('workflowEnv sets every alias; a workflow that is not ready throws the missing list', async () => {
    const { vault } = setup();
    await vault.setCredential('huggingface', 'token', HF);
    expect(await vault.workflowEnv('transcribe')).toEqual({ HF_TOKEN: HF, HUGGING_FACE_HUB_TOKEN: HF });
    const e = await rejected(vault.workflowEnv('subtitle'));
    expect(e.code).toBe('WORKFLOW_NOT_READY');
    expect(e.message).toContain('TMDB API key');
    expect(e.message).not.toContain('cpw-vault set'); // said once, in the fix
    expect(e.fix).toContain('cpw-vault set tmdb api_key');
  });
});

describe('profile through the vault', () => {
  it('updates fields, merges preferences, reports field errors and re-reads after another writer', async () => {
    const { t, vault } = setup();
    await vault.updateProfile({ user: { name: 'Ada', timezone: 'Europe/London' }, preferences: { ai_provider: 'google' } });
    await expect(vault.updateProfile({ user: { email: 'nope' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', fields: [{ path: 'user.email' }] });
    const other = createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets: new MemorySecretStore(), warn: () => {} });
    await other.updateProfile({ preferences: { default_workflow: 'diarize' } });
    expect(vault.getProfile().profile.preferences).toMatchObject({ ai_provider: 'google', default_workflow: 'diarize' });
    expect(vault.getProfile().profile.user.name).toBe('Ada');
  });
});

describe('audit log', () => {
  it('records one event per action with the caller, never a value, in a 0600 file', async () => {
    const { t, vault } = setup();
    await vault.updateProfile({ user: { name: 'Ada' } });
    await vault.setCredential('huggingface', 'token', HF);
    await vault.getCredential('huggingface', 'token');
    await vault.deleteCredential('huggingface', 'token');
    const path = join(t.home, '.cp-whisperx', 'audit.log');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(HF);
    const events = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => [e.event, e.caller, e.credential])).toEqual([
      ['profile_updated', 'cli', undefined],
      ['credential_set', 'cli', 'huggingface.token'],
      ['credential_read', 'cli', 'huggingface.token'],
      ['credential_deleted', 'cli', 'huggingface.token'],
    ]);
    expect(events[0].details.fields).toEqual(['user.name']);
    expect(vault.auditEvents({ limit: 1 })[0]!.event).toBe('credential_deleted');
  });

  it('rotates: the log stays bounded however many events are written', async () => {
    const { t, vault } = setup({ auditMaxBytes: 2000 });
    await vault.setCredential('huggingface', 'token', HF);
    for (let i = 0; i < 200; i++) await vault.getCredential('huggingface', 'token');
    const dir = join(t.home, '.cp-whisperx');
    const logs = readdirSync(dir).filter((f) => f.startsWith('audit.log'));
    expect(logs.sort()).toEqual(['audit.log', 'audit.log.1', 'audit.log.2', 'audit.log.3']);
    for (const f of logs) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(2000);
    expect(vault.auditEvents().length).toBeGreaterThan(20);
  });
});

describe('labels shown as they are', () => {
  it('a label saved before text-direction overrides were refused (or hand-edited in) is listed with "?" in their place', async () => {
    const { vault, t } = setup();
    await vault.setCredential('deepl', 'api_key', 'dk-12345', { label: 'DeepL', envVar: 'DEEPL_API_KEY' });
    const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
    doc.credential_metadata['deepl.api_key'].label = 'Saved \u202Egnp.exe';
    writeFileSync(t.profile, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
    expect(vault.listCredentials().find((c) => c.id === 'deepl.api_key')!.label).toBe('Saved ?gnp.exe');
    await expect(vault.setCredential('deepl', 'api_key', 'dk-12345', { label: 'x\u200fy' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
