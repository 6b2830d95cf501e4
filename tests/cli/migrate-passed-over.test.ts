// migrate with no --from looked first at ./config/secrets.json and took whatever was there: another user's file (a
// shared, mode-1777 working folder; a link planted to their file), then refused it "belongs to another user", or a FIFO,
// then refused it "not a regular file". The user's own sources (a seed profile holding plaintext, their HuggingFace
// token file) were never reached. Such a place is passed over now, said in one line, and the next one looked at.
import { chmodSync, chownSync, lchownSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { NOBODY } from '../helpers/planted';
import { makeTempHome, type TempHome } from '../helpers/temp';

const MINE = `hf_${'Mine'.repeat(9)}`;
const THEIRS = `hf_${'Thrs'.repeat(9)}`;

/** A working folder everyone may write (1777), config/ in it too, and the user's own HuggingFace token file. */
function sharedFolder(): { t: TempHome; at: string } {
  const t = makeTempHome();
  chmodSync(t.cwd, 0o1777);
  mkdirSync(join(t.cwd, 'config'));
  chmodSync(join(t.cwd, 'config'), 0o1777);
  const token = join(t.home, '.cache', 'huggingface', 'token');
  mkdirSync(dirname(token), { recursive: true });
  writeFileSync(token, MINE, { mode: 0o600 });
  return { t, at: join(t.cwd, 'config', 'secrets.json') };
}

/** A secrets file of another user's (nobody) in the shared folder. */
function theirFile(t: TempHome): string {
  const theirs = join(t.cwd, 'their-secrets.json');
  writeFileSync(theirs, JSON.stringify({ hf_token: THEIRS }));
  chownSync(theirs, NOBODY, NOBODY);
  return theirs;
}

/** What is at config/secrets.json, and the reason migrate gives for passing it over. */
const planted = {
  'their own file': (at: string) => (writeFileSync(at, JSON.stringify({ hf_token: THEIRS })), chownSync(at, NOBODY, NOBODY), `it belongs to another user (uid ${NOBODY}), whose keys are not taken as yours`),
  'a link they planted to their file': (at: string, theirs: string) => (symlinkSync(theirs, at), lchownSync(at, NOBODY, NOBODY), `it is a link another user (uid ${NOBODY}) made; what it leads to is not taken as yours`),
  'a link of the user\'s own to their file': (at: string, theirs: string) => (symlinkSync(theirs, at), `it leads to another user's file (uid ${NOBODY}), whose keys are not taken as yours`),
};

describe.runIf(process.getuid?.() === 0)('migrate with no --from passes over another user\'s config/secrets.json (a shared folder)', () => {
  it.each(Object.keys(planted) as Array<keyof typeof planted>)('%s: passed over, said in one line, and the user\'s own token file migrated', async (what) => {
    const { t, at } = sharedFolder();
    const why = planted[what](at, theirFile(t));
    const dry = await cli(t, ['migrate', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(`Passed over ${at}: ${why}.\n`);
    // Once: the profile reader's own "Ignoring config/secrets.json" (no profile yet) is not said again beside it.
    expect(dry.stderr.split('\n').filter((l) => l.includes(at))).toHaveLength(1);
    expect(dry.stdout).toContain(`Plan for ${join(t.home, '.cache', 'huggingface', 'token')} (hf-token-file)`);
    const r = await cli(t, ['migrate', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(MINE);
    for (const out of [dry, r]) expect(out.stdout + out.stderr).not.toMatch(new RegExp(`${MINE}|${THEIRS}`));
    // Named with --from, it is refused as before, with its fix: their keys never become the user's.
    const named = await cli(t, ['migrate', '--from', at, '--dry-run']);
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/belongs to another user \(uid 65534\)|is a symbolic link/);
  });

  it('reaches a seed profile holding plaintext past their file', async () => {
    const { t, at } = sharedFolder();
    planted['their own file'](at);
    rmSync(join(t.home, '.cache'), { recursive: true });
    mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
    writeFileSync(t.profile, JSON.stringify({ version: '1.0', user: { name: 'A' }, credentials: { huggingface: { token: MINE } } }), { mode: 0o600 });
    const r = await cli(t, ['migrate', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Passed over ${at}: it belongs to another user`);
    expect(r.stdout).toContain(`Plan for ${t.profile} (seed-profile)`);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(MINE);
  });
});

describe('migrate with no --from and a FIFO of the user\'s own at config/secrets.json', () => {
  it('passes over it at once (never waits on it), says so, and migrates the token file', async () => {
    const { t, at } = sharedFolder();
    execFileSync('mkfifo', ['-m', '600', at]);
    const r = await cli(t, ['migrate', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Passed over ${at}: it is a named pipe (FIFO), not a file to read keys from.\n`);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(MINE);
    // Nothing else there: "Nothing to migrate", after the same line.
    rmSync(join(t.home, '.cache'), { recursive: true });
    const none = await cli(t, ['migrate', '--dry-run']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`Passed over ${at}: it is a named pipe (FIFO)`);
    expect(none.stderr).toContain('Nothing to migrate');
  });
});

// A link of the user's own at config/secrets.json to a file of theirs was taken as found, then refused when read ("is a
// symbolic link; refusing to follow it. Point --from at the real file"), so the token file after it was never reached.
describe('migrate with no --from and a link of the user\'s own at config/secrets.json', () => {
  it('passes over it, naming the file it leads to for --from, and migrates the token file; --from that file migrates it', async () => {
    const t = makeTempHome();
    mkdirSync(join(t.cwd, 'config'));
    mkdirSync(join(t.cwd, 'keys'));
    const real = join(t.cwd, 'keys', 'secrets.json');
    writeFileSync(real, JSON.stringify({ tmdb_api_key: '0123456789abcdef0123456789abcdef' }), { mode: 0o600 });
    const at = join(t.cwd, 'config', 'secrets.json');
    symlinkSync(join('..', 'keys', 'secrets.json'), at);
    const token = join(t.home, '.cache', 'huggingface', 'token');
    mkdirSync(dirname(token), { recursive: true });
    writeFileSync(token, MINE, { mode: 0o600 });
    const dry = await cli(t, ['migrate', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(`Passed over ${at}: it is a symbolic link to ${real}, which migrate does not follow; pass the file it leads to with --from to migrate it.\n`);
    expect(dry.stdout).toContain(`Plan for ${token} (hf-token-file)`);
    const r = await cli(t, ['migrate', '--from', real, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect((await cli(t, ['get', 'tmdb', 'api_key'])).stdout).toBe('0123456789abcdef0123456789abcdef');
    for (const out of [dry, r]) expect(out.stdout + out.stderr).not.toMatch(new RegExp(`${MINE}|0123456789abcdef0123456789abcdef`));
  });
});
