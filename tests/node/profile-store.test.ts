import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProfileStore } from '../../shared/node/profile/store';
import { makeTempHome } from '../helpers/temp';
import { rejected, thrown } from '../helpers/errors';

function storeFor(t: ReturnType<typeof makeTempHome>, extra: Partial<ConstructorParameters<typeof ProfileStore>[0]> = {}) {
  const warnings: string[] = [];
  const store = new ProfileStore({ homeDir: t.home, cwd: t.cwd, env: {}, warn: (m) => warnings.push(m), ...extra });
  return { store, warnings };
}

const mode = (p: string) => statSync(p).mode & 0o777;

function writeProfile(path: string, doc: unknown, fileMode = 0o600) {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify(doc));
  chmodSync(path, fileMode);
}

const minimal = (name: string) => ({ version: '2.0', user: { name }, credentials: { huggingface: { token: '' } } });

describe('load order', () => {
  it('loads the default ~/.cp-whisperx/user.profile', () => {
    const t = makeTempHome();
    writeProfile(t.profile, minimal('default'));
    const { store } = storeFor(t);
    expect(store.read()).toMatchObject({ kind: 'profile', path: t.profile, profile: { user: { name: 'default' } } });
  });

  it('prefers an explicit path, then CPW_PROFILE, then the default', () => {
    const t = makeTempHome();
    writeProfile(t.profile, minimal('default'));
    const envPath = join(t.root, 'env', 'p.json');
    const explicit = join(t.root, 'explicit', 'p.json');
    writeProfile(envPath, minimal('env'));
    writeProfile(explicit, minimal('explicit'));
    expect(storeFor(t, { env: { CPW_PROFILE: envPath } }).store.read().profile.user.name).toBe('env');
    expect(storeFor(t, { env: { CPW_PROFILE: envPath }, profilePath: explicit }).store.read().profile.user.name).toBe('explicit');
  });

  it('falls back to config/secrets.json in the working directory, read-only, with a deprecation warning', async () => {
    const t = makeTempHome();
    mkdirSync(join(t.cwd, 'config'));
    writeFileSync(join(t.cwd, 'config', 'secrets.json'), JSON.stringify({ hf_token: 'hf_legacyvalue', TMDB_API_KEY: 'tmdbvalue' }));
    chmodSync(join(t.cwd, 'config', 'secrets.json'), 0o600);
    const { store, warnings } = storeFor(t);
    const loaded = store.read();
    expect(loaded.kind).toBe('legacy');
    if (loaded.kind !== 'legacy') return;
    expect(Object.fromEntries(loaded.values)).toEqual({ 'huggingface.token': 'hf_legacyvalue', 'tmdb.api_key': 'tmdbvalue' });
    expect(warnings.join('\n')).toMatch(/deprecated .*secrets\.json.*cpw-vault migrate/s);
    // The first write creates the profile, and says that secrets.json is not read any more and how to move it in.
    await store.update((p) => p);
    expect(store.exists()).toBe(true);
    expect(warnings.join('\n')).toMatch(/Created .*user\.profile; from now on it is read instead of the deprecated .*secrets\.json.*cpw-vault migrate/s);
  });

  it('does not fall back to secrets.json when an explicit profile is missing', () => {
    const t = makeTempHome();
    mkdirSync(join(t.cwd, 'config'));
    writeFileSync(join(t.cwd, 'config', 'secrets.json'), '{}');
    const e = thrown(() => storeFor(t, { profilePath: join(t.root, 'missing.profile') }).store.read());
    expect(e.code).toBe('PROFILE_NOT_FOUND');
  });

  it('says how to create a profile when none exists', () => {
    const t = makeTempHome();
    const e = thrown(() => storeFor(t).store.read());
    expect(e.code).toBe('PROFILE_NOT_FOUND');
    expect(e.message).toContain(t.profile);
    expect(e.fix).toContain('cpw-vault setup');
  });
});

describe('load errors', () => {
  it('gives the line and column of invalid JSON', () => {
    const t = makeTempHome();
    mkdirSync(dirname(t.profile), { recursive: true });
    writeFileSync(t.profile, '{\n  "version": "2.0",\n  "credentials": {,}\n}', { mode: 0o600 });
    const e = thrown(() => storeFor(t).store.read());
    expect(e.code).toBe('PROFILE_INVALID');
    expect(e.message).toMatch(/line 3, column 19/);
  });

  it('names a missing required field', () => {
    const t = makeTempHome();
    writeProfile(t.profile, { version: '2.0' });
    const e = thrown(() => storeFor(t).store.read());
    expect(e.code).toBe('PROFILE_INVALID');
    expect(e.fields).toEqual([{ path: 'credentials', message: 'required field is missing' }]);
  });

  it('warns when group or others can read the file', () => {
    const t = makeTempHome();
    writeProfile(t.profile, minimal('x'), 0o644);
    const { store, warnings } = storeFor(t);
    store.read();
    expect(warnings.join()).toMatch(/readable by other users \(mode 0644\)\. Run: chmod 600/);
  });

  it('the fix lines give commands that work on a profile whose path holds a space', () => {
    const t = makeTempHome();
    const profilePath = join(t.home, 'my vault', 'user.profile');
    mkdirSync(dirname(profilePath), { mode: 0o700 });
    writeProfile(profilePath, minimal('x'), 0o644);
    const { store, warnings } = storeFor(t, { profilePath });
    store.read();
    expect(warnings.join()).toContain(`Run: chmod 600 '${profilePath}'`);
    chmodSync(profilePath, 0o666);
    expect(thrown(() => storeFor(t, { profilePath }).store.read()).fix).toBe(`Run: chmod 600 '${profilePath}'`);
  });

  it('refuses a file that group or others can write', () => {
    const t = makeTempHome();
    writeProfile(t.profile, minimal('x'), 0o666);
    expect(thrown(() => storeFor(t).store.read()).code).toBe('PROFILE_PERMISSIONS');
  });

  it.runIf(process.getuid?.() === 0)('refuses a file owned by another user', () => {
    const t = makeTempHome();
    writeProfile(t.profile, minimal('x'));
    chownSync(t.profile, 4242, 4242);
    const e = thrown(() => storeFor(t).store.read());
    expect(e.code).toBe('PROFILE_PERMISSIONS');
    expect(e.message).toContain('uid 4242');
  });
});

describe('saving', () => {
  it('creates the parent folder 0700 and the file 0600', async () => {
    const t = makeTempHome();
    const { store } = storeFor(t);
    await store.update((p) => ({ ...p, user: { ...p.user, name: 'Ada' } }));
    expect(mode(dirname(t.profile))).toBe(0o700);
    expect(mode(t.profile)).toBe(0o600);
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).user.name).toBe('Ada');
  });

  it('tightens a pre-existing 0755 folder and 0644 file to 0700/0600', async () => {
    const t = makeTempHome();
    writeProfile(t.profile, minimal('x'), 0o644);
    chmodSync(dirname(t.profile), 0o755);
    await storeFor(t).store.update((p) => p);
    expect(mode(dirname(t.profile))).toBe(0o700);
    expect(mode(t.profile)).toBe(0o600);
  });

  it('saves to an explicit path without touching a shared parent folder mode', async () => {
    const t = makeTempHome();
    const shared = join(t.root, 'shared');
    mkdirSync(shared, { mode: 0o755 });
    chmodSync(shared, 0o755);
    const path = join(shared, 'my.profile');
    await storeFor(t, { profilePath: path }).store.update((p) => p);
    expect(mode(path)).toBe(0o600);
    expect(mode(shared)).toBe(0o755);
  });

  it('stays loadable by a legacy reader: version plus string slots credentials.<service>.<key>', async () => {
    const t = makeTempHome();
    await storeFor(t).store.update((p) => p);
    const raw = JSON.parse(readFileSync(t.profile, 'utf8'));
    expect(raw.version).toMatch(/^\d+\.\d+$/);
    for (const [service, key] of [['huggingface', 'token'], ['tmdb', 'api_key'], ['openai', 'api_key']]) {
      expect(typeof raw.credentials[service!][key!]).toBe('string');
    }
  });

  it('refuses to write a secret value into a profile slot, leaving the file as it was', async () => {
    const t = makeTempHome();
    const { store } = storeFor(t);
    await store.update((p) => p);
    const before = readFileSync(t.profile);
    const e = await rejected(store.update((p) => ({ ...p, credentials: { ...p.credentials, tmdb: { api_key: '0123456789abcdef0123456789abcdef' } } })));
    expect(e.code).toBe('PROFILE_PLAINTEXT');
    expect(readFileSync(t.profile)).toEqual(before);
  });

  it('re-reads the file when another process changed it', async () => {
    const t = makeTempHome();
    const a = storeFor(t).store;
    const b = storeFor(t).store;
    await a.update((p) => ({ ...p, user: { ...p.user, name: 'first' } }));
    expect(b.read().profile.user.name).toBe('first');
    await a.update((p) => ({ ...p, user: { ...p.user, name: 'second' } }));
    expect(b.read().profile.user.name).toBe('second');
  });
});

describe('symlinks', () => {
  it('refuses a symlinked profile for reading and writing; the target keeps its bytes and mode', async () => {
    const t = makeTempHome();
    const target = join(t.root, 'elsewhere.json');
    writeFileSync(target, JSON.stringify(minimal('target')));
    chmodSync(target, 0o640);
    const before = readFileSync(target);
    mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
    symlinkSync(target, t.profile);
    const { store } = storeFor(t);
    expect(thrown(() => store.read()).code).toBe('PROFILE_SYMLINK');
    expect((await rejected(store.update((p) => ({ ...p, user: { ...p.user, name: 'evil' } })))).code).toBe('PROFILE_SYMLINK');
    expect(readFileSync(target)).toEqual(before);
    expect(mode(target)).toBe(0o640);
    expect(lstatSync(t.profile).isSymbolicLink()).toBe(true);
  });
});
