// A stage still running is never dropped from the history by its bounds (the
// runs started after it, a compaction), and its end is recorded on it; the
// runs spared so are capped, so a flood of them cannot grow memory.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentOwner } from '../../shared/node/profile/owner';
import { MAX_SPARED } from '../../shared/node/records/history-compaction';
import { RunHistory } from '../../shared/node/records/run-history';
import { makeTempHome } from '../helpers/temp';

const stage = { workflow: 'transcribe', program: 'stage', credentials: [], status: 'running' as const };

function history(maxRuns: number) {
  const path = join(makeTempHome().home, 'runs.jsonl');
  const warnings: string[] = [];
  return { path, warnings, runs: new RunHistory(path, { dedicatedDir: true, bounds: () => ({ maxRuns, maxAgeDays: 90 }), warn: (m) => warnings.push(m) }) };
}

/** `n` runs started and ended, as exec records them; their ids, oldest first. */
async function shortRuns(runs: RunHistory, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await runs.start(stage, new Date());
    await runs.update(r.id, { status: 'succeeded', exit_code: 0, finished_at: new Date().toISOString(), duration_ms: 1 });
    ids.push(r.id);
  }
  return ids;
}

/** The start line of a running run whose exec is process `pid` (of this host). */
const startedBy = (id: string, pid: number): string =>
  `${JSON.stringify({ op: 'start', run: { id, ...stage, exit_code: null, signal: null, started_at: new Date().toISOString(), finished_at: null, duration_ms: null, owner: { ...currentOwner(), pid } } })}\n`;

/** A pid that was alive a moment ago and is not now. */
const deadPid = (): number => Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());

const listed = (runs: RunHistory) => runs.list().map((r) => [r.id, r.status]);
const fileIds = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { run: { id: string } }).run.id);

describe('a stage still running and the history\'s bounds', () => {
  it('a stage running while more than history_max_runs newer runs start and end stays listed, through a compaction, and its end is recorded on it', async () => {
    const { path, runs, warnings } = history(3);
    const long = await runs.start(stage, new Date()); // its exec: this process, alive
    const short = await shortRuns(runs, 4);
    const whileRunning = [...short.slice(1).reverse().map((id) => [id, 'succeeded']), [long.id, 'running']];
    expect(listed(runs)).toEqual(whileRunning);
    await runs.compact();
    expect(fileIds(path)).toEqual([long.id, ...short.slice(1)]);
    expect(listed(runs)).toEqual(whileRunning);
    // Its end is recent: the bounds keep it among the newest 3 (short[1] goes); it is listed by its start, as every run.
    await runs.update(long.id, { status: 'succeeded', exit_code: 0 });
    const ended = [[short[3], 'succeeded'], [short[2], 'succeeded'], [long.id, 'succeeded']];
    expect(listed(runs)).toEqual(ended);
    await runs.compact();
    expect(listed(runs)).toEqual(ended);
    expect(warnings).toEqual([]);
  });

  it('the end of a stage whose exec has since exited is recorded on it, though a compaction ran while it was running', async () => {
    const { path, runs } = history(3);
    const exec = spawn('sleep', ['600'], { stdio: 'ignore' });
    const exited = new Promise((r) => exec.once('exit', r));
    try {
      await new Promise((r) => exec.once('spawn', r));
      appendFileSync(path, startedBy('long01', exec.pid!));
      await shortRuns(runs, 4);
      await runs.compact();
      expect(listed(runs).at(-1)).toEqual(['long01', 'running']);
      // As exec does: its end recorded, then it exits.
      await runs.update('long01', { status: 'failed', exit_code: 1 });
    } finally {
      exec.kill('SIGKILL');
    }
    await exited;
    expect(listed(runs).at(-1)).toEqual(['long01', 'failed']);
    await runs.compact();
    expect(listed(runs).at(-1)).toEqual(['long01', 'failed']);
    expect(fileIds(path)).toHaveLength(3);
  });

  it(`a run whose exec is gone is dropped by the bounds as before; of a flood of live ones, the newest ${MAX_SPARED} are spared, no more`, async () => {
    const { path, runs } = history(3);
    appendFileSync(path, startedBy('dead01', deadPid()));
    const live = Array.from({ length: MAX_SPARED + 50 }, (_, i) => `live${String(i).padStart(3, '0')}`);
    appendFileSync(path, live.map((id) => startedBy(id, process.pid)).join(''));
    const short = await shortRuns(runs, 3);
    const expected = [...short.reverse().map((id) => [id, 'succeeded']), ...live.slice(-MAX_SPARED).reverse().map((id) => [id, 'running'])];
    expect(listed(runs)).toEqual(expected);
    await runs.compact();
    expect(fileIds(path)).toHaveLength(3 + MAX_SPARED);
    expect(listed(runs)).toEqual(expected);
  });
});
