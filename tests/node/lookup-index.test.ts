// The lookup copy of the credential index (shared/node/profile/lookup-index.ts):
// a read finds one credential in it without parsing the profile, and only
// while the copy was made from the profile exactly as it is; anything else
// (an edit, a stale, damaged or missing copy) reads the profile, with the
// same answers.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { customEnvVars } from '../../shared/core/env-var-names';
import { indexedMeta } from '../../shared/core/profile-index';
import { createVault } from '../../shared/node/open';
import { openReader } from '../../shared/node/open-read';
import { lookupIndexText, parseLookupIndex } from '../../shared/node/profile/lookup-index';
import { stampOf } from '../../shared/node/profile/secure-fs';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { makeTempHome } from '../helpers/temp';

const STAMP = { ino: 42, size: 1234, mtimeMs: 1796164534197.3745, ctimeMs: 1796164534198.5 };
const meta = (i: number, extra: object = {}) => ({ created_at: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`, updated_at: '2026-01-02T00:00:00Z', hint: `••••${String(i).padStart(4, '0')}`, storage: i % 3 ? 'keychain' : 'profile', ...extra });

function docWith(n: number): Record<string, unknown> {
  const credential_metadata: Record<string, unknown> = {};
  // Inserted in an order that is not the sorted one, with ids that sort around each other (a.b, a.b-c, a.bc, ...).
  for (let i = n - 1; i >= 0; i--) credential_metadata[`svc${i}.api_key`] = meta(i, { custom: true, env_var: `SVC${i}_API_KEY`, label: `Ünïcode ${i}` });
  return { version: '2.0', credentials: {}, credential_metadata, preferences: { ai_provider: 'anthropic' }, storage: { backend: 'keychain', namespace: '' } };
}

describe('the lookup text', () => {
  it.each([0, 1, 2, 3, 1_000])('with %i credentials: every one is found by binary search, absent ids are not', (n) => {
    const doc = docWith(n);
    const text = lookupIndexText(doc, STAMP);
    // The keys (what the binary search compares) are printable ASCII; the values keep their UTF-8.
    expect(text.split('\n').slice(3, -1).every((l) => /^"[\x20-\x7e]*"\t/.test(l))).toBe(true);
    const index = parseLookupIndex(Buffer.from(text), STAMP)!;
    const metadata = doc['credential_metadata'] as Record<string, unknown>;
    for (const id of Object.keys(metadata)) expect(index.meta(id), id).toEqual(indexedMeta(metadata[id]));
    for (const id of ['a.a', 'svc.api_key', 'svc1.api_kex', 'svc10.api_key0', 'zzz.zzz', 'svc-1.api_key', '__proto__']) expect(index.meta(id), id).toBeUndefined();
    expect(index.keychainCount).toBe(Object.values(metadata).filter((m) => (m as { storage: string }).storage === 'keychain').length);
    expect(index.head).toEqual({ ...doc, credential_metadata: {} });
    // Who carries each env var name, as customEnvVars says.
    for (const [name, id] of customEnvVars(doc as never)) expect(index.envVarOwner(name), name).toBe(id);
    for (const name of ['HF_TOKEN', 'SVC_API_KEY', '__proto__', 'toString', '']) expect(index.envVarOwner(name), name).toBeUndefined();
  });

  it('ids a hand-edited profile may hold (non-ASCII, quotes, tabs) keep the search exact', () => {
    const ids = ['a.b', 'zé.key', 'q"uote.k', 'tab\there.k', 'ü.x', 'Ω.y', 'a.c', '😀.z', 'b\\s.k'];
    const doc = { version: '2.0', credentials: {}, credential_metadata: Object.fromEntries(ids.map((id, i) => [id, meta(i)])) };
    const index = parseLookupIndex(Buffer.from(lookupIndexText(doc, STAMP)), STAMP)!;
    ids.forEach((id, i) => expect(index.meta(id), id).toEqual(meta(i)));
  });

  it('an id named __proto__ is an ordinary entry, and touches no prototype', () => {
    const doc = { version: '2.0', credentials: {}, credential_metadata: JSON.parse(`{"__proto__": ${JSON.stringify(meta(1))}, "a.b": ${JSON.stringify(meta(2))}}`) };
    const index = parseLookupIndex(Buffer.from(lookupIndexText(doc, STAMP)), STAMP)!;
    expect(index.meta('__proto__')).toEqual(meta(1));
    expect(index.meta('a.b')).toEqual(meta(2));
    expect(({} as Record<string, unknown>)['hint']).toBeUndefined();
  });

  it('is refused when it was made from another file (each stamp field), or is not one at all', () => {
    const text = lookupIndexText(docWith(3), STAMP);
    for (const other of [{ ino: 43 }, { size: 1235 }, { mtimeMs: STAMP.mtimeMs + 0.001 }, { ctimeMs: STAMP.ctimeMs + 1 }]) {
      expect(parseLookupIndex(Buffer.from(text), { ...STAMP, ...other })).toBeUndefined();
    }
    for (const bad of ['', '\n', 'cpw-vault profile index 3 42 1234 1 1 0\n{}\n{}\n', 'cpw-vault profile index 1 42 1234 1 1 0\n{}\n', text.replace('"version"', '"version'), text.split('\n')[0]!]) {
      expect(parseLookupIndex(Buffer.from(bad), STAMP), JSON.stringify(bad.slice(0, 40))).toBeUndefined();
    }
  });

  it('a damaged line throws (the reader then parses the profile), never answers "absent"', () => {
    const text = lookupIndexText(docWith(5), STAMP).replace('"svc2.api_key"\t{', '"svc2.api_key"\t{{');
    const index = parseLookupIndex(Buffer.from(text), STAMP)!;
    expect(() => index.meta('svc2.api_key')).toThrow();
    const cut = parseLookupIndex(Buffer.from(lookupIndexText(docWith(5), STAMP).slice(0, -10)), STAMP)!;
    expect(() => cut.meta('svc4.api_key')).toThrow(); // the last line, cut short
  });
});

describe('reads through the lookup copy', () => {
  function setup() {
    const t = makeTempHome();
    const secrets = new MemorySecretStore();
    const vault = createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets, caller: 'cli', warn: () => {} });
    const reader = () => openReader({ homeDir: t.home, cwd: t.cwd, env: {}, secrets, caller: 'cli', warn: () => {} }).reader;
    const copy = join(t.home, '.cp-whisperx', 'profile.index');
    return { t, secrets, vault, reader, copy };
  }

  it('each profile write leaves a private copy naming its stamp; reads answer from it', async () => {
    const { t, vault, reader, copy } = setup();
    await vault.setCredential('custom', 'api_key', 'custom-value-1234', { envVar: 'MY_CUSTOM_KEY' });
    expect(readFileSync(copy, 'latin1').split(' ').slice(4, 6).map(Number)).toEqual([statSync(t.profile).ino, statSync(t.profile).size]);
    expect(statSync(copy).mode & 0o777).toBe(0o600);
    const r = reader();
    expect(r.envVarsFor('custom.api_key')).toEqual(['MY_CUSTOM_KEY']);
    expect((await r.getCredential('custom', 'api_key')).value).toBe('custom-value-1234');
    // (That `get` opens the copy and not the profile is checked on the real command, under strace: tests/cli/hot-paths.test.ts.)
  });

  it('a hand edit of the profile (same size, mtime put back) is seen: the copy is stale and the profile is read', async () => {
    const { t, vault, reader } = setup();
    await vault.setCredential('custom', 'api_key', 'custom-value-1234', { envVar: 'MY_CUSTOM_KEY' });
    const before = statSync(t.profile);
    const ref = `${t.profile}.times`;
    execFileSync('cp', ['--preserve=timestamps', t.profile, ref]);
    writeFileSync(t.profile, readFileSync(t.profile, 'utf8').replace('MY_CUSTOM_KEY', 'MY_CUSTOM_KEZ'));
    execFileSync('touch', ['-r', ref, t.profile]); // the mtime put back to the nanosecond
    expect(statSync(t.profile).size).toBe(before.size);
    expect(statSync(t.profile).mtimeMs).toBe(before.mtimeMs);
    expect(statSync(t.profile).ino).toBe(before.ino);
    expect(reader().envVarsFor('custom.api_key')).toEqual(['MY_CUSTOM_KEZ']);
  });

  it('a missing, damaged, stale or truncated copy gives the same answers (and list order) as the profile', async () => {
    const { vault, reader, copy } = setup();
    for (let i = 0; i < 50; i++) await vault.setCredential(`svc${i}`, 'api_key', `value-${i}-abcdefgh`, { envVar: `SVC${i}_KEY` });
    // The read first: it marks svc17 used, which the list then shows.
    const value = (await reader().getCredential('svc17', 'api_key')).value;
    const expected = { value, list: reader().listCredentials(), env: reader().envVarsFor('svc17.api_key') };
    expect(expected.env).toEqual(['SVC17_KEY']);
    const good = readFileSync(copy);
    const variants: Record<string, (() => void)> = {
      missing: () => rmSync(copy),
      'damaged line': () => writeFileSync(copy, good.toString('utf8').replace('"svc17.api_key"\t{', '"svc17.api_key"\t{{'), { mode: 0o600 }),
      truncated: () => writeFileSync(copy, good.subarray(0, good.length - 300), { mode: 0o600 }),
      garbage: () => writeFileSync(copy, 'x'.repeat(5000), { mode: 0o600 }),
      'group-writable': () => {
        writeFileSync(copy, good, { mode: 0o600 });
        execFileSync('chmod', ['666', copy]);
      },
    };
    for (const [name, spoil] of Object.entries(variants)) {
      spoil();
      const r = reader();
      expect(r.listCredentials(), name).toEqual(expected.list);
      expect(r.envVarsFor('svc17.api_key'), name).toEqual(expected.env);
      expect((await r.getCredential('svc17', 'api_key')).value, name).toBe(expected.value);
      rmSync(copy, { force: true });
      writeFileSync(copy, good, { mode: 0o600 });
    }
    expect(stampOf(copy)).toBeDefined();
  });

  it('a stale or missing copy (a chmod, a profile from before the copy existed) is made again by the next full start, never by a read', async () => {
    const { t, secrets, vault, reader, copy } = setup();
    await vault.setCredential('custom', 'api_key', 'custom-value-1234', { envVar: 'MY_CUSTOM_KEY' });
    const profileBefore = readFileSync(t.profile, 'utf8');
    execFileSync('chmod', ['600', t.profile]); // the fix a warning suggests: the ctime moves, the copy is stale
    expect(reader().envVarsFor('custom.api_key')).toEqual(['MY_CUSTOM_KEY']);
    const r = openReader({ homeDir: t.home, cwd: t.cwd, env: {}, secrets, caller: 'cli', warn: () => {} });
    r.reader.envVarsFor('custom.api_key');
    expect(r.profile.lookup()).toBeUndefined(); // a read does not remake it
    const staleCopy = readFileSync(copy, 'utf8');
    await createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets, caller: 'cli', warn: () => {} }).open();
    const fresh = openReader({ homeDir: t.home, cwd: t.cwd, env: {}, secrets, caller: 'cli', warn: () => {} });
    expect(fresh.profile.lookup()?.meta('custom.api_key')?.env_var).toBe('MY_CUSTOM_KEY');
    expect(readFileSync(copy, 'utf8')).not.toBe(staleCopy);
    expect(readFileSync(t.profile, 'utf8')).toBe(profileBefore); // the profile itself untouched
    rmSync(copy); // a profile from before the copy existed
    await createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets, caller: 'cli', warn: () => {} }).open();
    expect(openReader({ homeDir: t.home, cwd: t.cwd, env: {}, secrets, caller: 'cli', warn: () => {} }).profile.lookup()).toBeDefined();
  });

  it('a writer that died between the profile and its copy leaves a stale copy nobody uses', async () => {
    const { t, vault, reader, copy } = setup();
    await vault.setCredential('custom', 'api_key', 'custom-value-1234', { envVar: 'OLD_NAME_KEY' });
    const old = readFileSync(copy);
    await vault.setCredential('custom', 'api_key', 'custom-value-5678', { envVar: 'NEW_NAME_KEY' });
    writeFileSync(copy, old, { mode: 0o600 }); // as if the process was killed before the copy was replaced
    expect(reader().envVarsFor('custom.api_key')).toEqual(['NEW_NAME_KEY']);
    expect(t.profile).toBeTruthy();
  });
});
