// A history lock another process holds past the append's wait holds back exec's start line, never the stage; the
// run must still be recorded when its end is: an update line of a run whose start was never written is dropped on
// read, so the run was lost (and an orphan line written) though the lock was free again by then.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentOwner } from '../../shared/node/profile/owner';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { makeTempHome } from '../helpers/temp';

const HF_TOKEN = `hf_${'Abcd1'.repeat(7)}`;

describe('exec while another process holds the history lock', () => {
  it('a start the lock held back is written with the run\'s end: the run is listed once, with its outcome', async () => {
    const t = makeTempHome();
    const dir = join(t.home, '.cp-whisperx');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const lock = join(dir, 'runs.jsonl.lock');
    // A live holder (never taken over): exec waits its 2 s for the start line, then runs on without it.
    const holder = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      writeFileSync(lock, JSON.stringify({ ...currentOwner(), pid: holder.pid, nonce: 'planted', since: new Date().toISOString() }), { mode: 0o600 });
      // The stage runs until the lock is gone: its end is recorded with the lock free.
      const child = spawn(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', `while [ -e '${lock}' ]; do sleep 0.05; done`], {
        cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, HF_TOKEN }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('could not record the run')) rmSync(lock, { force: true });
      });
      const r = await collect(child);
      expect(r.code, stderr).toBe(0);
      // Its warning is taken back: the run is recorded.
      expect(stderr).toMatch(/could not record the run[^\n]*\n(.*\n)*warning: the run is recorded after all, with its end, in /);
      expect(existsSync(lock)).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
    const runs = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs as Array<{ program: string; status: string; exit_code: number }>;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ program: 'sh', status: 'succeeded', exit_code: 0 });
    // One line, the start holding the end: no update of a run the history never saw.
    expect(readFileSync(join(dir, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).op)).toEqual(['start']);
  }, 60_000);
});
