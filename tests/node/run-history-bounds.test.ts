// The run history's bounds and compaction under what a user's machine does to
// it: appends during a long compaction, a clock run ahead, runs larger than
// assumed, a file past the old read limit, compactions killed mid-write, names
// from a hand-edited file, an old runs.json that cannot be read.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RunHistory, type HistoryBounds } from '../../shared/node/records/run-history';
import { fixture } from '../helpers/children';
import { runLines } from '../helpers/run-lines';
import { makeTempHome } from '../helpers/temp';

const DAY = 86_400_000;

function history(bounds: HistoryBounds = { maxRuns: 500, maxAgeDays: 90 }, extra: { now?: () => Date; legacyPath?: string } = {}) {
  const t = makeTempHome();
  const path = join(t.home, 'runs.jsonl');
  const warnings: string[] = [];
  const open = (now = extra.now) => new RunHistory(path, { dedicatedDir: true, bounds: () => bounds, warn: (m) => warnings.push(m), ...extra, now });
  return { t, path, warnings, runs: open(), open };
}

async function until(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Stops (SIGSTOP) the compacting process `pid` while it compacts: not in the instants it holds the history's lock
 * besides its own (to remove orphan temp files, to swap the files), which appends do wait for.
 */
async function stopMidCompaction(pid: number, path: string): Promise<void> {
  const own = `${path}.compaction.lock`;
  const history = `${path}.lock`;
  for (;;) {
    await until(() => existsSync(own) || existsSync(history), 'the compaction to start');
    process.kill(pid, 'SIGSTOP');
    if (existsSync(own) !== existsSync(history)) return;
    if (!existsSync(own)) throw new Error('the compaction ended before it could be stopped');
    process.kill(pid, 'SIGCONT');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const run = { workflow: 'transcribe', program: 'stage', credentials: [], status: 'running' as const };

describe('compaction never costs a run', () => {
  it('runs recorded while a compaction of 44,000 runs is stopped half-way (kill -STOP) are recorded at once, and kept by it', async () => {
    const { path, runs, warnings } = history({ maxRuns: 20_000, maxAgeDays: 90 });
    writeFileSync(path, runLines(44_000, Date.now() - 3_600_000), { mode: 0o600 });
    const child = spawn(process.execPath, [fixture('history-compactor'), path, '20000'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const mine: string[] = [];
    try {
      await stopMidCompaction(child.pid!, path);
      for (let i = 0; i < 3; i++) {
        const r = await runs.start(run, new Date());
        await runs.update(r.id, { status: 'succeeded', exit_code: 0 });
        mine.push(r.id);
      }
      // An append waits for the history's lock 2 s at most: a compaction holding it throughout cost these runs.
      expect(warnings).toEqual([]);
    } finally {
      process.kill(child.pid!, 'SIGCONT');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    const listed = runs.list();
    expect(listed).toHaveLength(20_000);
    expect(listed.slice(0, 3).map((r) => [r.id, r.status])).toEqual(mine.reverse().map((id) => [id, 'succeeded']));
    expect(statSync(path).size).toBeLessThan(20_000 * 600);
  }, 120_000);

  it('the temp files of compactions killed mid-write are removed by the next one; others beside them stay', async () => {
    const { path, runs } = history();
    writeFileSync(path, runLines(3, Date.now() - 60_000), { mode: 0o600 });
    const orphans = [`${path}.tmp-${'a1'.repeat(12)}`, `${path}.tmp-${'0f'.repeat(12)}`];
    for (const o of orphans) writeFileSync(o, 'x'.repeat(1_000_000), { mode: 0o600 });
    const others = [`${path}.tmp-notours`, `${path}.1234`, `${path}.compaction`];
    for (const o of others) writeFileSync(o, 'keep');
    await runs.compact();
    expect(orphans.filter((o) => existsSync(o))).toEqual([]);
    expect(others.filter((o) => existsSync(o))).toEqual(others);
    expect(runs.list()).toHaveLength(3);
  });
});

describe('the bounds', () => {
  it('a clock 200 days ahead when a compaction happens deletes no run within the count bound (it deleted all 1,100)', async () => {
    const ahead = () => new Date(Date.now() + 200 * DAY);
    const { path, open } = history({ maxRuns: 500, maxAgeDays: 90 }, { now: ahead });
    writeFileSync(path, runLines(1_100, Date.now() - 3_600_000), { mode: 0o600 });
    const runs = open();
    const r = await runs.start(run, ahead());
    await runs.update(r.id, { status: 'succeeded', exit_code: 0 });
    await runs.compact();
    expect(runs.list()).toHaveLength(500);
    // The clock put right: the same runs, the one dated ahead first.
    const listed = open(() => new Date()).list();
    expect(listed).toHaveLength(500);
    expect(listed[0]!.id).toBe(r.id);
    expect(listed.at(-1)!.id).toBe(`f${(601).toString(16).padStart(11, '0')}`);
  });

  it('runs older than the age bound are still pruned: listed and compacted relative to the newest run', async () => {
    const { path, runs } = history({ maxRuns: 500, maxAgeDays: 90 });
    writeFileSync(path, runLines(5, Date.now() - 100 * DAY) + runLines(2, Date.now() - DAY).replace(/"f0/g, '"n0'), { mode: 0o600 });
    expect(runs.list().map((r) => r.id)).toEqual(['n00000000001', 'n00000000000']);
    await runs.compact();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('runs larger than assumed (2 KB each) are compacted once to half the threshold, not again at every append', async () => {
    const { path, runs } = history({ maxRuns: 300, maxAgeDays: 90 });
    const credentials = Array.from({ length: 40 }, (_, i) => `service_number_${i}.a_rather_long_key_name`);
    writeFileSync(path, runLines(300, Date.now() - 3_600_000, { credentials }), { mode: 0o600 });
    await runs.start({ ...run, credentials }, new Date());
    const compacted = statSync(path);
    // 300 runs need 360,000 bytes at 1,200 a run: these do not fit, and the newest that fit half that are kept.
    expect(compacted.size).toBeLessThanOrEqual(180_000);
    const inodes = new Set<number>();
    for (let i = 0; i < 5; i++) {
      await runs.start({ ...run, credentials }, new Date());
      inodes.add(statSync(path).ino);
    }
    expect([...inodes]).toEqual([compacted.ino]);
    expect(runs.list().length).toBeGreaterThan(60);
  });

  it('a 16 MiB line with no newline (a hand-copied file) is skipped in one pass, said to be no run event: the runs around it are listed', () => {
    const { path, runs, warnings } = history();
    writeFileSync(path, `${runLines(1, Date.now() - 60_000)}${'x'.repeat(16 * 1024 * 1024)}\n${runLines(1, Date.now()).replace(/"f0/g, '"n0')}`, { mode: 0o600 });
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      expect(runs.list().map((r) => r.id)).toEqual(['n00000000000', 'f00000000000']);
      // Not JSON at all, so not "a write cut short" (what every line that did not parse was said to be).
      expect(warnings).toEqual([expect.stringMatching(/^1 line in .* skipped: not a run event \(not JSON/)]);
      // The work, without a clock: joined again at every 1 MiB read, the line was copied 17 + 16 + ... MiB (150 MiB).
      const copied = concat.mock.results.reduce((n, r) => n + (r.value as Buffer).length, 0);
      expect(copied).toBeLessThan(2 * statSync(path).size);
    } finally {
      concat.mockRestore();
      unlinkSync(path);
    }
  });

  it('a history past the old 256 MiB read limit is listed, and compacted by the next run recorded', async () => {
    const { path, runs, warnings } = history();
    writeFileSync(path, runLines(2, Date.now() - 60_000), { mode: 0o600 });
    // 257 lines of 1 MiB (deletes of runs it never had, as a hand-copied file may hold).
    const filler = `${JSON.stringify({ op: 'delete', id: 'z'.repeat(1024 * 1024) })}\n`;
    for (let i = 0; i < 257; i++) appendFileSync(path, filler);
    appendFileSync(path, runLines(1, Date.now()).replace(/"f0/g, '"n0'));
    try {
      expect(runs.list().map((r) => r.id)).toEqual(['n00000000000', 'f00000000001', 'f00000000000']);
      const r = await runs.start(run, new Date());
      expect(warnings).toEqual([]);
      expect(statSync(path).size).toBeLessThan(10_000);
      expect(runs.list().map((x) => x.id)).toEqual([r.id, 'n00000000000', 'f00000000001', 'f00000000000']);
    } finally {
      unlinkSync(path);
    }
  }, 120_000);
});

describe('names and files from outside', () => {
  afterEach(() => {
    // What a polluting stats() would have left on every object of the test process.
    for (const k of ['total', 'succeeded', 'failed']) delete (Object.prototype as Record<string, unknown>)[k];
  });

  it('workflows named __proto__, constructor, toString are counted as workflows: totals agree, Object.prototype untouched', () => {
    const { path, runs } = history();
    const line = (id: string, workflow: string, status: string) => JSON.stringify({ op: 'start', run: { id, status, workflow, program: 'p', credentials: [], started_at: new Date().toISOString(), exit_code: 0, duration_ms: 1 } });
    writeFileSync(path, `${[line('p1', '__proto__', 'succeeded'), line('c1', 'constructor', 'failed'), line('t1', 'toString', 'succeeded'), line('n1', 'transcribe', 'succeeded')].join('\n')}\n`, { mode: 0o600 });
    const stats = runs.stats();
    expect(({} as Record<string, unknown>)['total']).toBeUndefined();
    const byWorkflow = JSON.parse(JSON.stringify(stats.by_workflow)) as Record<string, { total: number; succeeded: number; failed: number }>;
    expect(Object.keys(byWorkflow).sort()).toEqual(['__proto__', 'constructor', 'toString', 'transcribe']);
    expect(Object.values(byWorkflow).reduce((n, w) => n + w.total, 0)).toBe(stats.total);
    expect(Object.getOwnPropertyDescriptor(byWorkflow, '__proto__')?.value).toEqual({ total: 1, succeeded: 1, failed: 0 });
    expect(byWorkflow['constructor']).toEqual({ total: 1, succeeded: 0, failed: 1 });
    expect(stats).toMatchObject({ total: 4, by_status: { succeeded: 3, failed: 1 }, success_rate: 0.75 });
  });

  it('an old runs.json that cannot be trusted (a link, a fifo, writable by others, another user\'s) is skipped with one warning: runs.jsonl listed and compacted', async () => {
    const cases: Array<[string, (p: string) => void]> = [
      ['link', (p) => symlinkSync(join(p, '..', 'target.json'), p)],
      ['fifo', (p) => void spawnSync('mkfifo', ['-m', '600', p])],
      ['0666', (p) => (writeFileSync(p, '[]'), chmodSync(p, 0o666))],
    ];
    if (process.getuid?.() === 0) cases.push(['another user', (p) => (writeFileSync(p, '[]', { mode: 0o600 }), chownSync(p, 4321, 4321))]);
    for (const [name, make] of cases) {
      const t = makeTempHome();
      const dir = join(t.home, '.cp-whisperx');
      mkdirSync(dir, { mode: 0o700 });
      const legacy = join(dir, 'runs.json');
      writeFileSync(join(dir, 'target.json'), '[]');
      make(legacy);
      expect(lstatSync(legacy, { throwIfNoEntry: false }), name).toBeDefined();
      const warnings: string[] = [];
      const runs = new RunHistory(join(dir, 'runs.jsonl'), { legacyPath: legacy, dedicatedDir: true, bounds: () => ({ maxRuns: 500, maxAgeDays: 90 }), warn: (m) => warnings.push(m) });
      writeFileSync(join(dir, 'runs.jsonl'), runLines(2, Date.now() - 60_000), { mode: 0o600 });
      expect(runs.list(), name).toHaveLength(2);
      expect(runs.stats().total, name).toBe(2);
      await runs.compact();
      expect(runs.list(), name).toHaveLength(2);
      expect(warnings, name).toHaveLength(1);
      expect(warnings[0], name).toContain(`the old history ${legacy} was skipped`);
      expect(readdirSync(dir).sort(), name).toEqual(['runs.json', 'runs.jsonl', 'target.json']);
    }
  });
});
