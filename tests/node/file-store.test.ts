import { chownSync, existsSync, readFileSync, readdirSync, statSync, symlinkSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets } from '../../shared/core/redact';
import { createFileSecretStore } from '../../shared/node/secrets/file-store';
import { changePassphrase, createFileVault, openIdentity } from '../../shared/node/secrets/vault-admin';
import { openWithIdentity, stanzaType } from '../../shared/node/secrets/vault-crypto';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import { createVault } from '../../shared/node/open';
import { rejected } from '../helpers/errors';
import { fileCli, makeFileVaultHome, vaultBytes, type FileVaultHome } from '../helpers/file-vault';
import { makeTempHome } from '../helpers/temp';

// Not an interop test: a low scrypt work factor keeps these fast (the CLI and age tests use age's 18).
const LOG_N = 10;
const HF = `hf_${'FiLe'.repeat(9)}`;
const TMDB = 'fedcba9876543210fedcba9876543210';

afterEach(() => clearRegisteredSecrets());

/** A store that unlocks in-process with the right passphrase, counting how often it was asked. */
function storeFor(h: FileVaultHome, passphrase = h.passphrase) {
  const asked = { count: 0 };
  const store = createFileSecretStore({
    profilePath: h.profile,
    env: { XDG_RUNTIME_DIR: h.runtime },
    wrongPassphraseDelayMs: 0,
    askPassphrase: async (open) => (asked.count++, open(passphrase)),
  });
  return { store, asked };
}

describe('the age vault file store', () => {
  it('stores, reads, lists and deletes values; asks the passphrase once; the file is 0600 and holds no plaintext', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const { store, asked } = storeFor(h);
    await store.set('huggingface.token', HF);
    await store.set('tmdb.api_key', TMDB);
    expect(await store.get('huggingface.token')).toBe(HF);
    expect(await store.get('nothing.here')).toBeUndefined();
    expect(await store.list()).toEqual(['huggingface.token', 'tmdb.api_key']);
    expect(await store.delete('tmdb.api_key')).toBe(true);
    expect(await store.get('tmdb.api_key')).toBeUndefined();
    expect(asked.count).toBe(1);
    for (const f of [h.files.vault, h.files.identity]) {
      expect(statSync(f).mode & 0o777).toBe(0o600);
      expect(readFileSync(f).includes(HF)).toBe(false);
    }
    expect(stanzaType(readFileSync(h.files.vault))).toBe('X25519');
    expect(stanzaType(readFileSync(h.files.identity))).toBe('scrypt');
    // The decrypted document is the documented shape.
    const { key } = await openIdentity(h.files, h.passphrase);
    expect(JSON.parse(await openWithIdentity(readFileSync(h.files.vault), key.identity, 'vault'))).toEqual({ version: 1, entries: { 'huggingface.token': HF } });
    expect(readdirSync(dirname(h.profile)).filter((n) => n.includes('.tmp-'))).toEqual([]);
    await store.close();
  });

  it('counts its values only with a key at hand: locked, count is VAULT_LOCKED and never asks the passphrase (a start must not prompt)', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const { store, asked } = storeFor(h);
    expect(await rejected(store.count())).toMatchObject({ code: 'VAULT_LOCKED' });
    expect(asked.count).toBe(0);
    await store.set('huggingface.token', HF);
    await store.set('tmdb.api_key', TMDB);
    expect(await store.count()).toBe(2);
    expect(asked.count).toBe(1);
    await store.close();
  });

  it('a delete of an absent value writes nothing', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const { store } = storeFor(h);
    await store.set('huggingface.token', HF);
    const before = { bytes: vaultBytes(h), mtime: statSync(h.files.vault).mtimeMs };
    expect(await store.delete('tmdb.api_key')).toBe(false);
    expect({ bytes: vaultBytes(h), mtime: statSync(h.files.vault).mtimeMs }).toEqual(before);
  });

  it('without an agent and without a way to ask: VAULT_LOCKED with the fix `cpw-vault unlock`, for reads and writes', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const store = createFileSecretStore({ profilePath: h.profile, env: { XDG_RUNTIME_DIR: h.runtime } });
    const before = vaultBytes(h);
    for (const op of [() => store.get('huggingface.token'), () => store.set('huggingface.token', HF), () => store.delete('huggingface.token'), () => store.list()]) {
      const err = await rejected(op());
      expect(err.code).toBe('VAULT_LOCKED');
      expect(err.fix).toContain('cpw-vault unlock');
    }
    expect(vaultBytes(h)).toEqual(before);
    expect(await store.status()).toMatchObject({ ok: false, code: 'VAULT_LOCKED' });
  });

  it('status never asks the passphrase, and says locked once the agent has stopped (not the agent it saw before)', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const asked = { count: 0 };
    const store = createFileSecretStore({ profilePath: h.profile, env: { XDG_RUNTIME_DIR: h.runtime }, askPassphrase: async (open) => (asked.count++, open(h.passphrase)) });
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    try {
      expect(await store.status()).toMatchObject({ ok: true, backend: expect.stringContaining('unlocked by agent pid') });
    } finally {
      expect((await fileCli(h, ['lock'])).code).toBe(0);
    }
    expect(await store.status()).toMatchObject({ ok: false, code: 'VAULT_LOCKED' });
    expect(asked.count).toBe(0);
  });

  it('a wrong passphrase: VAULT_PASSPHRASE_WRONG after a pause, not asked twice, nothing changed, the passphrase in no message', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const wrong = 'not the passphrase at all';
    const asked = { count: 0 };
    const store = createFileSecretStore({ profilePath: h.profile, env: { XDG_RUNTIME_DIR: h.runtime }, wrongPassphraseDelayMs: 300, askPassphrase: async (open) => (asked.count++, open(wrong)) });
    const before = vaultBytes(h);
    const started = Date.now();
    const err = await rejected(store.set('huggingface.token', HF));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(err.code).toBe('VAULT_PASSPHRASE_WRONG');
    expect(`${err.message} ${err.fix}`).not.toContain(wrong);
    expect((await rejected(store.get('huggingface.token'))).code).toBe('VAULT_LOCKED');
    expect(asked.count).toBe(1);
    expect(vaultBytes(h)).toEqual(before);
  });

  it('a tampered or truncated vault file: VAULT_CORRUPT, and a write never replaces it', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const { store } = storeFor(h);
    await store.set('huggingface.token', HF);
    const good = readFileSync(h.files.vault);
    const cases: Array<[string, Buffer]> = [
      ['flipped payload byte', Buffer.from(good.map((b, i) => (i === good.length - 5 ? b ^ 1 : b)))],
      ['flipped header byte', Buffer.from(good.map((b, i) => (i === 30 ? b ^ 1 : b)))],
      ['truncated', good.subarray(0, Math.floor(good.length / 2))],
      ['empty', Buffer.alloc(0)],
      ['plaintext in its place', Buffer.from('{"version":1,"entries":{"huggingface.token":"hf_planted"}}')],
    ];
    for (const [what, bytes] of cases) {
      writeFileSync(h.files.vault, bytes, { mode: 0o600 });
      const get = await rejected(store.get('huggingface.token'));
      expect(get.code, what).toBe('VAULT_CORRUPT');
      expect(get.message).toContain(h.files.vault);
      expect(get.message).not.toContain('hf_planted');
      expect((await rejected(store.set('tmdb.api_key', TMDB))).code, what).toBe('VAULT_CORRUPT');
      expect(readFileSync(h.files.vault).equals(bytes), what).toBe(true);
    }
    writeFileSync(h.files.vault, good, { mode: 0o600 });
    expect(await store.get('huggingface.token')).toBe(HF);
  });

  it('a tampered or truncated identity file: a clear error, nothing changed; a plaintext file in its place is never quoted', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const good = readFileSync(h.files.identity);
    const cases: Array<[string, Buffer, string]> = [
      ['truncated', good.subarray(0, 40), 'VAULT_CORRUPT'],
      ['payload altered', Buffer.from(good.map((b, i) => (i === good.length - 3 ? b ^ 1 : b))), 'VAULT_CORRUPT'],
      ['plaintext', Buffer.from('AGE-SECRET-KEY-1PLANTEDPLAINTEXTIDENTITY\n'), 'VAULT_CORRUPT'],
      ['the vault file in its place', readFileSync(h.files.vault), 'VAULT_CORRUPT'],
    ];
    for (const [what, bytes, code] of cases) {
      writeFileSync(h.files.identity, bytes, { mode: 0o600 });
      const err = await rejected(openIdentity(h.files, h.passphrase, { wrongDelayMs: 0 }));
      expect(err.code, what).toBe(code);
      expect(err.message, what).not.toContain('PLANTED');
      expect(readFileSync(h.files.identity).equals(bytes), what).toBe(true);
    }
  });

  it('missing files and a symlinked vault are refused with clear errors', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const { store } = storeFor(h);
    renameSync(h.files.vault, `${h.files.vault}.moved`);
    expect((await rejected(store.get('huggingface.token'))).message).toMatch(/user\.profile\.vault\.age is missing, while .*identity\.age is there/);
    symlinkSync(`${h.files.vault}.moved`, h.files.vault);
    expect((await rejected(store.get('huggingface.token'))).code).toBe('PROFILE_SYMLINK');
    const fresh = makeTempHome();
    const none = createFileSecretStore({ profilePath: fresh.profile, env: {} });
    const err = await rejected(none.get('huggingface.token'));
    expect(err).toMatchObject({ code: 'VAULT_NOT_FOUND', fix: expect.stringContaining('backend use file') });
    expect(await none.status()).toMatchObject({ ok: false, code: 'VAULT_NOT_FOUND' });
  });

  it('a new vault can be filled at once with the key createFileVault returns: no agent, no question, no second scrypt', async () => {
    const t = makeTempHome();
    const files = vaultFilesFor(t.profile);
    const { key } = await createFileVault(files, 'the passphrase of a new vault', { logN: LOG_N });
    const store = createFileSecretStore({ profilePath: t.profile, env: {}, key });
    await store.set('huggingface.token', HF);
    expect(await store.get('huggingface.token')).toBe(HF);
    expect((await openIdentity(files, 'the passphrase of a new vault')).key).toEqual(key);
    expect(await store.status()).toMatchObject({ ok: true, backend: expect.stringContaining('unlocked in this process') });
  });

  it('creating a vault never replaces one, and refuses a short passphrase', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const before = vaultBytes(h);
    expect((await rejected(createFileVault(h.files, 'another long passphrase', { logN: LOG_N }))).code).toBe('IO_ERROR');
    expect(vaultBytes(h)).toEqual(before);
    const t = makeTempHome();
    expect((await rejected(createFileVault(vaultFilesFor(t.profile), 'short', { logN: LOG_N }))).code).toBe('INVALID_ARGUMENT');
    expect(existsSync(`${t.profile}.identity.age`)).toBe(false);
  });

  it('writes run under the profile lock: the Vault sets through it while holding that lock, and parallel writers lose nothing', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const vault = createVault({ homeDir: h.home, cwd: h.cwd, env: { XDG_RUNTIME_DIR: h.runtime }, caller: 'cli', warn: () => {}, askPassphrase: async (open) => open(h.passphrase), lockWaitMs: 3000 });
    const started = Date.now();
    await vault.setCredential('huggingface', 'token', HF);
    expect(Date.now() - started).toBeLessThan(2500); // re-entered the lock instead of waiting for itself
    expect((await vault.getCredential('huggingface', 'token')).value).toBe(HF);
    const a = storeFor(h).store;
    const b = storeFor(h).store;
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).set(`custom.k${i}`, `value-${i}-${'x'.repeat(20)}`)));
    expect((await a.list()).filter((k) => k.startsWith('custom.'))).toHaveLength(12);
    expect(existsSync(`${h.profile}.lock`)).toBe(false);
  });

  it('temp files of a killed writer are removed by the next write; a file of the user\'s (vault.age.2) or of another user is not', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const orphan = `${h.files.vault}.tmp-${'ab'.repeat(12)}`;
    writeFileSync(orphan, 'ciphertext of a killed writer', { mode: 0o600 });
    // The profile's older temp names (write-file-atomic's `<file>.<digits>`) are no temp names beside a vault file.
    const numbered = `${h.files.vault}.2`;
    writeFileSync(numbered, 'a copy the user keeps', { mode: 0o600 });
    const foreign = `${h.files.vault}.tmp-${'cd'.repeat(12)}`;
    writeFileSync(foreign, 'not ours', { mode: 0o600 });
    if (process.getuid?.() === 0) chownSync(foreign, 65534, 65534);
    const { store } = storeFor(h);
    await store.set('huggingface.token', HF);
    expect([existsSync(orphan), existsSync(numbered), existsSync(foreign)]).toEqual([false, true, process.getuid?.() === 0]);
  });

  it('passphrase change: the new one opens, the old one no longer does, the key and the vault stay the same', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const { store } = storeFor(h);
    await store.set('huggingface.token', HF);
    const vaultBefore = readFileSync(h.files.vault);
    const opened = await openIdentity(h.files, h.passphrase);
    expect((await rejected(changePassphrase(h.files, opened, 'short', { logN: LOG_N }))).code).toBe('INVALID_ARGUMENT');
    expect((await rejected(changePassphrase(h.files, opened, h.passphrase, { logN: LOG_N }))).message).toMatch(/same as the current/);
    await changePassphrase(h.files, opened, 'a brand new passphrase', { logN: LOG_N });
    expect((await rejected(openIdentity(h.files, h.passphrase, { wrongDelayMs: 0 }))).code).toBe('VAULT_PASSPHRASE_WRONG');
    expect((await openIdentity(h.files, 'a brand new passphrase')).key).toEqual(opened.key);
    expect(readFileSync(h.files.vault).equals(vaultBefore)).toBe(true);
    // An identity opened before another change is refused, and nothing is written.
    const identityNow = readFileSync(h.files.identity);
    expect((await rejected(changePassphrase(h.files, opened, 'yet another passphrase', { logN: LOG_N }))).message).toMatch(/changed while/);
    expect(readFileSync(h.files.identity).equals(identityNow)).toBe(true);
  });
});

describe('the export file', () => {
  it('round-trips every credential and its metadata, refuses to replace a file, and reads back only with its passphrase', async () => {
    const { writeExportFile, readExportFile } = await import('../../shared/node/secrets/export-file');
    const { buildExport } = await import('../../shared/core/vault-export');
    const t = makeTempHome();
    const path = join(t.root, 'out.age');
    const doc = buildExport([{ id: 'huggingface.token', value: HF, meta: { created_at: '2026-01-01T00:00:00.000Z', hint: '••••FiLe' } }], new Date('2026-02-02T00:00:00Z'));
    await writeExportFile(path, doc, 'export passphrase 1', { logN: LOG_N });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path).includes(HF)).toBe(false);
    expect(await readExportFile(path, 'export passphrase 1')).toEqual(doc);
    const wrong = await rejected(readExportFile(path, 'export passphrase 2', { wrongDelayMs: 0 }));
    expect(wrong.code).toBe('VAULT_PASSPHRASE_WRONG');
    expect(wrong.fix).toContain('If it is lost, this export cannot be opened: make a new one');
    expect((await rejected(writeExportFile(path, doc, 'export passphrase 1', { logN: LOG_N }))).code).toBe('IO_ERROR');
    // A link or a file at the name is refused before the document is even serialized (it waited for the seconds of scrypt).
    const link = join(t.root, 'planted.age');
    symlinkSync(join(t.root, 'elsewhere'), link);
    let serialized = 0;
    const watched = { ...doc, toJSON: () => (serialized++, doc) } as unknown as typeof doc;
    expect((await rejected(writeExportFile(link, watched, 'export passphrase 1'))).code).toBe('PROFILE_SYMLINK');
    expect((await rejected(writeExportFile(path, watched, 'export passphrase 1'))).code).toBe('IO_ERROR');
    expect(serialized).toBe(0);
    expect(existsSync(join(t.root, 'elsewhere'))).toBe(false);
  });
});

describe('new passphrases', () => {
  it('half of a UTF-16 pair (the app or the library can send one) is refused as not UTF-8 text, as Latin-1 bytes are', async () => {
    const { checkNewPassphrase } = await import('../../shared/node/secrets/vault-admin');
    expect(() => checkNewPassphrase('\uD800correct horse battery')).toThrow(/not UTF-8 text/);
    expect(() => checkNewPassphrase('correct horse battery \uD83C\uDFAC')).not.toThrow(); // a whole emoji is text
  });

  it('a byte order mark (a passphrase file saved by Notepad) is refused: typed again, the passphrase would never match', async () => {
    const { checkNewPassphrase } = await import('../../shared/node/secrets/vault-admin');
    expect(() => checkNewPassphrase('\uFEFFa brand new export pass')).toThrow(/byte order mark/);
    expect(() => checkNewPassphrase('a brand new \uFEFFexport pass')).toThrow(/byte order mark/);
    expect(() => checkNewPassphrase('a brand new export pass')).not.toThrow();
  });
});
