// Execs run 8 at a time and killed with -9 at random instants (before the stage, while it runs, while its end is
// recorded): afterwards no run is pending or running, every exec that ended has its outcome (and so may one killed
// between recording its end and exiting), the others that had started their stage are interrupted, the owner is
// never shown, and no value is in the history.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { againIfKeyringRestarted } from '../helpers/keyring-restarts';
import { childStartHook, STAGE_SPAWNS } from '../helpers/traced';

describe('execs killed at random instants', () => {
  it('64 execs, 8 at a time, about half killed: none left running, every finished one recorded, no owner, no value', async () => {
    // SIGKILLs mid-request can abort gnome-keyring itself (an upstream bug): such a run is repeated, never counted.
    await againIfKeyringRestarted('runs kill', async () => {
      const t = makeTempHome();
      await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${'Abcd1'.repeat(7)}` });
      const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
      const stats = { killed: 0, finished: 0 };
      for (let round = 0; round < 8; round++) {
        const runs = Array.from({ length: 8 }, (_, i) => {
          const child = spawn(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', `sleep 0.${i}; exit ${i % 2}`], { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
          let err = '';
          child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
          child.stdout!.resume();
          const done = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
          const timer = setTimeout(() => child.kill('SIGKILL'), Math.random() * 4000);
          return { child, done, timer, err: () => err };
        });
        for (const r of runs) {
          const end = await r.done;
          clearTimeout(r.timer);
          if (end.signal) stats.killed++;
          else stats.finished++;
          if (end.signal) {
            try {
              process.kill(-r.child.pid!, 'SIGKILL'); // the orphaned stage, in its own process group
            } catch {
              // it had ended
            }
          }
        }
      }
      const list = await cli(t, ['runs', '--json']);
      expect(list.code, list.stderr).toBe(0);
      const all = JSON.parse(list.stdout).runs as Array<{ status: string }>;
      const counts: Record<string, number> = {};
      for (const r of all) counts[r.status] = (counts[r.status] ?? 0) + 1;
      console.log(`runs kill test: ${stats.killed} killed, ${stats.finished} finished; recorded ${JSON.stringify(counts)}`);
      expect(stats.killed).toBeGreaterThan(0);
      expect(list.stdout).not.toContain('owner');
      expect(counts['running'] ?? 0).toBe(0);
      expect(counts['pending'] ?? 0).toBe(0);
      // Every exec that ended has its outcome; one killed after it recorded its end (and before it exited) has too.
      const outcomes = (counts['succeeded'] ?? 0) + (counts['failed'] ?? 0);
      expect(outcomes).toBeGreaterThanOrEqual(stats.finished);
      expect(outcomes).toBeLessThanOrEqual(stats.finished + stats.killed);
      expect(all.length).toBe(outcomes + (counts['interrupted'] ?? 0) + (counts['refused'] ?? 0));
      const st = JSON.parse((await cli(t, ['runs', 'stats', '--json'])).stdout);
      expect(st.total).toBe(all.length);
      const file = readFileSync(join(t.home, '.cp-whisperx', 'runs.jsonl'), 'utf8');
      expect(file).not.toContain('hf_');
      expect(file).not.toContain('Abcd1');
    });
  }, 600_000);
});

describe('an exec killed the instant after the fork', () => {
  it.each(STAGE_SPAWNS)('leaves its run, which shows as interrupted (its start is appended before the fork, never after it): $how', async ({ env: spawnEnv }) => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${'Abcd1'.repeat(7)}` });
    // kill -9 of exec as its spawn returns the stage, before exec's event loop turns again: no timing to win or lose.
    const stagePid = join(t.root, 'stage.pid');
    const preload = join(t.root, 'kill-after-fork.cjs');
    writeFileSync(preload, childStartHook(`(file, pid) => { if (file === 'sleep') { require('node:fs').writeFileSync(${JSON.stringify(stagePid)}, String(pid)); process.kill(process.pid, 'SIGKILL'); } }`));
    const r = spawnSync(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--', 'sleep', '30'], {
      cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, NODE_OPTIONS: `--require=${preload}`, ...spawnEnv }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    process.kill(Number(readFileSync(stagePid, 'utf8')), 'SIGKILL'); // the orphaned stage
    expect(r.signal).toBe('SIGKILL');
    const list = await cli(t, ['runs', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const runs = JSON.parse(list.stdout).runs as Array<{ status: string; program: string; credentials: string[] }>;
    expect(runs).toEqual([expect.objectContaining({ status: 'interrupted', program: 'sleep', credentials: ['huggingface.token'] })]);
  }, 60_000);
});
