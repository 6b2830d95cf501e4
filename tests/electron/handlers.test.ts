import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNELS, type VaultMethod } from '../../shared/core/ipc-contract';
import { openServices } from '../../shared/node/open';
import { CLIPBOARD_CLEAR_MS, createHandlers, guardHandlers, type SenderEvent } from '../../electron/main/handlers';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'Ipc1'.repeat(9)}`;
const TMDB = '0123456789abcdef0123456789abcdef';
const APP: SenderEvent = { senderFrame: { url: 'app://vault/index.html' } };

async function setup() {
  const t = makeTempHome();
  const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
  const { vault, history: runs } = await openServices({ homeDir: t.home, cwd: t.cwd, env, caller: 'app', warn: () => {} });
  let board = '';
  const timers: Array<() => void> = [];
  const opened: string[] = [];
  let chosen: string | null = null;
  const handlers = createHandlers({
    vault, runs, cwd: t.cwd, env,
    clipboard: { readText: () => board, writeText: (s) => void (board = s), clear: () => void (board = '') },
    dialog: { chooseSecretsFile: async () => chosen },
    external: { open: async (url) => void opened.push(url) },
    scheduler: { setTimeout: (fn) => timers.push(fn) },
  });
  const ipc = guardHandlers(handlers);
  const call = async (method: VaultMethod, ...args: unknown[]) => ipc[method](APP, ...args);
  const value = async (method: VaultMethod, ...args: unknown[]) => {
    const r = await call(method, ...args);
    if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
    return r.value as never;
  };
  return { t, vault, runs, ipc, call, value, timers, opened, board: () => board, setBoard: (s: string) => (board = s), choose: (p: string | null) => (chosen = p) };
}

describe('IPC handlers over the real vault and keychain', () => {
  it('registers exactly one guarded handler per channel of the contract', async () => {
    const { ipc } = await setup();
    expect(Object.keys(ipc).sort()).toEqual(Object.keys(CHANNELS).sort());
  });

  it('profile get / update (field errors come back as fields)', async () => {
    const s = await setup();
    expect((await s.value('profileGet')) as { kind: string }).toMatchObject({ kind: 'none' });
    const updated = await s.value('profileUpdate', { user: { name: 'Ada', timezone: 'Europe/Paris' }, preferences: { ai_provider: 'google' } });
    expect(updated).toMatchObject({ kind: 'profile', profile: { user: { name: 'Ada' }, preferences: { ai_provider: 'google' } } });
    const bad = await s.call('profileUpdate', { user: { email: 'nope' } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', fields: [{ path: 'user.email' }] } });
  });

  it('credentials set / list / reveal / copy / delete, workflows validate', async () => {
    const s = await setup();
    expect(await s.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF })).toMatchObject({ meta: { hint: `••••${HF.slice(-4)}` } });
    const list = (await s.value('credentialsList')) as Array<{ id: string; stored: boolean }>;
    expect(list.find((c) => c.id === 'huggingface.token')!.stored).toBe(true);
    expect(JSON.stringify(list)).not.toContain(HF);
    expect(await s.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
    const wf = (await s.value('workflowsValidate')) as Array<{ workflow: string; ready: boolean }>;
    expect(wf.find((w) => w.workflow === 'transcribe')!.ready).toBe(true);
    expect(await s.value('credentialsDelete', { service: 'huggingface', key: 'token' })).toBe(true);
    expect(await s.call('credentialsReveal', { service: 'huggingface', key: 'token' })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_MISSING' } });
  });

  it('copy puts the value on the clipboard and clears it after 20 s only if it is still there', async () => {
    const s = await setup();
    await s.value('credentialsSet', { service: 'tmdb', key: 'api_key', value: TMDB });
    expect(await s.value('credentialsCopy', { service: 'tmdb', key: 'api_key' })).toEqual({ clearsAfterMs: CLIPBOARD_CLEAR_MS });
    expect(CLIPBOARD_CLEAR_MS).toBe(20_000);
    expect(s.board()).toBe(TMDB);
    s.timers.shift()!();
    expect(s.board()).toBe('');
    await s.value('credentialsCopy', { service: 'tmdb', key: 'api_key' });
    s.setBoard('something the user copied since');
    s.timers.shift()!();
    expect(s.board()).toBe('something the user copied since');
  });

  it('migration: plan of the secrets.json found by default, then apply; a picked file is granted', async () => {
    const s = await setup();
    mkdirSync(join(s.t.cwd, 'config'));
    writeFileSync(join(s.t.cwd, 'config', 'secrets.json'), JSON.stringify({ hf_token: HF, tmdb_api_key: TMDB }));
    const planned = (await s.value('migrationPlan', {})) as { path: string; plan: { counts: { apply: number } } };
    expect(planned.plan.counts.apply).toBe(2);
    expect(JSON.stringify(planned)).not.toContain(HF);
    const result = (await s.value('migrationApply', {})) as { ok: boolean; imported: number };
    expect(result).toMatchObject({ ok: true, imported: 2 });
    expect(await s.value('credentialsReveal', { service: 'tmdb', key: 'api_key' })).toBe(TMDB);
    const picked = join(s.t.root, 'odd-name.txt');
    writeFileSync(picked, JSON.stringify({ openai_api_key: `sk-proj-${'p'.repeat(40)}` }));
    expect(await s.call('migrationPlan', { path: picked })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    s.choose(picked);
    expect(await s.value('migrationPickFile')).toBe(picked);
    expect(((await s.value('migrationPlan', { path: picked })) as { plan: { counts: { apply: number } } }).plan.counts.apply).toBe(1);
  });

  it('runs, stats, audit and doctor', async () => {
    const s = await setup();
    await s.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    const run = await s.runs.start({ workflow: 'transcribe', program: 'python3', credentials: ['huggingface.token'] }, new Date());
    await s.runs.update(run.id, { status: 'succeeded', exit_code: 0 });
    expect(((await s.value('runsList', {})) as unknown[]).length).toBe(1);
    expect(await s.value('runsList', { status: 'failed' })).toEqual([]);
    expect(await s.value('runsStats')).toMatchObject({ total: 1, success_rate: 1 });
    const audit = (await s.value('auditList', { limit: 5 })) as Array<{ event: string; caller: string }>;
    expect(audit[0]).toMatchObject({ event: 'credential_set', caller: 'app' });
    expect(await s.value('doctor')).toMatchObject({ ok: true, keychain: { ok: true } });
  });

  it('openExternal opens only allowlisted https pages', async () => {
    const s = await setup();
    await s.value('openExternal', 'https://huggingface.co/settings/tokens');
    for (const url of ['http://huggingface.co/settings/tokens', 'https://huggingface.co.evil.example/x', 'https://evil.example/huggingface.co', 'https://huggingface.co@evil.example/', 'javascript:alert(1)', 'file:///etc/passwd']) {
      expect(await s.call('openExternal', url)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    }
    expect(s.opened).toEqual(['https://huggingface.co/settings/tokens']);
  });
});

describe('the guard', () => {
  it.each([
    [{ senderFrame: { url: 'https://evil.example/' } }],
    [{ senderFrame: { url: 'app://vault.evil/index.html' } }],
    [{ senderFrame: { url: 'app://evil@vault/index.html' } }],
    [{ senderFrame: { url: 'file:///tmp/index.html' } }],
    [{ senderFrame: { url: 'app://vault:8080/index.html' } }],
    [{ senderFrame: null }],
  ])('rejects a forged sender %j with IPC_FORBIDDEN and runs nothing', async (event) => {
    const s = await setup();
    const r = await s.ipc.credentialsSet(event as SenderEvent, { service: 'huggingface', key: 'token', value: HF });
    expect(r).toMatchObject({ ok: false, error: { code: 'IPC_FORBIDDEN' } });
    expect(s.vault.listCredentials().find((c) => c.id === 'huggingface.token')!.stored).toBe(false);
  });

  it.each([
    ['credentialsSet', [{ service: 'huggingface', key: 'token' }]],
    ['credentialsSet', [{ service: 'huggingface', key: 'token', value: 42 }]],
    ['credentialsSet', [{ service: 'Hugging Face', key: 'token', value: 'x' }]],
    ['credentialsSet', [{ service: 'huggingface', key: 'token', value: 'x', extra: true }]],
    ['credentialsReveal', []],
    ['profileGet', ['unexpected']],
    ['runsList', [{ status: 'exploded' }]],
    ['auditList', [{ limit: 1e9 }]],
    ['openExternal', [42]],
  ])('rejects invalid arguments for %s with INVALID_ARGUMENT', async (method, args) => {
    const s = await setup();
    const r = await s.call(method as VaultMethod, ...(args as unknown[]));
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });

  it('errors carry code, message and fix, and never the secret', async () => {
    const s = await setup();
    const canary = 'zq-ipc-canary-7f3b-1234567890';
    const results = [
      await s.call('credentialsSet', { service: 'tmdb', key: 'api_key', value: canary }),
      await s.call('credentialsSet', { service: 'tmdb', key: 'api_key', value: `${canary}\nmore` }),
      await s.call('credentialsSet', { service: 'huggingface', key: 'token', value: canary, label: canary.repeat(10) }),
      await s.call('openExternal', `https://evil.example/?k=${canary}`),
      await s.call('profileUpdate', { user: { name: canary.repeat(20) } }),
    ];
    for (const r of results) {
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(Object.keys(r.error).sort()).toEqual(expect.arrayContaining(['code', 'fix', 'message']));
      expect(JSON.stringify(r)).not.toContain(canary);
    }
  });
});
