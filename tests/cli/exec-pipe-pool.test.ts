// exec's masked streams come from a pool of spare FIFOs (shared/node/exec/pipe-pool.ts): the `mkfifo` child every
// exec forked cost it ~2.5 ms of ~45 (spawn blocks the event loop, the keychain's replies wait). Most execs now fork
// nothing but their stage; the pool is bounded, private, and never trusted when it is not exactly ours.
// FIFOs are what exec uses where it starts stages with Node's spawn (FIFO_EXEC); with the addon, anonymous pipes.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { againIfKeyringRestarted } from '../helpers/keyring-restarts';
import { collect } from '../helpers/children';
import { BIN, cli } from '../helpers/cli';
import { FIFO_EXEC, mkfifoAtWork, noPool, onlySpares, POOL, poolEntries } from '../helpers/pipe-pool';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'Pool'.repeat(9)}`;
/** Writes to stdout, stderr and /dev/stderr by name (a socket could not be opened so), each line naming the stage. */
const STAGE = 'for k in 1 2 3; do echo "out $0 $k $HF_TOKEN"; echo "err $0 $k $HF_TOKEN" >&2; done; echo "dev $0 $HF_TOKEN" > /dev/stderr';
const outOf = (n: string) => `out ${n} 1 ****\nout ${n} 2 ****\nout ${n} 3 ****\n`;
const errOf = (n: string) => `err ${n} 1 ****\nerr ${n} 2 ****\nerr ${n} 3 ****\ndev ${n} ****\n`;

async function ready(mode = 0o700): Promise<{ t: TempHome; tmp: string; env: NodeJS.ProcessEnv }> {
  const t = makeTempHome();
  expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
  const tmp = join(t.root, 'tmp');
  mkdirSync(tmp);
  chmodSync(tmp, mode);
  return { t, tmp, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, TMPDIR: tmp, ...FIFO_EXEC } };
}

/** exec of {@link STAGE} named `name`, stdout and stderr pipes (both masked, two FIFOs), under `trace` (argv prefix) if given. */
function run(t: TempHome, env: NodeJS.ProcessEnv, name: string, trace: string[] = []) {
  const argv = [...trace, process.execPath, BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', STAGE, name];
  return collect(spawn(argv[0]!, argv.slice(1), { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }), undefined);
}

/**
 * The execve calls that succeeded, by strace's log. A call another traced one interrupts (exec's own unlink of its
 * history lock, right after the fork, while the stage's execve runs) is split in two lines, `PID execve("sh", ...
 * <unfinished ...>` and later `PID <... execve resumed>) = 0`: one CI run missed the stage's so.
 */
function execves(log: string): string[] {
  const lines = readFileSync(log, 'utf8').split('\n');
  return lines.filter((l, i) => {
    if (/execve\("[^"]*", .*= 0$/.test(l)) return true;
    const pid = /^(\d+)\s+execve\("[^"]*".*<unfinished \.\.\.>$/.exec(l)?.[1];
    const resumed = pid === undefined ? undefined : lines.slice(i + 1).find((r) => r.startsWith(`${pid} `) && r.includes('<... execve resumed>'));
    return !!resumed && / = 0$/.test(resumed);
  });
}
const forkedMkfifo = (log: string) => execves(log).some((l) => /execve\("[^"]*mkfifo"/.test(l));

async function waitFor(what: () => boolean, ms = 60_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 5))) if (what()) return true;
  return false;
}

describe('exec: spare FIFOs', () => {
  it('after one exec, the next forks only its stage (no mkfifo), its output still masked and /dev/stderr still writable', async () => {
    const { t, tmp, env } = await ready();
    const first = await run(t, env, 'a');
    expect([first.code, first.stdout, first.stderr]).toEqual([0, outOf('a'), errOf('a')]);
    const log = join(t.root, 'strace.log');
    const second = await run(t, env, 'b', ['strace', '-f', '-qq', '-e', 'trace=execve,mknodat,rename,unlink', '-o', log]);
    expect([second.code, second.stdout, second.stderr]).toEqual([0, outOf('b'), errOf('b')]);
    expect(forkedMkfifo(log)).toBe(false);
    // node itself, then the stage (sh, found on PATH): nothing else.
    expect(execves(log).map((l) => /execve\("([^"]*)"/.exec(l)![1]!.split('/').pop())).toEqual([process.execPath.split('/').pop(), 'sh']);
    expect(readFileSync(log, 'utf8')).not.toMatch(/mknodat\(/);
    expect(onlySpares(tmp)).toBe(true);
  });

  // 25 execs read the keychain: when gnome-keyring aborts (upstream) under them, one says KEYCHAIN_TIMEOUT ("recipient
  // disconnected", one CI run) and the body runs again.
  it('concurrent execs each get their own FIFOs: each one\'s output is exactly its stage\'s, masked, the pool stays bounded and mostly no mkfifo', () => againIfKeyringRestarted('concurrent execs', async () => {
    const { t, tmp, env } = await ready();
    expect((await run(t, env, 'warm')).code).toBe(0);
    // Two waves of 12, 2 FIFOs each: the first finds 24 of its 32 spares, the second 8 (some refill while others claim).
    const forks: number[] = [];
    for (const wave of [0, 1]) {
      const names = Array.from({ length: 12 }, (_, i) => `s${wave}x${i}`);
      const results = await Promise.all(names.map((n) => run(t, env, n, ['strace', '-f', '-qq', '-e', 'trace=execve', '-o', join(t.root, `${n}.log`)])));
      results.forEach((r, i) => expect([r.code, r.stdout, r.stderr], names[i]).toEqual([0, outOf(names[i]!), errOf(names[i]!)]));
      forks.push(names.filter((n) => forkedMkfifo(join(t.root, `${n}.log`))).length);
      expect(await waitFor(() => !mkfifoAtWork(tmp))).toBe(true);
      expect(onlySpares(tmp), poolEntries(tmp).join(' ')).toBe(true);
    }
    expect(forks[0]).toBeLessThan(12);
    expect(forks[1]).toBeGreaterThan(0);
  }));

  it('a pool name another user planted in a 1777 TMPDIR, a symlink, a file or a 0755 folder there: exec works as before, nothing followed or changed', async () => {
    const { t, tmp, env } = await ready(0o1777);
    const pool = join(tmp, POOL);
    const elsewhere = join(t.root, 'elsewhere');
    mkdirSync(elsewhere, { mode: 0o700 });
    writeFileSync(join(elsewhere, 'keep'), 'x');
    const plants: [string, () => void, () => unknown][] = [
      ['a symlink to a folder of ours', () => symlinkSync(elsewhere, pool), () => [readlinkSync(pool), readdirSync(elsewhere), statSync(elsewhere).mode & 0o7777]],
      ['a file', () => writeFileSync(pool, 'planted'), () => [readFileSync(pool, 'utf8'), lstatSync(pool).mode & 0o7777]],
      ['a 0755 folder', () => (mkdirSync(pool), chmodSync(pool, 0o755)), () => [readdirSync(pool), lstatSync(pool).mode & 0o7777]],
    ];
    if (process.getuid?.() === 0) {
      plants.push(['another user\'s folder', () => (mkdirSync(pool, { mode: 0o700 }), chownSync(pool, 65534, 65534)), () => [readdirSync(pool), lstatSync(pool).uid, lstatSync(pool).mode & 0o7777]]);
    }
    for (const [what, plant, look] of plants) {
      plant();
      const before = JSON.stringify(look());
      const r = await run(t, env, 'h');
      expect([r.code, r.stdout, r.stderr], what).toEqual([0, outOf('h'), errOf('h')]);
      expect(JSON.stringify(look()), what).toBe(before);
      expect(readdirSync(tmp), what).toEqual([POOL]);
      rmSync(pool, { recursive: true, force: true });
    }
    expect(readdirSync(elsewhere)).toEqual(['keep']);
    // The same TMPDIR with nothing planted: the pool is made, 0700, ours, with spares.
    const r = await run(t, env, 'c');
    expect([r.code, r.stdout, r.stderr]).toEqual([0, outOf('c'), errOf('c')]);
    expect([lstatSync(pool).isDirectory(), lstatSync(pool).mode & 0o7777, lstatSync(pool).uid]).toEqual([true, 0o700, process.getuid!()]);
    expect(poolEntries(tmp).length).toBe(32);
  });

  it('a symlink or a file planted as a spare in the pool is removed, never followed', async () => {
    const { t, tmp, env } = await ready();
    expect((await run(t, env, 'warm')).code).toBe(0);
    const pool = join(tmp, POOL);
    for (const s of poolEntries(tmp)) rmSync(join(pool, s));
    const target = join(t.root, 'target');
    writeFileSync(target, 'untouched');
    chmodSync(target, 0o600);
    symlinkSync(target, join(pool, 'spare-00'));
    writeFileSync(join(pool, 'spare-01'), 'planted', { mode: 0o600 });
    // A FIFO others may open is no spare either.
    expect(spawnSync('mkfifo', ['-m', '644', join(pool, 'spare-02')]).status).toBe(0);
    const r = await run(t, env, 'p');
    expect([r.code, r.stdout, r.stderr]).toEqual([0, outOf('p'), errOf('p')]);
    expect([readFileSync(target, 'utf8'), statSync(target).mode & 0o777]).toEqual(['untouched', 0o600]);
    expect(onlySpares(tmp), poolEntries(tmp).join(' ')).toBe(true);
    expect(poolEntries(tmp).length).toBe(32);
  });

  it('kill -9 of exec at random instants and between its claim and its unlink: later execs leave no claimed FIFO, and the pool stays bounded', async () => {
    const { t, tmp, env } = await ready();
    const claimed = () => poolEntries(tmp).filter((n) => n.startsWith('cpw-vault-exec-'));
    for (let round = 0; round < 4; round++) {
      // Spares there, so the held exec below claims one (a rename).
      expect((await run(t, env, `r${round}`)).code).toBe(0);
      const killed = Array.from({ length: 4 }, async (_, i) => {
        const child = spawn(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', STAGE, `k${i}`], { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
        const done = collect(child, undefined);
        await new Promise((r) => setTimeout(r, Math.random() * 400));
        child.kill('SIGKILL');
        return done;
      });
      await Promise.all(killed);
      // Surely in the window: exec held by strace right after its claim (its rename), killed once the name is there.
      const child = spawn('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=rename,renameat,renameat2', '-e', 'inject=rename,renameat,renameat2:delay_exit=1000000:when=1', process.execPath, BIN, 'exec', '--workflow', 'transcribe', '--', 'true'], { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const done = collect(child, undefined);
      let exited = false;
      void done.then(() => (exited = true));
      const before = new Set(claimed());
      expect(await waitFor(() => exited || claimed().some((n) => !before.has(n)))).toBe(true);
      expect(exited, 'exec ended before it claimed a FIFO').toBe(false);
      const traced = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ').map(Number);
      for (const pid of traced) process.kill(pid, 'SIGKILL');
      await done;
      expect(claimed().length).toBeGreaterThan(0);
    }
    expect(await waitFor(() => !mkfifoAtWork(tmp))).toBe(true);
    const last = await run(t, env, 'last');
    expect([last.code, last.stdout, last.stderr]).toEqual([0, outOf('last'), errOf('last')]);
    expect(onlySpares(tmp), poolEntries(tmp).join(' ')).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0)('a TMPDIR another user owns is not used (its owner can rename what is ours in it, sticky or not): a folder of ours swapped in for the pool or the FIFOs\' folder is neither emptied nor changed', async () => {
    const { t, tmp, env } = await ready(0o1777);
    chownSync(tmp, 65534, 65534);
    const work = join(tmp, 'work');
    // Renamed as its owner may (the test is root: the same renames), while exec is held by strace in the window.
    const cases: [string, string[], () => string | undefined, () => void][] = [
      // The pool just made (its mkdir held), swapped before exec opens it: exec made it 0700 and filled it with spares.
      ['the pool', ['trace=mkdir', 'inject=mkdir:delay_exit=1000000'], () => readdirSync(tmp).find((n) => n === POOL), () => {}],
      // The pool unusable, exec's own folder swapped while mkfifo is held: exec's removal of its folder removed ours, content and all.
      ['the FIFOs\' folder', ['trace=mknodat', 'inject=mknodat:delay_enter=1000000:when=1'], () => readdirSync(tmp).find((n) => n.startsWith('cpw-vault-exec-')), () => noPool(tmp)],
    ];
    for (const [what, held, made, before] of cases) {
      before();
      mkdirSync(work, { mode: 0o755 });
      chmodSync(work, 0o755);
      writeFileSync(join(work, 'keep'), 'precious');
      const argv = ['-f', '-qq', '-o', '/dev/null', ...held.flatMap((e) => ['-e', e]), process.execPath, BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'echo "$HF_TOKEN"; echo "$HF_TOKEN" >&2'];
      const done = collect(spawn('strace', argv, { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }), undefined);
      let exited = false;
      void done.then(() => (exited = true));
      let name: string | undefined;
      await waitFor(() => exited || (name = made()) !== undefined);
      if (name) {
        renameSync(join(tmp, name), join(tmp, 'moved'));
        renameSync(work, join(tmp, name));
      }
      const r = await done;
      expect([r.code, r.stdout, r.stderr.split('\n').filter((l) => !l.startsWith('strace: ')).join('\n')], what).toEqual([0, '****\n', '****\n']);
      const ours = name ? join(tmp, name) : work;
      expect([readdirSync(ours), statSync(ours).mode & 0o7777], what).toEqual([['keep'], 0o755]);
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { mode: 0o1777 });
      chmodSync(tmp, 0o1777);
      chownSync(tmp, 65534, 65534);
    }
  });
});
