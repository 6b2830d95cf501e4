// A profile text the vault wrote (validated) is not validated again by the next
// process; any other text is, in full. Correctness first: the shortcut must be
// invisible except in time.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { version } from '../../package.json';
import { parseProfile } from '../../shared/core/profile-parse';
import { createVault } from '../../shared/node/open';
import { stampOf, writeSecureFile } from '../../shared/node/profile/secure-fs';
import { ValidatedText } from '../../shared/node/profile/validated-text';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { cli } from '../helpers/cli';
import { rejected } from '../helpers/errors';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'Valid8'.repeat(6)}`;

/** A vault that remembers every validated text (the record is kept from 64 KiB on: these profiles are small). */
function open(t: ReturnType<typeof makeTempHome>, secrets = new MemorySecretStore()) {
  return createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets, caller: 'cli', warn: () => {}, digestFromBytes: 0 });
}

describe('the validated-text record', () => {
  it('what the vault writes is a fixed point of the schema (skipping the pass changes nothing)', async () => {
    const t = makeTempHome();
    const vault = open(t);
    await vault.setCredential('huggingface', 'token', HF);
    await vault.setCredential('acme', 'api_key', 'acme-secret-value-0001', { envVar: 'ACME_API_KEY', label: 'Acme' });
    await vault.updateProfile({ user: { name: '  Ada  ', email: 'ada@example.com', timezone: 'Europe/Paris' }, preferences: { notifications: { run_failed: false } } });
    const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
    expect(parseProfile(doc)).toEqual(doc);
    expect(readFileSync(join(dirname(t.profile), 'profile.checked'), 'utf8')).toMatch(/"sha256":"[0-9a-f]{64}"/);
  });

  it('a hand edit is validated in full by the next process: a bad field is reported, not trusted', async () => {
    const t = makeTempHome();
    await open(t).setCredential('huggingface', 'token', HF);
    const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
    doc.credential_metadata['huggingface.token'].storage = 'floppy-disk';
    writeFileSync(t.profile, JSON.stringify(doc, null, 2));
    const e = await rejected(Promise.resolve().then(() => open(t).getProfile()));
    expect(e.code).toBe('PROFILE_INVALID');
    expect(e.message).toContain('credential_metadata.huggingface.token.storage');
  });

  it('a damaged, foreign-revision or planted record only means "validate": never an error, never trust', async () => {
    const t = makeTempHome();
    await open(t).setCredential('huggingface', 'token', HF);
    const record = join(dirname(t.profile), 'profile.checked');
    const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
    doc.user.email = 'not-an-email';
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    writeFileSync(t.profile, text);
    // A record claiming the bad text is valid, but from another schema revision: not trusted.
    const { createHash } = await import('node:crypto');
    writeFileSync(record, JSON.stringify({ revision: -1, sha256: createHash('sha256').update(text).digest('hex') }), { mode: 0o600 });
    expect((await rejected(Promise.resolve().then(() => open(t).getProfile()))).code).toBe('PROFILE_INVALID');
    writeFileSync(record, '{"revision":', { mode: 0o600 });
    expect((await rejected(Promise.resolve().then(() => open(t).getProfile()))).code).toBe('PROFILE_INVALID');
  });

  it("another cpw-vault's record is not trusted, whatever its revision: its text is validated (never read unchecked)", async () => {
    // The revision is bumped by hand, and schema changes went by without it: a record another build wrote (a text it
    // took, missing a field this one fills in) read unchecked failed later with INTERNAL errors.
    const t = makeTempHome();
    const vault = createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets: new MemorySecretStore(), caller: 'cli', warn: () => {} });
    await vault.setCredential('huggingface', 'token', HF);
    const record = join(dirname(t.profile), 'profile.checked');
    const written = JSON.parse(readFileSync(record, 'utf8'));
    expect(written.build).toBe(version);
    const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
    delete doc.credential_metadata['huggingface.token'].storage;
    doc.user.email = 'not-an-email';
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    writeFileSync(t.profile, text);
    const fresh = () => createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets: new MemorySecretStore(), caller: 'cli', warn: () => {} }).getProfile();
    for (const build of ['0.0.1', undefined]) {
      writeFileSync(record, JSON.stringify({ ...written, build, text }), { mode: 0o600 });
      expect((await rejected(Promise.resolve().then(fresh))).code, String(build)).toBe('PROFILE_INVALID');
    }
  });

  it('a change to one credential among many validates that entry, and a bad one is still refused', async () => {
    const t = makeTempHome();
    const vault = open(t);
    for (let i = 0; i < 5; i++) await vault.setCredential(`svc${i}`, 'api_key', `value-${i}-${'x'.repeat(24)}`, { envVar: `SVC${i}_API_KEY` });
    const e = await rejected(vault.setCredential('svc9', 'api_key', `value-9-${'x'.repeat(24)}`, { label: 'l'.repeat(81) }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(open(t).listCredentials().filter((c) => c.stored)).toHaveLength(5);
  });

  it('the record names the content, never the file\'s stamp: a same-size edit with its mtime put back is validated and refused', async () => {
    const t = makeTempHome();
    await open(t).setCredential('huggingface', 'token', HF);
    const record = JSON.parse(readFileSync(join(dirname(t.profile), 'profile.checked'), 'utf8'));
    expect(Object.keys(record).sort()).toEqual(['build', 'revision', 'sha256']);
    // Unit: the digest alone decides.
    const dir = join(t.root, 'unit');
    const v = new ValidatedText(join(dir, 'record'), false, writeSecureFile, 0);
    mkdirSync(dir);
    await v.remember(Buffer.from('validated text ••••'));
    expect(v.matches('validated text ••••')).toBe(true);
    expect(new ValidatedText(join(dir, 'record'), false, writeSecureFile, 0).matches('validated text ••••')).toBe(true);
    expect(v.matches('other text')).toBe(false);
    // End to end: a bad field of the same length, the mtime put back: the ctime moved, so it is validated and refused.
    const text = readFileSync(t.profile, 'utf8');
    const before = statSync(t.profile, { bigint: true });
    const reference = join(t.root, 'reference');
    writeFileSync(reference, '');
    execFileSync('touch', ['-r', t.profile, reference]); // nanosecond timestamps, as an editor's "keep mtime" would
    const edited = text.replace('"storage": "keychain"', '"storage": "keychainX"').replace('"hint"', '"hin"');
    expect(edited.length).toBe(text.length);
    writeFileSync(t.profile, edited);
    execFileSync('touch', ['-r', reference, t.profile]);
    const after = statSync(t.profile, { bigint: true });
    expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);
    const e = await rejected(Promise.resolve().then(() => open(t).getProfile()));
    expect(e.code).toBe('PROFILE_INVALID');
  });
  it('a text over the digest size in UTF-8 bytes but not in UTF-16 units (labels in CJK) is known again by its digest', async () => {
    // remember() sizes the written bytes, matches() sized the string: a profile of many multi-byte characters just
    // past 64 KiB was recorded by its digest and never known again, so every read made and ran the schemas.
    const t = makeTempHome();
    const dir = join(t.root, 'unit');
    mkdirSync(dir);
    const text = `{"label": "${'認証キー'.repeat(8)}"}`;
    const fromBytes = 64;
    expect(text.length).toBeLessThan(fromBytes);
    expect(Buffer.byteLength(text)).toBeGreaterThanOrEqual(fromBytes);
    await new ValidatedText(join(dir, 'record'), false, writeSecureFile, fromBytes).remember(Buffer.from(text));
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'record'), 'utf8'))).sort()).toEqual(['build', 'revision', 'sha256']);
    expect(new ValidatedText(join(dir, 'record'), false, writeSecureFile, fromBytes).matches(text)).toBe(true);
    expect(new ValidatedText(join(dir, 'record'), false, writeSecureFile, fromBytes).matches(text.replace('認', '忍'))).toBe(false);
  });

  it('a file renamed over the profile by another program just after the vault\'s write is not named by the record: it is validated, refused', async () => {
    const t = makeTempHome();
    await open(t).setCredential('huggingface', 'token', HF);
    const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
    doc.credential_metadata['huggingface.token'].storage = 'floppy-disk';
    const foreign = join(dirname(t.profile), 'edited-elsewhere');
    // Another program (an editor, a sync tool) renames its own file over the profile right after the vault's rename,
    // before the vault names the written file's stamp in its records (the vault's lock does not hold others back).
    let raced = false;
    const vault = createVault({
      homeDir: t.home, cwd: t.cwd, env: {}, secrets: new MemorySecretStore(), caller: 'cli', warn: () => {}, digestFromBytes: 0,
      writeFile: async (path, text, dedicated) => {
        const written = await writeSecureFile(path, text, dedicated);
        if (path === t.profile && !raced) {
          raced = true;
          writeFileSync(foreign, JSON.stringify(doc, null, 2), { mode: 0o600 });
          renameSync(foreign, t.profile);
        }
        return written;
      },
    });
    await vault.setCredential('tmdb', 'api_key', '0123456789abcdef0123456789abcdef');
    expect(raced).toBe(true);
    // Not by the lookup copy (`get` would answer from the vault's text for the other file).
    const lookupHead = readFileSync(join(dirname(t.profile), 'profile.index'), 'utf8').split('\n', 1)[0]!;
    expect(lookupHead.split(' ')[1]).not.toBe(String(stampOf(t.profile)!.ino));
    const e = await rejected(Promise.resolve().then(() => open(t).getProfile()));
    expect(e.code).toBe('PROFILE_INVALID');
    expect(e.message).toContain('credential_metadata.huggingface.token.storage');
  });

  it('a small profile is recorded by its text, never digested: read back without making the schemas, a hand edit validated in full', async () => {
    const t = makeTempHome();
    const vault = createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets: new MemorySecretStore(), caller: 'cli', warn: () => {} });
    await vault.setCredential('huggingface', 'token', HF);
    const record = JSON.parse(readFileSync(join(dirname(t.profile), 'profile.checked'), 'utf8'));
    expect(record).toEqual({ revision: expect.any(Number), build: version, text: readFileSync(t.profile, 'utf8') });
    // Another process reads it back: the same profile, and no schema made (~3.5 ms of a plain doctor's start).
    vi.resetModules();
    const fresh = await import('../../shared/node/open');
    const schema = await import('../../shared/core/profile-schema');
    const read = fresh.createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets: new MemorySecretStore(), caller: 'cli', warn: () => {} }).getProfile();
    expect(read.profile).toEqual(JSON.parse(readFileSync(t.profile, 'utf8')));
    expect(schema.schemasMade()).toBe(false);
    // Still validated: a hand edit is refused.
    const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
    doc.user.email = 'not-an-email';
    writeFileSync(t.profile, JSON.stringify(doc, null, 2));
    // (The fresh modules' VaultError is another class than this file's: its code is looked at.)
    expect(() => fresh.createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets: new MemorySecretStore(), caller: 'cli', warn: () => {} }).getProfile()).toThrow(expect.objectContaining({ code: 'PROFILE_INVALID' }));
    expect(schema.schemasMade()).toBe(true);
    // The real CLI: a plain doctor loads node:crypto for nothing (~3.7 ms of it).
    const u = makeTempHome();
    expect((await cli(u, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const loaded = join(u.root, 'modules');
    const preload = join(u.root, 'modules.cjs');
    writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, process.moduleLoadList.join('\\n')));`);
    const doctor = await cli(u, ['doctor'], { env: { NODE_OPTIONS: `--require=${preload}` } });
    expect(doctor.stdout + doctor.stderr).toContain('✓ profile');
    expect(readFileSync(loaded, 'utf8').split('\n')).not.toContain('NativeModule crypto');
  }, 30_000);
});
