import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextDocument, parseRecipients } from '../../shared/core/team-document';
import { teamFilesFor, updateTeamFile } from '../../shared/node/team/team-file';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const TMDB = '0123456789abcdef0123456789abcdef';

/** age-keygen into `path` (0600), returning the public key. */
function keygen(path: string): string {
  execFileSync('age-keygen', ['-o', path], { stdio: 'ignore' });
  chmodSync(path, 0o600);
  return execFileSync('age-keygen', ['-y', path], { encoding: 'utf8' }).trim();
}

/** The public key of an age-keygen file. */
const keygenPublic = (path: string) => execFileSync('age-keygen', ['-y', path], { encoding: 'utf8' }).trim();

/** A team file of alice, carol and `others`, who have all seen tmdb.api_key; the test runs as alice (--identity-file). */
async function team(others: (t: TempHome) => { name: string; recipient: string }[]) {
  const t = makeTempHome();
  const key = (name: string) => join(t.root, `${name}.key`);
  const members = [{ name: 'alice', recipient: keygen(key('alice')) }, { name: 'carol', recipient: keygen(key('carol')) }, ...others(t)];
  const file = join(t.cwd, 'cpw-team.age');
  await updateTeamFile(teamFilesFor(file), async () => nextDocument(undefined, members, [{ id: 'tmdb.api_key', value: TMDB, meta: { updated_at: new Date().toISOString() } }], new Date()));
  const run = (args: string[]) => cli(t, [...args, '--identity-file', key('alice')]);
  const listed = () => parseRecipients(readFileSync(`${file}.recipients`, 'utf8'), `${file}.recipients`).map((m) => m.name);
  const opens = (name: string) => spawnSync('age', ['-d', '-i', key(name), file], { stdio: 'ignore' }).status === 0;
  return { t, key, file, run, listed, opens };
}

/**
 * Runs `cpw-vault ...args` as alice under strace, which sends `signal` the instant it renames its new version over the
 * team file (its first rename) or over the recipients list (its second), or with `at` a path, the instant it opens
 * that file (the team file is opened once, to decrypt it, before anything is written). strace's -P cannot pick the
 * rename by its target; the tests check which file changed.
 */
function signalled(t: TempHome, at: 'team file' | 'recipients list' | { opens: string }, signal: 'SIGKILL' | 'SIGINT', args: string[]) {
  const inject = typeof at === 'object' ? ['-P', at.opens, '-e', 'trace=openat', '-e', `inject=openat:signal=${signal}:when=1`] : ['-e', 'trace=rename', '-e', `inject=rename:signal=${signal}:when=${at === 'team file' ? 1 : 2}`];
  return spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', ...inject, process.execPath, BIN, ...args, '--identity-file', join(t.root, 'alice.key')], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8', timeout: 60_000 });
}

/** {@link signalled} with SIGKILL: its exit code as a shell reports it (137), or null. */
function killedAtRename(t: TempHome, at: 'team file' | 'recipients list', args: string[]): number | null {
  const r = signalled(t, at, 'SIGKILL', args);
  return r.status ?? (r.signal === 'SIGKILL' ? 137 : null);
}

describe('team add / remove killed, then run again (the README\'s recovery)', () => {
  for (const at of ['team file', 'recipients list'] as const) {
    it(`a remove SIGKILLed as it replaces the ${at} is finished by the same remove: bob revoked, listed nowhere, told what to rotate`, async () => {
      const s = await team((t) => [{ name: 'bob', recipient: keygen(join(t.root, 'bob.key')) }]);
      expect(killedAtRename(s.t, at, ['team', 'remove', 'bob'])).toBe(137);
      // The team file is never one step behind: killed at its rename it is the old one, else already without bob.
      expect(s.opens('bob')).toBe(at === 'team file');
      expect(s.listed()).toContain('bob');
      const again = await s.run(['team', 'remove', 'bob']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(at === 'team file' ? /✓ bob removed; new versions/ : /✓ bob removed: finished a remove that was interrupted/);
      expect(again.stderr).toContain('Rotate these keys: bob has seen tmdb.api_key');
      expect(s.opens('bob')).toBe(false);
      expect(s.opens('alice') && s.opens('carol')).toBe(true);
      expect(s.listed()).toEqual(['alice', 'carol']);
      const status = await s.run(['team', 'status', '--json']);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ recipients_mismatch: null, rotate: [{ name: 'bob', ids: ['tmdb.api_key'] }] });
    }, 120_000);
  }

  it('a remove killed between its writes of a key under two names: the rerun takes both names off the list, and says so', async () => {
    const s = await team((t) => {
      const shared = keygen(join(t.root, 'bob.key'));
      return [{ name: 'bob', recipient: shared }, { name: 'bobby', recipient: shared }];
    });
    expect(killedAtRename(s.t, 'recipients list', ['team', 'remove', 'bob'])).toBe(137);
    expect(s.listed()).toEqual(['alice', 'bob', 'bobby', 'carol']);
    const again = await s.run(['team', 'remove', 'bob', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('✓ bob and bobby removed: finished a remove that was interrupted');
    expect(JSON.parse(again.stdout)).toMatchObject({ removed: 'bob', already_removed: false, also_removed: ['bobby'], rotate: ['tmdb.api_key'], recipients_mismatch: null });
    expect(s.listed()).toEqual(['alice', 'carol']);
    expect(s.opens('bob')).toBe(false);
  }, 120_000);

  it('a remove that finished (killed before it could print), run again: "already removed", exit 0, the keys to rotate; a name never a member is still exit 2', async () => {
    const s = await team((t) => [{ name: 'bob', recipient: keygen(join(t.root, 'bob.key')) }]);
    expect((await s.run(['team', 'remove', 'bob'])).code).toBe(0);
    const before = readFileSync(s.file);
    const again = await s.run(['team', 'remove', 'bob', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('bob was already removed: the team file is not encrypted to them. Nothing changed.');
    expect(again.stderr).toContain('Rotate these keys: bob has seen tmdb.api_key');
    expect(JSON.parse(again.stdout)).toMatchObject({ removed: 'bob', already_removed: true, rotate: ['tmdb.api_key'] });
    expect(readFileSync(s.file)).toEqual(before);
    const typo = await s.run(['team', 'remove', 'bobb']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('bobb is not a member of this team file, nor in');
    expect(typo.stderr).toContain('Re-running a remove of them that was interrupted? It had finished');
  }, 120_000);

  it('an add SIGKILLed as it replaces the recipients list is finished by the same add: dave listed, and the file opens for him', async () => {
    const s = await team(() => []);
    const dave = keygen(s.key('dave'));
    expect(killedAtRename(s.t, 'recipients list', ['team', 'add', 'dave', dave])).toBe(137);
    expect(s.opens('dave')).toBe(true);
    expect(s.listed()).toEqual(['alice', 'carol']);
    const again = await s.run(['team', 'add', 'dave', dave]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('✓ dave added; finished an add that was interrupted');
    expect(s.listed()).toEqual(['alice', 'carol', 'dave']);
    expect(s.opens('dave')).toBe(true);
  }, 120_000);

  it('a remove of a name the list alone gives, by hand, to a member\'s key says whose key it is, and changes nothing', async () => {
    const s = await team(() => []);
    const list = readFileSync(`${s.file}.recipients`, 'utf8');
    writeFileSync(`${s.file}.recipients`, `${list}# robert\n${keygenPublic(s.key('carol'))}\n`);
    const before = readFileSync(s.file);
    const r = await s.run(['team', 'remove', 'robert']);
    expect(r.code, r.stderr).toBe(2);
    // It said robert was in neither file, though the list the user edited names him.
    expect(r.stderr).toContain(`robert is not a member of this team file: ${s.file}.recipients names them by hand, with the key of member carol`);
    expect(r.stderr).toContain('To revoke that key: cpw-vault team remove carol.');
    expect(readFileSync(s.file)).toEqual(before);
    expect(s.listed()).toEqual(['alice', 'carol', 'robert']);
  }, 60_000);
});

describe('team add / remove interrupted by Ctrl-C (SIGINT)', () => {
  /** What no interrupted command may print: a secret (alice's identity, a value) or a stack trace. */
  const clean = (r: { stdout: string; stderr: string }, key: string) => {
    const out = r.stdout + r.stderr;
    expect(out).not.toContain(readFileSync(key, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!);
    expect(out).not.toContain(TMDB);
    expect(out).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  };

  // Both files are written in one synchronous stretch after the last check of the signal: a Ctrl-C there can no longer
  // cancel (the team file is replaced), so the change completes, as a signal once a change is done leaves exit 0.
  for (const at of ['team file', 'recipients list'] as const) {
    it(`an add Ctrl-C'd as it replaces the ${at} completes both files (✓, exit 0, never half), and a rerun has nothing to do`, async () => {
      const s = await team(() => []);
      const dave = keygen(s.key('dave'));
      const r = signalled(s.t, at, 'SIGINT', ['team', 'add', 'dave', dave]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain('✓ dave added; ');
      expect(r.stderr).not.toContain('cancelled');
      clean(r, s.key('alice'));
      expect(s.opens('dave') && s.opens('alice') && s.opens('carol')).toBe(true);
      expect(s.listed()).toEqual(['alice', 'carol', 'dave']);
      const again = await s.run(['team', 'add', 'dave', dave]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain('dave is already a member with that key; nothing changed.');
    }, 120_000);

    it(`a remove Ctrl-C'd as it replaces the ${at} completes both files (✓, exit 0, never half), and a rerun says it was done`, async () => {
      const s = await team((t) => [{ name: 'bob', recipient: keygen(join(t.root, 'bob.key')) }]);
      const r = signalled(s.t, at, 'SIGINT', ['team', 'remove', 'bob', '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain('✓ bob removed; ');
      expect(r.stderr).not.toContain('cancelled');
      expect(JSON.parse(r.stdout)).toMatchObject({ removed: 'bob', already_removed: false, rotate: ['tmdb.api_key'] });
      clean(r, s.key('alice'));
      expect(s.opens('bob')).toBe(false);
      expect(s.listed()).toEqual(['alice', 'carol']);
      const again = await s.run(['team', 'remove', 'bob']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain('bob was already removed');
    }, 120_000);
  }

  it('an add or a remove Ctrl-C\'d before its first write is cancelled (exit 130, both files byte-identical), and a rerun makes the change', async () => {
    const s = await team((t) => [{ name: 'bob', recipient: keygen(join(t.root, 'bob.key')) }]);
    const dave = keygen(s.key('dave'));
    const files = () => [readFileSync(s.file), readFileSync(`${s.file}.recipients`)];
    const before = files();
    for (const args of [['team', 'add', 'dave', dave], ['team', 'remove', 'bob']]) {
      const r = signalled(s.t, { opens: s.file }, 'SIGINT', args);
      expect(r.status, r.stderr).toBe(130);
      expect(r.stderr.trim()).toBe('cancelled: nothing changed');
      clean(r, s.key('alice'));
      expect(files()).toEqual(before);
    }
    expect((await s.run(['team', 'add', 'dave', dave])).code).toBe(0);
    expect((await s.run(['team', 'remove', 'bob'])).code).toBe(0);
    expect(s.listed()).toEqual(['alice', 'carol', 'dave']);
    expect(s.opens('dave') && !s.opens('bob')).toBe(true);
  }, 120_000);
});

describe('team init killed between its two writes, then run again', () => {
  /** A home with tmdb.api_key stored, alice's key, and a recipients list already there (committed alone: carol). */
  async function initHome() {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
    const alice = keygen(join(t.root, 'alice.key'));
    const file = join(t.cwd, 'cpw-team.age');
    writeFileSync(`${file}.recipients`, `# carol\n${keygen(join(t.root, 'carol.key'))}\n`);
    const listed = () => parseRecipients(readFileSync(`${file}.recipients`, 'utf8'), `${file}.recipients`).map((m) => m.name);
    return { t, alice, file, listed, init: ['team', 'init', '--name', 'alice', '--add', 'tmdb.api_key'] };
  }

  it('a team file left without its list is finished by the same init (it said "already exists"), never rewritten', async () => {
    const s = await initHome();
    // With a list there, init writes the team file first (a link: no rename), then renames the new list into place.
    expect(killedAtRename(s.t, 'team file', s.init)).toBe(137);
    const left = readFileSync(s.file, 'utf8');
    expect(s.listed()).toEqual(['carol']);
    const again = await cli(s.t, [...s.init, '--identity-file', join(s.t.root, 'alice.key')]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('already exists');
    expect(again.stderr).toContain(`✓ Finished an init that was interrupted: ${s.file} was already written (encrypted to you alone as alice, 1 key: tmdb.api_key); ${s.file}.recipients now lists you.`);
    expect(readFileSync(s.file, 'utf8')).toBe(left);
    expect(s.listed()).toEqual(['alice']);
    const status = await cli(s.t, ['team', 'status', '--json', '--identity-file', join(s.t.root, 'alice.key')]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ recipients_mismatch: null });
    // Run once more: nothing to do, still exit 0.
    const third = await cli(s.t, [...s.init, '--identity-file', join(s.t.root, 'alice.key')]);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toContain('Nothing to do');
    // Another set of keys: refused, saying what the file holds and how to add the rest; the file untouched.
    const other = await cli(s.t, [...s.init, '--add', 'huggingface.token', '--identity-file', join(s.t.root, 'alice.key')]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('but not with the keys asked for (tmdb.api_key, huggingface.token) and your values. The team file was not changed.');
    expect(other.stderr).toContain('fix: Put keys in it with cpw-vault team push --add SERVICE.KEY');
    expect(readFileSync(s.file, 'utf8')).toBe(left);
  }, 120_000);

  it('a team file with other members, or not encrypted to this key, is refused as it was, saying what it is and what to do, and left byte-identical', async () => {
    const s = await team(() => []);
    const before = readFileSync(s.file);
    const r = await s.run(['team', 'init', '--add', 'tmdb.api_key']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${s.file} already exists, a team file of 2 members (alice, carol)`);
    expect(r.stderr).toContain('fix: Update it with cpw-vault team push --add SERVICE.KEY');
    const other = keygen(join(s.t.root, 'mallory.key'));
    const theirs = await cli(s.t, ['team', 'init', '--add', 'tmdb.api_key', '--identity-file', join(s.t.root, 'mallory.key')]);
    expect(theirs.code).toBe(2);
    expect(theirs.stderr).toContain(`and it is not encrypted to your key (${other})`);
    expect(readFileSync(s.file).equals(before)).toBe(true);
    expect(s.listed()).toEqual(['alice', 'carol']);
  }, 120_000);
});
