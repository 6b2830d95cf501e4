import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { inPty } from '../helpers/file-vault';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'InterOpKey'.repeat(4)}`;
const TMDB = '0123456789abcdef0123456789abcdef';
const sha = (v: string) => createHash('sha256').update(v).digest('hex');
const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], { cwd, env: { ...process.env, ...GIT_ENV, HOME: cwd }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** age-keygen into `path` (0600), returning the public key. */
function keygen(path: string): string {
  execFileSync('age-keygen', ['-o', path], { stdio: 'ignore' });
  chmodSync(path, 0o600);
  return execFileSync('age-keygen', ['-y', path], { encoding: 'utf8' }).trim();
}

/** Every file under `dir` whose bytes contain `needle`. */
function filesHolding(dir: string, needle: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s) continue;
    if (s.isDirectory()) out.push(...filesHolding(p, needle));
    else if (s.isFile() && readFileSync(p).includes(needle)) out.push(p);
  }
  return out;
}

/**
 * The team file against the reference age CLI (Debian's age 1.1), a CI
 * runner with no D-Bus and a deploy key, and the files a hostile or merged
 * repository can hold.
 */
describe('team vault: age interop, CI, damaged files', () => {
  let m: TempHome;
  let file: string;
  let carolKey: string;
  const run = (args: string[], input?: string) => cli(m, args, input === undefined ? {} : { input });

  beforeAll(async () => {
    m = makeTempHome();
    file = join(m.cwd, 'cpw-team.age');
    // alice's identity is one made by age-keygen and imported, so the test can also decrypt as her.
    keygen(join(m.root, 'alice.key'));
    expect((await run(['team', 'identity', '--import', '-'], readFileSync(join(m.root, 'alice.key'), 'utf8'))).code).toBe(0);
    expect((await run(['set', 'tmdb', 'api_key'], TMDB)).code).toBe(0);
    expect((await run(['set', 'huggingface', 'token'], HF)).code).toBe(0);
    const init = await run(['team', 'init', '--name', 'alice', '--add', 'tmdb.api_key', '--add', 'huggingface.token']);
    expect(init.code).toBe(0);
    carolKey = keygen(join(m.root, 'carol.key'));
    expect((await run(['team', 'add', 'carol', carolKey])).code).toBe(0);
  });

  it('--export-identity: a passphrase-encrypted age file (0600, never over a file) that Debian age opens and --import restores', async () => {
    const pass = join(m.root, 'backup-pass.txt');
    writeFileSync(pass, 'correct horse battery staple\n', { mode: 0o600 });
    const backup = join(m.cwd, 'team-key.age');
    const ex = await run(['team', 'identity', '--export-identity', backup, '--passphrase-file', pass]);
    expect(ex.code, ex.stderr).toBe(0);
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    const alice = readFileSync(join(m.root, 'alice.key'), 'utf8');
    const secretLine = alice.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
    expect(readFileSync(backup, 'utf8')).not.toContain(secretLine);
    const before = readFileSync(backup);
    const again = await run(['team', 'identity', '--export-identity', backup, '--passphrase-file', pass]);
    expect(again.code).not.toBe(0);
    expect(readFileSync(backup)).toEqual(before);
    // Debian's age asks the passphrase on the terminal only.
    const opened = await inPty(m.cwd, { ...process.env, HOME: m.home, TERM: 'xterm' }, ['age', '-d', '-o', join(m.root, 'restored.key'), backup], [{ expect: 'Enter passphrase', send: 'correct horse battery staple\r' }]);
    expect(opened.code, opened.screen.slice(-300)).toBe(0);
    const restored = readFileSync(join(m.root, 'restored.key'), 'utf8');
    expect(restored).toContain(secretLine);
    const fresh = makeTempHome();
    const imported = await cli(fresh, ['team', 'identity', '--import', '-'], { input: restored });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout.trim()).toBe((await run(['team', 'identity'])).stdout.trim());
  });

  it('age -d -i with an age-keygen identity added as a member opens the team file', () => {
    const plain = execFileSync('age', ['-d', '-i', join(m.root, 'carol.key'), file], { encoding: 'utf8' });
    const doc = JSON.parse(plain) as { format: string; credentials: { id: string; value: string }[] };
    expect(doc.format).toBe('cpw-vault-team');
    expect(doc.credentials.find((c) => c.id === 'tmdb.api_key')?.value).toBe(TMDB);
    // A key that is not a member cannot.
    keygen(join(m.root, 'mallory.key'));
    expect(() => execFileSync('age', ['-d', '-i', join(m.root, 'mallory.key'), file], { stdio: 'pipe' })).toThrow();
  });

  it('a file the reference CLI encrypted with age -R cpw-team.age.recipients is read by team pull (conflict shown, then taken)', async () => {
    const dir = join(m.root, 'by-age');
    mkdirSync(dir);
    const plain = execFileSync('age', ['-d', '-i', join(m.root, 'carol.key'), file], { encoding: 'utf8' });
    const doc = JSON.parse(plain) as { credentials: { id: string; value: string }[] };
    const NEW = 'cafe0000cafe0000cafe0000cafe0000';
    doc.credentials.find((c) => c.id === 'tmdb.api_key')!.value = NEW;
    const target = join(dir, 'cpw-team.age');
    copyFileSync(`${file}.recipients`, `${target}.recipients`);
    execFileSync('age', ['-R', `${target}.recipients`, '-o', target], { input: JSON.stringify(doc) });
    const plan = await run(['team', 'pull', '--dry-run', '--file', target]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/tmdb\.api_key\s+tmdb\.api_key\s+conflict\s+no/);
    expect(plan.stdout).toMatch(/huggingface\.token\s+huggingface\.token\s+identical/);
    const kept = await run(['team', 'pull', '--yes', '--file', target]);
    expect(kept.stderr).toContain("Nothing to pull: tmdb.api_key differs from the team's and is kept (--overwrite ID takes the team's)");
    const typo = await run(['team', 'pull', '--yes', '--overwrite', 'tmdb.apikey', '--file', target]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('--overwrite tmdb.apikey: not in the plan; nothing was changed.');
    const take = await run(['team', 'pull', '--yes', '--overwrite', 'tmdb.api_key', '--file', target]);
    expect(take.code).toBe(0);
    expect((await run(['get', 'tmdb', 'api_key'])).stdout).toBe(NEW);
    expect((await run(['set', 'tmdb', 'api_key'], TMDB)).code).toBe(0);
  });

  it('CI: no D-Bus, no profile, a deploy identity file: exec --team and get --team work; no value on disk or in argv; output masked', async () => {
    const ci = makeTempHome();
    const deploy = join(ci.root, 'deploy.key');
    const deployKey = keygen(deploy);
    expect((await run(['team', 'add', 'ci', deployKey])).code).toBe(0);
    const teamCopy = join(ci.cwd, 'cpw-team.age');
    copyFileSync(file, teamCopy);
    copyFileSync(`${file}.recipients`, `${teamCopy}.recipients`);
    const noBus = { DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined };
    const stage = ['node', '-e', "const c=require('crypto');const h=(v)=>c.createHash('sha256').update(v||'').digest('hex');process.stdout.write(h(process.env.TMDB_API_KEY)+' '+h(process.env.HF_TOKEN)+' argv='+process.argv.length+' raw='+process.env.TMDB_API_KEY)"];
    const r = await cli(ci, ['exec', '--team', 'cpw-team.age', '--identity-file', deploy, '--workflow', 'subtitle', '--no-history', '--', ...stage], { env: noBus });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${sha(TMDB)} ${sha(HF)} argv=1 raw=****`);
    const get = await cli(ci, ['get', 'tmdb', 'api_key', '--team', 'cpw-team.age', '--identity-file', deploy], { env: noBus });
    expect(get.stdout).toBe(TMDB);
    const which = await cli(ci, ['which', 'tmdb', 'api_key', '--team', 'cpw-team.age', '--identity-file', deploy], { env: noBus });
    expect(which.stdout).toMatch(/tmdb\.api_key\s+team .*cpw-team\.age/);
    // Its vault cannot be read here: each key is "unknown" in it, never "not in your vault".
    const status = await cli(ci, ['team', 'status', '--file', 'cpw-team.age', '--identity-file', deploy], { env: noBus });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toMatch(/warning: cannot compare with your vault/);
    expect(status.stdout).toMatch(/tmdb\.api_key\s+unknown/);
    expect(status.stdout).not.toContain('not in your vault');
    // An env var still wins over the team file.
    const env = await cli(ci, ['get', 'tmdb', 'api_key', '--team', 'cpw-team.age', '--identity-file', deploy], { env: { ...noBus, TMDB_API_KEY: 'fromenv' } });
    expect(env.stdout).toBe('fromenv');
    expect(filesHolding(ci.root, TMDB)).toEqual([]);
    expect(filesHolding(ci.root, HF)).toEqual([]);
    // A deploy key others can read is refused.
    chmodSync(deploy, 0o644);
    const loose = await cli(ci, ['get', 'tmdb', 'api_key', '--team', 'cpw-team.age', '--identity-file', deploy], { env: noBus });
    expect(loose.code).toBe(1);
    expect(loose.stderr).toContain('[PROFILE_PERMISSIONS]');
    expect(loose.stderr).toContain(`chmod 600 ${deploy}`);
    expect(loose.stdout).toBe('');
  });

  it('a tampered or truncated team file is refused with a clear error, and nothing changes', async () => {
    const dir = join(m.root, 'tamper');
    mkdirSync(dir);
    const target = join(dir, 'cpw-team.age');
    copyFileSync(`${file}.recipients`, `${target}.recipients`);
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    const i = lines.length - 4;
    lines[i] = lines[i]!.slice(0, 10) + (lines[i]![10] === 'A' ? 'B' : 'A') + lines[i]!.slice(11);
    writeFileSync(target, lines.join('\n'));
    const tampered = await run(['team', 'pull', '--yes', '--file', target]);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/\[TEAM_INVALID\].*(does not check out|armor is broken)/);
    writeFileSync(target, text.slice(0, Math.floor(text.length / 2)));
    const truncated = await run(['team', 'status', '--file', target]);
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toContain('[TEAM_INVALID]');
    expect(truncated.stderr).toContain('git checkout --');
    writeFileSync(target, 'not an age file at all\n');
    expect((await run(['team', 'status', '--file', target])).stderr).toContain('it is not an age file');
    // A symlinked team file is not followed.
    const link = join(dir, 'link.age');
    symlinkSync(file, link);
    expect((await run(['team', 'status', '--file', link])).stderr).toContain('[PROFILE_SYMLINK]');
    expect((await run(['get', 'tmdb', 'api_key'])).stdout).toBe(TMDB);
  });

  it('a git merge conflict inside cpw-team.age is explained with the fix, never parsed as garbage', async () => {
    const repo = join(m.root, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q');
    copyFileSync(file, join(repo, 'cpw-team.age'));
    copyFileSync(`${file}.recipients`, join(repo, 'cpw-team.age.recipients'));
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'base');
    git(repo, 'checkout', '-qb', 'other');
    expect((await run(['team', 'push', '--file', join(repo, 'cpw-team.age')])).code).toBe(0); // nothing to push: same bytes
    expect((await run(['team', 'add', 'dave', keygen(join(m.root, 'dave.key')), '--file', join(repo, 'cpw-team.age')])).code).toBe(0);
    git(repo, 'commit', '-qam', 'dave');
    git(repo, 'checkout', '-q', 'main');
    expect((await run(['team', 'add', 'erin', keygen(join(m.root, 'erin.key')), '--file', join(repo, 'cpw-team.age')])).code).toBe(0);
    git(repo, 'commit', '-qam', 'erin');
    expect(() => git(repo, 'merge', '-q', 'other')).toThrow();
    expect(readFileSync(join(repo, 'cpw-team.age'), 'utf8')).toContain('<<<<<<<');
    const r = await run(['team', 'status', '--file', join(repo, 'cpw-team.age')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[TEAM_CONFLICT]');
    expect(r.stderr).toContain('git checkout --theirs');
    expect(r.stderr).toContain('cpw-vault team push');
  });

  it('recipients file and team file disagree: status warns, push refuses, team recipients --write repairs', async () => {
    const recipients = `${file}.recipients`;
    const good = readFileSync(recipients, 'utf8');
    writeFileSync(recipients, good.replace(`# carol\n${carolKey}\n`, ''));
    const status = await run(['team', 'status']);
    expect(status.code).toBe(0);
    expect(status.stderr).toMatch(/disagree: the team file is encrypted to carol/);
    const push = await run(['team', 'push']);
    expect(push.code).toBe(1);
    expect(push.stderr).toContain('[TEAM_MISMATCH]');
    expect((await run(['team', 'recipients', '--write'])).code).toBe(0);
    expect(readFileSync(recipients, 'utf8')).toBe(good);
  });

  it('team diff (a git textconv) prints member and key names with fingerprints, never a value', async () => {
    const r = await run(['team', 'diff', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`key tmdb.api_key sha256:${sha(TMDB).slice(0, 8)}`);
    expect(r.stdout).toContain(`member carol ${carolKey}`);
    expect(r.stdout).not.toContain(TMDB);
    expect(r.stdout).not.toContain(HF);
    const junk = join(m.root, 'junk.age');
    writeFileSync(junk, 'garbage');
    const j = await run(['team', 'diff', junk]);
    expect(j.code).toBe(0);
    expect(j.stdout).toContain('cannot decrypt: TEAM_INVALID');
  });
  it('a key a teammate names in the file is never pushed unless this vault shared it: withheld with a warning, sent only with --add', async () => {
    const t = makeTempHome();
    const me = (args: string[], input?: string) => cli(t, args, input === undefined ? {} : { input });
    const team = join(t.cwd, 'cpw-team.age');
    const daveKey = join(t.root, 'dave.key');
    const dave = keygen(daveKey);
    expect((await me(['set', 'tmdb', 'api_key'], TMDB)).code).toBe(0);
    expect((await me(['team', 'init', '--name', 'erin', '--add', 'tmdb.api_key'])).code).toBe(0);
    expect((await me(['team', 'add', 'dave', dave])).code).toBe(0);
    const personal = `sk-proj-${'ErinsOwnKey1'.repeat(4)}`;
    expect((await me(['set', 'openai', 'api_key'], personal)).code).toBe(0);
    // dave, a member, edits the file with the reference CLI: erin's personal OpenAI key named, with a dummy value.
    const doc = JSON.parse(execFileSync('age', ['-d', '-i', daveKey, team], { encoding: 'utf8' })) as { credentials: Array<{ id: string; value: string; meta: object }> };
    doc.credentials.push({ id: 'openai.api_key', value: 'dummy', meta: { updated_at: '2026-01-01T00:00:00.000Z', updated_by: 'dave' } });
    execFileSync('age', ['-R', `${team}.recipients`, '-a', '-o', team], { input: JSON.stringify(doc) });
    const NEW = 'feedfacefeedfacefeedfacefeedface';
    expect((await me(['set', 'tmdb', 'api_key'], NEW)).code).toBe(0);
    const push = await me(['team', 'push', '--json']);
    expect(push.code, push.stderr).toBe(0);
    expect(JSON.parse(push.stdout)).toMatchObject({ updated: ['tmdb.api_key'], withheld: ['openai.api_key'] });
    expect(push.stderr).toContain('not sent, never shared from this vault: openai.api_key');
    expect(push.stderr).toContain('cpw-vault team push --add openai.api_key');
    const seen = execFileSync('age', ['-d', '-i', daveKey, team], { encoding: 'utf8' });
    expect(seen).not.toContain(personal);
    expect(seen).toContain(NEW);
    // One named that is neither in the vault nor in the file: refused, the file unchanged.
    const before = readFileSync(team);
    const missing = await me(['team', 'push', '--add', 'anthropic.api_key']);
    expect(missing.stderr).toContain('[CREDENTIAL_MISSING] Not in your vault: anthropic.api_key.');
    expect(readFileSync(team)).toEqual(before);
    // Named on purpose, it is sent, and shared from then on.
    expect((await me(['team', 'push', '--add', 'openai.api_key'])).code).toBe(0);
    expect(execFileSync('age', ['-d', '-i', daveKey, team], { encoding: 'utf8' })).toContain(personal);
    expect((await me(['set', 'openai', 'api_key'], `${personal}2`)).code).toBe(0);
    expect(JSON.parse((await me(['team', 'push', '--json'])).stdout)).toMatchObject({ updated: ['openai.api_key'], withheld: [] });
  });
});
