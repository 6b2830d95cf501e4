import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, keychainValues } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const TMDB = '0123456789abcdef0123456789abcdef';
const OTHER = 'abcdefabcdefabcdef0123';
const ID = 'cpw-vault.team_identity';

/** age-keygen into `path` (0600), returning the public key. */
function keygen(path: string): string {
  execFileSync('age-keygen', ['-o', path], { stdio: 'ignore' });
  chmodSync(path, 0o600);
  return execFileSync('age-keygen', ['-y', path], { encoding: 'utf8' }).trim();
}

/** The AGE-SECRET-KEY-1... line of an age-keygen file. */
const secretOf = (path: string) => readFileSync(path, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;

/** Every file under `dir` whose bytes contain `needle`. */
function filesHolding(dir: string, needle: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p, { throwIfNoEntry: false });
    if (s?.isDirectory()) out.push(...filesHolding(p, needle));
    else if (s?.isFile() && readFileSync(p).includes(needle)) out.push(p);
  }
  return out;
}

interface Doc {
  members: { name: string; recipient: string; seen?: string[] }[];
  credentials: { id: string; value: unknown; meta?: object }[];
}

/**
 * What someone who can write the shared folder (carol, a member: she decrypts,
 * edits, and encrypts again with the reference age CLI) can plant in the team
 * file, and what `team pull` then tells the member who pulls it.
 */
describe('team pull of a team file with planted rows', () => {
  let m: TempHome;
  let file: string;
  let mine: string;
  const run = (args: string[], input?: string) => cli(m, args, input === undefined ? {} : { input });

  /** The team file as carol rewrote it with `edit`, in a folder of its own (recipients copied, or encrypted to every member of the edited document). */
  function planted(dir: string, edit: (doc: Doc) => void, toMembers = false): string {
    const target = join(m.root, dir, 'cpw-team.age');
    mkdirSync(join(m.root, dir));
    copyFileSync(`${file}.recipients`, `${target}.recipients`);
    const doc = JSON.parse(execFileSync('age', ['-d', '-i', join(m.root, 'carol.key'), file], { encoding: 'utf8' })) as Doc;
    edit(doc);
    const to = toMembers ? doc.members.flatMap((x) => ['-r', x.recipient]) : ['-R', `${target}.recipients`];
    execFileSync('age', [...to, '-a', '-o', target], { input: JSON.stringify(doc) });
    return target;
  }

  beforeAll(async () => {
    m = makeTempHome();
    file = join(m.cwd, 'cpw-team.age');
    // alice's identity is one age-keygen made, so a test can plant her own key in the file.
    keygen(join(m.root, 'alice.key'));
    mine = secretOf(join(m.root, 'alice.key'));
    expect((await run(['team', 'identity', '--import', '-'], readFileSync(join(m.root, 'alice.key'), 'utf8'))).code).toBe(0);
    expect((await run(['set', 'tmdb', 'api_key'], TMDB)).code).toBe(0);
    expect((await run(['team', 'init', '--name', 'alice', '--add', 'tmdb.api_key'])).code).toBe(0);
    expect((await run(['team', 'add', 'carol', keygen(join(m.root, 'carol.key'))])).code).toBe(0);
  });

  it('a team identity planted beside a new key is a refused row of the plan (table and --json), never stored; the pull stores the rest and exits 1', async () => {
    keygen(join(m.root, 'mallory.key'));
    const theirs = secretOf(join(m.root, 'mallory.key'));
    const target = planted('foreign', (doc) => doc.credentials.push({ id: ID, value: theirs, meta: { updated_at: '', updated_by: 'carol' } }, { id: 'other.token', value: OTHER, meta: { updated_at: '' } }));
    const identity = (await run(['team', 'identity'])).stdout;

    const dry = await run(['team', 'pull', '--dry-run', '--file', target]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/cpw-vault\.team_identity\s+cpw-vault\.team_identity\s+invalid\s+no\s+a team identity planted in the team file \(credential 2;/);
    expect(dry.stdout).toMatch(/other\.token\s+other\.token\s+import\s+yes/);
    expect(dry.stdout).toContain('1 to write; 1 identical, 0 conflicts, 0 unknown, 1 invalid.');
    expect(dry.stderr).toContain('refused 1 row of the team file, nothing of it stored: cpw-vault.team_identity');

    const json = await run(['team', 'pull', '--dry-run', '--json', '--file', target]);
    const plan = (JSON.parse(json.stdout) as { plan: { rows: { target: string; action: string; apply: boolean; reason: string }[]; counts: { invalid: number } } }).plan;
    expect(plan.counts.invalid).toBe(1);
    expect(plan.rows.find((r) => r.target === ID)).toMatchObject({ action: 'invalid', apply: false, reason: expect.stringContaining(`see who changed it: git log -- ${target}`) });

    const pull = await run(['team', 'pull', '--yes', '--file', target]);
    expect(pull.code).toBe(1);
    expect(pull.stderr).toContain('Pulled 1 credential from');
    expect(pull.stderr).toContain('the refused row above was not');
    expect((await run(['get', 'other', 'token'])).stdout).toBe(OTHER);
    expect((await run(['team', 'identity'])).stdout).toBe(identity);
    const again = await run(['team', 'pull', '--yes', '--json', '--file', target]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("Nothing to pull: your vault already has the team's other values.");
    expect(JSON.parse(again.stdout)).toMatchObject({ imported: 0, plan: { counts: { invalid: 1, apply: 0 } } });

    for (const out of [dry, json, pull, again]) expect(out.stdout + out.stderr).not.toContain(theirs);
    expect(Object.values(await keychainValues(m))).not.toContain(theirs);
    expect(filesHolding(m.root, theirs)).toEqual([join(m.root, 'mallory.key')]);
  });

  it('another refused row (a value the vault cannot keep) is named too, but the pull exits 0, as import and migrate do', async () => {
    const target = planted('spaced', (doc) => doc.credentials.push({ id: 'spaced.token', value: ` ${OTHER} `, meta: { updated_at: '' } }));
    const pull = await run(['team', 'pull', '--yes', '--file', target]);
    expect(pull.stderr).toContain('refused 1 row of the team file, nothing of it stored: spaced.token');
    expect(pull.code, pull.stderr).toBe(0);
    expect((await run(['get', 'spaced', 'token'])).code).not.toBe(0);
  });

  it('each planted identity row has a row of its own: no text value, the same id twice, and the member\'s own key (told to make a new one)', async () => {
    const target = planted('kinds', (doc) => doc.credentials.push({ id: ID, value: 42 }, { id: ID, value: 'AGE-SECRET-KEY-1NOTAKEY' }, { id: ID, value: `# created: today\n${mine}\n` }));
    const json = await run(['team', 'pull', '--dry-run', '--json', '--file', target]);
    expect(json.code, json.stderr).toBe(0);
    const rows = (JSON.parse(json.stdout) as { plan: { rows: { target: string; action: string; apply: boolean; reason: string }[] } }).plan.rows.filter((r) => r.target === ID);
    expect(rows.map((r) => [r.action, r.apply])).toEqual([['invalid', false], ['invalid', false], ['invalid', false]]);
    expect(rows[0]!.reason).toContain('a team identity planted in the team file');
    expect(rows[2]!.reason).toContain('your own team identity is in the team file (credential 4), where every member can read it');
    expect(rows[2]!.reason).toContain('cpw-vault team identity --import NEW --force');
    expect(json.stdout + json.stderr).not.toContain(mine);
    const pull = await run(['team', 'pull', '--yes', '--file', target]);
    expect(pull.code).toBe(1);
    expect(pull.stderr).toContain(`refused 3 rows of the team file, nothing of them stored: ${ID}, ${ID}, ${ID}`);
    expect(pull.stdout + pull.stderr).not.toContain(mine);
  });

  it('planted member rows are said already: one the list lacks is warned of, a repeated name or a malformed member refuses the file; the vault is unchanged', async () => {
    const intruder = keygen(join(m.root, 'intruder.key'));
    const unlisted = await run(['team', 'pull', '--yes', '--file', planted('unlisted', (doc) => doc.members.push({ name: 'mallory', recipient: intruder, seen: [] }), true)]);
    expect(unlisted.stderr).toContain('disagree: the team file is encrypted to mallory, not listed there');
    const repeated = await run(['team', 'pull', '--yes', '--file', planted('repeated', (doc) => doc.members.push({ name: 'carol', recipient: intruder, seen: [] }))]);
    expect(repeated.code).toBe(1);
    expect(repeated.stderr).toContain('[TEAM_INVALID]');
    expect(repeated.stderr).toContain('member 3 repeats a name given before');
    const malformed = await run(['team', 'pull', '--yes', '--file', planted('malformed', (doc) => doc.members.push({ name: 'bad name!', recipient: 'nope' }))]);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('member 3 has no valid name and age recipient');
    expect((await run(['get', 'tmdb', 'api_key'])).stdout).toBe(TMDB);
  });

  it('a member the recipients list lacks is warned of in --json too (recipients_mismatch), not on stderr alone', async () => {
    const target = planted('unlisted-json', (doc) => doc.members.push({ name: 'mallory', recipient: keygen(join(m.root, 'sneak.key')), seen: [] }), true);
    const mismatch = { only_in_file: ['mallory'], only_in_list: [], message: expect.stringContaining('disagree: the team file is encrypted to mallory, not listed there'), fix: expect.stringContaining('cpw-vault team recipients --write') };
    for (const args of [['team', 'status', '--file'], ['team', 'pull', '--dry-run', '--file'], ['team', 'rotate-reminder', '--file'], ['which', 'tmdb', 'api_key', '--team']]) {
      const r = await run([...args, target, '--json']);
      expect(r.stderr).toContain('disagree: the team file is encrypted to mallory');
      expect(JSON.parse(r.stdout), args.join(' ')).toMatchObject({ recipients_mismatch: mismatch, shared_keys: [] });
    }
  });

  it('team add refuses a key another member has (exit 2, both files unchanged); a file that holds one anyway is warned of, and team remove of one name removes every name of the key', async () => {
    const carol = execFileSync('age-keygen', ['-y', join(m.root, 'carol.key')], { encoding: 'utf8' }).trim();
    const before = [readFileSync(file), readFileSync(`${file}.recipients`)];
    const add = await run(['team', 'add', '--json', 'dave', carol]);
    expect(add.code).toBe(2);
    expect(add.stderr).toContain('[INVALID_ARGUMENT] That key already belongs to member carol');
    expect(JSON.parse(add.stdout)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect([readFileSync(file), readFileSync(`${file}.recipients`)]).toEqual(before);

    // carol's key under a second name, written with the reference age CLI: every command that opens the file says so.
    const target = planted('twice', (doc) => doc.members.push({ name: 'dave', recipient: carol, seen: [] }));
    const warning = `warning: members carol and dave of ${target} have the same age key (${carol}), which team add refuses`;
    const shared = [{ recipient: carol, members: ['carol', 'dave'] }];
    const status = await run(['team', 'status', '--json', '--file', target]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toContain(warning);
    expect(JSON.parse(status.stdout)).toMatchObject({ shared_keys: shared, recipients_mismatch: null });
    const pull = await run(['team', 'pull', '--yes', '--json', '--file', target]);
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stderr).toContain(warning);
    expect(JSON.parse(pull.stdout)).toMatchObject({ imported: 0, shared_keys: shared });

    const remove = await run(['team', 'remove', '--json', 'dave', '--file', target]);
    expect(remove.code, remove.stderr).toBe(0);
    expect(remove.stderr).toContain('dave removed, and carol, who had the same age key (removing dave alone would have left the file encrypted to it)');
    expect(JSON.parse(remove.stdout)).toMatchObject({ removed: 'dave', also_removed: ['carol'], rotate: ['tmdb.api_key'] });
    expect(() => execFileSync('age', ['-d', '-i', join(m.root, 'carol.key'), target], { stdio: 'ignore' })).toThrow();
    expect(readFileSync(`${target}.recipients`, 'utf8')).not.toContain(carol);
    const after = await run(['team', 'status', '--file', target]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).not.toContain('same age key');
  });

  it('a pull with --identity-file calls the planted row holding the key it decrypted with your own, as status does (not the stored identity)', async () => {
    const carols = secretOf(join(m.root, 'carol.key'));
    const target = planted('run-key', (doc) => doc.credentials.push({ id: ID, value: carols }, { id: ID, value: mine }));
    const as = ['--identity-file', join(m.root, 'carol.key'), '--file', target];
    const json = await run(['team', 'pull', '--dry-run', '--json', ...as]);
    expect(json.code, json.stderr).toBe(0);
    const reasons = (JSON.parse(json.stdout) as { plan: { rows: { target: string; reason: string }[] } }).plan.rows.filter((r) => r.target === ID).map((r) => r.reason);
    expect(reasons[0]).toContain('your own team identity is in the team file (credential 2)');
    expect(reasons[1]).toContain('a team identity planted in the team file (credential 3;');
    const status = await run(['team', 'status', '--json', ...as]);
    expect((JSON.parse(status.stdout) as { planted: { own: boolean }[] }).planted.map((r) => r.own)).toEqual([true, false]);
    for (const out of [json, status]) expect(out.stdout + out.stderr).not.toMatch(/AGE-SECRET-KEY-1/);
  });

  /** The credential ids of `target` as carol decrypts it (planted rows included). */
  const idsIn = (target: string) => (JSON.parse(execFileSync('age', ['-d', '-i', join(m.root, 'carol.key'), target], { encoding: 'utf8' })) as Doc).credentials.map((c) => c.id);

  it('team status (table and --json) and team diff show each planted identity row, never its value; status still exits 0', async () => {
    keygen(join(m.root, 'eve.key'));
    const theirs = secretOf(join(m.root, 'eve.key'));
    const target = planted('status', (doc) => doc.credentials.push({ id: ID, value: theirs }, { id: ID, value: `${mine}\n` }));
    const status = await run(['team', 'status', '--file', target]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toContain(`warning: a team identity planted in the team file (credential 2; cpw-vault never puts one there): not taken, since whoever wrote it knows it and could read every team file encrypted to you; see who changed it: git log -- ${target}; the next change of the file (team add, team remove, or a team push that sends a value) removes it`);
    expect(status.stderr).toContain('warning: your own team identity is in the team file (credential 3), where every member can read it');
    const json = await run(['team', 'status', '--json', '--file', target]);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { planted: unknown[] }).planted).toEqual([
      { id: ID, row: 2, own: false, reason: expect.stringContaining(`see who changed it: git log -- ${target}`) },
      { id: ID, row: 3, own: true, reason: expect.stringContaining('make a new one') },
    ]);
    const diff = await run(['team', 'diff', target]);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain(`planted ${ID} (credential 2; cpw-vault never writes one: not taken, and the next change of the file removes it)\nplanted ${ID} (credential 3;`);
    for (const out of [status, json, diff]) expect(out.stdout + out.stderr).not.toMatch(/AGE-SECRET-KEY-1/);
  });

  it('team add, team remove and a team push that sends a value remove the planted rows, each saying so once (stderr and --json); the file keeps the rest', async () => {
    keygen(join(m.root, 'trudy.key'));
    const theirs = secretOf(join(m.root, 'trudy.key'));
    const bob = keygen(join(m.root, 'bob.key'));
    const plant = (dir: string, edit: (doc: Doc) => void = () => undefined) => planted(dir, (doc) => (doc.credentials.splice(1, 0, { id: ID, value: theirs }), edit(doc)));

    const addTo = plant('add');
    const add = await run(['team', 'add', '--json', 'bob', bob, '--file', addTo]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toContain(`removed 1 planted ${ID} row (credential 2) from the team file: cpw-vault never writes one; see who added it: git log -- ${addTo}\n`);
    expect(JSON.parse(add.stdout)).toEqual({ added: 'bob', planted_removed: [{ id: ID, row: 2, own: false, reason: `cpw-vault never writes one; see who added it: git log -- ${addTo}` }], recipients_mismatch: null, shared_keys: [], recipients_shared_keys: [] });
    expect(idsIn(addTo)).toEqual(['tmdb.api_key']);
    // Said once: the next write finds nothing to remove.
    const next = await run(['team', 'remove', 'bob', '--file', addTo]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).not.toContain('planted');

    const removeFrom = plant('remove', (doc) => doc.credentials.push({ id: ID, value: `# created: today\n${mine}\n` }));
    const remove = await run(['team', 'remove', '--json', 'carol', '--file', removeFrom]);
    expect(remove.code, remove.stderr).toBe(0);
    expect(remove.stderr).toContain(`removed 1 planted ${ID} row (credential 2) from the team file: cpw-vault never writes one; see who added it: git log -- ${removeFrom}; removed your own team identity from the team file (credential 3): it was your own team identity, which every member could read (git history keeps it): make a new one`);
    expect((JSON.parse(remove.stdout) as { planted_removed: { row: number; own: boolean }[] }).planted_removed.map((r) => [r.row, r.own])).toEqual([[2, false], [3, true]]);

    // The file's tmdb value is not the vault's: the push sends it, and rewrites the file.
    const pushTo = plant('push', (doc) => (doc.credentials[0]!.value = 'fedcbafedcbafedcbafedcbafedcba98'));
    const push = await run(['team', 'push', '--json', '--file', pushTo]);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stderr).toContain(`removed 1 planted ${ID} row (credential 2) from the team file`);
    expect(JSON.parse(push.stdout)).toMatchObject({ updated: ['tmdb.api_key'], planted_removed: [{ id: ID, row: 2, own: false }] });
    expect(idsIn(pushTo)).toEqual(['tmdb.api_key']);
    // A push that sends nothing writes nothing: the row stays, and status keeps warning of it.
    const same = plant('same');
    const idle = await run(['team', 'push', '--json', '--file', same]);
    expect(idle.stderr).toContain('Nothing to push');
    expect(JSON.parse(idle.stdout)).toMatchObject({ planted_removed: [] });
    expect(idsIn(same)).toEqual(['tmdb.api_key', ID]);

    for (const out of [add, next, remove, push, idle]) expect(out.stdout + out.stderr).not.toMatch(/AGE-SECRET-KEY-1/);
  });
});
