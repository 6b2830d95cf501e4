// exec's stages started by posix_spawn (native/spawn) instead of Node's spawn: the stage must not be able to tell.
// Each case starts the same program both ways and compares what it saw (argv, environment, fds and their flags,
// signal dispositions and mask, working folder) and how it ended (exit code, signal, start errors).
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, cpSync, constants as fs, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativePipe, nativeSpawnAvailable, spawnNative, type StageProcess } from '../../shared/node/exec/native-spawn';
import { FIFO_EXEC, POOL } from '../helpers/pipe-pool';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { makeTempHome } from '../helpers/temp';

interface Ended {
  out: string;
  err: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: string;
}

/** Starts `file` both ways (stdout and stderr to files of their own, opened with `flags`), and waits for each end. */
async function both(file: string, args: string[], env: Record<string, string>, flags = 0): Promise<{ native: Ended; node: Ended }> {
  const run = async (how: 'native' | 'node'): Promise<Ended> => {
    const dir = makeTempHome().root;
    const [outPath, errPath] = [join(dir, 'out'), join(dir, 'err')];
    const out = openSync(outPath, fs.O_WRONLY | fs.O_CREAT | fs.O_TRUNC | flags, 0o600);
    const err = openSync(errPath, fs.O_WRONLY | fs.O_CREAT | fs.O_TRUNC | flags, 0o600);
    const ended = await new Promise<Omit<Ended, 'out' | 'err'>>((resolve) => {
      let child: StageProcess | undefined;
      try {
        child = how === 'native' ? spawnNative(file, args, env, [0, out, err]) : spawn(file, args, { stdio: ['inherit', out, err], env });
      } catch (e) {
        // Node throws where the program cannot even be looked up (ENAMETOOLONG...): exec takes that as its 'error'.
        resolve({ code: null, signal: null, error: (e as NodeJS.ErrnoException).code });
        return;
      }
      if (!child) throw new Error('no native spawn');
      child.once('error', (e) => resolve({ code: null, signal: null, error: e.code }));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    closeSync(out);
    closeSync(err);
    return { ...ended, out: readFileSync(outPath, 'utf8'), err: readFileSync(errPath, 'utf8') };
  };
  return { native: await run('native'), node: await run('node') };
}

/** What a stage sees of itself: argv, its environment (sorted), open fds with their flags, signals, working folder. */
const PROBE = [
  'for a in "$0" "$@"; do printf "arg[%s]\\n" "$a"; done',
  'env -0 | sort -z | tr "\\0" "\\n"',
  'for fd in /proc/self/fd/*; do n=${fd##*/}; printf "fd %s flags %s\\n" "$n" "$(sed -n "s/^flags:[[:space:]]*//p" /proc/self/fdinfo/$n 2>/dev/null)"; done',
  'grep -E "^(SigBlk|SigIgn|SigCgt)" /proc/self/status',
  'pwd',
].join('\n');

describe.runIf(process.platform === 'linux')('native spawn (exec on Linux)', () => {
  it('is built and loads here: `npm ci` built it (CI fails when it could not)', () => {
    expect(nativeSpawnAvailable()).toBe(true);
  });

  it('gives the stage what Node gave it: argv, environment, fds and their flags, signals, working folder', async () => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HF_TOKEN: 'hf_x y\nz', EMPTY: '', 'ODD=NAME': 'v', UNICODE: 'é☃\u202e' };
    const args = ['-c', PROBE, 'sh0', 'a b', '', "it's", '$(touch PWNED)', 'é☃', '\\n'];
    const { native, node } = await both('/bin/sh', args, env);
    expect(native.error ?? native.err).toBe('');
    expect(native).toEqual(node);
    expect(native.out).toContain('arg[a b]\narg[]\n');
    expect(native.out).toContain('HF_TOKEN=hf_x y\nz\n');
    // Node ignores SIGPIPE; the stage gets it at its default action, and nothing blocked (glibc's own 32 and 33 too).
    expect(native.out).toMatch(/SigBlk:\s+0+\nSigIgn:\s+0+\n/);
  });

  it('makes a non-blocking stdout blocking for the stage, as libuv does', async () => {
    const { native, node } = await both('/bin/sh', ['-c', 'sed -n "s/^flags:[[:space:]]*//p" /proc/self/fdinfo/1'], { PATH: '/usr/bin:/bin' }, fs.O_NONBLOCK);
    expect(native).toEqual(node);
    expect(Number.parseInt(native.out, 8) & fs.O_NONBLOCK).toBe(0);
  });

  it('looks the program up in the stage environment PATH, with execvp rules (denied files skipped, empty entry = here)', async () => {
    const dir = makeTempHome().root;
    const [denied, found] = [join(dir, 'denied'), join(dir, 'found')];
    mkdirSync(denied);
    mkdirSync(found);
    writeFileSync(join(denied, 'probe'), '#!/bin/sh\necho denied\n', { mode: 0o644 });
    writeFileSync(join(found, 'probe'), '#!/bin/sh\necho "found $1"\n', { mode: 0o755 });
    // A script with no #! line: execvp, and so Node, run it with /bin/sh.
    writeFileSync(join(found, 'plain'), 'echo "plain $1"\n', { mode: 0o755 });
    for (const [file, path] of [
      ['probe', `${denied}:${found}:/usr/bin:/bin`],
      ['plain', `${found}:/usr/bin:/bin`],
      ['probe', `${denied}:/usr/bin:/bin`], // only a file that cannot be run: EACCES
      ['nosuch', `${found}:/usr/bin:/bin`], // ENOENT
      ['probe', `/nonexistent:${found}/probe:${found}`], // a file as a PATH entry (ENOTDIR): skipped
      [join(found, 'probe', 'x'), '/usr/bin'], // ENOTDIR itself
      [join(denied, 'probe'), '/usr/bin'], // a path not executable: EACCES
      ['x'.repeat(300), '/usr/bin'], // a name too long for a file
      ['probe', `/${'x'.repeat(5000)}:${found}`], // an entry longer than PATH_MAX: skipped, as execvp does
      ['probe', `/${'long/'.repeat(900)}:${found}`], // the same, in folders of names not too long
    ] as const) {
      const { native, node } = await both(file, ['arg'], { PATH: path });
      expect({ file: file.slice(0, 40), path: path.slice(-80), ...native }).toEqual({ file: file.slice(0, 40), path: path.slice(-80), ...node });
    }
    // An empty name: Node's own refusal, as before (the addon is not asked).
    expect(spawnNative('', [], { PATH: '/usr/bin' }, [0, 1, 2])).toBeUndefined();
    chmodSync(join(denied, 'probe'), 0o755);
    expect((await both('probe', ['arg'], { PATH: `${denied}:${found}` })).native.out).toBe('denied\n');
    // An empty PATH entry is the working folder (the test's: the repository), as for execvp.
    const here = await both('package.json', [], { PATH: ':/usr/bin' });
    expect(here.native).toEqual(here.node);
  });

  it('ends as the stage ended: exit codes, signals; kill reaches it while it runs, never once it is reaped', async () => {
    for (const script of ['exit 0', 'exit 7', 'exit 255', 'kill -TERM $$', 'kill -KILL $$', 'kill -SEGV $$', 'trap "" TERM; kill -TERM $$; exit 3']) {
      const { native, node } = await both('/bin/sh', ['-c', script], { PATH: '/usr/bin:/bin' });
      expect({ script, ...native }).toEqual({ script, ...node });
    }
    const child = spawnNative('/bin/sh', ['-c', 'echo up; exec sleep 30'], { PATH: '/usr/bin:/bin' }, [0, 1, 2])!;
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
    expect(child.pid).toBeGreaterThan(1);
    expect(child.kill('SIGTERM')).toBe(true);
    expect(await exited).toEqual([null, 'SIGTERM']);
    expect([child.exitCode, child.signalCode]).toEqual([null, 'SIGTERM']);
    expect(child.kill('SIGTERM')).toBe(false);
  });

  it('ends as a shell says a stage killed by a signal Node has no name for ended: 128 + its number, never 128', async () => {
    const child = spawnNative('/bin/sh', ['-c', 'kill -40 $$'], { PATH: '/usr/bin:/bin' }, [0, 1, 2])!;
    expect(await new Promise((resolve) => child.once('exit', (code, signal) => resolve([code, signal])))).toEqual([168, null]);
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${'NativeSpawn3'.repeat(3)}` })).code).toBe(0);
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'kill -40 $$']);
    expect([r.code, r.stderr]).toEqual([168, '']);
  });

  it('leaves to Node what the addon would cut short: a NUL in the program, an argument or the environment', () => {
    expect(spawnNative('/bin/true', ['a\0b'], {}, [0, 1, 2])).toBeUndefined();
    expect(spawnNative('/bin/true\0x', [], {}, [0, 1, 2])).toBeUndefined();
    expect(spawnNative('/bin/true', [], { A: 'x\0y' }, [0, 1, 2])).toBeUndefined();
  });

  it('cpw-vault exec uses it, and CPW_VAULT_SPAWN=node goes back to Node spawn: the stage sees the same', async () => {
    const t = makeTempHome();
    const HF = `hf_${'NativeSpawn1'.repeat(3)}`;
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    // The addon mapped in exec (the stage's parent) or not (its keychain socket switched off too: bus-socket.ts); the
    // stage's environment; its masked output.
    const stage = ['sh', '-c', 'grep -c cpw_spawn.node /proc/$PPID/maps; env -0 | sort -z | tr "\\0" "\\n" | grep -v "^CPW_VAULT_\\(SPAWN\\|DBUS\\)="; echo "$HF_TOKEN" >&2; exit 4'];
    const native = await cli(t, ['exec', '--workflow', 'transcribe', '--', ...stage]);
    const node = await cli(t, ['exec', '--workflow', 'transcribe', '--', ...stage], { env: { CPW_VAULT_SPAWN: 'node', CPW_VAULT_DBUS: 'net' } });
    expect([native.code, native.stderr]).toEqual([4, '****\n']);
    expect([node.code, node.stderr]).toEqual([4, '****\n']);
    const [nativeMaps, ...nativeEnv] = native.stdout.split('\n');
    const [nodeMaps, ...nodeEnv] = node.stdout.split('\n');
    expect([Number(nativeMaps) > 0, nodeMaps]).toEqual([true, '0']);
    expect(nativeEnv).toEqual(nodeEnv);
    expect(nativeEnv).toContain('HF_TOKEN=****'); // given, and masked in its output
  });

  it('makes real pipes, both ends closed on exec: a stage gets only the end it is given', () => {
    const ends = nativePipe();
    expect(ends).toEqual([expect.any(Number), expect.any(Number)]);
    try {
      for (const fd of ends!) {
        expect(fstatSync(fd).isFIFO()).toBe(true);
        // O_CLOEXEC (02000000) in the fd's flags.
        const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!;
        expect(parseInt(flags, 8) & 0o2000000, `fd ${fd}`).toBe(0o2000000);
      }
      expect(readlinkSync(`/proc/self/fd/${ends![0]}`)).toBe(readlinkSync(`/proc/self/fd/${ends![1]}`));
    } finally {
      for (const fd of ends ?? []) closeSync(fd);
    }
  });

  it("masks through the addon's anonymous pipes: nothing made or opened in TMPDIR (1777, a link planted at the pool's name), /dev/stdout and /dev/stderr open by name", async () => {
    const t = makeTempHome();
    const HF = `hf_${'NativePipes'.repeat(3)}`;
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const tmp = join(t.root, 'tmp');
    mkdirSync(tmp);
    chmodSync(tmp, 0o1777);
    // Another user's trap: the pool's name a link to a folder of theirs. Never followed, never changed.
    const theirs = join(t.root, 'theirs');
    mkdirSync(theirs);
    symlinkSync(theirs, join(tmp, POOL));
    const stage = 'readlink /proc/$$/fd/1 /proc/$$/fd/2 | sed "s/[0-9]//g"; echo "a $HF_TOKEN" > /dev/stdout; echo "b $HF_TOKEN" > /dev/stderr';
    const run = async (env: Record<string, string>) => {
      const log = join(t.root, `strace-${Object.keys(env).length}.log`);
      const argv = ['-f', '-qq', '-e', 'trace=openat,mknodat,mkdir,mkdirat,rename,unlink,unlinkat', '-o', log, process.execPath, BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', stage];
      const r = await collect(spawn('strace', argv, { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, TMPDIR: tmp, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }), undefined);
      return { ...r, inTmp: readFileSync(log, 'utf8').split('\n').filter((l) => l.includes(tmp)) };
    };
    const native = await run({});
    expect([native.code, native.stdout, native.stderr]).toEqual([0, 'pipe:[]\npipe:[]\na ****\n', 'b ****\n']);
    expect(native.inTmp).toEqual([]);
    expect([readdirSync(tmp), lstatSync(join(tmp, POOL)).isSymbolicLink(), readdirSync(theirs)]).toEqual([[POOL], true, []]);
    // With Node's spawn, exec makes FIFOs (this TMPDIR's pool refused: a folder of its own there): the trace sees them.
    const fifos = await run(FIFO_EXEC);
    expect([fifos.code, fifos.stderr]).toEqual([0, 'b ****\n']);
    expect(fifos.inTmp.some((l) => l.startsWith('mknodat(') || / mknodat\(/.test(l))).toBe(true);
    expect([readdirSync(tmp), readdirSync(theirs)]).toEqual([[POOL], []]);
  });

  it('never loads an addon from a folder above the package (another user\'s, in /tmp): only its own, or Node spawn', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${'NativeSpawn2'.repeat(3)}` })).code).toBe(0);
    // The package installed where its addon could not be built (no compiler), two folders below one other users can
    // write (a clone in /tmp: /tmp/pkg/dist/cli.cjs): they plant a .node where exec looked next (the real addon here,
    // standing for theirs: it runs its code as the user, with the keychain open).
    const outer = join(makeTempHome().root, 'shared');
    const root = resolve(dirname(BIN), '..');
    const pkg = join(outer, 'pkg');
    mkdirSync(pkg, { recursive: true });
    for (const dir of ['bin', 'dist']) cpSync(join(root, dir), join(pkg, dir), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
    const planted = join(outer, 'native', 'spawn', 'build', 'Release');
    mkdirSync(planted, { recursive: true });
    copyFileSync(join(root, 'native', 'spawn', 'build', 'Release', 'cpw_spawn.node'), join(planted, 'cpw_spawn.node'));
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
    const child = spawn(process.execPath, [join(pkg, 'bin', 'cpw-vault.cjs'), 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'grep -c cpw_spawn.node /proc/$PPID/maps'], { cwd: t.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const r = await collect(child, '');
    expect([r.code, r.stdout, r.stderr]).toEqual([1, '0\n', '']);
  });
});
