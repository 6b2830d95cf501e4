import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNELS, type Page, type VaultMethod } from '../../shared/core/ipc-contract';
import { MAX_SECRET_LENGTH } from '../../shared/core/credential';
import type { RunRecord } from '../../shared/core/records';
import { bootId } from '../../shared/node/profile/owner';
import { CLIPBOARD_CLEAR_MS, createCopyGuard } from '../../electron/main/copy-guard';
import type { SenderEvent } from '../../electron/main/handlers';
import { setupMain } from './main-setup';

const HF = `hf_${'Ipc1'.repeat(9)}`;
const TMDB = '0123456789abcdef0123456789abcdef';

describe('IPC handlers over the real vault and keychain', () => {
  it('registers exactly one guarded handler per channel of the contract', async () => {
    const { ipc } = await setupMain();
    expect(Object.keys(ipc).sort()).toEqual(Object.keys(CHANNELS).sort());
  });

  it('profile get / update (field errors come back as fields)', async () => {
    const s = await setupMain();
    expect(await s.value('profileGet')).toMatchObject({ kind: 'none' });
    const updated = await s.value('profileUpdate', { user: { name: 'Ada', timezone: 'Europe/Paris' }, preferences: { ai_provider: 'google' } });
    expect(updated).toMatchObject({ kind: 'profile', profile: { user: { name: 'Ada' }, preferences: { ai_provider: 'google' } } });
    const bad = await s.call('profileUpdate', { user: { email: 'nope' } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', fields: [{ path: 'user.email' }] } });
  });

  it('credentials set / list / reveal / delete, workflows validate', async () => {
    const s = await setupMain();
    expect(await s.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF })).toMatchObject({ meta: { hint: `••••${HF.slice(-4)}` } });
    const list = await s.value<Array<{ id: string; stored: boolean }>>('credentialsList');
    expect(list.find((c) => c.id === 'huggingface.token')!.stored).toBe(true);
    expect(JSON.stringify(list)).not.toContain(HF);
    expect(await s.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
    const wf = await s.value<Array<{ workflow: string; ready: boolean }>>('workflowsValidate');
    expect(wf.find((w) => w.workflow === 'transcribe')!.ready).toBe(true);
    expect(await s.value('credentialsDelete', { service: 'huggingface', key: 'token' })).toBe(true);
    expect(await s.call('credentialsReveal', { service: 'huggingface', key: 'token' })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_MISSING' } });
  });

  it('a custom credential keeps its label', async () => {
    const s = await setupMain();
    await s.value('credentialsSet', { service: 'deepl', key: 'api_key', value: 'dk-1', label: 'DeepL (work)', envVar: 'DEEPL_API_KEY' });
    const list = await s.value<Array<{ id: string; label: string; custom: boolean }>>('credentialsList');
    expect(list.find((c) => c.id === 'deepl.api_key')).toMatchObject({ label: 'DeepL (work)', custom: true });
  });

  it.each(['DeepL\u001b]0;pwned\u0007', 'DeepL\nsecond line', 'tab\there', 'C1\u009b31m', 'Saved \u202Egnp.exe', 'x\u2067y'])('a label with a control character (%j) is refused, naming the rule; nothing is stored', async (label) => {
    const s = await setupMain();
    const r = await s.call('credentialsSet', { service: 'deepl', key: 'api_key', value: 'dk-1', label });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('without control characters') } });
    expect((await s.value<Array<{ id: string }>>('credentialsList')).map((c) => c.id)).not.toContain('deepl.api_key');
    expect(await s.call('credentialsReveal', { service: 'deepl', key: 'api_key' })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_MISSING' } });
  });

  it.each(['Half \ud83d here', 'Low \ude00 half', 'ends \ud800'])('a label holding half of a UTF-16 pair (%j, which only a page can send) is refused, as the user fields are; nothing is stored', async (label) => {
    const s = await setupMain();
    const r = await s.call('credentialsSet', { service: 'deepl', key: 'api_key', value: 'dk-1', label });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('broken character') } });
    expect((await s.value<Array<{ id: string }>>('credentialsList')).map((c) => c.id)).not.toContain('deepl.api_key');
    expect(await s.call('credentialsReveal', { service: 'deepl', key: 'api_key' })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_MISSING' } });
    // A whole pair (an emoji) is a character like any other.
    expect(await s.call('credentialsSet', { service: 'deepl', key: 'api_key', value: 'dk-1', label: 'DeepL \ud83d\ude00' })).toMatchObject({ ok: true });
  });

  it('a profile a hand gave half of a UTF-16 pair (\\ud800 in a label, \\udc00 in the name) is refused on read, naming the fields: never sent to the window', async () => {
    const s = await setupMain();
    await s.value('credentialsSet', { service: 'deepl', key: 'api_key', value: 'dk-1', label: 'DeepL (work)', envVar: 'DEEPL_API_KEY' });
    await s.value('profileUpdate', { user: { name: 'Ada' } });
    const path = s.vault.profilePath;
    writeFileSync(path, readFileSync(path, 'utf8').replace('"DeepL (work)"', '"DeepL \\ud800"').replace('"Ada"', '"Ada \\udc00"'));
    const fields = [{ path: 'user.name', message: 'holds a broken character (half of a UTF-16 pair)' }, { path: 'credential_metadata.deepl.api_key.label', message: 'holds a broken character (half of a UTF-16 pair)' }];
    expect(await s.call('profileGet')).toMatchObject({ ok: false, error: { code: 'PROFILE_INVALID', fields } });
    expect(await s.call('credentialsList')).toMatchObject({ ok: false, error: { code: 'PROFILE_INVALID', fields } });
    expect(await s.value('doctor')).toMatchObject({ ok: false, profile: { problems: [expect.objectContaining({ code: 'PROFILE_INVALID', message: expect.stringContaining('user.name holds a broken character') })] } });
  });

  // The custom form's Label sits just before its value field: a key pasted one field too early was stored as the label,
  // in plaintext in the profile, shown in the list and in `cpw-vault list`, as a key typed where a name goes is not.
  it.each([`sk-proj-${'Ab3dE6gH9jK2mN5pQ8sT1vW4'.repeat(2)}`, `DeepL ${'0123456789abcdef'.repeat(2)}`, `hf_${'Lbl1'.repeat(9)}`])('a key pasted into the label (%s) is refused without echoing it; nothing is stored, the profile never holds it', async (label) => {
    const s = await setupMain();
    await s.value('profileUpdate', { user: { name: 'Ada' } });
    const r = await s.call('credentialsSet', { service: 'deepl', key: 'api_key', value: 'dk-1', label });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('shape of a secret value') } });
    expect(JSON.stringify(r)).not.toContain(label.split(' ').at(-1));
    expect((await s.value<Array<{ id: string }>>('credentialsList')).map((c) => c.id)).not.toContain('deepl.api_key');
    expect(readFileSync(s.vault.profilePath, 'utf8')).not.toContain(label.split(' ').at(-1));
    // Labels with a version, a year or a model name are labels.
    for (const ok of ['DeepL (work, 2024)', 'Azure OpenAI gpt4o eastus2', 'CUSTOM_SERVICE_1999_API_KEY']) {
      expect(await s.call('credentialsSet', { service: 'deepl', key: 'api_key', value: 'dk-1', label: ok }), ok).toMatchObject({ ok: true });
    }
  });

  it('a label of 32 MB a page sends is refused at once, main never spreading it into characters; nothing is stored', async () => {
    const s = await setupMain();
    // 80 characters are at most 160 UTF-16 units: counting a longer one held main for seconds and a gigabyte (it was .max(80)).
    const label = '\u{1F3AC}'.repeat(8_000_000);
    const started = performance.now();
    const r = await s.call('credentialsSet', { service: 'deepl', key: 'api_key', value: 'dk-1', label, envVar: 'DEEPL_API_KEY' });
    const took = performance.now() - started;
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', fields: [{ path: '0.label' }] } });
    expect(took).toBeLessThan(500);
    expect((await s.value<Array<{ id: string }>>('credentialsList')).map((c) => c.id)).not.toContain('deepl.api_key');
  });

  it('a new custom credential named one edit from a catalog one is refused, naming the one meant (the app stored huggingfce.token); with an env var of its own it is stored', async () => {
    const s = await setupMain();
    expect(await s.call('credentialsSet', { service: 'huggingfce', key: 'token', value: HF })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: 'huggingfce.token is not a known credential: did you mean huggingface.token? Nothing was stored.' } });
    expect((await s.value<Array<{ id: string }>>('credentialsList')).map((c) => c.id)).not.toContain('huggingfce.token');
    expect(await s.call('credentialsSet', { service: 'huggingfce', key: 'token', value: HF, envVar: 'MY_HF' })).toMatchObject({ ok: true });
    // Stored, it is set again like any other.
    expect(await s.call('credentialsSet', { service: 'huggingfce', key: 'token', value: `${HF}2` })).toMatchObject({ ok: true });
  });

  it.each([['', 'blank'], ['   ', 'blank'], ['\u200b', 'blank'], ['\u3164', 'blank'], ['\u00a0\u2060', 'blank'], ['HuggingFace token', 'label of huggingface.token'], ['  huggingface TOKEN ', 'label of huggingface.token'], ['HuggingFace\u00a0token', 'label of huggingface.token'], ['Hugging\u200bFace token', 'label of huggingface.token'], ['HuggingFace  token', 'label of huggingface.token']])('a label a hostile renderer sends (%j) that would show as an empty or a copied row is refused; nothing is stored', async (label, said) => {
    const s = await setupMain();
    const r = await s.call('credentialsSet', { service: 'deepl', key: 'api_key', value: 'dk-1', label, envVar: 'DEEPL_API_KEY' });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining(said) } });
    expect((await s.value<Array<{ id: string }>>('credentialsList')).map((c) => c.id)).not.toContain('deepl.api_key');
    // The catalog credential keeps its own label.
    expect(await s.call('credentialsSet', { service: 'huggingface', key: 'token', value: HF, label: 'HuggingFace token' })).toMatchObject({ ok: true });
  });

  it.each(['abc\uD800def0123456789', '\uDE00abcdef0123456789', 'abcdef0123456789\uD83D'])('a value holding half of a UTF-16 pair (%j) is refused by the value rule, not blamed on the keychain; nothing is stored', async (value) => {
    const s = await setupMain();
    const r = await s.call('credentialsSet', { service: 'tmdb', key: 'api_key', value, acceptFormatWarning: true });
    expect(r).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_INVALID', message: 'The value for tmdb.api_key contains a broken character (half of an emoji or other UTF-16 pair).', fix: expect.stringContaining('paste it') } });
    expect(await s.call('credentialsReveal', { service: 'tmdb', key: 'api_key' })).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_MISSING' } });
    // A whole emoji is text like any other.
    expect(await s.call('credentialsSet', { service: 'tmdb', key: 'api_key', value: 'key-\u{1F511}-\u05D0\u05D1', acceptFormatWarning: true })).toMatchObject({ ok: true });
    expect(await s.value('credentialsReveal', { service: 'tmdb', key: 'api_key' })).toBe('key-\u{1F511}-\u05D0\u05D1');
  });

  it.each([MAX_SECRET_LENGTH + 1, 16 * 1024 + 1, 1024 * 1024])('a %s-character value gets the value rule\'s own message, like every other size', async (size) => {
    const s = await setupMain();
    const r = await s.call('credentialsSet', { service: 'tmdb', key: 'api_key', value: 'a'.repeat(size) });
    expect(r).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_INVALID', message: `The value for tmdb.api_key is ${size} characters, over the ${MAX_SECRET_LENGTH} limit.` } });
  });

  it('copy puts the value on the clipboard, clears it after 20 s only if it is still there, and tells the window either way', async () => {
    const s = await setupMain();
    await s.value('credentialsSet', { service: 'tmdb', key: 'api_key', value: TMDB });
    expect(await s.value('credentialsCopy', { service: 'tmdb', key: 'api_key' })).toEqual({ clearsAfterMs: CLIPBOARD_CLEAR_MS });
    expect(CLIPBOARD_CLEAR_MS).toBe(20_000);
    expect(s.board()).toBe(TMDB);
    s.timers.shift()!();
    expect(s.board()).toBe('');
    expect(s.events).toEqual([{ event: 'clipboardCleared', payload: { cleared: true } }]);
    await s.value('credentialsCopy', { service: 'tmdb', key: 'api_key' });
    s.setBoard('something the user copied since');
    s.timers.shift()!();
    expect(s.board()).toBe('something the user copied since');
    expect(s.events.at(-1)).toEqual({ event: 'clipboardCleared', payload: { cleared: false } });
  });

  it('quitting within the 20 s clears a copied secret still on the clipboard (its timer dies with the app), never what the user copied since', async () => {
    let board = '';
    const clipboard = { readText: () => board, writeText: (v: string) => void (board = v), clear: () => void (board = '') };
    const guard = createCopyGuard({ clipboard, scheduler: { setTimeout: () => {} }, events: { send: () => {} } });
    guard.copy(TMDB);
    expect(guard.clearNow()).toBe(true);
    expect(board).toBe('');
    guard.copy(HF);
    board = 'the user copied this since';
    expect(guard.clearNow()).toBe(false);
    expect(board).toBe('the user copied this since');
    expect(guard.clearNow()).toBe(false); // nothing copied: nothing to clear
    // The shell wires it to the app's quit.
    expect(readFileSync(resolve(import.meta.dirname, '../../electron/main/index.ts'), 'utf8')).toMatch(/app\.on\('before-quit', \(\) => void copies\.clearNow\(\)\)/);
  });

  it('two copies in a row: only the later one\'s timer acts', async () => {
    const s = await setupMain();
    await s.value('credentialsSet', { service: 'tmdb', key: 'api_key', value: TMDB });
    await s.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    await s.value('credentialsCopy', { service: 'tmdb', key: 'api_key' });
    await s.value('credentialsCopy', { service: 'huggingface', key: 'token' });
    s.timers.shift()!();
    expect([s.board(), s.events.length]).toEqual([HF, 0]);
    s.timers.shift()!();
    expect([s.board(), s.events]).toEqual(['', [{ event: 'clipboardCleared', payload: { cleared: true } }]]);
  });

  it('runs and audit events come in pages with their total; stats count refused runs', async () => {
    const s = await setupMain();
    await s.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    for (let i = 0; i < 5; i++) {
      const run = await s.runs.start({ workflow: 'transcribe', program: `stage${i}`, credentials: ['huggingface.token'] }, new Date());
      await s.runs.update(run.id, { status: i === 4 ? 'refused' : 'succeeded', exit_code: i === 4 ? 3 : 0 });
    }
    const page = await s.value<Page<RunRecord>>('runsList', { offset: 1, limit: 2 });
    expect([page.total, page.offset, page.items.map((r) => r.program)]).toEqual([5, 1, ['stage3', 'stage2']]);
    expect(await s.value<Page<RunRecord>>('runsList', { status: 'refused' })).toMatchObject({ total: 1, items: [{ program: 'stage4' }] });
    expect(await s.value('runsStats')).toMatchObject({ total: 5, by_status: { succeeded: 4, refused: 1 }, success_rate: 1 });
    const audit = await s.value<Page<{ event: string; caller: string }>>('auditList', { limit: 5 });
    expect(audit).toMatchObject({ total: 1, offset: 0, items: [{ event: 'credential_set', caller: 'app' }] });
    expect(await s.value('doctor')).toMatchObject({ ok: true, keychain: { ok: true } });
  });

  it('a new run shows in the next page even right after a read (the memo follows the file)', async () => {
    const s = await setupMain();
    expect(await s.value('runsList', {})).toMatchObject({ total: 0 });
    await s.runs.start({ workflow: 'transcribe', program: 'x', credentials: [] }, new Date());
    expect(await s.value('runsList', {})).toMatchObject({ total: 1 });
  });

  it('a run whose exec is killed shows as interrupted at the next read, though the history file did not change (no memo of a live judgement)', async () => {
    const s = await setupMain();
    // A stand-in exec: alive until killed; the start line names it as the owner.
    const exec = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
    const gone = new Promise((done) => exec.once('exit', done));
    const run = { id: 'abc123', workflow: 'transcribe', program: 'stage', credentials: [], status: 'running', exit_code: null, signal: null, started_at: new Date().toISOString(), finished_at: null, duration_ms: null, owner: { pid: exec.pid, host: hostname(), boot: bootId() } };
    mkdirSync(dirname(s.runs.path), { recursive: true, mode: 0o700 });
    writeFileSync(s.runs.path, `${JSON.stringify({ op: 'start', run })}\n`, { mode: 0o600 });
    expect(await s.value('runsList', {})).toMatchObject({ total: 1, items: [{ status: 'running' }] });
    expect(await s.value('runsList', { status: 'interrupted' })).toMatchObject({ total: 0 });
    expect(await s.value('runsStats')).toMatchObject({ by_status: { running: 1, interrupted: 0 } });
    const before = statSync(s.runs.path);
    exec.kill('SIGKILL');
    await gone; // reaped: its pid is dead, not a zombie
    expect(await s.value('runsList', {})).toMatchObject({ total: 1, items: [{ status: 'interrupted' }] });
    expect(await s.value('runsList', { status: 'interrupted' })).toMatchObject({ total: 1 });
    expect(await s.value('runsList', { status: 'running' })).toMatchObject({ total: 0 });
    expect(await s.value('runsStats')).toMatchObject({ by_status: { running: 0, interrupted: 1 } });
    const items = (await s.value<Page<RunRecord>>('runsList', {})).items;
    expect(Object.keys(items[0]!)).not.toContain('owner');
    expect(statSync(s.runs.path).mtimeMs).toBe(before.mtimeMs);
  });

  it('"Fix it" makes a profile others can write private again (0600, folder 0700); doctor then finds nothing', async () => {
    const s = await setupMain();
    await s.value('profileUpdate', { user: { name: 'Ada' } });
    chmodSync(s.t.profile, 0o666);
    chmodSync(dirname(s.t.profile), 0o755);
    expect(await s.value('doctor')).toMatchObject({ ok: false, profile: { problems: expect.arrayContaining([expect.objectContaining({ code: 'PROFILE_PERMISSIONS' })]) } });
    expect(await s.value('profileFixPermissions')).toMatchObject({ ok: true, profile: { problems: [] } });
    expect([statSync(s.t.profile).mode & 0o777, statSync(dirname(s.t.profile)).mode & 0o777]).toEqual([0o600, 0o700]);
  });

  it('"Fix it" never follows a symlinked profile to its target', async () => {
    const s = await setupMain();
    const target = join(s.t.root, 'elsewhere.json');
    writeFileSync(target, '{}', { mode: 0o666 });
    chmodSync(target, 0o666);
    await s.value('profileUpdate', { user: { name: 'Ada' } });
    const { rmSync } = await import('node:fs');
    rmSync(s.t.profile);
    symlinkSync(target, s.t.profile);
    expect(await s.call('profileFixPermissions')).toMatchObject({ ok: false, error: { code: 'PROFILE_SYMLINK' } });
    expect(statSync(target).mode & 0o777).toBe(0o666);
  });
});

describe('openExternal: only the catalog\'s exact pages', () => {
  it.each([
    ' https://huggingface.co/settings/tokens', 'https://%68uggingface.co/settings/tokens', 'https://huggingface.co/settings/tokens?next=x', 'https://huggingface.co/settings/tokens#x',
    'https://huggingface.co/', 'https://HUGGINGFACE.co/settings/tokens', 'https://huggingface.co./settings/tokens', 'https://user:pw@huggingface.co/settings/tokens',
    'https://huggingface.co:443/settings/tokens', 'http://huggingface.co/settings/tokens', 'https://huggingface.co.evil.example/settings/tokens', 'https://huggingface.co/settings/tokens/../../evil',
    'https://huggingface.co\\@evil.example/settings/tokens', 'javascript:alert(1)', 'file:///etc/passwd',
  ])('refuses %j and opens nothing', async (url) => {
    const s = await setupMain();
    expect(await s.call('openExternal', url)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(s.opened).toEqual([]);
  });

  it('opens a catalog page, exactly as written', async () => {
    const s = await setupMain();
    await s.value('openExternal', 'https://huggingface.co/settings/tokens');
    expect(s.opened).toEqual(['https://huggingface.co/settings/tokens']);
  });

  it('a desktop that does not open it (shell.openExternal rejects) is said as that, not as a bug in cpw-vault', async () => {
    const s = await setupMain({ external: { open: async () => Promise.reject(new Error('Failed to open')) } });
    expect(await s.call('openExternal', 'https://huggingface.co/settings/tokens')).toEqual({
      ok: false,
      error: { code: 'IO_ERROR', message: 'The system browser did not open the page (Failed to open).', fix: 'Set a default web browser for your desktop, or copy the address into a browser.' },
    });
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
    const s = await setupMain();
    const r = await s.ipc.credentialsSet(event as SenderEvent, { service: 'huggingface', key: 'token', value: HF });
    expect(r).toMatchObject({ ok: false, error: { code: 'IPC_FORBIDDEN' } });
    expect(s.vault.listCredentials().find((c) => c.id === 'huggingface.token')!.stored).toBe(false);
  });

  it.each([
    ['credentialsSet', [{ service: 'huggingface', key: 'token' }]],
    ['credentialsSet', [{ service: 'huggingface', key: 'token', value: 42 }]],
    ['credentialsSet', [{ service: 'Hugging Face', key: 'token', value: 'x' }]],
    ['credentialsSet', [{ service: 'huggingface', key: 'token', value: 'x', extra: true }]],
    ['credentialsSet', [{ service: 'huggingface', key: 'token', value: 'x'.repeat(4 * 1024 * 1024 + 1) }]],
    ['credentialsReveal', []],
    ['profileGet', ['unexpected']],
    ['profileAvatar', ['https://evil.example/a.png']],
    ['runsList', [{ status: 'exploded' }]],
    ['runsList', [{ limit: 100_000 }]],
    ['auditList', [{ limit: 1e9 }]],
    ['auditList', [{ offset: -1 }]],
    ['openExternal', [42]],
  ])('rejects invalid arguments for %s with INVALID_ARGUMENT', async (method, args) => {
    const s = await setupMain();
    const r = await s.call(method as VaultMethod, ...(args as unknown[]));
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });

  it('__proto__ and constructor keys, and a 100,000-deep object, are refused by name; no prototype is touched and nothing is written', async () => {
    const s = await setupMain();
    await s.value('profileUpdate', { user: { name: 'Ada' } });
    const before = (await import('node:fs')).readFileSync(s.t.profile, 'utf8');
    // As structured clone and JSON deliver them: own properties named __proto__ / constructor.
    const polluting = JSON.parse('{"user":{"name":"Eve","__proto__":{"polluted":"yes"}},"preferences":{"notifications":{"__proto__":{"run_failed":false}},"constructor":{"prototype":{"polluted":"yes"}}}}');
    let deep: unknown = true;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    for (const update of [polluting, { preferences: { notifications: deep } }]) {
      const r = await s.call('profileUpdate', update);
      expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    }
    const refused = await s.call('profileUpdate', polluting);
    expect(!refused.ok && refused.error.fields?.map((f) => f.path)).toEqual(expect.arrayContaining(['preferences.constructor', 'preferences.notifications.__proto__']));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect((await import('node:fs')).readFileSync(s.t.profile, 'utf8')).toBe(before);
    // A field offered only through __proto__ is never read as the field.
    await s.call('profileUpdate', JSON.parse('{"user":{"__proto__":{"name":"Mallory","email":"m@evil.example"}}}'));
    expect(await s.value('profileGet')).toMatchObject({ profile: { user: { name: 'Ada', email: '' } } });
  });

  it('a profile update naming 20,000 made-up fields, or one with a 1 MiB name, is refused by its shape: a short answer that quotes no name; nothing is written', async () => {
    const s = await setupMain();
    await s.value('profileUpdate', { user: { name: 'Ada' } });
    const before = readFileSync(s.t.profile, 'utf8');
    const many: Record<string, string> = {};
    for (let i = 0; i < 20_000; i++) many[`made_up_${i}`] = 'x';
    const long = 'n'.repeat(1024 * 1024);
    for (const update of [{ user: many }, { preferences: many }, { user: { [long]: 'x' } }, { preferences: { [`\u001b[2J${'z'.repeat(70)}`]: true } }]) {
      const r = await s.call('profileUpdate', update);
      expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', fields: [{ message: expect.stringContaining('at most 32 fields') }] } });
      // It named every field back (10 MB for 100,000 of them, after 20 s of main's event loop comparing names).
      expect(JSON.stringify(r).length).toBeLessThan(1024);
      expect(JSON.stringify(r)).not.toMatch(/made_up_|nnnn|zzzz/);
    }
    expect(readFileSync(s.t.profile, 'utf8')).toBe(before);
    expect(await s.value('profileUpdate', { user: { name: 'Grace' } })).toMatchObject({ profile: { user: { name: 'Grace' } } });
  });

  it('errors carry code, message and fix, and never the secret', async () => {
    const s = await setupMain();
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

describe('doctor calls while one runs', () => {
  it('share the one run after it: six calls during a slow probe make two probes, not six, and every call gets a report', async () => {
    // The keychain banner asks every 10 s whatever became of its last call, and a doctor of a hung keychain
    // takes up to twice 9 s: calls queued one by one piled up for as long as the keychain hung.
    const s = await setupMain();
    const probe = s.vault.keychainStatus.bind(s.vault);
    let probes = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    s.vault.keychainStatus = async () => {
      probes += 1;
      if (probes === 1) await held; // the first probe hangs until released
      return probe();
    };
    const first = s.call('doctor');
    await expect.poll(() => probes).toBe(1);
    const later = Array.from({ length: 5 }, () => s.call('doctor'));
    release();
    const answers = await Promise.all([first, ...later]);
    for (const r of answers) expect(r).toMatchObject({ ok: true, value: { keychain: { ok: true } } });
    expect(probes).toBe(2);
    // Once nothing runs, a call probes again.
    await s.value('doctor');
    expect(probes).toBe(3);
  });
});

describe('what joins the redaction list', () => {
  it('a refused short passphrase and a planned non-credential value do not blank those words out of later messages and audit paths', async () => {
    const { clearRegisteredSecrets, redact } = await import('../../shared/core/redact');
    clearRegisteredSecrets();
    const s = await setupMain();
    const short = await s.call('securityExport', { passphrase: 'short' });
    expect(short).toMatchObject({ ok: false, error: { message: expect.stringContaining('too short') } });
    mkdirSync(join(s.t.cwd, 'config'), { recursive: true });
    writeFileSync(join(s.t.cwd, 'config', 'secrets.json'), JSON.stringify({ hf_token: HF, project: 'cp-whisperx' }));
    const [source] = await s.value<Array<{ handle: string }>>('migrationSources');
    await s.value('migrationPlan', { source: source!.handle });
    expect(redact('/home/ada/cp-whisperx/config/secrets.json.backup')).toBe('/home/ada/cp-whisperx/config/secrets.json.backup');
    expect(redact(`the token ${HF}`)).not.toContain(HF); // what may become a credential is still a secret
  });
});
