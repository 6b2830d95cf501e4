// With no profile yet, the reader falls back to ./config/secrets.json. A FIFO, a socket or a folder of the user's own
// there was read as that file: list and get failed (exit 1) "not a regular file; Move it aside", and the first set
// warned that its credentials "are not read any more. Move them into the keychain: cpw-vault migrate", which migrate
// then passes over. It is no secrets file: passed over now, said in one line, never opened (a FIFO must not block), and
// the command goes on as without it. A `config` file of the project's (no folder there) is nothing there, said nowhere.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { collect, type ChildResult } from '../helpers/children';
import { NOBODY } from '../helpers/planted';
import { makeTempHome, type TempHome } from '../helpers/temp';

const MINE = `hf_${'Fifo'.repeat(9)}`;
const ENV = `hf_${'Envy'.repeat(9)}`;

/** What is made at config/secrets.json, by its name in the warning. */
const made: Record<string, (at: string) => void> = {
  'a named pipe (FIFO)': (at) => execFileSync('mkfifo', ['-m', '600', at]),
  // A process that exits while listening leaves its socket's name behind.
  'a socket': (at) => execFileSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(at)}, () => process.exit(0))`]),
  'a folder': (at) => mkdirSync(at),
};

/** list, get (from HF_TOKEN) and set (MINE) go on past what is at `at`, each saying `said` once. */
async function goOnPast(t: TempHome, at: string, said: string) {
  const list = await cli(t, ['list']);
  expect(list.code, list.stderr).toBe(0);
  expect(list.stderr).toBe(said);
  const get = await cli(t, ['get', 'huggingface', 'token'], { env: { HF_TOKEN: ENV } });
  expect(get.code, get.stderr).toBe(0);
  expect(get.stdout).toBe(ENV);
  expect(get.stderr).toBe(said);
  const set = await cli(t, ['set', 'huggingface', 'token'], { input: MINE });
  expect(set.code, set.stderr).toBe(0);
  expect(set.stderr.split('\n').filter((l) => l.includes(at))).toEqual([said.trimEnd()]);
  return { list, get, set };
}

describe('no profile yet, and something of the user\'s own at config/secrets.json that is not a file', () => {
  it.each(Object.keys(made))('%s: list, get and set go on as without it, one line saying why; set does not send to migrate', async (what) => {
    const t = makeTempHome();
    mkdirSync(join(t.cwd, 'config'));
    const at = join(t.cwd, 'config', 'secrets.json');
    made[what]!(at);
    const kind = lstatSync(at).mode;
    const said = `warning: Ignoring ${at}: it is ${what}, not a file to read keys from.\n`;
    const { list, get, set } = await goOnPast(t, at, said);
    expect(list.stdout).toMatch(/huggingface\s+token\s+missing/);
    expect(set.stderr).not.toMatch(/deprecated|migrate/);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(MINE);
    // Left as it was: not the vault's to move.
    expect(lstatSync(at).mode).toBe(kind);
    for (const r of [list, get, set]) expect(r.stdout + r.stderr).not.toContain(MINE);
  });

  it('a `config` file in the working directory (no folder there) is nothing there: list, get and set say nothing of it', async () => {
    const t = makeTempHome();
    writeFileSync(join(t.cwd, 'config'), 'port = 8080\n');
    const list = await cli(t, ['list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toBe('');
    const get = await cli(t, ['get', 'huggingface', 'token'], { env: { HF_TOKEN: ENV } });
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe(ENV);
    const set = await cli(t, ['set', 'huggingface', 'token'], { input: MINE });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).not.toContain('config');
  });
});

/** Without the powers that let root look into any folder: root then is refused a folder as any user is (EACCES). */
const NO_DAC = '-dac_override,-dac_read_search';

/** `cpw-vault ...args` as {@link cli} runs it, but without root's powers over folders it may not enter. */
function cliNoDac(t: TempHome, args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<ChildResult> {
  const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, ...options.env };
  const child = spawn('setpriv', [`--bounding-set=${NO_DAC}`, `--inh-caps=${NO_DAC}`, process.execPath, BIN, ...args], { cwd: t.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  return collect(child, options.input ?? '');
}

/** A `config` folder in the working directory this user may not look into. */
const unreadable: Record<string, (dir: string) => void> = {
  "another user's folder (nobody's, 0700)": (dir) => chownSync(dir, NOBODY, NOBODY),
  'a folder of mode 000': (dir) => chmodSync(dir, 0),
};

// A `config` folder the user may not look into (a colleague's checkout, a folder made 000) failed list and get, and
// every stage run from there ('Permission denied for .../config/secrets.json'), for a file that may not even be there.
describe.runIf(process.getuid?.() === 0)('no profile yet, and a `config` folder in the working directory that cannot be looked into', () => {
  it.each(Object.keys(unreadable))('%s: list, get and set go on as without it, one line naming the folder', async (what) => {
    const t = makeTempHome();
    const dir = join(t.cwd, 'config');
    mkdirSync(dir, { mode: 0o700 });
    unreadable[what]!(dir);
    onTestFinished(() => chmodSync(dir, 0o700));
    const said = `warning: Ignoring ${join(dir, 'secrets.json')}: its folder ${dir} cannot be looked into (permission denied); no keys are read from it.\n`;
    const list = await cliNoDac(t, ['list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toBe(said);
    expect(list.stdout).toMatch(/huggingface\s+token\s+missing/);
    const get = await cliNoDac(t, ['get', 'huggingface', 'token'], { env: { HF_TOKEN: ENV } });
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe(ENV);
    expect(get.stderr).toBe(said);
    const set = await cliNoDac(t, ['set', 'huggingface', 'token'], { input: MINE });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr.split('\n').filter((l) => l.includes(dir))).toEqual([said.trimEnd()]);
    const stage = await cliNoDac(t, ['exec', '--workflow', 'transcribe', '--no-mask', '--', 'sh', '-c', 'echo "${HF_TOKEN:+given}"']);
    expect(stage.code, stage.stderr).toBe(0);
    expect(stage.stdout).toBe('given\n');
    for (const r of [list, get, set, stage]) expect(r.stdout + r.stderr).not.toContain(MINE);
  });
});

// A `config` link that leads round in a loop (config -> config), planted in a working folder others can write (1777):
// list, get, set and doctor failed IO_ERROR "a symbolic link on its way leads round in a loop", for a file that cannot
// be there, where a folder that cannot be looked into was passed over; migrate said nothing of it.
describe('no profile yet, and a `config` link in the working directory that loops', () => {
  it('list, get, set and doctor go on as without it, one line saying why; migrate passes it over, saying so', async () => {
    const t = makeTempHome();
    chmodSync(t.cwd, 0o1777);
    symlinkSync('config', join(t.cwd, 'config'));
    const at = join(t.cwd, 'config', 'secrets.json');
    const said = `warning: Ignoring ${at}: a symbolic link on its way leads round in a loop (namei -l ${at}); no keys are read from it.\n`;
    const { list, get, set } = await goOnPast(t, at, said);
    const doctor = await cli(t, ['doctor']);
    expect(doctor.code, doctor.stderr).toBe(0);
    expect(doctor.stdout + doctor.stderr).not.toMatch(/IO_ERROR|ELOOP/);
    const migrate = await cli(t, ['migrate', '--yes']);
    expect(migrate.stderr).toContain(`Passed over ${at}: a symbolic link on its way leads round in a loop`);
    expect(migrate.stderr).not.toMatch(/IO_ERROR|ELOOP/);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(MINE);
    for (const r of [list, get, set, doctor, migrate]) expect(r.stdout + r.stderr).not.toContain(MINE);
  });
});

/** Links at config/secrets.json that lead round in a loop, by how they are made. */
const loops: Record<string, (dir: string) => void> = {
  'a link to itself': (dir) => symlinkSync('secrets.json', join(dir, 'secrets.json')),
  'two links to each other': (dir) => (symlinkSync('other.json', join(dir, 'secrets.json')), symlinkSync('secrets.json', join(dir, 'other.json'))),
};
const LOOP = 'a symbolic link that leads round in a loop (to itself, or through other links back to it), to no file';

// A config/secrets.json link that leads round in a loop was said to be "a symbolic link" (read as one to a file, kept
// from the user), and migrate then said "no config/secrets.json here". It is said as a loop, alike, with its fix.
describe('no profile yet, and config/secrets.json a link that leads round in a loop', () => {
  it.each(Object.keys(loops))('%s: list, get and set go on, saying it is a loop and how to remove it; migrate passes it over saying the same', async (what) => {
    const t = makeTempHome();
    mkdirSync(join(t.cwd, 'config'));
    loops[what]!(join(t.cwd, 'config'));
    const at = join(t.cwd, 'config', 'secrets.json');
    const clause = `it is ${LOOP}; no keys are read from it (remove the link: rm -- ${at}).`;
    await goOnPast(t, at, `warning: Ignoring ${at}: ${clause}\n`);
    const migrate = await cli(t, ['migrate', '--yes']);
    expect(migrate.code, migrate.stderr).toBe(2);
    expect(migrate.stderr).toContain(`! Passed over ${at}: ${clause}\n`);
    expect(migrate.stderr).not.toContain('no config/secrets.json here');
    const from = await cli(t, ['migrate', '--from', 'config/secrets.json', '--yes']);
    expect(from.stderr).toContain(`error [INVALID_ARGUMENT] config/secrets.json is ${LOOP}; nothing was changed.\nfix: Remove the link (rm -- config/secrets.json), and give the file to migrate with --from PATH.\n`);
  });
});

/** Links at config/secrets.json to a file that does not exist: their target as a message names it (one shell word). */
const dangling: Record<string, { target: string; shown: string }> = {
  'a file gone': { target: 'gone.json', shown: 'gone.json' },
  'a path through a file (ENOTDIR)': { target: '../config-file/secrets.json', shown: '../config-file/secrets.json' },
  'a name with a tab, an escape and an é': { target: 'go\tne\x1b[31m\u00e9.json', shown: String.raw`'go'"$(printf '\011')"'ne'"$(printf '\033')"'[31mé.json'` },
};

// A config/secrets.json link to a file that does not exist was said to be "a symbolic link; its keys are not read as
// yours" (a file kept from the user, when there is none), and migrate then said "Nothing to migrate: no
// config/secrets.json here", contradicting it. Both say what it is now, naming its target, and --from says the same.
describe('no profile yet, and config/secrets.json a link to a file that does not exist', () => {
  it.each(Object.keys(dangling))('to %s: list, get and set go on, naming its target; migrate passes it over saying the same; --from says it too', async (what) => {
    const t = makeTempHome();
    mkdirSync(join(t.cwd, 'config'));
    writeFileSync(join(t.cwd, 'config-file'), 'not a folder\n');
    const { target, shown } = dangling[what]!;
    const at = join(t.cwd, 'config', 'secrets.json');
    symlinkSync(target, at);
    const clause = `it is a symbolic link to ${shown}, a file that does not exist; no keys are read from it.`;
    const { list, get, set } = await goOnPast(t, at, `warning: Ignoring ${at}: ${clause}\n`);
    const migrate = await cli(t, ['migrate', '--yes']);
    expect(migrate.code, migrate.stderr).toBe(2);
    expect(migrate.stderr).toContain(`! Passed over ${at}: ${clause}\n`);
    expect(migrate.stderr).not.toContain('no config/secrets.json here');
    const from = await cli(t, ['migrate', '--from', 'config/secrets.json', '--yes']);
    expect(from.code, from.stderr).toBe(2);
    expect(from.stderr).toBe(`error [INVALID_ARGUMENT] config/secrets.json is a symbolic link to ${shown}, a file that does not exist; nothing was changed.\nfix: Give the file to migrate with --from PATH.\n`);
    for (const r of [list, get, set, migrate, from]) expect(r.stdout + r.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/); // no raw tab or escape
    expect(lstatSync(at).isSymbolicLink()).toBe(true); // left as it was
  });
});

/** What migrate --from config/secrets.json finds there, each passed over by the reader too, and its one error. */
const passedOver: Record<string, { make: (dir: string) => void; error: RegExp }> = {
  ...Object.fromEntries(Object.entries(loops).map(([what, make]) => [what, { make, error: new RegExp(`^error \\[INVALID_ARGUMENT\\] config/secrets\\.json is ${LOOP.replace(/[()]/g, '\\$&')}; nothing was changed\\.\\nfix: Remove the link \\(rm -- config/secrets\\.json\\), and give the file to migrate with --from PATH\\.\\n$`) }])),
  'a link to a file of the user\'s': { make: (dir) => (writeFileSync(join(dir, 'real.json'), '{}', { mode: 0o600 }), symlinkSync('real.json', join(dir, 'secrets.json'))), error: /^error \[INVALID_ARGUMENT\] config\/secrets\.json is a symbolic link; refusing to follow it\.\nfix: Point --from at the file it leads to/ },
  ...Object.fromEntries(Object.entries(made).map(([what, make]) => [what, { make: (dir: string) => make(join(dir, 'secrets.json')), error: /^error \[INVALID_ARGUMENT\] config\/secrets\.json is not a regular file\.\n/ }])),
  ...(process.getuid?.() === 0 ? { "another user's file": { make: (dir: string) => (writeFileSync(join(dir, 'secrets.json'), '{}', { mode: 0o600 }), chownSync(join(dir, 'secrets.json'), NOBODY, NOBODY)), error: /^error \[INVALID_ARGUMENT\] config\/secrets\.json belongs to another user \(uid 65534\)/ } } : {}),
};

// migrate --from naming the config/secrets.json the reader passes over printed the reader's warning, then an error for
// the same file: read as two problems. One error now, the one that says what to do with --from.
describe('migrate --from config/secrets.json, where the reader passes over what is there', () => {
  it.each(Object.keys(passedOver))('%s: one error, no warning before it; nothing stored', async (what) => {
    const t = makeTempHome();
    mkdirSync(join(t.cwd, 'config'));
    passedOver[what]!.make(join(t.cwd, 'config'));
    const r = await cli(t, ['migrate', '--from', 'config/secrets.json', '--yes']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(passedOver[what]!.error);
    expect(r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('fix: '))).toHaveLength(1);
    expect(r.stderr).not.toContain('warning');
  });
});
