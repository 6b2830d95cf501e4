// The structural promises behind the benchmark's figures (issue: performance at
// pipeline scale), tested as outcomes, not timings: a read writes nothing and
// takes no lock; exec appends to its history; a huge or damaged history never
// holds up a stage.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { inPrivateSession } from '../helpers/private-session';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'HotPath1'.repeat(5)}`;

async function ready(t: TempHome) {
  expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
}

/** Runs `cpw-vault args` under strace; returns the file syscalls it (and its children) made. */
function traced(t: TempHome, args: string[]): { code: number | null; calls: string[]; all: string[] } {
  const log = join(t.root, `strace-${Date.now()}.log`);
  const r = spawnSync('strace', ['-f', '-qq', '-o', log, '-e', 'trace=openat,rename,renameat,renameat2,unlink,unlinkat,mkdir,utimensat', process.execPath, BIN, ...args], {
    cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8',
  });
  const all = readFileSync(log, 'utf8').split('\n');
  return { code: r.status, calls: all.filter((l) => l.includes(t.home)), all };
}

/** Runs the CLI with `args` in `t` (stdout `out`), and lists the Node modules it loaded (process.moduleLoadList at exit). */
function modulesLoaded(t: TempHome, args: string[], out: 'pipe' | 'ignore', env: Record<string, string> = {}) {
  const loaded = join(t.root, 'modules');
  const preload = join(t.root, 'modules.cjs');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, process.moduleLoadList.join('\\n')));`);
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, NODE_OPTIONS: `--require=${preload}`, ...env }, stdio: ['pipe', out, 'pipe'], encoding: 'utf8',
  });
  return { r, modules: readFileSync(loaded, 'utf8').split('\n') };
}

describe('a read writes nothing and takes no lock', () => {
  it('get (the first of a stage, minutes after the last) opens the profile read-only, creates no lock, renames nothing', async () => {
    const t = makeTempHome();
    await ready(t);
    const dir = join(t.home, '.cp-whisperx');
    // A first read made the mark; the last use was long ago, so this read is due to be recorded.
    expect((await cli(t, ['get', 'huggingface', 'token'])).code).toBe(0);
    const mark = join(dir, 'usage', 'huggingface.token');
    spawnSync('touch', ['-d', '2020-01-01', mark]);
    const profileBefore = statSync(t.profile);
    const { code, calls, all } = traced(t, ['get', 'huggingface', 'token']);
    expect(code).toBe(0);
    // The index is read from its lookup copy (the profile is not even opened), read-only.
    expect(calls.filter((l) => l.includes('user.profile"') && l.includes('openat'))).toEqual([]);
    const indexOpens = calls.filter((l) => l.includes('profile.index"'));
    expect(indexOpens.length).toBeGreaterThan(0);
    expect(indexOpens.every((l) => /O_RDONLY/.test(l) && !/O_WRONLY|O_RDWR|O_CREAT/.test(l))).toBe(true);
    expect(calls.filter((l) => l.includes('.lock'))).toEqual([]);
    expect(calls.filter((l) => /rename|unlink|mkdir/.test(l))).toEqual([]);
    // Its stamps (the use, the audit line) are written in UTC without asking ICU for the host's time zone.
    expect(all.filter((l) => l.includes('/etc/localtime'))).toEqual([]);
    const after = statSync(t.profile);
    expect([after.ino, after.mtimeMs]).toEqual([profileBefore.ino, profileBefore.mtimeMs]);
    // The use was recorded, off the profile: the mark's time moved.
    expect(statSync(mark).mtimeMs).toBeGreaterThan(Date.parse('2021-01-01'));
    // Nor does exec, whose run history, lock and audit stamps are the same UTC strings.
    const exec = traced(t, ['exec', '--workflow', 'transcribe', '--', 'true']);
    expect(exec.code).toBe(0);
    expect(exec.all.filter((l) => l.includes('/etc/localtime'))).toEqual([]);
  });
});

describe('each command loads only what it runs', () => {
  /** The same command through the full CLI bundle (what the light path hands over to). */
  function full(t: TempHome, args: string[]) {
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(BIN, '../../dist/cli.cjs'))}).main(${JSON.stringify(args)}).then((c) => process.exit(c))`], {
      cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8', input: '',
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('list, which, check and a plain doctor never open the full CLI bundle', async () => {
    const t = makeTempHome();
    await ready(t);
    for (const args of [['list'], ['which', 'huggingface', 'token'], ['check', 'transcribe'], ['doctor'], ['doctor', '--json']]) {
      const { all } = traced(t, args);
      expect(all.filter((l) => /(fast|light-doctor)\.cjs"/.test(l)).length, args.join(' ')).toBeGreaterThan(0);
      expect(all.filter((l) => l.includes('/cli.cjs"')), args.join(' ')).toEqual([]);
    }
  });

  it('get and env load the code cache of their reads, exec its own, the others the shared one (each only that one)', async () => {
    const t = makeTempHome();
    await ready(t);
    const expected: Array<[string[], string]> = [
      [['get', 'huggingface', 'token'], 'fast.cjs.read.cache'],
      [['env', '--workflow', 'transcribe'], 'fast.cjs.read.cache'],
      [['exec', '--workflow', 'transcribe', '--', 'true'], 'fast.cjs.exec.cache'],
      [['list'], 'fast.cjs.cache'],
    ];
    for (const [args, cache] of expected) {
      const opened = traced(t, args).all.filter((l) => l.includes('openat') && /\/dist\/[^"]+\.cache"/.test(l)).map((l) => /\/dist\/([^"]+)"/.exec(l)?.[1]);
      expect(opened, args.join(' ')).toEqual([cache]);
    }
  });

  it('the bundle of get, env and exec carries no schema library (doctor has a bundle of its own)', () => {
    const dist = join(BIN, '../../dist');
    // zod's core names its classes $Zod...; the light bundle must never pay for parsing them.
    expect(readFileSync(join(dist, 'fast.cjs'), 'utf8')).not.toMatch(/\$Zod/);
    expect(readFileSync(join(dist, 'light-doctor.cjs'), 'utf8')).toMatch(/\$Zod/);
  });

  // node:net's load and first Socket cost ~4 ms of a ~50 ms get: the keychain's socket is the addon's
  // (secrets/dbus/bus-socket.ts); CPW_VAULT_DBUS=net goes back to node:net.
  it('get with its output to /dev/null, from a pipe, loads neither node:tty nor node:crypto (nothing there is a terminal), nor node:net', async () => {
    const t = makeTempHome();
    await ready(t);
    const { r, modules } = modulesLoaded(t, ['get', 'huggingface', 'token'], 'ignore');
    expect(r.status, r.stderr).toBe(0);
    expect(modules).toContain('NativeModule fs');
    expect(modules).not.toContain('NativeModule tty');
    expect(modules).not.toContain('NativeModule crypto');
    expect(modules).not.toContain('NativeModule net');
    const net = modulesLoaded(t, ['get', 'huggingface', 'token'], 'ignore', { CPW_VAULT_DBUS: 'net' });
    expect(net.r.status, net.r.stderr).toBe(0);
    expect(net.modules).toContain('NativeModule net');
  });

  // node:os (a home folder found in $HOME, a lock holder's host name, signal numbers) and node:module (the launcher
  // takes the loader as module.constructor) left ~30 KB of heap that, with the rest, made every read pay a collection.
  it('get and env load neither node:os nor node:module', async () => {
    const t = makeTempHome();
    await ready(t);
    for (const args of [['get', 'huggingface', 'token'], ['env', '--workflow', 'transcribe']]) {
      const { r, modules } = modulesLoaded(t, args, 'pipe');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(HF);
      expect(modules).toContain('NativeModule fs');
      expect([args[0], modules.filter((m) => /^NativeModule (os|module)$/.test(m))]).toEqual([args[0], []]);
    }
  });

  it('get and env with stderr a pipe never build process.stderr (closing the keychain socket at the end did: ~0.5 ms)', async () => {
    const t = makeTempHome();
    await ready(t);
    const seen = join(t.root, 'seen');
    const probe = join(t.root, 'probe.cjs');
    // process.stderr is built on first read (for a pipe, a socket over a new pipe handle): the probe says if it was.
    writeFileSync(probe, `const d = Object.getOwnPropertyDescriptor(process, 'stderr'); let read = false;
Object.defineProperty(process, 'stderr', { configurable: true, enumerable: d.enumerable, get() { read = true; return d.get.call(process); } });
process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(seen)}, String(read)));`);
    for (const args of [['get', 'huggingface', 'token'], ['env', '--workflow', 'transcribe']]) {
      const r = spawnSync(process.execPath, [BIN, ...args], {
        cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, NODE_OPTIONS: `--require=${probe}` }, stdio: ['pipe', 'pipe', 'pipe'], encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(HF);
      expect([args[0], readFileSync(seen, 'utf8')]).toEqual([args[0], 'false']);
    }
  });

  // V8 compiles a pattern at its first run (0.1-0.2 ms each): get quoted its names for a fix line it prints only when
  // it refuses its output, and its audit line ran the bearer pattern on an event name.
  it('get and env run no pattern that only a refusal or a secret-shaped text needs', async () => {
    const t = makeTempHome();
    await ready(t);
    const seen = join(t.root, 'patterns');
    const probe = join(t.root, 'patterns.cjs');
    writeFileSync(probe, `const ran = new Set();
for (const m of ['exec', Symbol.replace, Symbol.split, Symbol.match, Symbol.matchAll]) {
  const orig = RegExp.prototype[m];
  RegExp.prototype[m] = function (...a) { ran.add(this.source); return orig.apply(this, a); };
}
process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(seen)}, [...ran].join('\\n')));`);
    for (const args of [['get', 'huggingface', 'token'], ['env', '--workflow', 'transcribe']]) {
      const r = spawnSync(process.execPath, [BIN, ...args], {
        cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, NODE_OPTIONS: `--require=${probe}` }, stdio: ['pipe', 'pipe', 'pipe'], encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const patterns = readFileSync(seen, 'utf8').split('\n');
      // The control-character class (withoutControlChars: shell quoting), shellWord's own, and the secret shapes.
      expect(patterns.filter((p) => /u202a|\\w@%|Bearer|hf_|sk-|AIza|eyJ|0-9a-fA-F\]\{32|AGE-SECRET/.test(p)), args[0]).toEqual([]);
      expect(patterns.length, args[0]).toBeGreaterThan(0);
    }
  });

  it('a plain doctor on the light path says exactly what the full CLI says, whatever state the profile is in', async () => {
    const t = makeTempHome();
    const states: Array<[string, () => void]> = [
      ['no profile', () => {}],
      ['healthy', () => void spawnSync(process.execPath, [BIN, 'set', 'huggingface', 'token'], { input: HF, cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service } })],
      ['a zone no system knows', () => {
        const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
        writeFileSync(t.profile, JSON.stringify({ ...doc, user: { ...doc.user, timezone: 'Mars/Olympus' } }));
      }],
      ['loose mode', () => void spawnSync('chmod', ['644', t.profile])],
      ['an invalid email', () => {
        spawnSync('chmod', ['600', t.profile]);
        const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
        writeFileSync(t.profile, JSON.stringify({ ...doc, user: { ...doc.user, email: 'not-an-email' } }));
      }],
      ['cut-off JSON', () => writeFileSync(t.profile, '{"version":"2.0",')],
    ];
    for (const [state, make] of states) {
      make();
      for (const args of [['doctor'], ['doctor', '--json']]) {
        const light = await cli(t, args);
        expect({ state, code: light.code, stdout: light.stdout, stderr: light.stderr }).toEqual({ state, ...full(t, args) });
      }
    }
    const bad = await cli(t, ['doctor']);
    expect(bad.stderr).toMatch(/PROFILE_INVALID .*not valid JSON/);
  });
});

describe('exec and its history', () => {
  it('appends to the history: the file keeps its inode and every earlier byte', async () => {
    const t = makeTempHome();
    await ready(t);
    expect((await cli(t, ['exec', '--workflow', 'transcribe', '--', 'true'])).code).toBe(0);
    const path = join(t.home, '.cp-whisperx', 'runs.jsonl');
    const before = { ino: statSync(path).ino, text: readFileSync(path, 'utf8') };
    expect((await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'exit 7'])).code).toBe(7);
    const after = { ino: statSync(path).ino, text: readFileSync(path, 'utf8') };
    expect(after.ino).toBe(before.ino);
    expect(after.text.startsWith(before.text)).toBe(true);
    const lines = after.text.trim().split('\n').map((l) => JSON.parse(l));
    // Two lines per run: its start (recorded once the stage runs) and its end.
    expect(lines.map((l) => l.op)).toEqual(['start', 'update', 'start', 'update']);
    expect(lines.filter((l) => l.op === 'start').map((l) => l.run.status)).toEqual(['running', 'running']);
    const runs = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs;
    expect(runs.map((r: { status: string; exit_code: number }) => [r.status, r.exit_code])).toEqual([['failed', 7], ['succeeded', 0]]);
  });

  it('a history of 50,000 runs does not hold up exec; it is compacted to its bounds once', async () => {
    const t = makeTempHome();
    await ready(t);
    const path = join(t.home, '.cp-whisperx', 'runs.jsonl');
    const old = (i: number) => JSON.stringify({ op: 'start', run: { id: `r${i}`, workflow: 'transcribe', program: 'x', credentials: [], status: 'succeeded', exit_code: 0, signal: null, started_at: new Date(Date.now() - (50_000 - i) * 1000).toISOString(), finished_at: null, duration_ms: 1 } });
    writeFileSync(path, `${Array.from({ length: 50_000 }, (_, i) => old(i)).join('\n')}\n`, { mode: 0o600 });
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'true']);
    expect(r.code, r.stderr).toBe(0);
    const runs = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs;
    expect(runs).toHaveLength(500); // the default bound
    expect(runs[0].program).toBe('true');
    expect(statSync(path).size).toBeLessThan(500 * 1200);
  });

  it('doctor checks the history as its writers would, never reading it: one of 4.3 GB (sparse) is no problem', async () => {
    // It read the whole file, only to check what opening it checks: past 4 GiB that was an INTERNAL error, exit 1.
    const t = makeTempHome();
    await ready(t);
    expect((await cli(t, ['exec', '--workflow', 'transcribe', '--', 'true'])).code).toBe(0);
    truncateSync(join(t.home, '.cp-whisperx', 'runs.jsonl'), 4_300_000_000);
    const r = await cli(t, ['doctor']);
    expect([r.code, r.stderr]).toEqual([0, expect.not.stringMatching(/runs\.jsonl|INTERNAL/)]);
  });

  it('a damaged old runs.json is set aside (0600) with one warning; the stage runs and a new history starts', async () => {
    const t = makeTempHome();
    await ready(t);
    const legacy = join(t.home, '.cp-whisperx', 'runs.json');
    writeFileSync(legacy, '[{"id": "x", "workflow"', { mode: 0o600 });
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'true']);
    expect(r.code).toBe(0);
    const runs = await cli(t, ['runs', '--json']);
    expect(runs.stderr).toMatch(/runs\.json was damaged; it is kept as .*runs\.json\.damaged-/);
    expect(JSON.parse(runs.stdout).runs).toHaveLength(1);
    const aside = readdirSync(join(t.home, '.cp-whisperx')).find((f) => f.startsWith('runs.json.damaged-'))!;
    expect(statSync(join(t.home, '.cp-whisperx', aside)).mode & 0o777).toBe(0o600);
    expect(existsSync(legacy)).toBe(false);
  });

  it('a refused run (missing credential) is recorded with status refused, and exec exits 3 without starting the stage', async () => {
    const t = makeTempHome();
    await ready(t);
    const marker = join(t.root, 'started');
    const r = await cli(t, ['exec', '--workflow', 'subtitle', '--', 'touch', marker]);
    expect(r.code).toBe(3);
    expect(existsSync(marker)).toBe(false);
    const [run] = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs;
    expect(run).toMatchObject({ status: 'refused', workflow: 'subtitle', program: 'touch', credentials: ['tmdb.api_key'] });
  });

  it('a run the keychain kept from starting (locked) is recorded as refused too: exit 4, the stage never ran', async () => {
    const t = makeTempHome();
    const marker = join(t.root, 'started');
    const seed = `printf %s '${`hf_${'Lock'.repeat(9)}`}' | '${process.execPath}' '${BIN}' set huggingface token 2>/dev/null`;
    const r = await inPrivateSession('locked', [process.execPath, BIN, 'exec', '--workflow', 'transcribe', '--', 'touch', marker], { home: t, setup: seed });
    expect(r.code, r.stderr).toBe(4);
    expect(existsSync(marker)).toBe(false);
    const runs = await inPrivateSession('locked', [process.execPath, BIN, 'runs', '--json'], { home: t });
    expect(JSON.parse(runs.stdout).runs).toMatchObject([{ status: 'refused', workflow: 'transcribe', program: 'touch' }]);
  });
});
