// The credential store's contract, run against every backend the factory knows:
// the real keychain (the throwaway gnome-keyring of `npm test`) and the in-memory
// fake, registered through the factory alone. Each backend is wrapped so that the
// same failure tests (a write that fails, a keychain that stops answering, an abort)
// run on both.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Transaction } from '../../shared/core/journal';
import { undoOutcome } from '../../shared/core/migration-plan';
import { VaultError } from '../../shared/core/errors';
import { markNotUndone, notUndone } from '../../shared/core/journal';
import { reportError } from '../../shared/cli/exit-codes';
import { createVault } from '../../shared/node/open';
import { bootId } from '../../shared/node/profile/owner';
import { openSecretStore, registerSecretBackend } from '../../shared/node/secrets/open-secret-store';
import { FailingStore } from '../fakes/failing-store';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { rejected } from '../helpers/errors';
import { keychainError } from '../../shared/node/secrets/reasons';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'Cstore1'.repeat(5)}`;
const HF2 = `hf_${'Cstore2'.repeat(5)}`;
const TMDB = '0123456789abcdef0123456789abcdef';

// The in-memory backend: one store per namespace, so reopening finds what was written.
const memory = new Map<string, MemorySecretStore>();
const wrappers = new Map<string, FailingStore>();
const unregister = [
  registerSecretBackend('memory', (r) => memory.get(r.namespace) ?? memory.set(r.namespace, new MemorySecretStore()).get(r.namespace)!),
  ...['memory', 'keychain'].map((inner) =>
    registerSecretBackend(`failing-${inner}`, (r) => {
      const store = new FailingStore(openSecretStore({ ...r, backend: inner }));
      wrappers.set(r.namespace, store);
      return store;
    }),
  ),
];
afterAll(() => unregister.forEach((u) => u()));

/** A profile that records `backend`, and a vault on it (the vault learns its backend from the profile, as in use). */
function setup(backend: string) {
  const t = makeTempHome();
  mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
  writeFileSync(t.profile, JSON.stringify({ version: '2.0', credentials: {}, storage: { backend: `failing-${backend}`, namespace: '' } }), { mode: 0o600 });
  const env = { CPW_KEYCHAIN_SERVICE: t.service, DBUS_SESSION_BUS_ADDRESS: process.env['DBUS_SESSION_BUS_ADDRESS'] };
  const open = () => createVault({ homeDir: t.home, cwd: t.cwd, env, caller: 'cli', warn: () => {} });
  const vault = open();
  const raw = () => openSecretStore({ backend, namespace: t.service, env, timeoutMs: 10_000, profilePath: t.profile });
  return { t, vault, open, raw, wrapper: () => wrappers.get(t.service)! };
}

async function contents(raw: () => ReturnType<typeof openSecretStore>): Promise<Record<string, string>> {
  const store = raw();
  const out: Record<string, string> = {};
  for (const account of await store.list()) out[account] = (await store.get(account))!;
  return out;
}

const profileOf = (t: TempHome) => JSON.parse(readFileSync(t.profile, 'utf8'));
const journalOf = (t: TempHome) => join(dirname(t.profile), 'journal');
const bytes = (t: TempHome) => (existsSync(t.profile) ? readFileSync(t.profile, 'utf8') : undefined);

/** A secrets.json source (its file written) that replaces the HuggingFace token and adds a TMDB key and a custom one. */
function threeEntrySource(t: TempHome) {
  const source = { kind: 'secrets-json' as const, path: `${t.cwd}/s.json`, duplicateKeys: [], entries: [
    { sourceKey: 'hf_token', target: 'huggingface.token', value: HF2 },
    { sourceKey: 'tmdb_api_key', target: 'tmdb.api_key', value: TMDB },
    { sourceKey: 'custom_api_key', target: undefined, customTarget: { id: 'custom.api_key', envVar: 'CUSTOM_API_KEY' }, value: 'custom-value-1' },
  ] };
  writeFileSync(source.path, '{}');
  return source;
}

/**
 * A TMDB key stored, then replaced with Ctrl-C pressed as the new value lands, and the keychain silent after `answered`
 * more calls: the error the replacement ends with.
 */
async function ctrlCAsKeychainStops(backend: string, answered: number) {
  const { vault, wrapper } = setup(backend);
  await vault.setCredential('tmdb', 'api_key', TMDB);
  const controller = new AbortController();
  wrapper().onWrite = () => {
    controller.abort('SIGINT');
    wrapper().breakAfter(answered);
  };
  const e = await rejected(vault.setCredential('tmdb', 'api_key', 'fedcba9876543210fedcba9876543210', { signal: controller.signal }));
  return { e, wrapper };
}

/** A pid that certainly belongs to no running process (a child that has exited). */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

describe.each(['memory', 'keychain'])('credential store on the %s backend (opened through the factory)', (backend) => {
  it('set: the value in the store, only metadata in the index, nothing else left behind', async () => {
    const { t, vault, raw } = setup(backend);
    await vault.setCredential('huggingface', 'token', HF);
    expect(await contents(raw)).toEqual({ 'huggingface.token': HF });
    const doc = profileOf(t);
    expect(doc.credential_metadata['huggingface.token']).toMatchObject({ hint: `••••${HF.slice(-4)}`, storage: 'keychain' });
    expect(existsSync(journalOf(t))).toBe(false);
    expect(readFileSync(t.profile, 'utf8')).not.toContain(HF);
    expect(existsSync(`${t.profile}.lock`)).toBe(false);
  });

  it('replace keeps created_at and leaves no rollback copy; delete removes both halves', async () => {
    const { t, vault, raw } = setup(backend);
    await vault.setCredential('huggingface', 'token', HF);
    const created = profileOf(t).credential_metadata['huggingface.token'].created_at;
    await vault.setCredential('huggingface', 'token', HF2);
    expect(await contents(raw)).toEqual({ 'huggingface.token': HF2 });
    expect(profileOf(t).credential_metadata['huggingface.token'].created_at).toBe(created);
    expect(await vault.deleteCredential('huggingface', 'token')).toBe(true);
    expect(await contents(raw)).toEqual({});
    expect(profileOf(t).credential_metadata).toEqual({});
    expect(await vault.deleteCredential('huggingface', 'token')).toBe(false);
  });

  it.each([0, 1, 2])('a write failing after %i of 3 rolls everything back: store and profile exactly as before', async (k) => {
    const { t, vault, raw, wrapper } = setup(backend);
    await vault.setCredential('huggingface', 'token', HF);
    const before = { store: await contents(raw), profile: bytes(t) };
    wrapper().failWrite(k);
    const source = threeEntrySource(t);
    const plan = await vault.planMigration(source, { overwrite: 'all', includeUnknown: true });
    const result = await vault.applyMigration(source, plan);
    expect(result.ok).toBe(false);
    expect(await contents(raw)).toEqual(before.store);
    expect(bytes(t)).toBe(before.profile);
  });

  it('a backend switch committed by another process while a set or delete runs: refused and undone, never indexed against the new backend', async () => {
    const { t, vault, open, raw, wrapper } = setup(backend);
    await vault.setCredential('huggingface', 'token', HF);
    const switchedAway = () => {
      // What `backend use file` in another process commits: the profile names another backend (its values moved there).
      const doc = profileOf(t);
      writeFileSync(t.profile, JSON.stringify({ ...doc, storage: { ...doc.storage, backend: 'file' } }), { mode: 0o600 });
    };
    const before = { store: await contents(raw), meta: profileOf(t).credential_metadata };
    wrapper().onWrite = switchedAway;
    const e = await rejected(vault.setCredential('huggingface', 'token', HF2));
    expect(e.code).toBe('PROFILE_LOCKED');
    expect(e.message).toBe(`The vault's backend was switched from failing-${backend} to file while this change ran (another cpw-vault); nothing was changed.`);
    expect(await contents(raw)).toEqual(before.store);
    expect(profileOf(t).credential_metadata).toEqual(before.meta);
    expect(existsSync(journalOf(t))).toBe(false);
    // A delete: the value the new backend holds is not dropped from the index, and the old backend keeps its copy.
    wrapper().onWrite = undefined;
    const doc = profileOf(t);
    writeFileSync(t.profile, JSON.stringify({ ...doc, storage: { ...doc.storage, backend: `failing-${backend}` } }), { mode: 0o600 });
    const deleter = open();
    expect((await deleter.getCredential('huggingface', 'token')).value).toBe(HF); // its store opened (a wrapper of its own)
    wrapper().onDelete = switchedAway;
    expect((await rejected(deleter.deleteCredential('huggingface', 'token'))).code).toBe('PROFILE_LOCKED');
    expect(profileOf(t).credential_metadata['huggingface.token']).toBeDefined();
    expect(await contents(raw)).toEqual(before.store);
  });

  it('a value stored between a migration\'s plan and its apply is never overwritten: the apply is refused, nothing changed', async () => {
    const { t, vault, open, raw } = setup(backend);
    const source = threeEntrySource(t);
    const plan = await vault.planMigration(source, { includeUnknown: true });
    expect(plan.rows.find((r) => r.target === 'tmdb.api_key')?.action).toBe('import');
    const saved = 'fedcba9876543210fedcba9876543210';
    await open().setCredential('tmdb', 'api_key', saved); // the app, or another cpw-vault, in the meantime
    const before = { store: await contents(raw), profile: bytes(t) };
    const e = await rejected(vault.applyMigration(source, plan));
    expect(e.code).toBe('PROFILE_LOCKED');
    expect(e.message).toBe('tmdb.api_key changed since the plan was made (stored meanwhile by the app or another cpw-vault); nothing was changed.');
    expect(e.fix).toContain('the new plan compares each with what is stored now');
    expect(await contents(raw)).toEqual(before.store);
    expect(bytes(t)).toBe(before.profile);
    // Planned again, it is a conflict, kept.
    expect((await vault.planMigration(source, { includeUnknown: true })).rows.find((r) => r.target === 'tmdb.api_key')?.action).toBe('conflict');
    const again = await vault.applyMigration(source, await vault.planMigration(source, { includeUnknown: true }));
    expect(again.ok).toBe(true);
    expect((await contents(raw))['tmdb.api_key']).toBe(saved);
    expect((await contents(raw))['huggingface.token']).toBe(HF2);
  });

  // Two migrations of one file at once: the second's fix said "the new plan shows each as a conflict", and its new plan
  // showed them identical (the first had stored the same values).
  it('the same value stored between a plan and its apply: refused as changed, and the new plan shows it identical, as the fix says', async () => {
    const { t, vault, open } = setup(backend);
    const source = threeEntrySource(t);
    const plan = await vault.planMigration(source, { includeUnknown: true });
    await open().setCredential('tmdb', 'api_key', TMDB); // another migration of the same file, in the meantime
    const e = await rejected(vault.applyMigration(source, plan));
    expect(e.code).toBe('PROFILE_LOCKED');
    expect(e.fix).not.toMatch(/shows each as a conflict/);
    expect(e.fix).toContain('the same value: identical, nothing to write');
    expect((await vault.planMigration(source, { includeUnknown: true })).rows.find((r) => r.target === 'tmdb.api_key')?.action).toBe('identical');
  });

  it('an abort (a signal) mid-way rolls back and says CANCELLED', async () => {
    const { t, vault, raw, wrapper } = setup(backend);
    await vault.setCredential('tmdb', 'api_key', TMDB);
    const before = { store: await contents(raw), profile: bytes(t) };
    const controller = new AbortController();
    wrapper().onWrite = () => controller.abort('SIGINT');
    const e = await rejected(vault.setCredential('tmdb', 'api_key', 'fedcba9876543210fedcba9876543210', { signal: controller.signal }));
    expect(e.code).toBe('CANCELLED');
    expect(e.message).toBe('cancelled: nothing changed');
    expect(await contents(raw)).toEqual(before.store);
    expect(bytes(t)).toBe(before.profile);
  });

  // Seen with a SIGSTOPped keyring daemon: Ctrl-C while set read the value it replaces (to put it back on a failure)
  // was held until the keychain's deadline, then the command ended KEYCHAIN_TIMEOUT (exit 4), not cancelled (exit 130).
  it('an abort while the value before is read says CANCELLED at once, not the timeout that comes later; nothing changed', async () => {
    const { t, vault, raw, wrapper } = setup(backend);
    await vault.setCredential('tmdb', 'api_key', TMDB);
    const before = { store: await contents(raw), profile: bytes(t) };
    const controller = new AbortController();
    const w = wrapper() as unknown as { get: (account: string) => Promise<string | undefined> };
    // The keychain hangs; Ctrl-C comes while it does, its deadline later.
    w.get = () => {
      setTimeout(() => controller.abort('SIGINT'), 20);
      return new Promise((_resolve, reject) => setTimeout(() => reject(keychainError('KEYCHAIN_TIMEOUT', 'injected: the keychain stopped answering')), 300));
    };
    const e = await rejected(vault.setCredential('tmdb', 'api_key', 'fedcba9876543210fedcba9876543210', { signal: controller.signal }));
    delete (w as { get?: unknown }).get;
    expect(e.code).toBe('CANCELLED');
    expect(e.message).toBe('cancelled: nothing changed');
    expect(await contents(raw)).toEqual(before.store);
    expect(bytes(t)).toBe(before.profile);
    expect(existsSync(journalOf(t))).toBe(false);
  });

  it('a keychain that stops answering mid-way leaves the journal; the next start rolls it forward: value and index agree', async () => {
    const { t, vault, open, raw, wrapper } = setup(backend);
    await vault.setCredential('huggingface', 'token', HF);
    wrapper().breakAfter(2); // read the previous value, write the new one: then silence, so the read-back fails and even the rollback cannot run
    expect((await rejected(vault.setCredential('huggingface', 'token', HF2))).code).toBe('KEYCHAIN_TIMEOUT');
    expect(existsSync(journalOf(t))).toBe(true);
    expect(profileOf(t).credential_metadata['huggingface.token'].hint).toBe(`••••${HF.slice(-4)}`);
    // The transaction's process is alive (it is this one); a new vault in it still recovers it: it is not running.
    const next = open();
    await next.open();
    expect(existsSync(journalOf(t))).toBe(false);
    expect(await contents(raw)).toEqual({ 'huggingface.token': HF2 }); // the write had landed: rolled forward
    expect(profileOf(t).credential_metadata['huggingface.token'].hint).toBe(`••••${HF2.slice(-4)}`);
  });

  it('a keychain that stops answering between a failed write and its undo: the result names what may keep the change, never "every change was undone"', async () => {
    // Seen by an outside pass with a SIGSTOPped daemon: "Pull failed; every change was undone" while 1-4 of 8 values were new.
    const { t, vault, open, raw, wrapper } = setup(backend);
    await vault.setCredential('huggingface', 'token', HF);
    wrapper().failWrite(2, true); // HF2 and TMDB land, the third write fails, and then the keychain is silent
    const source = threeEntrySource(t);
    const plan = await vault.planMigration(source, { overwrite: 'all', includeUnknown: true });
    const result = await vault.applyMigration(source, plan);
    expect(result.ok).toBe(false);
    expect([...result.notUndone!].sort()).toEqual(['custom.api_key', 'huggingface.token', 'tmdb.api_key']);
    expect(Object.fromEntries(result.rows.map((r) => [r.target, r.status]))).toEqual({ 'huggingface.token': 'not_undone', 'tmdb.api_key': 'not_undone', 'custom.api_key': 'not_undone' });
    expect(undoOutcome(result)).toMatch(/^the undo did not finish .*: custom\.api_key, tmdb\.api_key, huggingface\.token may keep the new value/);
    // Once the keychain answers, the next start makes the index describe what it holds: the two values that landed.
    wrapper().resume();
    await open().open();
    expect(await contents(raw)).toEqual({ 'huggingface.token': HF2, 'tmdb.api_key': TMDB });
    expect(profileOf(t).credential_metadata['huggingface.token'].hint).toBe(`••••${HF2.slice(-4)}`);
    expect(Object.keys(profileOf(t).credential_metadata).sort()).toEqual(['huggingface.token', 'tmdb.api_key']);
  });

  it('Ctrl-C whose undo meets a silent keychain: CANCELLED that names the credential, not "cancelled: nothing changed"', async () => {
    const { e, wrapper } = await ctrlCAsKeychainStops(backend, 1); // the read-back answers; the undo does not
    expect(e.code).toBe('CANCELLED');
    expect(e.message).toBe('cancelled, but tmdb.api_key may keep the change (the undo did not finish: the credential was not put back).');
    expect(e.fix).toContain('the next cpw-vault command makes the index describe what it holds');
    expect(notUndone(e)).toEqual(['tmdb.api_key']);
    wrapper().resume();
  });

  it('Ctrl-C while a keychain call hangs: CANCELLED (exit 130), not the timeout that follows it', async () => {
    // From an outside pass: with the daemon SIGSTOPped, Ctrl-C mid-migrate ended at the deadline as KEYCHAIN_TIMEOUT, exit 1.
    const { e, wrapper } = await ctrlCAsKeychainStops(backend, 0); // the read-back times out, and so does the undo
    expect(e.code).toBe('CANCELLED');
    expect(e.message).toBe('cancelled, but tmdb.api_key may keep the change (the undo did not finish: the credential was not put back).');
    wrapper().resume();
  });

  it('a crashed writer\'s transaction (dead pid) is rolled forward at the next start: each entry describes what the store holds', async () => {
    const { t, vault, open, raw } = setup(backend);
    await vault.setCredential('huggingface', 'token', HF);
    await vault.setCredential('openai', 'api_key', `sk-${'o'.repeat(30)}`);
    const store = raw();
    const owner = { pid: deadPid(), host: hostname(), boot: bootId() };
    // What a writer killed mid-way left: one new value landed, one new credential written but not indexed, one deletion done but not committed.
    const tx: Transaction = { id: 'aaaaaaaaaaaa', owner, started_at: new Date().toISOString(), ops: [{ id: 'huggingface.token', kind: 'set' }, { id: 'custom.api_key', kind: 'set', env_var: 'MY_CUSTOM_KEY', label: 'Custom' }, { id: 'openai.api_key', kind: 'delete' }] };
    await store.set('huggingface.token', HF2);
    await store.set('custom.api_key', 'custom-value-123');
    await store.delete('openai.api_key');
    writeFileSync(journalOf(t), JSON.stringify({ transactions: [tx] }), { mode: 0o600 });
    await open().open();
    expect(await contents(raw)).toEqual({ 'huggingface.token': HF2, 'custom.api_key': 'custom-value-123' });
    const index = profileOf(t).credential_metadata;
    expect(Object.keys(index).sort()).toEqual(['custom.api_key', 'huggingface.token']);
    expect(index['huggingface.token'].hint).toBe(`••••${HF2.slice(-4)}`);
    expect(index['custom.api_key']).toMatchObject({ custom: true, env_var: 'MY_CUSTOM_KEY', label: 'Custom' });
    expect(existsSync(journalOf(t))).toBe(false);
  });

  it('a killed set rolled forward never takes an env var name another credential took meanwhile: it gets a free one', async () => {
    // Two sets asked for one name at once; the first was killed after its value was stored (its name not yet checked
    // under the lock), the second took the name. Rolled forward as asked, both carried it (the overlay-kill CI test).
    const { t, vault, open, raw } = setup(backend);
    await vault.setCredential('dupa', 'api_key', 'dupa-value-1234', { envVar: 'SHARED_NAME' });
    const owner = { pid: deadPid(), host: hostname(), boot: bootId() };
    const tx: Transaction = { id: 'cccccccccccc', owner, started_at: new Date().toISOString(), ops: [{ id: 'dupb.api_key', kind: 'set', env_var: 'SHARED_NAME' }, { id: 'dupc.api_key', kind: 'set', env_var: 'OWN_NAME' }] };
    const store = raw();
    await store.set('dupb.api_key', 'dupb-value-5678');
    await store.set('dupc.api_key', 'dupc-value-9012');
    writeFileSync(journalOf(t), JSON.stringify({ transactions: [tx] }), { mode: 0o600 });
    await open().open();
    const index = profileOf(t).credential_metadata;
    expect(index['dupa.api_key'].env_var).toBe('SHARED_NAME');
    expect(index['dupb.api_key']).toMatchObject({ custom: true, env_var: 'DUPB_API_KEY' });
    expect(index['dupc.api_key'].env_var).toBe('OWN_NAME'); // a name no one took is kept
    expect(existsSync(journalOf(t))).toBe(false);
  });

  it('recovery removes only what a transaction can have created: a planted journal cannot make it delete any other file', async () => {
    const { t, open } = setup(backend);
    const victim = join(t.root, 'notes.txt');
    const backup = join(t.root, 'secrets.json.backup-20260101T000000Z-abc123');
    const backupDir = join(t.root, 'x.json.backup-20260101T000000Z-def456');
    const linked = join(t.root, 'y.json.backup-20260101T000000Z-0a0b0c');
    writeFileSync(victim, 'keep me');
    writeFileSync(backup, '{"hf_token": "plaintext"}');
    mkdirSync(backupDir);
    symlinkSync(victim, linked);
    const owner = { pid: deadPid(), host: hostname(), boot: bootId() };
    const files = [victim, backup, backupDir, linked, 'secrets.json.backup-20260101T000000Z-abc123', `${victim}\n${backup}`, 42, null];
    writeFileSync(journalOf(t), JSON.stringify({ transactions: [{ id: 'bbbbbbbbbbbb', owner, started_at: new Date().toISOString(), ops: [], files }] }), { mode: 0o600 });
    await open().open();
    expect(existsSync(journalOf(t))).toBe(false);
    expect(readFileSync(victim, 'utf8')).toBe('keep me'); // not a backup's name; nor followed through the link
    expect(existsSync(backup)).toBe(false);
    expect(statSync(backupDir).isDirectory()).toBe(true);
    expect(existsSync(linked)).toBe(false);
  });

  it('the index lost (profile folder removed): the next start re-indexes what the store holds; doctor --repair drops stale entries', async () => {
    const { t, vault, open, raw } = setup(backend);
    await vault.setCredential('huggingface', 'token', HF);
    await vault.setCredential('tmdb', 'api_key', TMDB);
    const recorded = profileOf(t).storage;
    rmSync(dirname(t.profile), { recursive: true, force: true });
    // The profile (and the backend it recorded) is gone: only the default backend can be searched. Put the record back as a user restoring a dotfile would.
    mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
    writeFileSync(t.profile, JSON.stringify({ version: '2.0', credentials: {}, storage: recorded }), { mode: 0o600 });
    const next = open();
    await next.open();
    expect(Object.keys(profileOf(t).credential_metadata).sort()).toEqual(['huggingface.token', 'tmdb.api_key']);
    expect((await next.validateWorkflow('subtitle', { verify: true })).ready).toBe(true);
    await raw().delete('tmdb.api_key'); // removed behind the vault's back (Seahorse)
    const report = await next.repair({ dropStale: true });
    expect(report.dropped).toEqual(['tmdb.api_key']);
    expect(Object.keys(profileOf(t).credential_metadata)).toEqual(['huggingface.token']);
  });

  it('two profiles in one folder keep separate values', async () => {
    const t = makeTempHome();
    const env = { CPW_KEYCHAIN_SERVICE: t.service, DBUS_SESSION_BUS_ADDRESS: process.env['DBUS_SESSION_BUS_ADDRESS'] };
    const at = (name: string) => {
      const path = `${t.cwd}/${name}.profile`;
      writeFileSync(path, JSON.stringify({ version: '2.0', credentials: {}, storage: { backend } }), { mode: 0o600 });
      return createVault({ profilePath: path, cwd: t.cwd, homeDir: t.home, env, warn: () => {} });
    };
    const a = at('a');
    const b = at('b');
    await a.setCredential('huggingface', 'token', HF);
    expect(await b.findCredential('huggingface', 'token')).toBeUndefined();
    await b.setCredential('huggingface', 'token', HF2);
    expect((await a.getCredential('huggingface', 'token')).value).toBe(HF);
    expect(statSync(`${t.cwd}/a.profile`).mode & 0o777).toBe(0o600);
  });
});

describe('the CLI reports a Ctrl-C whose undo did not finish', () => {
  it('prints the message and, unlike a clean cancel, what sets it right; exit 130 either way', () => {
    const lines: string[] = [];
    const io = { out: () => {}, err: (s: string) => void lines.push(s), env: {}, cwd: '/', stdinIsTTY: false, stdoutIsTTY: false, color: false, readStdin: async () => '', prompts: () => Promise.reject(new Error('no prompts')) };
    const clean = new VaultError('CANCELLED', 'cancelled: nothing changed', 'Run the command again when you are ready.', { cause: 'SIGINT' });
    expect(reportError(io, clean, false)).toBe(130);
    expect(lines.splice(0)).toEqual(['cancelled: nothing changed\n']);
    const cut = markNotUndone(new VaultError('CANCELLED', 'cancelled, but tmdb.api_key may keep the change.', 'Once the keychain answers, the next cpw-vault command makes the index describe what it holds.', { cause: 'SIGINT' }), ['tmdb.api_key']);
    expect(reportError(io, cut, false)).toBe(130);
    expect(lines).toEqual(['cancelled, but tmdb.api_key may keep the change.\n', 'fix: Once the keychain answers, the next cpw-vault command makes the index describe what it holds.\n']);
  });
});
