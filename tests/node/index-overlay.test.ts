// The index overlay (shared/node/profile/index-overlay.ts): in a large
// profile a set or delete writes its index entry beside the profile instead
// of rewriting it; every reader folds it in, the next full write takes it in,
// and no crash, damage or race loses or resurrects an entry.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VaultError } from '../../shared/core/errors';
import type { ParsedSource } from '../../shared/core/migration-sources';
import { readSource } from '../../shared/node/migration/sources';
import { createVault } from '../../shared/node/open';
import { openReader } from '../../shared/node/open-read';
import { IndexOverlayFile, OVERLAY_LIMITS, overlayText, type OverlayLimits } from '../../shared/node/profile/index-overlay';
import { writeSecureFile } from '../../shared/node/profile/secure-fs';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { rejected } from '../helpers/errors';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'Ovrl'.repeat(9)}`;
const HF2 = `hf_${'Next'.repeat(9)}`;
const TMDB = '0123456789abcdef0123456789abcdef';

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * A profile of `n` custom credentials (values in a memory store), written the
 * way a user's vault has it after its first start: the profile, its lookup copy.
 */
async function vaultOf(n: number, options: { limits?: OverlayLimits; writeFile?: typeof writeSecureFile } = {}) {
  const t = makeTempHome();
  const secrets = new MemorySecretStore();
  mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
  const metadata: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    metadata[`svc${i}.api_key`] = { created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z', hint: '••••abcd', storage: 'keychain', custom: true, env_var: `SVC${i}_API_KEY` };
    await secrets.set(`svc${i}.api_key`, `value-${i}-${'x'.repeat(20)}abcd`);
  }
  writeFileSync(t.profile, `${JSON.stringify({ version: '2.0', credentials: {}, credential_metadata: metadata, storage: { backend: 'keychain', namespace: '' } }, null, 2)}\n`, { mode: 0o600 });
  const options_ = { homeDir: t.home, cwd: t.cwd, env: {}, secrets, caller: 'cli' as const, warn: () => {}, ...(options.limits ? { indexOverlay: options.limits } : {}), ...(options.writeFile ? { writeFile: options.writeFile } : {}) };
  const vault = createVault(options_);
  await vault.open(); // makes the lookup copy
  const dir = dirname(t.profile);
  return {
    t, secrets, vault, dir,
    overlay: join(dir, 'profile.changes'),
    copy: join(dir, 'profile.index'),
    /** A reader as `get` has it (the fast bundle's side), opened fresh. */
    reader: () => openReader(options_).reader,
    /** A full vault opened fresh, as the next command (or the app) has it. */
    fresh: () => createVault(options_),
  };
}

const SMALL: OverlayLimits = { fromBytes: 0, maxBytes: 2048 };

/** A disk whose profile write number `failOn` fails (as a kill between two writes would stop the second). */
function failingDisk() {
  const disk = {
    profileWrites: 0,
    failOn: Infinity,
    writeFile: (async (path, text, dedicated) => {
      if (path.endsWith('user.profile') && ++disk.profileWrites === disk.failOn) throw new VaultError('IO_ERROR', `Cannot write ${path} (ENOSPC).`, 'Free some space.');
      return writeSecureFile(path, text, dedicated);
    }) as typeof writeSecureFile,
  };
  return disk;
}

describe('a large profile takes credential changes through its overlay', () => {
  it(`at ${OVERLAY_LIMITS.fromBytes / 1024} KiB and more, a set or delete rewrites neither the profile nor its lookup copy; every reader sees the change`, async () => {
    const v = await vaultOf(1_200);
    expect(statSync(v.t.profile).size).toBeGreaterThan(OVERLAY_LIMITS.fromBytes);
    const [profile, copy] = [sha(v.t.profile), sha(v.copy)];
    const ino = statSync(v.t.profile).ino;
    await v.vault.setCredential('huggingface', 'token', HF);
    await v.vault.setCredential('tmdb', 'api_key', TMDB);
    expect(await v.vault.deleteCredential('svc7', 'api_key')).toBe(true);
    expect([sha(v.t.profile), sha(v.copy), statSync(v.t.profile).ino]).toEqual([profile, copy, ino]);
    expect(statSync(v.overlay).mode & 0o777).toBe(0o600);
    expect(statSync(v.overlay).size).toBeLessThan(2048);
    // The read side (lookup copy + overlay), and the full vault (profile + overlay), fresh from disk.
    const r = v.reader();
    expect((await r.getCredential('huggingface', 'token')).value).toBe(HF);
    const listed = new Map(r.listCredentials().map((c) => [c.id, c]));
    expect(listed.get('huggingface.token')?.meta?.hint).toBe('••••Ovrl');
    expect(listed.get('tmdb.api_key')?.stored).toBe(true);
    expect(listed.get('svc7.api_key')?.meta).toBeUndefined();
    expect(listed.get('svc8.api_key')?.meta?.env_var).toBe('SVC8_API_KEY');
    const full = v.fresh();
    const fullList = new Map(full.listCredentials().map((c) => [c.id, c]));
    expect([...fullList.keys()].sort()).toEqual([...listed.keys()].sort());
    expect(fullList.get('huggingface.token')?.meta).toEqual(listed.get('huggingface.token')?.meta);
    expect(full.getProfile().profile.credential_metadata['svc7.api_key']).toBeUndefined();
    // Set again: the same entry replaced, the overlay does not grow.
    const size = statSync(v.overlay).size;
    await v.vault.setCredential('huggingface', 'token', HF2);
    expect(statSync(v.overlay).size).toBe(size);
    expect((await v.reader().getCredential('huggingface', 'token')).value).toBe(HF2);
    expect(sha(v.t.profile)).toBe(profile);
  });

  it('below that size nothing changes: the profile is rewritten and no overlay is made', async () => {
    const v = await vaultOf(20);
    const before = sha(v.t.profile);
    await v.vault.setCredential('huggingface', 'token', HF);
    expect(sha(v.t.profile)).not.toBe(before);
    expect(existsSync(v.overlay)).toBe(false);
  });

  it('the next full write (a profile change, a custom env var) takes the overlay in and removes it; the answers stay the same', async () => {
    const v = await vaultOf(30, { limits: SMALL });
    await v.vault.setCredential('huggingface', 'token', HF);
    await v.vault.deleteCredential('svc3', 'api_key');
    expect(existsSync(v.overlay)).toBe(true);
    const listBefore = v.reader().listCredentials();
    await v.vault.updateProfile({ user: { name: 'Ada' } });
    expect(existsSync(v.overlay)).toBe(false);
    const doc = JSON.parse(readFileSync(v.t.profile, 'utf8'));
    expect(doc.credential_metadata['huggingface.token'].hint).toBe('••••Ovrl');
    expect(doc.credential_metadata['svc3.api_key']).toBeUndefined();
    expect(v.reader().listCredentials()).toEqual(listBefore);
    expect(v.fresh().listCredentials().map((c) => [c.id, c.meta?.hint])).toEqual(listBefore.map((c) => [c.id, c.meta?.hint]));
  });

  it('a hand edit of the profile beside an overlay: the lookup copy made again at the next start indexes the profile alone, so the overlay moved aside (its way out) shows through neither', async () => {
    const v = await vaultOf(30, { limits: SMALL });
    await v.vault.setCredential('huggingface', 'token', HF);
    await v.vault.deleteCredential('svc3', 'api_key');
    const doc = JSON.parse(readFileSync(v.t.profile, 'utf8'));
    writeFileSync(`${v.t.profile}.edit`, `${JSON.stringify({ ...doc, user: { ...doc.user, name: 'Ada' } }, null, 2)}\n`, { mode: 0o600 });
    renameSync(`${v.t.profile}.edit`, v.t.profile);
    await v.fresh().open();
    rmSync(v.overlay);
    // The read side (the lookup copy, when it matches) says what the profile says: both changes undone alike.
    const r = v.reader();
    expect(r.sourceOf('huggingface.token')).toBeNull();
    expect(r.sourceOf('svc3.api_key')).toEqual({ kind: 'keychain' });
    const full = new Map(v.fresh().listCredentials().map((c) => [c.id, c.meta]));
    expect([full.get('huggingface.token'), full.get('svc3.api_key')?.hint]).toEqual([undefined, '••••abcd']);
  });

  it('stays bounded: the change that would take it past its limit takes it into the profile instead', async () => {
    const v = await vaultOf(200, { limits: { fromBytes: 0, maxBytes: 600 } });
    let rewrites = 0;
    let last = sha(v.t.profile);
    for (let i = 0; i < 60; i++) {
      expect(await v.vault.deleteCredential(`svc${i}`, 'api_key')).toBe(true);
      if (existsSync(v.overlay)) expect(statSync(v.overlay).size).toBeLessThanOrEqual(600);
      const now = sha(v.t.profile);
      if (now !== last) rewrites++;
      last = now;
    }
    expect(rewrites).toBeGreaterThan(1);
    expect(rewrites).toBeLessThan(30);
    const ids = v.fresh().listCredentials().filter((c) => c.meta).map((c) => c.id);
    expect(ids).toHaveLength(140);
    expect(ids).not.toContain('svc59.api_key');
    expect(v.reader().listCredentials().filter((c) => c.meta)).toHaveLength(140);
  });
});

describe('custom credentials keep distinct env var names through the overlay', () => {
  it('a rotation keeps its name; a name another credential carries (in the profile, or only in the overlay) is refused; one freed by a delete in the overlay can be taken', async () => {
    const v = await vaultOf(1_200);
    const profile = sha(v.t.profile);
    // Rotated without --env-var: keeps its own name, through the overlay.
    await v.vault.setCredential('svc5', 'api_key', 'value-5-rotated-abcdefgh');
    expect(v.reader().envVarsFor('svc5.api_key')).toEqual(['SVC5_API_KEY']);
    // A name in the profile's index: refused, nothing stored.
    let err = await rejected(v.vault.setCredential('svc6', 'api_key', 'value-6-new-abcdefgh', { envVar: 'SVC9_API_KEY' }));
    expect(err.message).toBe('SVC9_API_KEY already belongs to svc9.api_key. Nothing was stored.');
    expect(await v.secrets.get('svc6.api_key')).toBe(`value-6-${'x'.repeat(20)}abcd`);
    // A rename that lives only in the overlay: the new name is taken, the old one is free.
    await v.vault.setCredential('svc10', 'api_key', 'value-10-new-abcdefgh', { envVar: 'RENAMED_TEN' });
    err = await rejected(v.vault.setCredential('newsvc', 'api_key', 'value-new-abcdefgh', { envVar: 'RENAMED_TEN' }));
    expect(err.message).toBe('RENAMED_TEN already belongs to svc10.api_key. Nothing was stored.');
    await v.vault.setCredential('newsvc', 'api_key', 'value-new-abcdefgh', { envVar: 'SVC10_API_KEY' });
    // A delete in the overlay frees its name.
    await v.vault.deleteCredential('svc11', 'api_key');
    await v.vault.setCredential('other', 'api_key', 'value-other-abcdefgh', { envVar: 'SVC11_API_KEY' });
    // A new custom credential without --env-var takes SERVICE_KEY.
    await v.vault.setCredential('fresh', 'token', 'value-fresh-abcdefgh');
    expect(sha(v.t.profile)).toBe(profile);
    for (const r of [v.reader(), v.fresh()]) {
      expect(r.envVarsFor('svc10.api_key')).toEqual(['RENAMED_TEN']);
      expect(r.envVarsFor('newsvc.api_key')).toEqual(['SVC10_API_KEY']);
      expect(r.envVarsFor('other.api_key')).toEqual(['SVC11_API_KEY']);
      expect(r.envVarsFor('fresh.token')).toEqual(['FRESH_TOKEN']);
    }
    // Taken into the profile, the same names, and still distinct.
    await v.vault.updateProfile({ user: { name: 'Ada' } });
    expect(existsSync(v.overlay)).toBe(false);
    const names = Object.values(JSON.parse(readFileSync(v.t.profile, 'utf8')).credential_metadata as Record<string, { env_var?: string }>).map((m) => m.env_var).filter(Boolean);
    expect(new Set(names).size).toBe(names.length);
    expect((await rejected(v.vault.setCredential('svc12', 'api_key', 'value-12-new-abcdefgh', { envVar: 'RENAMED_TEN' }))).code).toBe('INVALID_ARGUMENT');
  });

  it('a damaged env var line in the lookup copy: a custom set reads the profile instead, and the names stay distinct', async () => {
    const v = await vaultOf(300);
    const lines = readFileSync(v.copy, 'utf8').split('\n');
    writeFileSync(v.copy, [...lines.slice(0, 2), `${lines[2]!.slice(0, 40)}`, ...lines.slice(3)].join('\n'), { mode: 0o600 });
    await v.vault.setCredential('huggingface', 'token', HF); // never asks for the names
    const err = await rejected(v.vault.setCredential('newsvc', 'api_key', 'value-new-abcdefgh', { envVar: 'SVC9_API_KEY' }));
    expect(err.message).toBe('SVC9_API_KEY already belongs to svc9.api_key. Nothing was stored.');
    await v.vault.setCredential('newsvc', 'api_key', 'value-new-abcdefgh', { envVar: 'NEW_NAME' });
    expect(v.reader().envVarsFor('newsvc.api_key')).toEqual(['NEW_NAME']);
    expect((await v.reader().getCredential('huggingface', 'token')).value).toBe(HF);
  });
});

describe('no crash resurrects or loses an entry', () => {
  it('an overlay left beside the profile that took it in (a writer killed before removing it) changes nothing', async () => {
    const v = await vaultOf(30, { limits: SMALL });
    await v.vault.setCredential('huggingface', 'token', HF);
    await v.vault.deleteCredential('svc3', 'api_key');
    const left = readFileSync(v.overlay);
    await v.vault.updateProfile({ user: { name: 'Ada' } });
    writeFileSync(v.overlay, left, { mode: 0o600 });
    const list = v.reader().listCredentials().map((c) => [c.id, c.meta?.hint ?? null]);
    expect(list).toContainEqual(['huggingface.token', '••••Ovrl']);
    expect(list.some(([id]) => id === 'svc3.api_key')).toBe(false);
    expect(v.fresh().listCredentials().map((c) => [c.id, c.meta?.hint ?? null])).toEqual(list);
  });

  it('the temp files of a writer killed while replacing the overlay or the lookup copy are removed at the next start (only ours)', async () => {
    const v = await vaultOf(30, { limits: SMALL });
    await v.vault.setCredential('huggingface', 'token', HF);
    const left = [`${v.overlay}.tmp-${'a1'.repeat(12)}`, `${v.copy}.tmp-${'b2'.repeat(12)}`, join(v.dir, `profile.checked.tmp-${'c3'.repeat(12)}`)];
    const mine = `${v.overlay}.tmp-notes`;
    for (const f of [...left, mine]) writeFileSync(f, '{}', { mode: 0o600 });
    await v.fresh().open();
    expect(left.filter((f) => existsSync(f))).toEqual([]);
    expect(existsSync(mine)).toBe(true);
    expect((await v.reader().getCredential('huggingface', 'token')).value).toBe(HF);
  });

  it('a full write that gives a credential of the overlay another entry takes the overlay in on its own first: a crash after that write keeps the overlay\'s state, never an older one', async () => {
    // The second profile write of one change fails (as a kill between the two would stop it).
    const disk = failingDisk();
    const v = await vaultOf(30, { limits: SMALL, writeFile: disk.writeFile });
    expect(await v.vault.deleteCredential('svc3', 'api_key')).toBe(true);
    expect(readFileSync(v.overlay, 'utf8')).toContain('"svc3.api_key":null');
    disk.failOn = disk.profileWrites + 2;
    // A migration with a non-secret (its value goes to a profile slot): a full write, which gives svc3 an entry again.
    const migrate = (id: string) => {
      const source: ParsedSource = {
        kind: 'secrets-json', path: join(v.t.cwd, 'secrets.json'), duplicateKeys: [],
        entries: [
          { sourceKey: 'openai_org', target: 'openai.organization_id', customTarget: undefined, value: 'org-abcdefghijklmnop' },
          { sourceKey: id, target: undefined, customTarget: { id: `${id}.api_key`, envVar: `${id.toUpperCase()}_NEW_KEY` }, value: `value-${id}-new-abcdefgh` },
        ],
      };
      writeFileSync(source.path, '{}');
      return v.vault.planMigration(source, { includeUnknown: true }).then((plan) => v.vault.applyMigration(source, plan));
    };
    const err = await rejected(migrate('svc3'));
    expect(err.code).toBe('IO_ERROR');
    expect(existsSync(v.overlay)).toBe(false);
    // The profile took the overlay in: svc3 is deleted, as before the failed set (whose value was rolled back).
    expect(JSON.parse(readFileSync(v.t.profile, 'utf8')).credential_metadata['svc3.api_key']).toBeUndefined();
    expect(await v.secrets.get('svc3.api_key')).toBeUndefined();
    expect(v.reader().listCredentials().find((c) => c.id === 'svc3.api_key')?.meta).toBeUndefined();
    // And without a failure the change lands, the overlay gone.
    disk.failOn = Infinity;
    await v.vault.deleteCredential('svc4', 'api_key');
    expect((await migrate('svc4')).ok).toBe(true);
    expect(existsSync(v.overlay)).toBe(false);
    expect(v.reader().envVarsFor('svc4.api_key')).toEqual(['SVC4_NEW_KEY']);
  });
});

describe('a migration in place beside an overlay', () => {
  it('the overlay is taken in first with the plaintext left as it was: a failure after that loses no value, and the profile is not marked valid', async () => {
    const disk = failingDisk();
    const v = await vaultOf(30, { limits: SMALL, writeFile: disk.writeFile });
    await v.vault.setCredential('huggingface', 'token', HF);
    expect(existsSync(v.overlay)).toBe(true);
    // A plaintext key pasted into the profile by hand (the seed's slot): migrate moves it in place.
    const doc = JSON.parse(readFileSync(v.t.profile, 'utf8'));
    writeFileSync(v.t.profile, JSON.stringify({ ...doc, credentials: { huggingface: { token: HF2 } } }), { mode: 0o600 });
    disk.failOn = disk.profileWrites + 2;
    const source = readSource(v.t.profile);
    const err = await rejected(v.vault.planMigration(source, { overwrite: 'all' }).then((plan) => v.vault.applyMigration(source, plan)));
    expect(err.code).toBe('IO_ERROR');
    // The plaintext is still in the profile (and the keychain has the value it had): nothing lost, nothing half done.
    expect(JSON.parse(readFileSync(v.t.profile, 'utf8')).credentials.huggingface.token).toBe(HF2);
    expect(await v.secrets.get('huggingface.token')).toBe(HF);
    expect(existsSync(v.overlay)).toBe(false);
    // Still a plaintext profile to every reader (never taken as validated), and the migration can run again.
    expect((await rejected(v.fresh().setCredential('tmdb', 'api_key', TMDB))).code).toBe('PROFILE_PLAINTEXT');
    disk.failOn = Infinity;
    const again = readSource(v.t.profile);
    expect((await v.fresh().applyMigration(again, await v.fresh().planMigration(again, { overwrite: 'all' }))).ok).toBe(true);
    expect(await v.secrets.get('huggingface.token')).toBe(HF2);
    expect(JSON.parse(readFileSync(v.t.profile, 'utf8')).credentials.huggingface.token).toBe('');
  });
});

describe('an overlay that is not ours, or is damaged', () => {
  const spoils: Record<string, (path: string) => void> = {
    'not JSON': (p) => writeFileSync(p, '{"cpw_vault_index_changes":1,"entries":{', { mode: 0o600 }),
    'not UTF-8 (a label saved as Latin-1)': (p) => {
      const [head, tail] = overlayText(new Map([['svc1.api_key', { created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', hint: 'x', storage: 'keychain' as const, label: 'Café' }]])).split('é');
      writeFileSync(p, Buffer.concat([Buffer.from(head!), Buffer.from([0xe9]), Buffer.from(tail!)]), { mode: 0o600 });
    },
    'another format': (p) => writeFileSync(p, '{"cpw_vault_index_changes":2,"entries":{}}', { mode: 0o600 }),
    'a name that is no credential id': (p) => writeFileSync(p, overlayText(new Map([['../etc/passwd', null]])), { mode: 0o600 }),
    'an entry in the profile itself (storage "profile")': (p) => writeFileSync(p, overlayText(new Map([['huggingface.token', { created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', hint: 'x', storage: 'profile' as const }]])), { mode: 0o600 }),
    'a non-secret credential (its value is a profile slot)': (p) => writeFileSync(p, overlayText(new Map([['openai.organization_id', { created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', hint: 'org-x', storage: 'keychain' as const }]])), { mode: 0o600 }),
    'deep nesting': (p) => writeFileSync(p, `{"cpw_vault_index_changes":1,"entries":{"a.b":{"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","hint":"x","deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}}}`, { mode: 0o600 }),
  };

  it.each(Object.keys(spoils))('%s: reads and writes stop with PROFILE_INVALID naming it and the way out; nothing is written', async (name) => {
    const v = await vaultOf(30, { limits: SMALL });
    await v.vault.setCredential('huggingface', 'token', HF);
    spoils[name]!(v.overlay);
    const [profile, overlay] = [sha(v.t.profile), sha(v.overlay)];
    const fromReader = await rejected(v.reader().getCredential('tmdb', 'api_key'));
    const fromVault = await rejected(v.fresh().setCredential('tmdb', 'api_key', TMDB));
    for (const err of [fromReader, fromVault]) {
      expect(err.code).toBe('PROFILE_INVALID');
      expect(err.message).toContain(v.overlay);
      expect(err.fix).toContain(`mv ${v.overlay} ${v.overlay}.aside-`);
    }
    expect([sha(v.t.profile), sha(v.overlay)]).toEqual([profile, overlay]);
    expect(await v.secrets.get('tmdb.api_key')).toBeUndefined();
    // The way out it names works: moved aside, the vault reads (without the overlay's changes) and writes again.
    rmSync(v.overlay);
    await v.fresh().setCredential('tmdb', 'api_key', TMDB);
    expect((await v.reader().getCredential('tmdb', 'api_key')).value).toBe(TMDB);
  });

  it('an entry of the right types that the schema refuses: the full vault refuses it as it refuses the profile\'s own (the read side checks types, as it does the profile\'s)', async () => {
    const v = await vaultOf(30, { limits: SMALL });
    await v.vault.setCredential('huggingface', 'token', HF);
    writeFileSync(v.overlay, overlayText(new Map([['huggingface.token', { created_at: 'yesterday', updated_at: 'now', hint: 'x'.repeat(300), storage: 'keychain' as const }]])), { mode: 0o600 });
    const profile = sha(v.t.profile);
    const err = await rejected(v.fresh().setCredential('tmdb', 'api_key', TMDB));
    expect(err.code).toBe('PROFILE_INVALID');
    expect(err.message).toContain(`${v.overlay} is not valid: credential_metadata.huggingface.token.created_at`);
    expect(err.fix).toContain(`mv ${v.overlay} ${v.overlay}.aside-`);
    expect(sha(v.t.profile)).toBe(profile);
    expect(await v.secrets.get('tmdb.api_key')).toBeUndefined();
  });

  it('beside a profile since removed, one that cannot be removed (a folder) fails the set before the profile is made: no entry for a value rolled back', async () => {
    const v = await vaultOf(30, { limits: SMALL });
    rmSync(v.t.profile);
    mkdirSync(v.overlay, { mode: 0o700 });
    const err = await rejected(v.fresh().setCredential('huggingface', 'token', HF));
    expect(err.code).toBe('IO_ERROR');
    expect(err.message).toContain(v.overlay);
    expect(await v.secrets.get('huggingface.token')).toBeUndefined();
    expect(existsSync(v.t.profile)).toBe(false);
    // Moved out of the way, the same set makes the profile.
    rmSync(v.overlay, { recursive: true });
    await v.fresh().setCredential('huggingface', 'token', HF);
    expect(v.fresh().listCredentials().find((c) => c.id === 'huggingface.token')?.meta?.hint).toBe('••••Ovrl');
  });

  it('a damaged one left beside no profile (removed by hand) blocks nothing: a fresh start reads and writes as on a first run', async () => {
    const v = await vaultOf(30, { limits: SMALL });
    await v.vault.setCredential('huggingface', 'token', HF);
    writeFileSync(v.overlay, 'not json at all', { mode: 0o600 });
    rmSync(v.t.profile);
    rmSync(v.copy);
    const r = v.reader();
    expect(r.listCredentials().filter((c) => c.meta)).toEqual([]);
    expect(r.envVarsFor('svc1.api_key')).toEqual(['SVC1_API_KEY']);
    await v.fresh().setCredential('tmdb', 'api_key', TMDB);
    expect(existsSync(v.overlay)).toBe(false);
    expect((await v.reader().getCredential('tmdb', 'api_key')).value).toBe(TMDB);
  });

  it('a symbolic link or a fifo planted at its name is refused, never followed or waited on', async () => {
    const v = await vaultOf(30, { limits: SMALL });
    const target = join(v.t.root, 'elsewhere.json');
    writeFileSync(target, overlayText(new Map([['huggingface.token', null]])), { mode: 0o600 });
    symlinkSync(target, v.overlay);
    expect((await rejected(v.reader().getCredential('svc1', 'api_key'))).code).toBe('PROFILE_SYMLINK');
    rmSync(v.overlay);
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', ['-m', '600', v.overlay]);
    expect((await rejected(v.reader().getCredential('svc1', 'api_key'))).code).toBe('PROFILE_INVALID');
  });
});

describe('readers take no lock, and never mix a profile with the wrong overlay', () => {
  it('a writer that takes the overlay in while a reader reads the profile: the reader reads both again', async () => {
    const v = await vaultOf(30, { limits: SMALL });
    await v.vault.setCredential('huggingface', 'token', HF);
    const file = new IndexOverlayFile(v.overlay, true, writeSecureFile);
    let calls = 0;
    const result = file.consistent(() => {
      calls++;
      // The first read of the base races a writer that removes the overlay (as after a full write).
      if (calls === 1) rmSync(v.overlay);
      return calls;
    }, () => {});
    expect(calls).toBe(2);
    expect(result).toEqual({ base: 2, overlay: undefined });
  });

  it('an overlay replaced during the read (another set) is read again with its base', async () => {
    const v = await vaultOf(30, { limits: SMALL });
    await v.vault.setCredential('huggingface', 'token', HF);
    const file = new IndexOverlayFile(v.overlay, true, writeSecureFile);
    let calls = 0;
    const result = file.consistent(() => {
      if (++calls === 1) writeFileSync(v.overlay, overlayText(new Map([['tmdb.api_key', null]])), { mode: 0o600 });
      return calls;
    }, () => {});
    expect(result.base).toBe(2);
    expect([...result.overlay!.entries.keys()]).toEqual(['tmdb.api_key']);
  });
});
