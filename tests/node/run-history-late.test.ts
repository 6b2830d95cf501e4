// Run events the history's lock held back (a live process holding it past a short wait) go to late files beside
// runs.jsonl: listed at once, taken in by the next append or compaction that gets the lock, never counted twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, linkSync, readdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { currentOwner } from '../../shared/node/profile/owner';
import { stampOf } from '../../shared/node/profile/secure-fs';
import { watchProfile } from '../../shared/node/profile/watch';
import { RunHistory, type RunRecord } from '../../shared/node/records/run-history';
import { makeTempHome } from '../helpers/temp';

const holders: ChildProcess[] = [];
afterEach(() => {
  for (const h of holders.splice(0)) h.kill('SIGKILL');
});

function history() {
  const t = makeTempHome();
  const path = join(t.home, 'runs.jsonl');
  const warnings: string[] = [];
  const runs = new RunHistory(path, { dedicatedDir: true, bounds: () => ({ maxRuns: 500, maxAgeDays: 90 }), warn: (m) => warnings.push(m) });
  const late = () => readdirSync(t.home).filter((n) => n.startsWith('runs.jsonl.late-')).map((n) => join(t.home, n));
  /** A live process (never taken over) named as the lock's holder; returns the lock's removal. */
  const hold = () => {
    const holder = spawn('sleep', ['600'], { stdio: 'ignore' });
    holders.push(holder);
    writeFileSync(`${path}.lock`, JSON.stringify({ ...currentOwner(), pid: holder.pid, nonce: 'planted', since: new Date().toISOString() }), { mode: 0o600 });
    return () => unlinkSync(`${path}.lock`);
  };
  return { path, runs, warnings, late, hold };
}

const stage = { workflow: 'transcribe', program: 'stage', credentials: [] };
const startLine = (run: Partial<RunRecord>) => `${JSON.stringify({ op: 'start', run: { ...stage, exit_code: null, signal: null, started_at: new Date().toISOString(), finished_at: null, duration_ms: null, ...run } })}\n`;

describe('run events a held lock kept out of runs.jsonl', () => {
  it('go to a 0600 late file after ~100 ms (not 2 s), are listed at once, and the end replaces the late start', async () => {
    const { runs, late, hold, warnings } = history();
    const free = hold();
    const began = Date.now();
    const run = await runs.start({ ...stage, status: 'running' }, new Date());
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(late()).toHaveLength(1);
    expect(statSync(late()[0]!).mode & 0o777).toBe(0o600);
    expect(runs.list()).toEqual([expect.objectContaining({ id: run.id, status: 'running' })]);
    const ending = Date.now();
    await runs.update(run.id, { status: 'failed', exit_code: 2 });
    // One try, no second wait: the holder kept the lock past the start's.
    expect(Date.now() - ending).toBeLessThan(500);
    expect(late()).toHaveLength(1);
    expect(runs.list()).toEqual([expect.objectContaining({ id: run.id, status: 'failed', exit_code: 2 })]);
    expect(warnings).toEqual([]);
    free();
    await runs.start({ ...stage, status: 'running' }, new Date());
    expect(late()).toEqual([]);
    expect(runs.list().map((r) => r.status)).toEqual(['running', 'failed']);
  });

  it('a start read again after its run ended (taken in, then read before its removal) never takes the run back to running', async () => {
    const { path, runs, late } = history();
    writeFileSync(path, startLine({ id: 'a1', status: 'succeeded', exit_code: 0 }), { mode: 0o600 });
    writeFileSync(`${path}.late-${'0'.repeat(24)}`, startLine({ id: 'a1', status: 'running' }), { mode: 0o600 });
    expect(runs.list()).toEqual([expect.objectContaining({ id: 'a1', status: 'succeeded' })]);
    await runs.start({ ...stage, status: 'running' }, new Date());
    expect(late()).toEqual([]);
    expect(readFileSync(path, 'utf8').split('\n').filter((l) => l.includes('"a1"'))).toHaveLength(2);
    expect(runs.list().filter((r) => r.id === 'a1')).toEqual([expect.objectContaining({ status: 'succeeded' })]);
  });

  // exec ending by a signal after its stage exited records the end in the signal's listener, then dies: nothing
  // after that call runs, so it must be written (or in a late file) by the time it returns, never waiting.
  it('endNow writes the end before it returns: over a start in runs.jsonl, the lock released; with the lock held, to a late file at once, while the start still waits', async () => {
    const { path, runs, late, hold, warnings } = history();
    let made: RunRecord | undefined;
    await runs.start({ ...stage, status: 'running' }, new Date(), { made: (r) => (made = r) });
    runs.endNow(made!, { status: 'succeeded', exit_code: 0 });
    expect(existsSync(`${path}.lock`)).toBe(false);
    expect(late()).toEqual([]);
    expect(runs.list()).toEqual([expect.objectContaining({ id: made!.id, status: 'succeeded', exit_code: 0 })]);
    const free = hold();
    let waiting: RunRecord | undefined;
    const started = runs.start({ ...stage, status: 'running' }, new Date(), { made: (r) => (waiting = r) });
    // The start waits for the lock (its next try is a timer, which cannot run before this synchronous call returns).
    runs.endNow(waiting!, { status: 'failed', exit_code: 3 });
    expect(late()).toHaveLength(1);
    expect(runs.list()[0]).toMatchObject({ id: waiting!.id, status: 'failed', exit_code: 3 });
    // The start's own late file, written after: the run stays ended; and once taken in, too.
    await started;
    expect(late()).toHaveLength(2);
    expect(runs.list()[0]).toMatchObject({ id: waiting!.id, status: 'failed', exit_code: 3 });
    free();
    await runs.start({ ...stage, status: 'refused' }, new Date());
    expect(late()).toEqual([]);
    expect(runs.list().map((r) => [r.status, r.exit_code])).toEqual([['refused', null], ['failed', 3], ['succeeded', 0]]);
    expect(warnings).toEqual([]);
  });

  it('a delete takes every late file in before its line: the run deleted never comes back', async () => {
    const { runs, late, hold } = history();
    const free = hold();
    const run = await runs.start({ ...stage, status: 'refused' }, new Date());
    expect(late()).toHaveLength(1);
    free();
    await runs.delete(run.id);
    expect(late()).toEqual([]);
    expect(runs.list()).toEqual([]);
  });

  it('a compaction takes the late files in and removes them', async () => {
    const { path, runs, late, hold } = history();
    const free = hold();
    const run = await runs.start({ ...stage, status: 'refused' }, new Date());
    free();
    await runs.compact();
    expect(late()).toEqual([]);
    expect(readFileSync(path, 'utf8')).toContain(run.id);
    expect(runs.list()).toEqual([expect.objectContaining({ id: run.id, status: 'refused' })]);
  });

  it('a late file cut short by a kill is skipped, and removed once old; one others may write is skipped with a warning and left', async () => {
    const { path, runs, late, warnings } = history();
    const cut = `${path}.late-${'1'.repeat(24)}`;
    writeFileSync(cut, startLine({ id: 'c1', status: 'running' }).slice(0, 40), { mode: 0o600 });
    const open = `${path}.late-${'2'.repeat(24)}`;
    writeFileSync(open, startLine({ id: 'o1', status: 'succeeded' }), { mode: 0o600 });
    chmodSync(open, 0o666);
    expect(runs.list()).toEqual([]);
    expect(warnings.join('\n')).toMatch(/late-2{24} was skipped: .*can be modified by other users/);
    await runs.start({ ...stage, status: 'running' }, new Date());
    expect(late().sort()).toEqual([cut, open]);
    utimesSync(cut, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    await runs.start({ ...stage, status: 'running' }, new Date());
    expect(late()).toEqual([open]);
    expect(runs.list()).toHaveLength(2);
  });

  it('a late file none of ours (a link to another file, a delete, lines that are no event) is skipped with a warning, never taken in or removed', async () => {
    const { path, runs, late, warnings } = history();
    writeFileSync(path, startLine({ id: 'k1', status: 'failed', exit_code: 1 }), { mode: 0o600 });
    const secret = join(path, '..', 'secret.env');
    writeFileSync(secret, '{"op":"start","run":{"id":"s1","started_at":"2026-01-01T00:00:00Z","workflow":"OPENAI_API_KEY=sk-planted"}}\n', { mode: 0o600 });
    const linked = `${path}.late-${'3'.repeat(24)}`;
    linkSync(secret, linked);
    const deletes = `${path}.late-${'4'.repeat(24)}`;
    writeFileSync(deletes, `${JSON.stringify({ op: 'delete', id: 'k1' })}\n`, { mode: 0o600 });
    const junk = `${path}.late-${'5'.repeat(24)}`;
    writeFileSync(junk, `${'['.repeat(100_000)}\n\xff\n${startLine({ id: 'j1', status: 'succeeded' })}`, { mode: 0o600 });
    expect(runs.list().map((r) => r.id)).toEqual(['k1']);
    const said = warnings.join('\n');
    expect(said).toMatch(/late-3{24} was skipped: it has 2 links/);
    expect(said).toMatch(/late-4{24} was skipped: it holds no run event/);
    expect(said).toMatch(/late-5{24} was skipped: it holds no run event/);
    expect(said).not.toMatch(/damaged/);
    await runs.start({ ...stage, status: 'running' }, new Date());
    await runs.compact();
    expect(late().sort()).toEqual([linked, deletes, junk]);
    expect(readFileSync(path, 'utf8')).not.toMatch(/sk-planted|"delete"|\[\[/);
    expect(readFileSync(secret, 'utf8')).toContain('sk-planted');
    expect(runs.list().map((r) => r.id)).toEqual([expect.any(String), 'k1']);
  });

  it('runs recorded late are listed by their start among those of runs.jsonl, not after them', async () => {
    const { path, runs, late } = history();
    const at = (minutes: number) => new Date(Date.now() - (60 - minutes) * 60_000).toISOString();
    writeFileSync(path, startLine({ id: 'a1', started_at: at(0), status: 'succeeded' }) + startLine({ id: 'c3', started_at: at(20), status: 'succeeded' }), { mode: 0o600 });
    writeFileSync(`${path}.late-${'6'.repeat(24)}`, startLine({ id: 'b2', started_at: at(10), status: 'failed' }), { mode: 0o600 });
    writeFileSync(`${path}.late-${'7'.repeat(24)}`, startLine({ id: 'd4', started_at: at(30), status: 'refused' }), { mode: 0o600 });
    expect(runs.list().map((r) => r.id)).toEqual(['d4', 'c3', 'b2', 'a1']);
    // Taken in by the next run's start (appended after c3, and after that run's own line), then compacted: the same order.
    const next = await runs.start({ ...stage, status: 'refused' }, new Date());
    expect(late()).toEqual([]);
    expect(runs.list().map((r) => r.id)).toEqual([next.id, 'd4', 'c3', 'b2', 'a1']);
    await runs.compact();
    expect(runs.list().map((r) => r.id)).toEqual([next.id, 'd4', 'c3', 'b2', 'a1']);
  });

  it('a late file skipped is said by the reads a user asks for, with the file to remove, never by the take-in or compaction of exec', async () => {
    const { path, runs, late, warnings } = history();
    const open = `${path}.late-${'8'.repeat(24)}`;
    const text = startLine({ id: 'p1', status: 'succeeded' });
    writeFileSync(open, text, { mode: 0o600 });
    chmodSync(open, 0o666);
    await runs.start({ ...stage, status: 'running' }, new Date());
    await runs.compact();
    expect(warnings).toEqual([]);
    expect(runs.list().map((r) => r.id)).not.toContain('p1');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/late-8{24} was skipped: .*can be modified by other users.* A run recorded there is not listed/);
    expect(warnings[0]).toContain(`rm -- ${open}`);
    runs.list();
    expect(warnings).toHaveLength(1);
    expect(late()).toEqual([open]);
    expect(readFileSync(open, 'utf8')).toBe(text);
  });

  it('a run recorded late changes the stamp of runs.jsonl (not its content): the app\'s watch and its cached reads see it', async () => {
    const { path, runs, hold } = history();
    writeFileSync(path, startLine({ id: 'b1', status: 'succeeded', exit_code: 0 }), { mode: 0o600 });
    const before = { stamp: stampOf(path), text: readFileSync(path, 'utf8') };
    let stop = () => {};
    const seen = new Promise<void>((resolve) => (stop = watchProfile(path, resolve, 10)));
    hold();
    const run = await runs.start({ ...stage, status: 'refused' }, new Date());
    // Bounded only so that a watch that never fires fails here, not at the test's timeout.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([seen, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the watch of runs.jsonl never fired')), 10_000)))]);
    clearTimeout(timer);
    stop();
    expect(stampOf(path)).not.toEqual(before.stamp);
    expect(readFileSync(path, 'utf8')).toBe(before.text);
    expect(runs.list().map((r) => r.id)).toEqual([run.id, 'b1']);
  });
});
