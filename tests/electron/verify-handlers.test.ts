import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SenderEvent } from '../../electron/main/handlers';
import type { VerifyOutcome } from '../../shared/core/ipc-contract';
import { VERIFIABLE_CREDENTIALS } from '../../shared/core/verification';
import type { CredentialView } from '../../shared/core/views';
import { FIX_PAGES, PROVIDERS } from '../../shared/node/verify/providers';
import { FakeProviders } from '../fakes/fake-providers';
import { setupMain } from './main-setup';

const HF = `hf_${'Tst1'.repeat(9)}`;
const GATED = `hf_${'Gtd2'.repeat(9)}`;
const REVOKED = `hf_${'Rvk3'.repeat(9)}`;
const OPENAI = `sk-proj-${'t'.repeat(40)}`;
const BUSY = `sk-ant-api03-${'b'.repeat(40)}`;
const HF_REF = { kind: 'credential', service: 'huggingface', key: 'token' };

let fake: FakeProviders;
let env: Record<string, string | undefined>;
beforeAll(async () => {
  fake = new FakeProviders();
  const origin = await fake.start();
  fake.tokens.set(HF, 'valid');
  fake.tokens.set(OPENAI, 'valid');
  fake.tokens.set(GATED, 'gated-denied');
  fake.tokens.set(BUSY, 'rate-limited');
  env = {
    HTTPS_PROXY: undefined, https_proxy: undefined, HTTP_PROXY: undefined, http_proxy: undefined, HF_ENDPOINT: undefined, OPENAI_BASE_URL: undefined, ANTHROPIC_BASE_URL: undefined,
    CPW_VAULT_ENDPOINT_HUGGINGFACE: `${origin}/hf`, CPW_VAULT_ENDPOINT_OPENAI: `${origin}/openai/v1`, CPW_VAULT_ENDPOINT_ANTHROPIC: `${origin}/anthropic`,
    // Nothing listens on port 9: "unreachable", at once.
    CPW_VAULT_ENDPOINT_TMDB: 'http://127.0.0.1:9',
  };
});
afterAll(() => fake.stop());
beforeEach(() => void fake.seen.splice(0));

const meta = (list: CredentialView[], id: string) => list.find((c) => c.id === id)?.meta;

describe('credentialsVerify: the app asks the providers through main', () => {
  it('a valid token: "valid" with the account the provider named, recorded in the metadata and the audit log as the app; never the value', async () => {
    const s = await setupMain({ env });
    await s.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    const out = await s.value<VerifyOutcome>('credentialsVerify', HF_REF);
    expect(out.results).toHaveLength(1);
    expect(out.results[0]).toMatchObject({ credential: 'huggingface.token', result: 'valid', account: 'ada-lovelace', role: 'read', source: 'keychain' });
    expect(fake.seen.map((r) => [r.path, r.key === HF])).toEqual([['/api/whoami-v2', true]]);
    const list = await s.value<CredentialView[]>('credentialsList');
    expect(meta(list, 'huggingface.token')?.last_validation).toMatchObject({ result: 'valid', account: 'ada-lovelace', checks: ['whoami'] });
    const audit = readFileSync(join(s.t.home, '.cp-whisperx', 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.at(-1)).toMatchObject({ event: 'credential_verified', caller: 'app', credential: 'huggingface.token', details: { result: 'valid' } });
    expect(JSON.stringify(out)).not.toContain(HF);
    expect(JSON.stringify(list)).not.toContain(HF);
  });

  it('each outcome is told apart: invalid (with the fix), rate-limited, unreachable — never a crash, never a value', async () => {
    const s = await setupMain({ env });
    await s.value('credentialsSet', { service: 'huggingface', key: 'token', value: REVOKED });
    await s.value('credentialsSet', { service: 'anthropic', key: 'api_key', value: BUSY });
    await s.value('credentialsSet', { service: 'tmdb', key: 'api_key', value: '0123456789abcdef0123456789abcdef' });
    const one = async (service: string, key: string) => (await s.value<VerifyOutcome>('credentialsVerify', { kind: 'credential', service, key })).results[0]!;
    expect(await one('huggingface', 'token')).toMatchObject({ result: 'invalid', fix: expect.stringContaining('cpw-vault set huggingface token') });
    expect(await one('anthropic', 'api_key')).toMatchObject({ result: 'rate-limited' });
    expect(await one('tmdb', 'api_key')).toMatchObject({ result: 'unreachable', message: expect.stringContaining('refused') });
    const list = await s.value<CredentialView[]>('credentialsList');
    expect(['huggingface.token', 'anthropic.api_key', 'tmdb.api_key'].map((id) => meta(list, id)?.last_validation?.result)).toEqual(['invalid', 'rate-limited', 'unreachable']);
  });

  it('"Verify all" checks every credential with a value (the HF token against the gated models diarize loads): no-access comes with the model page, which openExternal then opens', async () => {
    const s = await setupMain({ env });
    await s.value('credentialsSet', { service: 'huggingface', key: 'token', value: GATED });
    await s.value('credentialsSet', { service: 'openai', key: 'api_key', value: OPENAI });
    await s.value('credentialsSet', { service: 'openai', key: 'organization_id', value: 'org-AbC123xyz456' });
    const out = await s.value<VerifyOutcome>('credentialsVerify', { kind: 'all' });
    const hf = out.results.find((r) => r.credential === 'huggingface.token')!;
    expect(hf).toMatchObject({ result: 'no-access', account: 'ada-lovelace', fixUrl: 'https://huggingface.co/pyannote/speaker-diarization-3.1' });
    expect(out.results.find((r) => r.credential === 'openai.api_key')).toMatchObject({ result: 'valid' });
    expect(out.skipped).toEqual([{ credential: 'openai.organization_id', reason: 'not a secret; checked along with its key' }]);
    await s.value('openExternal', hf.fixUrl);
    expect(s.opened).toEqual([hf.fixUrl]);
    // Only the pages a result can name: another model page stays refused.
    expect(await s.call('openExternal', 'https://huggingface.co/evil/model')).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(JSON.stringify(out)).not.toContain(GATED);
  });

  it('what cannot be asked is a clear error: a missing key (CREDENTIAL_MISSING), a custom credential (INVALID_ARGUMENT); nothing is sent', async () => {
    const s = await setupMain({ env });
    await s.value('credentialsSet', { service: 'deepl', key: 'api_key', value: 'dk-0123456789', envVar: 'DEEPL_API_KEY' });
    expect(await s.call('credentialsVerify', HF_REF)).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_MISSING' } });
    expect(await s.call('credentialsVerify', { kind: 'credential', service: 'deepl', key: 'api_key' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('cannot verify deepl.api_key') } });
    expect(fake.seen).toEqual([]);
  });

  it.each([
    [[{ ...HF_REF, value: 'hf_forged' }]],
    [[{ ...HF_REF, endpoint: 'http://127.0.0.1:1/steal' }]],
    [[{ kind: 'all', timeoutMs: 1 }]],
    [[{ kind: 'all', env: { CPW_VAULT_ENDPOINT_HUGGINGFACE: 'http://127.0.0.1:1' } }]],
    [[{ kind: 'workflow', workflow: 'diarize' }]],
    [[{ kind: 'credential', service: '../../etc', key: 'passwd' }]],
    [[{ kind: 'credential', service: 'huggingface' }]],
    [[{ kind: 'credential', service: 'huggingface', key: 'token\u0000' }]],
    [[{ kind: 'credential', service: 'h'.repeat(1024 * 1024), key: 'token' }]],
    [[JSON.parse('{"kind":"all","__proto__":{"kind":"credential"}}')]],
    [[{ kind: 'ALL' }]],
    [['all']],
    [[null]],
    [[[]]],
    [[]],
    [[{ kind: 'all' }, { kind: 'all' }]],
  ])('refuses forged arguments %#, before any read or request', async (args) => {
    const s = await setupMain({ env });
    await s.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    const r = await s.call('credentialsVerify', ...args);
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(fake.seen).toEqual([]);
    expect((await s.value<CredentialView[]>('credentialsList')).find((c) => c.id === 'huggingface.token')?.meta?.last_validation).toBeUndefined();
  });

  it('a page firing Test and "Verify all" 100 times at once: the calls that arrive while one runs share the next run, so the keys go to each provider twice at most, not once per call; every call gets the answer', async () => {
    const s = await setupMain({ env });
    await s.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    await s.value('credentialsSet', { service: 'openai', key: 'api_key', value: OPENAI });
    // What one Test and one "Verify all" ask the providers.
    await s.value('credentialsVerify', HF_REF);
    await s.value('credentialsVerify', { kind: 'all' });
    const once = fake.seen.splice(0).length;
    const calls = Array.from({ length: 100 }, (_, i) => s.call('credentialsVerify', i % 2 ? { kind: 'all' } : HF_REF));
    const out = await Promise.all(calls);
    expect(out.every((r) => r.ok && (r.value as VerifyOutcome).results.every((x) => x.result === 'valid'))).toBe(true);
    // Each twice at most: the run under way, then the one the calls that came meanwhile share.
    expect(fake.seen.length).toBeLessThanOrEqual(2 * once);
  });

  it('refuses a call from another frame with IPC_FORBIDDEN, and asks nobody', async () => {
    const s = await setupMain({ env });
    await s.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    const r = await s.ipc.credentialsVerify({ senderFrame: { url: 'https://evil.example/' } } as SenderEvent, HF_REF);
    expect(r).toMatchObject({ ok: false, error: { code: 'IPC_FORBIDDEN' } });
    expect(fake.seen).toEqual([]);
  });

  it('the renderer\'s list of testable credentials is the provider table\'s, and every fix page a result can name may be opened', () => {
    expect([...VERIFIABLE_CREDENTIALS].sort()).toEqual(Object.keys(PROVIDERS).sort());
    const named = Object.values(PROVIDERS).flatMap((calls) => calls.flatMap((c) => (c.accessUrl ? [c.accessUrl] : [])));
    for (const url of named) expect(FIX_PAGES).toContain(url);
  });
});
