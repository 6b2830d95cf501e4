import { mkdtempSync, readFileSync, existsSync, chmodSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { redact } from '../../shared/core/redact';
import { buildExport } from '../../shared/core/vault-export';
import { MAX_EXPORT_BYTES, readExportFile, writeExportFile } from '../../shared/node/secrets/export-file';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import { APP, setupMain } from './main-setup';

const HF = `hf_${'DeSkTop'.repeat(5)}`;
const PASS = 'desktop vault passphrase';
const NEXT = 'desktop vault passphrase two';
const EXPORT_PASS = 'desktop export passphrase';

describe('Security section handlers (real vault, real agent, main-owned dialogs)', async () => {
  const runtime = mkdtempSync(join(process.env['CPW_TEST_ROOT'] ?? '/tmp', 'run-'));
  chmodSync(runtime, 0o700);
  // A low scrypt work factor: this is about the app's flows, not age interop (tests/cli covers that).
  const m = await setupMain({ env: { XDG_RUNTIME_DIR: runtime }, logN: 10 });
  const code = async (method: Parameters<typeof m.call>[0], ...args: unknown[]) => {
    const r = await m.call(method, ...args);
    return r.ok ? 'ok' : r.error.code;
  };
  afterAll(async () => {
    await m.call('securityLock');
  });

  it('keychain -> vault file: unlocked by the passphrase just chosen; locked, a wrong passphrase changes nothing, then the app reads through the agent', async () => {
    expect(await m.value('securityStatus')).toMatchObject({ backend: 'keychain', ok: true, offerFile: false });
    await m.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    expect(await code('securityUseBackend', { backend: 'file', passphrase: 'short' })).toBe('INVALID_ARGUMENT');
    // The passphrase typed for the switch unlocks it (it was left locked, and asked for a third time).
    expect(await m.value('securityUseBackend', { backend: 'file', passphrase: PASS })).toMatchObject({ moved: ['huggingface.token'], status: { backend: 'file', ok: true, unlockedUntil: expect.any(String) } });
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
    expect(await m.value('securityLock')).toMatchObject({ backend: 'file', ok: false, code: 'VAULT_LOCKED', unlockedUntil: null });
    expect(await code('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe('VAULT_LOCKED');
    const files = vaultFilesFor(m.vault.profilePath);
    const before = readFileSync(files.identity);
    const wrong = await m.call('securityUnlock', { passphrase: 'not the passphrase at all' });
    expect(wrong.ok ? '' : wrong.error.code).toBe('VAULT_PASSPHRASE_WRONG');
    expect(JSON.stringify(wrong)).not.toContain('not the passphrase at all');
    expect(readFileSync(files.identity).equals(before)).toBe(true);
    expect(await m.value('securityUnlock', { passphrase: PASS })).toMatchObject({ backend: 'file', ok: true, unlockedUntil: expect.any(String) });
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
  });

  it('passphrase change: refused rules and a wrong current one change nothing; then only the new one opens and the agent is stopped', async () => {
    const files = vaultFilesFor(m.vault.profilePath);
    const before = readFileSync(files.identity);
    expect(await code('securityChangePassphrase', { current: PASS, next: PASS })).toBe('INVALID_ARGUMENT');
    expect(await code('securityChangePassphrase', { current: PASS, next: 'short' })).toBe('INVALID_ARGUMENT');
    expect(await code('securityChangePassphrase', { current: 'wrong current passphrase', next: NEXT })).toBe('VAULT_PASSPHRASE_WRONG');
    expect(readFileSync(files.identity).equals(before)).toBe(true);
    expect(await m.value('securityChangePassphrase', { current: PASS, next: NEXT })).toMatchObject({ ok: false, code: 'VAULT_LOCKED' });
    expect(await code('securityUnlock', { passphrase: PASS })).toBe('VAULT_PASSPHRASE_WRONG');
    expect(await code('securityUnlock', { passphrase: NEXT })).toBe('ok');
    const audit = readFileSync(m.vault.auditLogPath, 'utf8');
    expect(audit).toContain('"event":"passphrase_changed"');
    for (const secret of [PASS, NEXT, HF]) expect(audit).not.toContain(secret);
  });

  it('Unlock pressed three times at once: one agent starts, and every press answers unlocked (none says "already running")', async () => {
    await m.value('securityLock');
    const presses = await Promise.all([1, 2, 3].map(() => code('securityUnlock', { passphrase: NEXT })));
    expect(presses).toEqual(['ok', 'ok', 'ok']);
    expect(await m.value('securityStatus')).toMatchObject({ ok: true, unlockedUntil: expect.any(String) });
  });

  it('export to the file main\'s save dialog names; import by the handle main\'s open dialog minted, plan first', async () => {
    m.answers.exportTarget = null;
    expect(await m.value('securityExport', { passphrase: EXPORT_PASS })).toBeNull();
    const target = join(m.t.root, 'desktop-export.age');
    m.answers.exportTarget = target;
    expect(await m.value('securityExport', { passphrase: EXPORT_PASS })).toEqual({ file: target, count: 1, warnings: [] });
    // storage names where the value was (this vault keeps it in the vault file), as the CLI's export says: the app's
    // wrote the profile index's "keychain" for any secret store.
    expect((await readExportFile(target, EXPORT_PASS)).credentials).toEqual([{ id: 'huggingface.token', value: HF, meta: expect.objectContaining({ storage: 'file' }) }]);
    expect(readFileSync(target).includes(HF)).toBe(false);
    m.answers.exportFile = target;
    const picked = await m.value<{ handle: string }>('securityImportPick');
    expect(await code('securityImportApply', { source: picked.handle })).toBe('INVALID_ARGUMENT');
    expect(await code('securityImportPlan', { source: picked.handle, passphrase: 'wrong export passphrase' })).toBe('VAULT_PASSPHRASE_WRONG');
    const plan = await m.value<{ plan: { counts: Record<string, number> } }>('securityImportPlan', { source: picked.handle, passphrase: EXPORT_PASS });
    expect(plan.plan.counts).toMatchObject({ identical: 1, apply: 0 });
    expect(await m.value('securityImportApply', { source: picked.handle })).toEqual({ imported: [] });
    m.answers.exportFile = m.vault.profilePath;
    expect(await code('securityImportPick')).toBe('INVALID_ARGUMENT');
  });

  it('an export to a file that is there (the save dialog picked it): refused before any value is read, the file as it was', async () => {
    const target = join(m.t.root, 'already-here.age');
    writeFileSync(target, 'an older export\n', { mode: 0o600 });
    m.answers.exportTarget = target;
    const reads = vi.spyOn(m.vault, 'storedValues');
    try {
      const r = await m.call('securityExport', { passphrase: EXPORT_PASS });
      expect(r).toMatchObject({ ok: false, error: { code: 'IO_ERROR', message: `${target} already exists; refusing to replace it.` } });
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
    expect(readFileSync(target, 'utf8')).toBe('an older export\n');
  });

  it('an export carrying someone\'s team identity: the app\'s import plan refuses that row, and Overwrite all does not write it', async () => {
    const sender = execFileSync('age-keygen', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;
    const file = join(m.t.root, 'planted-identity.age');
    await writeExportFile(file, buildExport([{ id: 'cpw-vault.team_identity', value: sender }], new Date()), EXPORT_PASS, { logN: 10 });
    m.answers.exportFile = file;
    const picked = await m.value<{ handle: string }>('securityImportPick');
    const plan = await m.value<{ plan: { rows: Array<{ target: string; action: string; apply: boolean; reason?: string }> } }>('securityImportPlan', { source: picked.handle, passphrase: EXPORT_PASS, overwrite: 'all' });
    expect(plan.plan.rows).toEqual([expect.objectContaining({ target: 'cpw-vault.team_identity', action: 'invalid', apply: false, reason: expect.stringContaining('a team identity is never taken from a file') })]);
    expect(await m.value('securityImportApply', { source: picked.handle, overwrite: 'all' })).toEqual({ imported: [] });
    expect(await m.vault.findCredential('cpw-vault', 'team_identity')).toBeUndefined();
  });

  it('hostile arguments: wrong shapes, unknown keys, huge strings, paths instead of handles, foreign frames — refused before anything runs', async () => {
    const files = vaultFilesFor(m.vault.profilePath);
    const before = readFileSync(files.identity);
    const cases: Array<[Parameters<typeof m.call>[0], unknown[]]> = [
      ['securityUnlock', [{ passphrase: 42 }]],
      ['securityUnlock', [{ passphrase: '' }]],
      ['securityUnlock', [{ passphrase: 'x'.repeat(5_000_000) }]],
      ['securityUnlock', [{ passphrase: PASS, ttl: '999d' }]],
      ['securityUnlock', []],
      ['securityChangePassphrase', [{ current: NEXT }]],
      ['securityChangePassphrase', [{ current: NEXT, next: ['a'] }]],
      ['securityUseBackend', [{ backend: 'plaintext' }]],
      ['securityUseBackend', [{ backend: 'file', passphrase: PASS, logN: 1 }]],
      ['securityExport', [{ passphrase: EXPORT_PASS, path: '/tmp/x.age' }]],
      ['securityExport', ['/tmp/x.age']],
      ['securityImportPlan', [{ source: '/etc/passwd', passphrase: 'p' }]],
      ['securityImportPlan', [{ source: '../../../../etc/shadow', passphrase: 'p' }]],
      ['securityImportApply', [{ source: '0'.repeat(32) }]],
      ['securityImportPlan', [{ source: 'f'.repeat(32), passphrase: 'p' }]],
      ['securityImportPick', [{ path: '/etc/passwd' }]],
      ['securityStatus', [{ __proto__: { polluted: true } }]],
    ];
    for (const [method, args] of cases) expect(await code(method, ...args), `${method} ${JSON.stringify(args).slice(0, 80)}`).toBe('INVALID_ARGUMENT');
    const foreign = await m.ipc.securityUnlock({ senderFrame: { url: 'https://evil.example/' } }, { passphrase: NEXT });
    expect(foreign.ok ? 'ok' : foreign.error.code).toBe('IPC_FORBIDDEN');
    expect(existsSync('/tmp/x.age')).toBe(false);
    expect(readFileSync(files.identity).equals(before)).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(APP.senderFrame?.url).toContain('app://');
  });

  it('vault file -> keychain: every secret moves back, the vault files are removed and the agent stopped', async () => {
    const r = await m.value<{ moved: string[]; status: { backend: string; ok: boolean } }>('securityUseBackend', { backend: 'keychain' });
    expect(r).toMatchObject({ moved: ['huggingface.token'], status: { backend: 'keychain', ok: true } });
    const files = vaultFilesFor(m.vault.profilePath);
    expect(existsSync(files.vault) || existsSync(files.identity)).toBe(false);
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
  });
});

describe('a Save while the app switches the backend', () => {
  it('waits for the switch and lands in the new backend or is refused cleanly: no stray keychain item, no journal left', async () => {
    const TMDB = '0123456789abcdef0123456789abcdef';
    const accounts = (service: string) => [...execFileSync('sh', ['-c', 'secret-tool search --all service "$0" 2>&1 || true', service], { encoding: 'utf8' }).matchAll(/attribute\.account = (.*)/g)].map((x) => x[1]);
    // The set starts at several instants across the switch (its window was 6-17 ms on the machine that found it).
    for (const delay of [0, 3, 6, 9, 12, 15, 20]) {
      const runtime = mkdtempSync(join(process.env['CPW_TEST_ROOT'] ?? '/tmp', 'run-'));
      chmodSync(runtime, 0o700);
      const m = await setupMain({ env: { XDG_RUNTIME_DIR: runtime }, logN: 10 });
      await m.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
      const [moved, set] = await Promise.all([
        m.call('securityUseBackend', { backend: 'file', passphrase: PASS }),
        new Promise((r) => setTimeout(r, delay)).then(() => m.call('credentialsSet', { service: 'tmdb', key: 'api_key', value: TMDB })),
      ]);
      expect(moved.ok, JSON.stringify(moved)).toBe(true);
      // Before the switch it was moved with the rest; after it, it waited for the unlock and went to the vault file.
      expect(set.ok, `${delay} ms: ${JSON.stringify(set)}`).toBe(true);
      expect(accounts(m.t.service), `${delay} ms`).toEqual([]);
      expect(existsSync(join(dirname(m.vault.profilePath), 'journal')), `${delay} ms`).toBe(false);
      const listed = (await m.value<Array<{ id: string; meta?: unknown }>>('credentialsList')).filter((c) => c.meta).map((c) => c.id);
      expect(listed).toEqual(['huggingface.token', 'tmdb.api_key']);
      await m.call('securityLock');
    }
  }, 120_000);

  // Between the switch's commit and the start of its unlock agent, a list, a save, a reveal and a switch back failed
  // "The vault file is locked": the user had just typed its passphrase, and the agent was a moment away.
  it('a flood of calls during the switch to the vault file waits for it and its unlock: none is answered "locked"', async () => {
    const runtime = mkdtempSync(join(process.env['CPW_TEST_ROOT'] ?? '/tmp', 'run-'));
    chmodSync(runtime, 0o700);
    const m = await setupMain({ env: { XDG_RUNTIME_DIR: runtime }, logN: 10 });
    await m.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    const answers: Array<Promise<string>> = [];
    const said = (what: string, r: Awaited<ReturnType<typeof m.call>>) => `${what}: ${r.ok ? 'ok' : `${r.error.code} ${r.error.message}`}`;
    let pending = 0;
    const ask = (method: Parameters<typeof m.call>[0], ...args: unknown[]) => {
      pending++;
      answers.push(m.call(method, ...args).then((r) => (pending--, said(method, r))));
    };
    let back: Promise<string> | undefined;
    let settled = false;
    const switched = m.call('securityUseBackend', { backend: 'file', passphrase: PASS }).finally(() => (settled = true));
    // Calls held by the switch answer nothing meanwhile: a new round only once few are waiting (not thousands).
    for (let i = 0; !settled || !back; ) {
      if (pending > 30) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      i++;
      ask('credentialsList');
      ask('credentialsReveal', { service: 'huggingface', key: 'token' });
      ask('credentialsSet', { service: 'tmdb', key: 'api_key', value: `${String(i).padStart(8, '0')}abcdef0123456789abcdef01` });
      // The switch back, once the switch has committed (the profile names the vault file): until now, before its agent.
      if (!back && (settled || m.vault.backend() === 'file')) back = m.call('securityUseBackend', { backend: 'keychain' }).then((r) => said('back', r));
      await new Promise((r) => setImmediate(r));
    }
    expect(said('switch', await switched)).toBe('switch: ok');
    expect(await back).toBe('back: ok');
    const failed = (await Promise.all(answers)).filter((a) => !a.endsWith(': ok'));
    expect(failed).toEqual([]);
    expect(m.vault.backend()).toBe('keychain');
    expect((await m.vault.getCredential('tmdb', 'api_key')).value).toMatch(/^\d{8}abcdef/);
    expect(await m.value('securityStatus')).toMatchObject({ backend: 'keychain', ok: true });
  }, 120_000);
});

describe('the app\'s export of a vault with a credential listed without a value', async () => {
  const m = await setupMain({ logN: 10 });

  // Its value gone from the keychain (another tool, a keyring reset): the export leaves it out. The CLI warns of it;
  // the app said only "Exported 1 credential(s)", and the user trusted a backup that lacked it.
  it('says which credential was left out, as the CLI does', async () => {
    await m.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    await m.value('credentialsSet', { service: 'tmdb', key: 'api_key', value: '0123456789abcdef0123456789abcdef' });
    expect(spawnSync('secret-tool', ['clear', 'service', m.t.service, 'account', 'tmdb.api_key']).status).toBe(0);
    const target = join(m.t.root, 'partial-export.age');
    m.answers.exportTarget = target;
    expect(await m.value('securityExport', { passphrase: EXPORT_PASS })).toEqual({ file: target, count: 1, warnings: ['tmdb.api_key is listed but has no stored value; it is not in the export.'] });
    expect((await readExportFile(target, EXPORT_PASS)).credentials.map((c) => c.id)).toEqual(['huggingface.token']);
  });
});

// Two applies of one reviewed import fired at once (a hostile page): each planned before either wrote, so both wrote
// the values, both answered "imported" and both left a credentials_imported event. One at a time, as migrationApply is.
describe('the same import applied twice at once', async () => {
  const m = await setupMain({ logN: 10 });

  it('one applies it (one audit event); the other is refused with a clear code and message', async () => {
    await m.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    const target = join(m.t.root, 'twice-export.age');
    m.answers.exportTarget = target;
    expect(await m.value('securityExport', { passphrase: EXPORT_PASS })).toMatchObject({ count: 1 });
    expect(await m.value('credentialsDelete', { service: 'huggingface', key: 'token' })).toBe(true);
    m.answers.exportFile = target;
    const picked = await m.value<{ handle: string }>('securityImportPick');
    const plan = await m.value<{ plan: { counts: Record<string, number> } }>('securityImportPlan', { source: picked.handle, passphrase: EXPORT_PASS });
    expect(plan.plan.counts).toMatchObject({ apply: 1 });
    const both = await Promise.all([1, 2].map(() => m.call('securityImportApply', { source: picked.handle })));
    expect(both.filter((r) => r.ok).map((r) => r.ok && r.value)).toEqual([{ imported: ['huggingface.token'] }]);
    const refused = both.filter((r) => !r.ok).map((r) => !r.ok && { code: r.error.code, message: r.error.message });
    expect(refused).toEqual([{ code: 'INVALID_ARGUMENT', message: `The import of ${target} was already applied; nothing more was changed.` }]);
    const events = readFileSync(m.vault.auditLogPath, 'utf8').split('\n').filter((l) => l.includes('"event":"credentials_imported"'));
    expect(events).toHaveLength(1);
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
    // Planned again, all identical now: before, both applies answered "imported" (nothing) and both were audited.
    expect((await m.value<{ plan: { counts: Record<string, number> } }>('securityImportPlan', { source: picked.handle, passphrase: EXPORT_PASS })).plan.counts).toMatchObject({ identical: 1, apply: 0 });
    const again = await Promise.all([1, 2].map(() => m.call('securityImportApply', { source: picked.handle })));
    expect(again.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'INVALID_ARGUMENT']);
    expect(readFileSync(m.vault.auditLogPath, 'utf8').split('\n').filter((l) => l.includes('"event":"credentials_imported"'))).toHaveLength(2);
  });
});

// Main kept every passphrase a call carried for the rest of the process (to redact it from any message), before
// looking at anything else: a page calling in a loop with made-up ones (a handle main never minted, a vault already
// unlocked, an export whose dialog is cancelled) grew main's memory without end, and each of those strings is then
// searched for in every message after (20,000 calls: each refused call took 18 ms, up from 1). A passphrase is kept
// once the call is about to use it: Unlock on a vault already unlocked uses it since (it is checked there too, with
// scrypt and the wrong passphrase's pause, which bound such a loop as on a locked vault).
describe('passphrases a page makes up are not kept by main unless the call uses them', async () => {
  const runtime = mkdtempSync(join(process.env['CPW_TEST_ROOT'] ?? '/tmp', 'run-'));
  chmodSync(runtime, 0o700);
  const m = await setupMain({ env: { XDG_RUNTIME_DIR: runtime }, logN: 10 });
  afterAll(async () => {
    await m.call('securityLock');
  });
  const madeUp = (n: number) => `made-up passphrase number ${n} ${'x'.repeat(40)}`;
  const kept = (p: string) => redact(`[${p}]`) !== `[${p}]`;

  it('a handle main never minted, a cancelled export, the backend it already has, a refused new passphrase', async () => {
    await m.value('securityImportPlan', { source: 'a'.repeat(32), passphrase: madeUp(1) }).catch(() => {});
    m.answers.exportTarget = null;
    expect(await m.value('securityExport', { passphrase: madeUp(2) })).toBeNull();
    await m.value('securityUseBackend', { backend: 'keychain', passphrase: madeUp(3) }).catch(() => {});
    await m.value('securityUseBackend', { backend: 'file', passphrase: PASS });
    const same = await m.call('securityChangePassphrase', { current: madeUp(5), next: madeUp(5) });
    expect(same.ok ? '' : same.error.message).toBe('The new passphrase is the same as the current one.');
    for (const n of [1, 2, 3, 5]) expect(kept(madeUp(n)), `made-up passphrase ${n}`).toBe(false);
    // The ones used are kept: the vault's, a wrong one tried on the vault file unlocked (it is checked all the same),
    // and one tried on it locked.
    expect(kept(PASS)).toBe(true);
    const unlocked = await m.call('securityUnlock', { passphrase: madeUp(4) });
    expect(unlocked.ok ? '' : unlocked.error.code).toBe('VAULT_PASSPHRASE_WRONG');
    expect(kept(madeUp(4))).toBe(true);
    await m.value('securityLock');
    const wrong = await m.call('securityUnlock', { passphrase: madeUp(6) });
    expect(wrong.ok ? '' : wrong.error.code).toBe('VAULT_PASSPHRASE_WRONG');
    expect(kept(madeUp(6))).toBe(true);
  });
});

// The CLI's import says a path that is no export (a folder, a link, a FIFO, one over the size limit) before it asks for
// the passphrase. The app minted a handle for whatever its open dialog returned, showed the passphrase field, and said
// what was wrong only after the passphrase had been typed and "Show the plan" pressed.
describe('an export file chosen in main\'s open dialog that cannot be one', async () => {
  const m = await setupMain({ logN: 10 });

  it('a link, a folder, a FIFO and a file over the limit are refused as they are chosen, before a passphrase is asked; no handle', async () => {
    const real = join(m.t.root, 'real-export.age');
    await writeExportFile(real, buildExport([{ id: 'huggingface.token', value: HF }], new Date()), EXPORT_PASS, { logN: 10 });
    const link = join(m.t.root, 'latest.age');
    symlinkSync(real, link);
    const folder = mkdtempSync(join(m.t.root, 'exports-'));
    const fifo = join(m.t.root, 'pipe.age');
    execFileSync('mkfifo', [fifo]);
    const huge = join(m.t.root, 'huge.age');
    writeFileSync(huge, '');
    truncateSync(huge, MAX_EXPORT_BYTES + 1);
    const cases: Array<[string, string, RegExp]> = [
      [link, 'PROFILE_SYMLINK', /is a symbolic link; refusing to follow it/],
      [folder, 'INVALID_ARGUMENT', /is not a regular file/],
      [fifo, 'INVALID_ARGUMENT', /is not a regular file/],
      [huge, 'PROFILE_TOO_LARGE', /over the 67108864-byte limit/],
    ];
    for (const [path, code, message] of cases) {
      m.answers.exportFile = path;
      expect(await m.call('securityImportPick'), path).toMatchObject({ ok: false, error: { code, message: expect.stringMatching(message) } });
    }
    // The export itself is still chosen, planned and imported.
    m.answers.exportFile = real;
    const picked = await m.value<{ handle: string }>('securityImportPick');
    expect(await m.value('securityImportPlan', { source: picked.handle, passphrase: EXPORT_PASS })).toMatchObject({ plan: { counts: { apply: 1 } } });
  });
});
