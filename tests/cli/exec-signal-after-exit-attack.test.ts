// Attacks on exec's ending by a signal that came after its stage exited. A signal that reaches exec while its stage
// is a zombie (exited, its exit not yet handled by exec's event loop) is one the stage can no longer get, like one
// that comes after: it must end exec at once too (its run's end recorded first), not once the output is drained
// (a background process of the stage holding its output open would keep exec, and its Ctrl-C, waiting).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentOwner } from '../../shared/node/profile/owner';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'AttackExit'.repeat(4)}`;

type Run = { program: string; status: string; exit_code: number | null; signal: string | null; finished_at: string | null };

async function ready(): Promise<TempHome> {
  const t = makeTempHome();
  expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
  return t;
}

async function runs(t: TempHome): Promise<Run[]> {
  const r = await cli(t, ['runs', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).runs as Run[];
}

/** The state letter of process `pid` (R, S, T, Z ...), undefined once it is gone. */
function stateOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Resolves once `cond` holds (checked every 10 ms; fails after 30 s). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 3000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function execOf(t: TempHome, stage: string): ChildProcess {
  return spawn(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', stage], {
    cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
}

/**
 * One exec whose stage leaves a background process holding its output open (until `released` exists; bounded:
 * 20 s), writes its pid, stops exec (so exec cannot handle the stage's exit yet) and exits 3; then, with exec stopped
 * and the stage a zombie, a SIGTERM to exec alone and a SIGCONT. Whether exec's loop sees the SIGTERM or the stage's
 * exit first is the kernel's pick (2 runs in 3: the SIGTERM): either way it is one the stage could not get.
 */
async function termWhileZombie(t: TempHome, round: number) {
  const pidFile = join(t.home, `stage-${round}.pid`);
  const released = join(t.home, `released-${round}`);
  const holderGone = join(t.home, `holder-gone-${round}`);
  const stage = `( n=0; while [ ! -e '${released}' ] && [ $n -lt 2000 ]; do sleep 0.01; n=$((n+1)); done; : > '${holderGone}' ) & echo "out $HF_TOKEN"; echo $$ > '${pidFile}.tmp'; mv '${pidFile}.tmp' '${pidFile}'; kill -STOP $PPID; exit 3`;
  const exec = execOf(t, stage);
  const done = collect(exec);
  try {
    await until(() => existsSync(pidFile), 'the stage');
    const stagePid = Number(readFileSync(pidFile, 'utf8'));
    await until(() => stateOf(exec.pid!) === 'T' && stateOf(stagePid) === 'Z', 'exec stopped and its stage a zombie');
    process.kill(exec.pid!, 'SIGTERM');
    process.kill(exec.pid!, 'SIGCONT');
    const r = await done;
    return { ...r, heldOpen: !existsSync(holderGone) };
  } finally {
    writeFileSync(released, '');
    try {
      process.kill(exec.pid!, 'SIGCONT');
    } catch {
      // gone
    }
    await done;
  }
}

describe('exec: a signal that reaches it while its stage is exiting', () => {
  it('ends exec at once by a SIGTERM that came while the stage was a zombie, its run recorded, though a background process still holds the output', async () => {
    const t = await ready();
    for (let round = 0; round < 6; round++) {
      const r = await termWhileZombie(t, round);
      expect([r.signal, r.code, r.heldOpen], `round ${round}: ${r.stderr}`).toEqual(['SIGTERM', null, true]);
      expect(r.stdout + r.stderr).not.toContain(HF);
      const [run] = await runs(t);
      // Recorded as exec ended, by the signal (the shell saw 143), with the stage's own exit code beside it.
      expect(run, `round ${round}`).toMatchObject({ program: 'sh', status: 'failed', exit_code: 3, signal: 'SIGTERM', finished_at: expect.any(String) });
    }
    const all = await runs(t);
    expect(all.map((r) => r.status)).toEqual(Array(6).fill('failed'));
  }, 240_000);
});

/** `dir` made read-only where it is (a read-only bind mount over it, as root), or undefined where that cannot be done. */
function readOnly(dir: string): (() => void) | undefined {
  const ok = (args: string[]) => spawnSync('mount', args, { stdio: 'ignore' }).status === 0;
  if (!ok(['--bind', dir, dir])) return undefined;
  if (!ok(['-o', 'remount,bind,ro', dir])) {
    spawnSync('umount', [dir], { stdio: 'ignore' });
    return undefined;
  }
  return () => void spawnSync('umount', [dir], { stdio: 'ignore' });
}

describe('exec with a history it cannot write', () => {
  it('a read-only history folder holding the lock of a process that is gone: the stage runs and exec ends with its code (it spun for ever taking the lock over)', async (ctx) => {
    const t = await ready();
    const dir = join(t.home, '.cp-whisperx');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const gone = spawnSync('sh', ['-c', 'echo $$']);
    const pid = Number(gone.stdout.toString());
    writeFileSync(join(dir, 'runs.jsonl.lock'), JSON.stringify({ ...currentOwner(), pid, nonce: 'gone', since: new Date().toISOString() }), { mode: 0o600 });
    const unmount = readOnly(dir);
    if (!unmount) return ctx.skip();
    try {
      const exec = execOf(t, 'echo "out $HF_TOKEN"; exit 3');
      const done = collect(exec);
      // Not a measure, a bound: an exec that spins is killed (it then fails below), so the mount can go.
      const bound = setTimeout(() => exec.kill('SIGKILL'), 30_000);
      try {
        const r = await done;
        expect([r.code, r.signal, r.stdout], r.stderr).toEqual([3, null, 'out ****\n']);
        expect(r.stderr).toContain('warning: could not record the run');
        expect(r.stderr).toContain('EROFS');
        expect(r.stderr).not.toContain(HF);
      } finally {
        clearTimeout(bound);
      }
      // A SIGTERM after the stage exited: exec's end, its one synchronous try at that lock, fails the same way.
      const late = execOf(t, `e=$PPID; s=$$; ( n=0; while [ -e /proc/$s ] && [ $n -lt 6000 ]; do sleep 0.01; n=$((n+1)); done; kill -TERM $e ) & echo "out $HF_TOKEN"; exit 4`);
      const ended = collect(late);
      const lateBound = setTimeout(() => late.kill('SIGKILL'), 30_000);
      try {
        const r = await ended;
        expect([r.signal, r.stdout], r.stderr).toEqual(['SIGTERM', 'out ****\n']);
      } finally {
        clearTimeout(lateBound);
      }
    } finally {
      unmount();
    }
  }, 60_000);
});

describe('exec with a full history folder', () => {
  it('a signal after the stage exited on a full disk: exec ends by it and leaves no empty lock (it held every writer off, then sent their runs to late files)', async (ctx) => {
    const t = await ready();
    const dir = join(t.home, '.cp-whisperx');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const copy = join(t.home, 'copy');
    cpSync(dir, copy, { recursive: true });
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir]).status !== 0) return ctx.skip();
    try {
      cpSync(copy, dir, { recursive: true });
      spawnSync('sh', ['-c', `dd if=/dev/zero of='${join(dir, 'fill')}' bs=1k count=200 2>/dev/null`]);
      const exec = execOf(t, `e=$PPID; s=$$; ( n=0; while [ -e /proc/$s ] && [ $n -lt 6000 ]; do sleep 0.01; n=$((n+1)); done; kill -TERM $e ) & echo "out $HF_TOKEN"; exit 4`);
      const done = collect(exec);
      const bound = setTimeout(() => exec.kill('SIGKILL'), 30_000);
      try {
        const r = await done;
        expect([r.signal, r.stdout], r.stderr).toEqual(['SIGTERM', 'out ****\n']);
        expect(r.stderr).toContain('runs.jsonl.lock: the disk is full (ENOSPC)');
        expect(r.stderr).not.toContain(HF);
      } finally {
        clearTimeout(bound);
      }
      expect(readdirSync(dir).filter((n) => n.startsWith('runs.jsonl.'))).toEqual([]);
      rmSync(join(dir, 'fill'));
      // Room again: the next exec's run goes straight into the history.
      const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'exit 5']);
      expect(r.code, r.stderr).toBe(5);
      expect(readdirSync(dir).filter((n) => n.startsWith('runs.jsonl.'))).toEqual([]);
      expect((await runs(t)).map((x) => [x.status, x.exit_code])).toEqual([['failed', 5]]);
    } finally {
      spawnSync('umount', [dir]);
    }
  }, 90_000);
});
