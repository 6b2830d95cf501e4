// list's cache (shared/cli/list-cache.ts): a kept listing is printed only
// while everything it shows still holds. Each case makes the cache, marks its
// table (a marker the real rows never hold), shows the mark is printed while
// nothing changed, then changes one thing a row depends on and checks that
// list prints the rows as they are, as a list with no cache does.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { cachePath, dirOf, fresh, ok, quiet } from '../helpers/list-cache';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'ListCache1'.repeat(4)}`;
const ORG = 'org-FirstOrg2024';
const MARK = 'CACHED!'; // as long as "SERVICE", the header's first cell

/** Makes the cache, then marks its table: a list that prints the mark printed the cache. */
async function markedCache(t: TempHome, env: Record<string, string | undefined> = {}): Promise<void> {
  await quiet(t);
  rmSync(cachePath(t), { force: true });
  expect((await cli(t, ['list'], { env })).code).toBe(0);
  const text = readFileSync(cachePath(t), 'utf8');
  const at = text.lastIndexOf('SERVICE');
  writeFileSync(cachePath(t), text.slice(0, at) + MARK + text.slice(at + MARK.length), { mode: 0o600 });
  // Nothing changed: the kept table is printed.
  expect((await cli(t, ['list'], { env })).stdout).toContain(MARK);
}

async function vault(): Promise<TempHome> {
  const t = makeTempHome();
  await ok(t, ['set', 'huggingface', 'token'], HF);
  await ok(t, ['set', 'openai', 'organization_id'], ORG);
  await ok(t, ['set', 'my-svc', 'api_key', '--env-var', 'MY_SVC_TOKEN'], 'my-svc-value-1234');
  return t;
}

describe('list prints its kept table only while it holds', () => {
  it('a set, a delete, a use and env vars each make list show the rows as they are', async () => {
    const cases: Array<[string, (t: TempHome) => Promise<Record<string, string | undefined> | void>, (out: string) => void]> = [
      ['a set', async (t) => void (await ok(t, ['set', 'tmdb', 'api_key'], '00112233445566778899aabbccddeeff')), (out) => expect(out).toMatch(/tmdb +api_key +keychain/)],
      ['a delete', async (t) => void (await ok(t, ['delete', 'my-svc', 'api_key', '--yes'])), (out) => expect(out).not.toContain('my-svc')],
      [
        'a use',
        async (t) => {
          // The last use was long ago: this read records one (the mark's time and its folder's move).
          spawnSync('touch', ['-d', '2020-01-01T00:00:00Z', join(dirOf(t), 'usage', 'huggingface.token')]);
          await quiet(t);
          await markedCache(t);
          await ok(t, ['get', 'huggingface', 'token']);
        },
        (out) => expect(out).toMatch(new RegExp(`huggingface +token .*${new Date().toISOString().slice(0, 10)} \\d\\d:\\d\\dZ\\n`)),
      ],
      ['a catalog env var', async () => ({ HF_TOKEN: 'hf_fromTheShell' }), (out) => expect(out).toMatch(/huggingface +token +env HF_TOKEN/)],
      ['a custom env var', async () => ({ MY_SVC_TOKEN: 'from-the-shell' }), (out) => expect(out).toMatch(/my-svc +api_key +env MY_SVC_TOKEN/)],
    ];
    await Promise.all(
      cases.map(async ([what, change, check]) => {
        const t = await vault();
        if (what === 'a use') await ok(t, ['get', 'huggingface', 'token']);
        await markedCache(t);
        const env = (await change(t)) ?? {};
        const out = (await cli(t, ['list'], { env })).stdout;
        expect(out, what).not.toContain(MARK);
        check(out);
        expect(out, what).toBe(await fresh(t, env));
      }),
    );
  });

  it('which variable a credential is shown from, and blank variables', async () => {
    const t = await vault();
    await ok(t, ['set', 'google', 'api_key'], `AIza${'G'.repeat(35)}`);
    // Made with GEMINI_API_KEY set: kept while it is, not once GOOGLE_API_KEY (first in order) is set too.
    await markedCache(t, { GEMINI_API_KEY: 'gemini-from-shell' });
    expect((await cli(t, ['list'], { env: { GEMINI_API_KEY: 'other-value' } })).stdout).toContain(MARK);
    expect((await cli(t, ['list'], {})).stdout).not.toContain(MARK);
    const both = { GEMINI_API_KEY: 'g', GOOGLE_API_KEY: 'k' };
    const out = (await cli(t, ['list'], { env: both })).stdout;
    expect(out).not.toContain(MARK);
    expect(out).toMatch(/google +api_key +env GOOGLE_API_KEY/);
    // A blank variable carries nothing, with or without the cache.
    await markedCache(t);
    expect((await cli(t, ['list'], { env: { HF_TOKEN: '  ', MY_SVC_TOKEN: '' } })).stdout).toContain(MARK);
    // The organization ID (no secret) is shown in full from the kept table as from the profile.
    expect((await cli(t, ['list'], { env: { HF_TOKEN: '  ' } })).stdout).toMatch(/openai +organization_id +profile +org-FirstOrg2024/);
  });

  it('a cache that is damaged, loose, a link or made too close to a change is not used, nor followed', async () => {
    const t = await vault();
    const expected = await fresh(t);
    // Made right after the profile changed (within the racy margin): list writes none.
    rmSync(cachePath(t), { force: true });
    await ok(t, ['set', 'tmdb', 'api_key'], '00112233445566778899aabbccddeeff');
    await ok(t, ['list']);
    expect(existsSync(cachePath(t))).toBe(false);
    await markedCache(t);
    const marked = readFileSync(cachePath(t), 'utf8');
    const now = await fresh(t);
    expect(now).not.toBe(expected);
    const damaged: Array<[string, string]> = [
      ['truncated', marked.slice(0, marked.length / 2)],
      ['another version', marked.replace(/^cpw-vault list cache 1 \S+/, 'cpw-vault list cache 1 0.0.0-other')],
      ['a clash of the wrong shape', marked.replace('"clashes":[]', '"clashes":[{"id":"x"}]')],
      ['a names block cut short', marked.replace(/"names":\d+/, '"names":5')],
      ['not JSON', marked.replace('{"clashes"', '{clashes')],
    ];
    for (const [what, text] of damaged) {
      writeFileSync(cachePath(t), text, { mode: 0o600 });
      const r = await cli(t, ['list']);
      expect([r.code, r.stdout, r.stderr], what).toEqual([0, now, '']);
    }
    // Made (by its time) within the racy margin of the newest file it was made from: not used.
    writeFileSync(cachePath(t), marked, { mode: 0o600 });
    const profileTime = statSync(t.profile).ctime;
    utimesSync(cachePath(t), profileTime, profileTime);
    expect((await cli(t, ['list'])).stdout).toBe(now);
    // Group-writable: not used, and made again private.
    writeFileSync(cachePath(t), marked, { mode: 0o600 });
    chmodSync(cachePath(t), 0o660);
    expect((await cli(t, ['list'])).stdout).toBe(now);
    expect(statSync(cachePath(t)).mode & 0o777).toBe(0o600);
    // A link planted in its place: never read through, never written through; list still lists.
    const target = join(t.root, 'elsewhere');
    writeFileSync(target, marked);
    rmSync(cachePath(t));
    symlinkSync(target, cachePath(t));
    const linked = await cli(t, ['list']);
    expect([linked.code, linked.stdout]).toEqual([0, now]);
    expect(readFileSync(target, 'utf8')).toBe(marked);
    expect(lstatSync(cachePath(t)).isSymbolicLink()).toBe(true);
  });

  it('a change a large profile takes in its index overlay (profile.changes) makes list show it', async () => {
    const t = makeTempHome();
    // 300 credentials: the profile passes 64 KiB, and a set then writes its overlay, not the profile.
    const source = join(t.cwd, 'secrets.json');
    writeFileSync(source, JSON.stringify(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`svc${i}_api_key`, `value-${i}-${'v'.repeat(24)}`]))));
    await ok(t, ['migrate', '--from', source, '--include-unknown', '--yes']);
    expect(statSync(t.profile).size).toBeGreaterThan(64 * 1024);
    await markedCache(t);
    const profileBefore = statSync(t.profile);
    await ok(t, ['set', 'huggingface', 'token'], HF);
    expect(existsSync(join(dirOf(t), 'profile.changes'))).toBe(true);
    expect(statSync(t.profile).mtimeMs).toBe(profileBefore.mtimeMs);
    const out = (await cli(t, ['list'])).stdout;
    expect(out).not.toContain(MARK);
    expect(out).toMatch(/huggingface +token +keychain/);
    expect(out).toBe(await fresh(t));
    // 300 keychain writes (the migrate): ~10 s on a quiet machine, over the default minute on a loaded one (CI with
    // other work: 60 s cap hit). A cap, not a wait: the test ends as soon as its commands do.
  }, 240_000);

  it('a change to the profile removes the kept table: a deleted or replaced value shown in full is not left in it', async () => {
    const t = await vault();
    await markedCache(t);
    expect(readFileSync(cachePath(t), 'utf8')).toContain(ORG);
    // Replaced: the old organization ID is in no file of the folder any more, without a list after.
    await ok(t, ['set', 'openai', 'organization_id'], 'org-SecondOrg2025');
    expect(existsSync(cachePath(t))).toBe(false);
    await markedCache(t);
    await ok(t, ['delete', 'openai', 'organization_id', '--yes']);
    expect(existsSync(cachePath(t))).toBe(false);
    // A link planted at its name is not followed, nor removed, by a write.
    const target = join(t.root, 'elsewhere');
    writeFileSync(target, 'not a cache');
    symlinkSync(target, cachePath(t));
    await ok(t, ['set', 'tmdb', 'api_key'], '00112233445566778899aabbccddeeff');
    expect([lstatSync(cachePath(t)).isSymbolicLink(), readFileSync(target, 'utf8')]).toEqual([true, 'not a cache']);
  });

  it('a list that prints its kept table does not open the profile', async () => {
    const t = await vault();
    await markedCache(t);
    const log = join(t.root, 'strace.log');
    const r = spawnSync('strace', ['-f', '-qq', '-o', log, '-e', 'trace=openat', process.execPath, BIN, 'list'], {
      cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8',
    });
    expect([r.status, r.stdout.includes(MARK)]).toEqual([0, true]);
    const opens = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes(dirOf(t)));
    expect(opens.filter((l) => l.includes('user.profile"'))).toEqual([]);
    expect(opens.filter((l) => l.includes('profile.listing"')).length).toBeGreaterThan(0);
  });
});
