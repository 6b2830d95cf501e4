import { chownSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MigrationSource } from '../../shared/core/ipc-contract';
import { setupMain } from './main-setup';

type Main = Awaited<ReturnType<typeof setupMain>>;

/** A config/secrets.json holding `doc` in the working folder, and the source main found for it. */
async function foundSecretsJson(s: Main, doc: Record<string, string>): Promise<{ secrets: string; source: MigrationSource }> {
  mkdirSync(join(s.t.cwd, 'config'), { recursive: true });
  const secrets = join(s.t.cwd, 'config', 'secrets.json');
  writeFileSync(secrets, JSON.stringify(doc));
  const [source] = await s.value<MigrationSource[]>('migrationSources');
  return { secrets, source: source! };
}

/** Apply as the app does: the plan first, then apply with the tag of the plan the user saw. */
async function applyReviewed(s: Main, request: { source: string; includeUnknown?: boolean }) {
  const { reviewed } = await s.value<{ reviewed: string }>('migrationPlan', request);
  return s.value('migrationApply', { ...request, reviewed });
}

const HF = `hf_${'Mig1'.repeat(9)}`;
const TMDB = '0123456789abcdef0123456789abcdef';
const CANARY = `sk-proj-${'Cnry'.repeat(10)}`;

/** Another project's plaintext, which nothing the page says may make main read, reveal or delete. */
function otherProject(root: string) {
  const dir = join(root, 'other-project');
  mkdirSync(dir, { recursive: true });
  const files = { env: join(dir, '.env'), secrets: join(dir, 'secrets.json'), token: join(dir, 'token') };
  writeFileSync(files.env, `OPENAI_API_KEY=${CANARY}\n`);
  writeFileSync(files.secrets, JSON.stringify({ openai_api_key: CANARY }));
  writeFileSync(files.token, CANARY);
  return { dir, files, untouched: () => Object.values(files).every((f) => existsSync(f) && readFileSync(f, 'utf8').includes(CANARY)) };
}

describe('migration sources are handles main minted; the renderer never names a path', () => {
  it('finds config/secrets.json and the HuggingFace token file itself, plans and applies them by handle', async () => {
    const s = await setupMain();
    mkdirSync(join(s.t.cwd, 'config'));
    const secrets = join(s.t.cwd, 'config', 'secrets.json');
    writeFileSync(secrets, JSON.stringify({ hf_token: HF, tmdb_api_key: TMDB }));
    mkdirSync(join(s.t.home, '.cache', 'huggingface'), { recursive: true });
    writeFileSync(join(s.t.home, '.cache', 'huggingface', 'token'), HF);
    const sources = await s.value<MigrationSource[]>('migrationSources');
    expect(sources.map((x) => [x.path, x.origin])).toEqual([[secrets, 'found'], [join(s.t.home, '.cache', 'huggingface', 'token'), 'found']]);
    expect(sources[0]!.handle).toMatch(/^[0-9a-f]{32}$/);
    expect((await s.value<MigrationSource[]>('migrationSources'))[0]!.handle).toBe(sources[0]!.handle); // stable
    const planned = await s.value<{ plan: { counts: { apply: number } } }>('migrationPlan', { source: sources[0]!.handle });
    expect(planned.plan.counts.apply).toBe(2);
    expect(JSON.stringify(planned)).not.toContain(HF);
    expect(await applyReviewed(s, { source: sources[0]!.handle })).toMatchObject({ ok: true, imported: 2 });
    expect(await s.value('credentialsReveal', { service: 'tmdb', key: 'api_key' })).toBe(TMDB);
  });

  it('one reviewed plan applied three times at once (a hostile page): one run imports, the others find it stored; one backup', async () => {
    const s = await setupMain();
    const { secrets, source } = await foundSecretsJson(s, { hf_token: HF, tmdb_api_key: TMDB });
    const { reviewed } = await s.value<{ reviewed: string }>('migrationPlan', { source: source.handle });
    const results = await Promise.all([1, 2, 3].map(() => s.value<{ ok: boolean; imported: number }>('migrationApply', { source: source.handle, reviewed })));
    expect(results.map((r) => [r.ok, r.imported])).toEqual([[true, 2], [true, 0], [true, 0]]);
    expect(readdirSync(join(s.t.cwd, 'config')).filter((n) => n.startsWith('secrets.json.backup-'))).toHaveLength(1);
    expect(existsSync(secrets)).toBe(true);
  });

  it('a key saved while a migration plans and applies is never written over (the apply is refused, then the plan keeps it as a conflict)', async () => {
    const s = await setupMain();
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`svc${i}_api_key`, `value-${i}-${'z'.repeat(20)}`]));
    const { source } = await foundSecretsJson(s, { tmdb_api_key: TMDB, ...many });
    const { reviewed } = await s.value<{ reviewed: string }>('migrationPlan', { source: source.handle, includeUnknown: true });
    const saved = 'fedcba9876543210fedcba9876543210';
    const apply = s.call('migrationApply', { source: source.handle, includeUnknown: true, reviewed });
    await s.value('credentialsSet', { service: 'tmdb', key: 'api_key', value: saved });
    await apply;
    expect(await s.value('credentialsReveal', { service: 'tmdb', key: 'api_key' })).toBe(saved);
    const again = await s.value<{ rows: Array<{ sourceKey: string; status: string }> }>('migrationApply', { source: source.handle, includeUnknown: true, reviewed });
    expect(again.rows.find((r) => r.sourceKey === 'tmdb_api_key')?.status).toBe('skipped');
    expect(await s.value('credentialsReveal', { service: 'tmdb', key: 'api_key' })).toBe(saved);
  });

  it('a seed 1.0 profile holding plaintext is offered, migrated in place, and its plaintext backup removed on request', async () => {
    const s = await setupMain();
    mkdirSync(join(s.t.home, '.cp-whisperx'), { recursive: true, mode: 0o700 });
    writeFileSync(s.t.profile, JSON.stringify({ version: '1.0', user: { name: 'Seed' }, credentials: { huggingface: { token: HF }, tmdb: { api_key: TMDB } }, preferences: {} }), { mode: 0o600 });
    const [source] = await s.value<MigrationSource[]>('migrationSources');
    expect(source).toMatchObject({ path: s.t.profile, origin: 'found' });
    expect(await applyReviewed(s, { source: source!.handle })).toMatchObject({ ok: true, imported: 2 });
    expect(readFileSync(s.t.profile, 'utf8')).not.toContain(HF);
    expect(await s.value('migrationSources')).toEqual([]); // now the user's own profile: never a source again
    const r = await s.value<{ removed: string[] }>('migrationRemovePlaintext', { source: source!.handle });
    expect(r.removed).toHaveLength(1);
    expect(r.removed[0]).toMatch(/user\.profile\.backup-/);
    expect(existsSync(s.t.profile)).toBe(true);
  });

  it('never lists the user\'s own current profile as a source, even one holding a non-secret value', async () => {
    const s = await setupMain();
    await s.value('credentialsSet', { service: 'openai', key: 'organization_id', value: 'org-abcdefgh12' });
    expect(await s.value('migrationSources')).toEqual([]);
  });

  it.each([
    ['a path instead of a handle', { source: '/etc/passwd' }],
    ['the old "path" field', { path: '/tmp/.env' }],
    ['both', { source: '0'.repeat(32), path: '/tmp/.env' }],
    ['a handle main never minted', { source: 'a'.repeat(32) }],
    ['a traversal', { source: '../../../.env' }],
  ])('plan, apply and remove refuse %s, and touch nothing', async (_what, request) => {
    const s = await setupMain();
    const other = otherProject(s.t.root);
    for (const method of ['migrationPlan', 'migrationApply'] as const) expect(await s.call(method, request)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(await s.call('migrationRemovePlaintext', { source: (request as { source?: string }).source ?? other.files.env })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(other.untouched()).toBe(true);
    expect(s.dialogs).toEqual([]);
    expect(s.vault.listCredentials().some((c) => c.stored)).toBe(false);
  });

  it('a "dropped" path is checked, then asked about in main\'s own dialog: the user says no, nothing is read', async () => {
    const s = await setupMain();
    const other = otherProject(s.t.root);
    s.answers.confirmSource = false;
    const r = await s.call('migrationDrop', other.files.env);
    expect(r).toEqual({ ok: true, value: null });
    expect(s.dialogs).toEqual([{ kind: 'confirmSource', paths: [other.files.env] }]);
    expect(JSON.stringify(r)).not.toContain(CANARY);
    expect(other.untouched()).toBe(true);
  });

  it('a "dropped" path whose name holds a line break, an escape sequence, a text-direction override or half a UTF-16 pair is refused before main\'s dialog would show it (as another name); the answer does not echo it', async () => {
    const s = await setupMain();
    const dir = join(s.t.root, 'downloads');
    mkdirSync(dir);
    const names = ['secrets\u202Etxt.env', 'notes.txt\n\nsecrets.json', 'a\u001b[2Jb.env', 'broken\ud800.env'];
    for (const name of names) writeFileSync(join(dir, name), `HF_TOKEN=${HF}\n`);
    for (const path of [...names.map((n) => join(dir, n)), '/tmp/\u001b]0;pwned\u0007']) {
      const r = await s.call('migrationDrop', path);
      expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('control characters') } });
      expect(JSON.stringify(r)).not.toContain(JSON.stringify(dir).slice(1, -1));
    }
    expect(s.dialogs).toEqual([]);
    // An ordinary name beside them is asked about as before.
    writeFileSync(join(dir, 'plain.env'), `HF_TOKEN=${HF}\n`);
    s.answers.confirmSource = false;
    expect(await s.call('migrationDrop', join(dir, 'plain.env'))).toEqual({ ok: true, value: null });
    expect(s.dialogs).toEqual([{ kind: 'confirmSource', paths: [join(dir, 'plain.env')] }]);
  });

  it('drops fired in a loop while main\'s dialog is open: one dialog, the others refused at once; after the answer, the next drop asks again', async () => {
    const s = await setupMain();
    const other = otherProject(s.t.root);
    let answer!: () => void;
    s.answers.waitFor = new Promise((r) => (answer = r));
    s.answers.confirmSource = false;
    const first = s.call('migrationDrop', other.files.env);
    await expect.poll(() => s.dialogs.length).toBe(1);
    const settled: unknown[] = [];
    for (let i = 0; i < 20; i++) void s.call('migrationDrop', other.files.env).then((r) => settled.push(r));
    // Answered without waiting for the user (before the fix, each waited for a dialog of its own).
    await expect.poll(() => settled.length, { timeout: 10_000 }).toBe(20);
    for (const r of settled) expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('already waiting for your answer'), fix: expect.stringContaining('Answer') } });
    expect(await s.call('migrationPickFile')).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(s.dialogs).toHaveLength(1);
    answer();
    expect(await first).toEqual({ ok: true, value: null });
    expect(await s.call('migrationDrop', other.files.env)).toEqual({ ok: true, value: null });
    expect(s.dialogs).toHaveLength(2);
    expect(other.untouched()).toBe(true);
  });

  it('a dropped file the user confirms becomes a handle; its plan names no value', async () => {
    const s = await setupMain();
    const other = otherProject(s.t.root);
    const source = await s.value<MigrationSource>('migrationDrop', other.files.env);
    expect(source).toMatchObject({ path: other.files.env, origin: 'dropped' });
    const plan = await s.value('migrationPlan', { source: source.handle });
    expect(JSON.stringify(plan)).not.toContain(CANARY);
  });

  it.each([
    ['a relative path', () => 'relative/.env'],
    ['an empty path (a File the page made itself)', () => ''],
    ['a folder', (root: string) => root],
    ['a symlink', (root: string) => (symlinkSync(join(root, 'other-project', '.env'), join(root, 'link.env')), join(root, 'link.env'))],
    ['a missing file', (root: string) => join(root, 'nope.env')],
    ['over 1 MiB', (root: string) => (writeFileSync(join(root, 'big.json'), 'x'.repeat(1024 * 1024 + 1)), join(root, 'big.json'))],
    ['/dev/zero', () => '/dev/zero'],
  ])('a dropped path that is %s is refused before any dialog', async (_what, make) => {
    const s = await setupMain();
    otherProject(s.t.root);
    expect(await s.call('migrationDrop', make(s.t.root))).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(s.dialogs).toEqual([]);
  });

  it('cpw-vault\'s own files are never a source: dropped or picked', async () => {
    const s = await setupMain();
    await s.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    for (const own of [s.t.profile, join(s.t.home, '.cp-whisperx', 'audit.log')]) {
      expect(await s.call('migrationDrop', own)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining("cpw-vault's own files") } });
      s.answers.pick = own;
      expect(await s.call('migrationPickFile')).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    }
    expect(s.dialogs).toEqual([]);
  });

  it.each([
    ['/proc/self/environ', 'procfs'],
    ['/proc/self/mem', 'procfs'],
    ['/proc/self/status', 'procfs'],
    ['/sys/kernel/uevent_seqnum', 'sysfs'],
  ])('a dropped %s (a "regular file" the kernel makes up, its size a lie) is refused before any dialog, naming it and why', async (path, fs) => {
    const s = await setupMain();
    const r = await s.call('migrationDrop', path);
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: `${path} is not a file of yours but a view the kernel makes up (${fs}, ${fs === 'procfs' ? 'processes and kernel state' : 'devices and kernel settings'}); it is no secrets file, and nothing was read.` } });
    expect(s.dialogs).toEqual([]);
  });

  it('a dropped /dev/stdin, FIFO or 1 GiB sparse file is refused before any dialog, saying why', async () => {
    const s = await setupMain();
    const fifo = join(s.t.root, 'pipe.env');
    execFileSync('mkfifo', [fifo]);
    const sparse = join(s.t.root, 'huge.json');
    execFileSync('truncate', ['-s', '1G', sparse]);
    for (const [path, why] of [['/dev/stdin', 'symbolic link'], [fifo, 'not a regular file'], [sparse, `${2 ** 30} bytes`]] as const) {
      expect(await s.call('migrationDrop', path)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining(why) } });
    }
    expect(s.dialogs).toEqual([]);
  });

  it('a real file reached through /proc (/proc/<pid>/root/...) is on the disk: still asked about and read', async () => {
    const s = await setupMain();
    const other = otherProject(s.t.root);
    const throughProc = `/proc/${process.pid}/root${other.files.env}`;
    const source = await s.value<MigrationSource>('migrationDrop', throughProc);
    expect(s.dialogs).toEqual([{ kind: 'confirmSource', paths: [throughProc] }]);
    expect(await s.value('migrationPlan', { source: source.handle })).toMatchObject({ plan: { counts: { apply: 1 } } });
  });

  it('a /proc file picked in main\'s dialog is refused when its plan is asked for, nothing read', async () => {
    const s = await setupMain();
    s.answers.pick = '/proc/self/environ';
    const source = await s.value<MigrationSource>('migrationPickFile');
    const r = await s.call('migrationPlan', { source: source.handle });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('/proc/self/environ is not a file of yours but a view the kernel makes up (procfs'), fix: 'Choose another file with "Choose a file…", or drop one on this window.' } });
  });

  it('a file picked in main\'s dialog needs no further confirmation, whatever its name', async () => {
    const s = await setupMain();
    const picked = join(s.t.root, 'odd-name.txt');
    writeFileSync(picked, JSON.stringify({ openai_api_key: `sk-proj-${'p'.repeat(40)}` }));
    s.answers.pick = picked;
    const source = await s.value<MigrationSource>('migrationPickFile');
    expect(source).toMatchObject({ path: picked, origin: 'picked' });
    expect(await s.value('migrationPlan', { source: source.handle })).toMatchObject({ plan: { counts: { apply: 1 } } });
    s.answers.pick = null;
    expect(await s.value('migrationPickFile')).toBeNull();
  });
});

describe('removing the plaintext asks in main\'s own dialog, and only once nothing would be lost', () => {
  async function migrated(extra: Record<string, unknown> = {}) {
    const s = await setupMain();
    mkdirSync(join(s.t.cwd, 'config'));
    const secrets = join(s.t.cwd, 'config', 'secrets.json');
    writeFileSync(secrets, JSON.stringify({ hf_token: HF, tmdb_api_key: TMDB, ...extra }));
    const [source] = await s.value<MigrationSource[]>('migrationSources');
    await applyReviewed(s, { source: source!.handle, includeUnknown: true });
    const backups = readdirSync(join(s.t.cwd, 'config')).filter((f) => f.startsWith('secrets.json.backup-')).map((f) => join(s.t.cwd, 'config', f));
    return { s, secrets, handle: source!.handle, backups };
  }

  it('lists the source and its backups in the dialog; "no" keeps them, "yes" deletes them', async () => {
    const { s, secrets, handle, backups } = await migrated();
    expect(backups).toHaveLength(1);
    s.answers.confirmRemove = false;
    expect(await s.value('migrationRemovePlaintext', { source: handle })).toEqual({ cancelled: true, removed: [], left: [secrets, ...backups] });
    expect([existsSync(secrets), existsSync(backups[0]!)]).toEqual([true, true]);
    s.answers.confirmRemove = true;
    expect(await s.value('migrationRemovePlaintext', { source: handle })).toEqual({ cancelled: false, removed: [secrets, ...backups], left: [] });
    expect(s.dialogs).toEqual([{ kind: 'confirmRemovePlaintext', paths: [secrets, ...backups] }, { kind: 'confirmRemovePlaintext', paths: [secrets, ...backups] }]);
    expect([existsSync(secrets), existsSync(backups[0]!)]).toEqual([false, false]);
  });

  it('works when an entry was empty (nothing to lose) and when an unknown key went in as a custom credential', async () => {
    const { s, secrets, handle } = await migrated({ pyannote_token: '', deepl_api_key: 'dk-1' });
    expect(await s.value('migrationRemovePlaintext', { source: handle })).toMatchObject({ cancelled: false, removed: expect.arrayContaining([secrets]) });
  });

  it('thousands of entries not in the vault: the kept message names the first few and how many in all', async () => {
    const settings = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`port_${i}`, '3000']));
    const { s, handle } = await migrated(settings);
    const r = await s.value<{ kept: string; removed: string[] }>('migrationRemovePlaintext', { source: handle });
    expect(r.removed).toEqual([]);
    expect(r.kept).toContain('(5000 in all)');
    expect(r.kept.length).toBeLessThan(2000);
  });

  it('keeps everything, without asking, while a file has another hard link (a snapshot): deleting one name frees nothing', async () => {
    const { s, secrets, handle } = await migrated();
    linkSync(secrets, join(s.t.cwd, 'snapshot-secrets.json'));
    const r = await s.value<{ kept: string; removed: string[] }>('migrationRemovePlaintext', { source: handle });
    expect(r.removed).toEqual([]);
    expect(r.kept).toContain('another hard link');
    expect(s.dialogs).toEqual([]);
    expect(existsSync(secrets)).toBe(true);
  });

  it('keeps everything, without asking, while an entry is not in the vault', async () => {
    const { s, secrets, handle } = await migrated();
    await s.value('credentialsSet', { service: 'tmdb', key: 'api_key', value: 'fedcba9876543210fedcba9876543210' }); // now a conflict
    const r = await s.value<{ kept: string; removed: string[] }>('migrationRemovePlaintext', { source: handle });
    expect(r.removed).toEqual([]);
    expect(r.kept).toMatch(/1 entry is not in the vault \(tmdb_api_key\)/);
    expect(s.dialogs).toEqual([]);
    expect(existsSync(secrets)).toBe(true);
    expect(r).toMatchObject({ fix: expect.stringMatching(/Migrate them .*Overwrite on a conflict.*Credentials screen/) });
    expect(JSON.stringify(r)).not.toMatch(/--[a-z]/);
  });

  // It said "Migrate them" for an entry migration cannot take: the plan the user went back to offered nothing to migrate.
  it('an invalid entry left: the fix says migration cannot take it and what can be done, not "Migrate them"', async () => {
    const { s, handle } = await migrated({ openai_api_key: 'sk-bad\u0007value-0123456789abcdef' });
    const r = await s.value<{ kept: string; fix: string; removed: string[] }>('migrationRemovePlaintext', { source: handle });
    expect(r.removed).toEqual([]);
    expect(r.kept).toMatch(/1 entry is not in the vault \(openai_api_key\)/);
    expect(r.fix).toBe("Invalid entries cannot be migrated (the plan's note on each says why): correct it in the file and look at the plan again, or store its key on the Credentials screen under a name of its own; or take out of the file what you do not need. Then remove the files again.");
    expect(r.fix).not.toContain('Migrate them');
    // With a conflict beside it, both ways, each for its own entries.
    await s.value('credentialsSet', { service: 'tmdb', key: 'api_key', value: 'fedcba9876543210fedcba9876543210' });
    const both = await s.value<{ fix: string }>('migrationRemovePlaintext', { source: handle });
    expect(both.fix).toMatch(/^Store each of the others first: Migrate them \(tick Overwrite on a conflict.*\. An invalid entry cannot be migrated/);
  });

  it('after the removal the file is no longer listed; its handle then says it is gone, with a fix in the app\'s terms (never a CLI flag)', async () => {
    const { s, secrets, handle } = await migrated();
    const token = join(s.t.home, '.cache', 'huggingface', 'token');
    mkdirSync(join(s.t.home, '.cache', 'huggingface'), { recursive: true });
    writeFileSync(token, `${HF}\n`);
    expect((await s.value<MigrationSource[]>('migrationSources')).map((x) => x.path)).toEqual([secrets, token]);
    await s.value('migrationRemovePlaintext', { source: handle });
    expect((await s.value<MigrationSource[]>('migrationSources')).map((x) => x.path)).toEqual([token]);
    const r = await s.call('migrationPlan', { source: handle });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: `${secrets} is no longer there (removed or moved since cpw-vault listed it); nothing was read.`, fix: 'Choose another file with "Choose a file…", or drop one on this window.' } });
    expect(JSON.stringify(r)).not.toContain('--from');
  });
});

describe('what a migration writes and removes is what the user reviewed, and only plaintext of theirs', () => {
  it('apply refuses a file that changed since its plan was shown (or with no plan), and writes nothing', async () => {
    const s = await setupMain();
    const { secrets, source } = await foundSecretsJson(s, { tmdb_api_key: TMDB });
    const { reviewed, plan } = await s.value<{ reviewed: string; plan: { counts: { apply: number } } }>('migrationPlan', { source: source!.handle });
    expect(plan.counts.apply).toBe(1);
    expect(reviewed).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(secrets, JSON.stringify({ tmdb_api_key: 'fedcba9876543210fedcba9876543210', hf_token: HF, openai_api_key: CANARY }));
    for (const tag of [reviewed, undefined, 'f'.repeat(64)]) {
      expect(await s.call('migrationApply', { source: source!.handle, ...(tag ? { reviewed: tag } : {}) })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('changed since its plan was shown') } });
    }
    expect(existsSync(s.t.profile)).toBe(false); // nothing stored: the first write would create it
    expect(readdirSync(join(s.t.cwd, 'config'))).toEqual(['secrets.json']); // no backup either
    // The plan shown again is the new file's; applying that one works.
    expect(await applyReviewed(s, { source: source!.handle })).toMatchObject({ ok: true, imported: 3 });
  });

  it('the live profile reached through a symlinked folder is never a source, so never deleted as "plaintext"', async () => {
    const s = await setupMain();
    await s.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    const docs = join(s.t.home, 'Documents');
    symlinkSync(join(s.t.home, '.cp-whisperx'), docs);
    const alias = join(docs, 'user.profile');
    expect(await s.call('migrationDrop', alias)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining("cpw-vault's own files") } });
    s.answers.pick = alias;
    expect(await s.call('migrationPickFile')).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    // A copy of the current profile elsewhere holds no plaintext: not a source either (nothing to migrate, nothing "safe to delete").
    const copy = join(s.t.root, 'user.profile');
    writeFileSync(copy, readFileSync(s.t.profile));
    s.answers.pick = copy;
    const picked = await s.value<MigrationSource>('migrationPickFile');
    expect(await s.call('migrationPlan', { source: picked.handle })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('no plaintext secret') } });
    expect(await s.call('migrationRemovePlaintext', { source: picked.handle })).toMatchObject({ ok: false });
    expect(existsSync(copy) && existsSync(s.t.profile)).toBe(true);
    expect(s.dialogs.filter((d) => d.kind === 'confirmRemovePlaintext')).toEqual([]);
  });

  it('removes only the backups migration made, each checked: the user\'s own look-alike and an older backup with other keys keep everything', async () => {
    const s = await setupMain();
    mkdirSync(join(s.t.cwd, 'config'));
    const mine = join(s.t.cwd, 'config', 'secrets.json.backup-my-old-keys');
    writeFileSync(mine, JSON.stringify({ openai_api_key: CANARY }));
    const { secrets, source } = await foundSecretsJson(s, { hf_token: HF });
    await applyReviewed(s, { source: source!.handle });
    // An older run's backup (its exact name) holding a key the vault never got.
    const older = join(s.t.cwd, 'config', 'secrets.json.backup-20200101T000000Z-abcdef');
    writeFileSync(older, JSON.stringify({ hf_token: HF, openai_api_key: CANARY }));
    const kept = await s.value<{ kept: string; removed: string[] }>('migrationRemovePlaintext', { source: source!.handle });
    expect(kept.removed).toEqual([]);
    expect(kept.kept).toMatch(/1 entry is not in the vault \(openai_api_key\)/);
    execFileSync('rm', [older]);
    const r = await s.value<{ removed: string[] }>('migrationRemovePlaintext', { source: source!.handle });
    expect(r.removed).toContain(secrets);
    expect(r.removed).not.toContain(mine);
    expect(readFileSync(mine, 'utf8')).toContain(CANARY);
  });

  it('a file changed while main\'s "remove?" dialog was open: nothing removed (a key added meanwhile would be lost)', async () => {
    const s = await setupMain();
    const { secrets, source } = await foundSecretsJson(s, { hf_token: HF });
    await applyReviewed(s, { source: source!.handle });
    let answer!: () => void;
    s.answers.waitFor = new Promise<void>((r) => (answer = r));
    const removing = s.value<{ kept: string; removed: string[] }>('migrationRemovePlaintext', { source: source!.handle });
    await expect.poll(() => s.dialogs.some((d) => d.kind === 'confirmRemovePlaintext')).toBe(true);
    writeFileSync(secrets, JSON.stringify({ hf_token: HF, openai_api_key: CANARY }));
    answer();
    const r = await removing;
    expect(r.removed).toEqual([]);
    expect(r.kept).toContain('changed while you answered');
    expect(readFileSync(secrets, 'utf8')).toContain(CANARY);
  });

  it.runIf(process.getuid?.() === 0)('a look-alike backup another user planted, or a link under a backup\'s name, is left alone, and the user\'s own files are still removed', async () => {
    const s = await setupMain();
    const { secrets, source } = await foundSecretsJson(s, { hf_token: HF });
    await applyReviewed(s, { source: source!.handle });
    const planted = join(s.t.cwd, 'config', 'secrets.json.backup-20200101T000000Z-abcdef');
    writeFileSync(planted, JSON.stringify({ openai_api_key: CANARY }));
    chownSync(planted, 65534, 65534);
    // A link of the user's own (to a file with a key the vault lacks) under a backup's name: no backup either.
    const elsewhere = join(s.t.root, 'other-keys.json');
    writeFileSync(elsewhere, JSON.stringify({ openai_api_key: CANARY }), { mode: 0o600 });
    const link = join(s.t.cwd, 'config', 'secrets.json.backup-20200102T000000Z-abcdef');
    symlinkSync(elsewhere, link);
    const r = await s.value<{ removed: string[]; kept?: string }>('migrationRemovePlaintext', { source: source!.handle });
    expect([r.removed, r.kept]).toEqual([expect.arrayContaining([secrets]), undefined]);
    expect(r.removed).not.toContain(planted);
    expect([existsSync(planted), lstatSync(link).isSymbolicLink(), readFileSync(elsewhere, 'utf8')]).toEqual([true, true, expect.stringContaining(CANARY)]);
  });

  it.each([
    ['whose commented-out lines hold a value', `HF_TOKEN=${HF}\n# OPENAI_API_KEY=${CANARY}\n# a plain comment\n`, '1 comment holds a value or what looks like a key (OPENAI_API_KEY)'],
    // The empty last value counted as nothing to lose: the real key before it, in no vault, went with the files.
    ['that gives a key twice, its last value empty', `HF_TOKEN=${HF}\nOPENAI_API_KEY=${CANARY}\nOPENAI_API_KEY=\n`, 'OPENAI_API_KEY appears more than once'],
  ])('a .env %s is kept, naming why', async (_what, text, why) => {
    const s = await setupMain();
    const env = join(s.t.root, 'project.env');
    writeFileSync(env, text, { mode: 0o600 });
    s.answers.pick = env;
    const source = await s.value<MigrationSource>('migrationPickFile');
    await applyReviewed(s, { source: source!.handle });
    const r = await s.value<{ kept: string; removed: string[] }>('migrationRemovePlaintext', { source: source!.handle });
    expect(r.removed).toEqual([]);
    expect(r.kept).toContain(why);
    expect(JSON.stringify(r)).not.toContain(CANARY);
    expect(readFileSync(env, 'utf8')).toContain(CANARY);
  });

  // A FIFO of the user's own at config/secrets.json was listed as a found source, and planning it then said "not a
  // regular file": it is no source, as migrate with no --from passes it over. Chosen in the dialog, it is still refused.
  it('a FIFO at config/secrets.json is not offered as a found source (the token file is); chosen, it is refused at once, never waited on', async () => {
    const s = await setupMain({ env: { HF_HOME: undefined } });
    mkdirSync(join(s.t.cwd, 'config'));
    const fifo = join(s.t.cwd, 'config', 'secrets.json');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    const token = join(s.t.home, '.cache', 'huggingface', 'token');
    mkdirSync(dirname(token), { recursive: true });
    writeFileSync(token, HF, { mode: 0o600 });
    expect((await s.value<MigrationSource[]>('migrationSources')).map((x) => x.path)).toEqual([token]);
    s.answers.pick = fifo;
    const picked = await s.value<MigrationSource>('migrationPickFile');
    expect(await s.call('migrationPlan', { source: picked.handle })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('not a regular file') } });
  }, 10_000);

  // A link of the user's own at config/secrets.json was offered as found, then its plan refused it as a link: it is passed
  // over, as migrate with no --from passes it over (naming the file it leads to). Chosen in the dialog, that file is read.
  it('a link of the user\'s own at config/secrets.json is not offered as a found source (the token file is); the file it leads to, chosen, is planned', async () => {
    const s = await setupMain({ env: { HF_HOME: undefined } });
    mkdirSync(join(s.t.cwd, 'config'));
    const real = join(s.t.cwd, 'keys.json');
    writeFileSync(real, JSON.stringify({ hf_token: HF }), { mode: 0o600 });
    symlinkSync(real, join(s.t.cwd, 'config', 'secrets.json'));
    const token = join(s.t.home, '.cache', 'huggingface', 'token');
    mkdirSync(dirname(token), { recursive: true });
    writeFileSync(token, HF, { mode: 0o600 });
    expect((await s.value<MigrationSource[]>('migrationSources')).map((x) => x.path)).toEqual([token]);
    s.answers.pick = real;
    const picked = await s.value<MigrationSource>('migrationPickFile');
    expect(await s.call('migrationPlan', { source: picked.handle })).toMatchObject({ ok: true });
  });

  // Found sources are the user's own files only, as doctor reads them: another user's config/secrets.json, their token
  // in a shared HF_HOME, or a link to it planted at the Hub's default place were listed as found, then refused at the
  // plan ("belongs to another user"). Chosen in the dialog, one is still refused, not taken as the user's keys.
  it.runIf(process.getuid?.() === 0)('another user\'s files are not offered as found sources (a shared HF_HOME, a planted link); chosen, one is refused', async () => {
    const hfHome = join(mkdtempSync(join(process.env['CPW_TEST_ROOT'] ?? '/tmp', 'hf-')), 'shared');
    mkdirSync(hfHome, { mode: 0o1777 });
    const theirs = join(hfHome, 'token');
    writeFileSync(theirs, `${HF}\n`);
    chownSync(theirs, 65534, 65534);
    const shared = await setupMain({ env: { HF_HOME: hfHome } });
    mkdirSync(join(shared.t.cwd, 'config'));
    const planted = join(shared.t.cwd, 'config', 'secrets.json');
    writeFileSync(planted, JSON.stringify({ hf_token: HF }));
    chownSync(planted, 65534, 65534);
    expect(await shared.value('migrationSources')).toEqual([]);
    shared.answers.pick = planted;
    const picked = await shared.value<MigrationSource>('migrationPickFile');
    expect(await shared.call('migrationPlan', { source: picked.handle })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('belongs to another user (uid 65534)') } });
    expect(await shared.call('credentialsReveal', { service: 'huggingface', key: 'token' })).toMatchObject({ ok: false });

    const linked = await setupMain({ env: { HF_HOME: undefined } });
    mkdirSync(join(linked.t.home, '.cache', 'huggingface'), { recursive: true });
    symlinkSync(theirs, join(linked.t.home, '.cache', 'huggingface', 'token'));
    expect(await linked.value('migrationSources')).toEqual([]);
    // The user's own token there is offered.
    chownSync(theirs, 0, 0);
    expect((await shared.value<MigrationSource[]>('migrationSources')).map((x) => x.path)).toEqual([theirs]);
  });
});

describe('doctor at the start: a broken config/secrets.json is the plaintext fallback\'s problem, not a damaged profile', () => {
  it('no profile and invalid JSON in config/secrets.json: the report names that file as `legacy`; once a profile exists, no longer', async () => {
    const s = await setupMain();
    mkdirSync(join(s.t.cwd, 'config'));
    const secrets = join(s.t.cwd, 'config', 'secrets.json');
    writeFileSync(secrets, '{"hf_token": "hf_abc');
    expect(await s.value('doctor')).toMatchObject({ profile: { kind: 'none', mode: null, legacy: secrets, problems: [expect.objectContaining({ code: 'PROFILE_INVALID', message: expect.stringContaining(secrets) })] } });
    await s.value('profileUpdate', { user: { name: 'Nova' } });
    const after = await s.value<{ profile: { legacy?: string; kind: string; problems: unknown[] } }>('doctor');
    expect([after.profile.kind, after.profile.legacy, after.profile.problems]).toEqual(['profile', undefined, []]);
    expect(readFileSync(secrets, 'utf8')).toBe('{"hf_token": "hf_abc');
  });

  it('a damaged profile beside a broken config/secrets.json stays the damaged profile (never `legacy`)', async () => {
    const s = await setupMain();
    await s.value('profileUpdate', { user: { name: 'Nova' } });
    writeFileSync(s.t.profile, '{"version": "2.0", "user": {');
    mkdirSync(join(s.t.cwd, 'config'));
    writeFileSync(join(s.t.cwd, 'config', 'secrets.json'), '[1,2,3]');
    const report = await s.value<{ profile: { legacy?: string; problems: Array<{ message: string }> } }>('doctor');
    expect(report.profile.legacy).toBeUndefined();
    expect(report.profile.problems[0]!.message).toContain(s.t.profile);
  });
});
