import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lchownSync, mkdirSync, readdirSync, readFileSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { fileCli, fileEnv, inPty, makeFileVaultHome, vaultBytes, type FileVaultHome } from '../helpers/file-vault';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'TeamShared'.repeat(4)}`;
const TMDB = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const sha = (v: string) => createHash('sha256').update(v).digest('hex');
/** A stage that proves which TMDB key it got without printing it (or taking it in argv). */
const STAGE = ['node', '-e', "process.stdout.write('tmdb-sha=' + require('crypto').createHash('sha256').update(process.env.TMDB_API_KEY || '').digest('hex'))"];

const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1' };
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], { cwd, env: { ...process.env, ...GIT_ENV, HOME: cwd }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Two users, two HOMEs, two secret stores (alice: the session keychain in a
 * namespace of her own; bob: an age vault file, no D-Bus at all), one bare
 * git repository on disk between them: the whole life of a team vault.
 */
describe('a team vault shared through a real git repository', () => {
  let alice: TempHome;
  let bob: FileVaultHome;
  let aliceRepo: string;
  let bobRepo: string;
  let bobKey: string;
  const a = (args: string[], input?: string) => cli(alice, args, input === undefined ? {} : { input });
  const b = (args: string[], input?: string) => fileCli(bob, args, input === undefined ? {} : { input });
  const aliceFile = () => join(aliceRepo, 'cpw-team.age');
  const bobFile = () => join(bobRepo, 'cpw-team.age');

  beforeAll(async () => {
    alice = makeTempHome();
    bob = await makeFileVaultHome({ logN: 10 });
    const origin = join(alice.root, 'origin.git');
    git(alice.root, 'init', '-q', '--bare', origin);
    git(alice.root, 'clone', '-q', origin, 'alice-repo');
    git(bob.root, 'clone', '-q', origin, 'bob-repo');
    aliceRepo = join(alice.root, 'alice-repo');
    bobRepo = join(bob.root, 'bob-repo');
    expect((await a(['set', 'tmdb', 'api_key'], TMDB)).code).toBe(0);
    expect((await a(['set', 'huggingface', 'token'], HF)).code).toBe(0);
    expect((await b(['unlock', '--passphrase-file', bob.passFile])).code).toBe(0);
  });
  afterAll(async () => {
    await b(['lock']);
  });

  it('alice inits and pushes: an armored age file plus a recipients file in age -R format, no value in either', async () => {
    const r = await a(['team', 'init', '--file', aliceFile(), '--name', 'alice', '--add', 'tmdb.api_key', '--add', 'huggingface.token']);
    expect(r.stderr).toContain('Created');
    expect(r.code).toBe(0);
    const text = readFileSync(aliceFile(), 'utf8');
    expect(text.startsWith('-----BEGIN AGE ENCRYPTED FILE-----')).toBe(true);
    expect(text).not.toContain(TMDB);
    const recipients = readFileSync(`${aliceFile()}.recipients`, 'utf8');
    expect(recipients).toMatch(/^# alice\nage1[a-z0-9]{58}$/m);
    git(aliceRepo, 'add', '.');
    git(aliceRepo, 'commit', '-qm', 'team file');
    git(aliceRepo, 'push', '-q', 'origin', 'HEAD:main');
  });

  it('bob prints his identity (created in his vault file, never a plain file), and is told he is not a recipient yet', async () => {
    const before = vaultBytes(bob).vault;
    const r = await b(['team', 'identity']);
    expect(r.code).toBe(0);
    bobKey = r.stdout.trim();
    expect(bobKey).toMatch(/^age1[a-z0-9]{58}$/);
    expect(vaultBytes(bob).vault).not.toBe(before);
    expect((await b(['team', 'identity'])).stdout.trim()).toBe(bobKey);
    git(bobRepo, 'pull', '-q', 'origin', 'main');
    const denied = await b(['team', 'pull', '--yes', '--file', bobFile()]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('[TEAM_NOT_RECIPIENT]');
    expect(denied.stderr).toContain(`cpw-vault team add <you> ${bobKey}`);
  });

  it('alice adds bob; bob pulls the repo, team pulls (plan first) and runs a stage with the team TMDB key', async () => {
    const add = await a(['team', 'add', 'bob', bobKey, '--file', aliceFile()]);
    expect(add.code).toBe(0);
    expect(readFileSync(`${aliceFile()}.recipients`, 'utf8')).toContain(`# bob\n${bobKey}`);
    git(aliceRepo, 'commit', '-qam', 'add bob');
    git(aliceRepo, 'push', '-q', 'origin', 'HEAD:main');
    git(bobRepo, 'pull', '-q', 'origin', 'main');

    const refused = await b(['team', 'pull', '--file', bobFile()]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/tmdb\.api_key\s+tmdb\.api_key\s+import/);
    // On a terminal the plan is shown and a question asked; Ctrl-C there changes nothing.
    const before = vaultBytes(bob).vault;
    const pty = await inPty(bob.cwd, fileEnv(bob), [process.execPath, BIN, 'team', 'pull', '--file', bobFile()], [{ expect: 'Write 2 credentials into your vault', send: '\u0003' }]);
    expect(pty.stuck_at).toBeUndefined();
    expect(pty.screen).toMatch(/tmdb\.api_key\s+tmdb\.api_key\s+import/);
    expect(pty.screen).toContain('cancelled: nothing changed');
    expect(pty.code).toBe(130);
    expect(vaultBytes(bob).vault).toBe(before);
    const pull = await b(['team', 'pull', '--yes', '--file', bobFile()]);
    expect(pull.stderr).toContain('Pulled 2 credentials from');
    expect(pull.code).toBe(0);
    expect((await b(['get', 'tmdb', 'api_key'])).stdout).toBe(TMDB);
    const again = await b(['team', 'pull', '--yes', '--file', bobFile()]);
    expect(again.stdout).toMatch(/tmdb\.api_key\s+tmdb\.api_key\s+identical/);

    const stage = await b(['exec', '--workflow', 'subtitle', '--', ...STAGE]);
    expect(stage.code).toBe(0);
    expect(stage.stdout).toBe(`tmdb-sha=${sha(TMDB)}`);
    const status = await b(['team', 'status', '--file', bobFile(), '--json']);
    const doc = JSON.parse(status.stdout) as { you: string; members: { name: string }[]; credentials: { id: string; local: string }[] };
    expect(doc.you).toBe('bob');
    expect(doc.members.map((m) => m.name)).toEqual(['alice', 'bob']);
    expect(doc.credentials).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'tmdb.api_key', local: 'same' })]));
    expect(status.stdout).not.toContain(TMDB);
  });

  it('alice removes bob: told which keys to rotate; bob cannot read the new file and his vault is unchanged; the old commit still opens', async () => {
    const rm = await a(['team', 'remove', 'bob', '--file', aliceFile()]);
    expect(rm.code).toBe(0);
    expect(rm.stderr).toContain('Rotate these keys: bob has seen huggingface.token, tmdb.api_key');
    const reminder = await a(['team', 'rotate-reminder', '--file', aliceFile()]);
    expect(reminder.stdout).toMatch(/bob .* huggingface\.token, tmdb\.api_key/);
    git(aliceRepo, 'commit', '-qam', 'remove bob');
    git(aliceRepo, 'push', '-q', 'origin', 'HEAD:main');
    git(bobRepo, 'pull', '-q', 'origin', 'main');

    const before = vaultBytes(bob).vault;
    const denied = await b(['team', 'pull', '--yes', '--file', bobFile()]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('[TEAM_NOT_RECIPIENT]');
    expect(denied.stderr).toContain('Nothing was changed');
    expect(vaultBytes(bob).vault).toBe(before);
    // What bob's own vault holds needs no team file: exec runs (it failed on the file he can no longer read); a key only
    // the team could give still needs it, and says why not.
    const own = await b(['exec', '--team', bobFile(), '--workflow', 'subtitle', '--', 'true']);
    expect(own.code, own.stderr).toBe(0);
    const needs = await b(['exec', '--team', bobFile(), '--workflow', 'summarize', '--', 'true']);
    expect(needs.code).toBe(1);
    expect(needs.stderr).toContain('[TEAM_NOT_RECIPIENT]');

    // git keeps every version: the one bob could read still opens for him (why the README says rotate).
    const old = join(bob.root, 'old.age');
    execFileSync('sh', ['-c', `git show HEAD~1:cpw-team.age > ${old}`], { cwd: bobRepo });
    const oldPlan = await b(['team', 'pull', '--dry-run', '--file', old]);
    expect(oldPlan.code).toBe(0);
    expect(oldPlan.stdout).toMatch(/tmdb\.api_key\s+tmdb\.api_key\s+identical/);
  });

  it('alice rotates: a push of a new value clears the reminder for that key', async () => {
    const NEW = 'ba5eba11ba5eba11ba5eba11ba5eba11';
    expect((await a(['set', 'tmdb', 'api_key'], NEW)).code).toBe(0);
    const push = await a(['team', 'push', '--file', aliceFile()]);
    expect(push.stderr).toContain('Pushed tmdb.api_key');
    const reminder = await a(['team', 'rotate-reminder', '--file', aliceFile(), '--json']);
    expect(JSON.parse(reminder.stdout)).toEqual({ rotate: [expect.objectContaining({ name: 'bob', ids: ['huggingface.token'] })], recipients_mismatch: null, shared_keys: [], recipients_shared_keys: [] });
    expect((await a(['team', 'push', '--file', aliceFile()])).stderr).toContain('Nothing to push');
  });
});

describe('a first team identity asked for by several processes at once', () => {
  // Two terminals, or a script and the app, asking at once: each made a key and the last one stored won, so the
  // others printed a recipient whose private half was gone (a team file encrypted to it never opens).
  it('every one prints the same recipient, and it is the one stored', async () => {
    const t = makeTempHome();
    const runs = await Promise.all(Array.from({ length: 4 }, () => cli(t, ['team', 'identity'])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const printed = new Set(runs.map((r) => r.stdout.trim()));
    expect(printed.size).toBe(1);
    expect(runs.filter((r) => r.stderr.includes('Created a team identity')).length).toBe(1);
    expect((await cli(t, ['team', 'identity'])).stdout.trim()).toBe([...printed][0]);
  });

  it('an import beside a first use: every key printed is the one stored in the end (the import is refused or comes first)', async () => {
    for (let round = 0; round < 8; round++) {
      const t = makeTempHome();
      const keyFile = join(t.root, 'key.txt');
      execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
      const runs = await Promise.all([cli(t, ['team', 'identity']), cli(t, ['team', 'identity', '--import', keyFile]), cli(t, ['team', 'identity'])]);
      const final = (await cli(t, ['team', 'identity'])).stdout.trim();
      for (const r of runs) {
        if (r.code === 0) expect(r.stdout.trim(), r.stderr).toBe(final);
        else expect(r.stderr).toContain('You already have a different team identity');
      }
    }
  });
});

describe('a team command on a host with no keychain', () => {
  // Found by a new-user pass: `exec --team` and `team status` in a container said only how to start a keychain (or move
  // to the vault file): never that CI gives the team key with --identity-file, the way meant for it.
  it.each([
    ['team status', ['team', 'status', '--file', 'cpw-team.age']],
    ['exec --team', ['exec', '--workflow', 'subtitle', '--team', 'cpw-team.age', '--', 'true']],
    ['get --team', ['get', 'tmdb', 'api_key', '--team', 'cpw-team.age']],
  ])('%s: exit 4, and the fix names --identity-file, and --identity-fd for a key file not the user\'s, before the keychain advice', async (_name, args) => {
    const t = makeTempHome();
    const r = await cli(t, args, { env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' } });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/^error \[KEYCHAIN_UNAVAILABLE\]/);
    expect(r.stderr).toMatch(/fix: Your team identity is kept in the vault, which cannot be read now\. On a host with no keychain \(CI, a container\), give the team key as a file instead: --identity-file PATH .*Or: Run from a desktop session/);
    // A Secret mounted into a pod is root's file: --identity-file refuses it, the descriptor reads it.
    expect(r.stderr).toContain('or through a descriptor where that file is not yours (a Secret mounted into a container): --identity-fd 3 3< PATH. Or:');
  });

  // The same in CI with a keychain but no identity stored: its fix named only the file route.
  it('with no team identity yet, the fix names --identity-fd beside --identity-file for CI', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['get', 'tmdb', 'api_key', '--team', 'cpw-team.age']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('[CREDENTIAL_MISSING] You have no team identity yet.');
    expect(r.stderr).toContain('(in CI: --identity-file PATH with an age-keygen file, or --identity-fd 3 3< PATH where that file is not yours): cpw-vault team identity');
  });

  it('team pull, which writes into the vault anyway, gets the keychain\'s own fix (an identity file would not help it)', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['team', 'pull', '--dry-run', '--file', 'cpw-team.age'], { env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' } });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/^error \[KEYCHAIN_UNAVAILABLE\]/);
    expect(r.stderr).not.toContain('--identity-file');
  });
});

describe('a team file that is not there', () => {
  it('is a usage error naming the path (exit 2), not a keychain problem (exit 4)', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['team', 'identity'])).code).toBe(0);
    for (const args of [['team', 'status', '--file', 'nope/cpw-team.age'], ['get', 'tmdb', 'api_key', '--team', 'nope/cpw-team.age'], ['team', 'pull', '--dry-run', '--file', 'nope/cpw-team.age']]) {
      const r = await cli(t, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^error \[INVALID_ARGUMENT\] There is no team file at .*nope\/cpw-team\.age\./);
    }
  });
});

describe('team init with a key that is not in the vault', () => {
  it('is refused before anything is made: no team file, no team identity in the vault', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['team', 'init', '--add', 'tmdb.api_key']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Not in your vault: tmdb.api_key.');
    expect(readdirSync(t.cwd)).toEqual([]);
    const listed = await cli(t, ['list', '--json']);
    expect(listed.stdout).not.toContain('team_identity');
  });
});

describe('team init that cannot write its recipients list', () => {
  it('leaves no team file behind (the next init said "already exists"), says the folder is in the way, and works once it is gone', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
    const blocker = join(t.cwd, 'cpw-team.age.recipients');
    mkdirSync(blocker);
    const r = await cli(t, ['team', 'init', '--add', 'tmdb.api_key']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error [IO_ERROR] ${blocker} is a folder, where a file belongs (EISDIR); nothing was written there.`);
    expect(readdirSync(t.cwd)).toEqual(['cpw-team.age.recipients']);
    rmdirSync(blocker);
    // A container with no $USER: the member is the account's name (it was "me", every such member alike).
    const again = await cli(t, ['team', 'init', '--add', 'tmdb.api_key'], { env: { USER: undefined, LOGNAME: undefined } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`encrypted to you as ${userInfo().username})`);
    expect(readdirSync(t.cwd).sort()).toEqual(['cpw-team.age', 'cpw-team.age.recipients']);
  });
});

describe('team init that cannot write its team file', () => {
  it('leaves a recipients list that was already there (committed alone to git) byte-identical, and makes nothing', async () => {
    const t = makeTempHome();
    // A long key makes the team file far bigger than the list: the file-size limit below fails its write alone (EFBIG, as a full disk would).
    expect((await cli(t, ['set', 'openai', 'api_key'], { input: `sk-${'x'.repeat(4000)}` })).code).toBe(0);
    const list = join(t.cwd, 'cpw-team.age.recipients');
    const before = '# carol\nage1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n';
    writeFileSync(list, before);
    // Node ignores SIGXFSZ: a write past `ulimit -f` (KiB) fails with EFBIG instead of killing it.
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
    const child = spawn('bash', ['-c', 'ulimit -f 2 && exec "$0" "$@"', process.execPath, BIN, 'team', 'init', '--add', 'openai.api_key'], { cwd: t.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const r = await collect(child, '');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('cpw-team.age');
    expect(readdirSync(t.cwd)).toEqual(['cpw-team.age.recipients']);
    expect(readFileSync(list, 'utf8')).toBe(before);
  });
});

describe('a symbolic link another user planted at the team file\'s lock, in a shared folder', () => {
  it('is refused, and the fix is about the team file\'s folder, not the profile (which is in the home)', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
    const shared = join(t.root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const lock = join(shared, 'cpw-team.age.lock');
    symlinkSync(join(t.root, 'their-file'), lock);
    lchownSync(lock, 65534, 65534); // nobody's: tests run as root
    const r = await cli(t, ['team', 'init', '--file', join(shared, 'cpw-team.age'), '--add', 'tmdb.api_key']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`The lock ${lock} is a symbolic link of another user (uid 65534), who may have planted it; refusing to follow it.`);
    expect(r.stderr).not.toContain('profile');
    expect(r.stderr).toContain(`fix: Keep the team file in a folder only you can write (clone its repository under your home): other users can create files in ${shared}.`);
    expect(readdirSync(shared)).toEqual(['cpw-team.age.lock']);
  });
});

describe('exec --team when the personal vault meets a need only in second place', () => {
  it("diarize with an HF token but no pyannote token of one's own takes the team's pyannote token", async () => {
    const t = makeTempHome();
    const PYANNOTE = `hf_${'PyAnNoTe'.repeat(4)}`;
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await cli(t, ['set', 'pyannote', 'token'], { input: PYANNOTE })).code).toBe(0);
    const file = join(t.cwd, 'cpw-team.age');
    expect((await cli(t, ['team', 'init', '--file', file, '--name', 'solo', '--add', 'huggingface.token', '--add', 'pyannote.token'])).code).toBe(0);
    expect((await cli(t, ['delete', 'pyannote', 'token', '--yes'])).code).toBe(0);
    const stage = ['node', '-e', "process.stdout.write(require('crypto').createHash('sha256').update(process.env.PYANNOTE_API_TOKEN || '').digest('hex'))"];
    const r = await cli(t, ['exec', '--team', file, '--workflow', 'diarize', '--', ...stage]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(sha(PYANNOTE));
  });
});
