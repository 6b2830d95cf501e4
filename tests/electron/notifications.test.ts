import { afterEach, describe, expect, it, vi } from 'vitest';
import { runNotifications, snapshotOf, watchRuns, type NotificationPrefs } from '../../electron/main/run-notifications';
import type { RunRecord, RunStatus } from '../../shared/core/records';

const ALL: NotificationPrefs = { run_finished: true, run_failed: true, credential_missing: true };
const run = (id: string, status: RunStatus, extra: Partial<RunRecord> = {}): RunRecord => ({
  id, workflow: 'subtitle', program: 'stage02', credentials: ['tmdb.api_key'], status, exit_code: status === 'failed' ? 2 : status === 'refused' ? 3 : 0,
  signal: null, started_at: '2026-01-01T10:00:00Z', finished_at: null, duration_ms: 556_000, ...extra,
});

describe('which runs raise a desktop notification', () => {
  it('one per run that ended since the last look: finished, failed, refused for a missing credential', () => {
    const before = snapshotOf([run('a', 'running'), run('b', 'running'), run('c', 'pending')]);
    const notes = runNotifications(before, [run('a', 'succeeded'), run('b', 'failed'), run('c', 'refused', { duration_ms: 0 })], ALL);
    expect(notes).toEqual([
      { runId: 'a', title: 'subtitle: run finished', body: 'stage02 finished in 9 min 16 s.' },
      { runId: 'b', title: 'subtitle: run failed', body: 'stage02 failed with exit code 2 in 9 min 16 s.' },
      { runId: 'c', title: 'subtitle: run refused', body: 'stage02 was not started: a credential the workflow needs is missing. Open cpw-vault to add it.' },
    ]);
  });

  it('each toggle silences its kind only', () => {
    const before = snapshotOf([]);
    const runs = [run('a', 'succeeded'), run('b', 'failed'), run('c', 'refused')];
    expect(runNotifications(before, runs, { ...ALL, run_finished: false }).map((n) => n.runId)).toEqual(['b', 'c']);
    expect(runNotifications(before, runs, { ...ALL, run_failed: false }).map((n) => n.runId)).toEqual(['a', 'c']);
    expect(runNotifications(before, runs, { ...ALL, credential_missing: false }).map((n) => n.runId)).toEqual(['a', 'b']);
    expect(runNotifications(before, runs, { run_finished: false, run_failed: false, credential_missing: false })).toEqual([]);
  });

  it('a run that started and ended between two looks is announced; one already ended is never announced again; starting is not news', () => {
    expect(runNotifications(snapshotOf([]), [run('quick', 'succeeded')], ALL)).toHaveLength(1);
    expect(runNotifications(snapshotOf([run('old', 'failed')]), [run('old', 'failed')], ALL)).toEqual([]);
    expect(runNotifications(snapshotOf([run('x', 'pending')]), [run('x', 'running')], ALL)).toEqual([]);
  });

  it('a run whose exec died before recording its end is announced as interrupted, behind the run_failed toggle', () => {
    const before = snapshotOf([run('i', 'running')]);
    expect(runNotifications(before, [run('i', 'interrupted', { exit_code: null, duration_ms: null })], ALL)).toEqual([
      { runId: 'i', title: 'subtitle: run interrupted', body: 'stage02 ran under a cpw-vault exec that was killed (or the machine restarted) before it could record how the run ended.' },
    ]);
    expect(runNotifications(before, [run('i', 'interrupted')], { ...ALL, run_failed: false })).toEqual([]);
    // Its end recorded after all (a late exec): already announced, not again.
    expect(runNotifications(snapshotOf([run('i', 'interrupted')]), [run('i', 'failed')], ALL)).toEqual([]);
  });

  it('a run stopped by a signal says so; no value ever appears, only names', () => {
    const [n] = runNotifications(snapshotOf([]), [run('s', 'failed', { exit_code: null, signal: 'SIGTERM', duration_ms: null })], ALL);
    expect(n!.body).toBe('stage02 was stopped by SIGTERM.');
  });
});

describe('a hand-edited history', () => {
  it('a run whose workflow or program an update line made an object is announced with "—" for it, as Activity lists it', () => {
    const odd = { workflow: { nested: 1 }, program: ['x'] } as unknown as Partial<RunRecord>;
    expect(runNotifications(snapshotOf([]), [run('a', 'succeeded', odd), run('b', 'failed', { workflow: '' as RunRecord['workflow'] })], ALL)).toEqual([
      { runId: 'a', title: '—: run finished', body: '— finished in 9 min 16 s.' },
      { runId: 'b', title: '—: run failed', body: 'stage02 failed with exit code 2 in 9 min 16 s.' },
    ]);
  });
});

describe('the run watcher', () => {
  afterEach(() => void vi.useRealTimers());

  function harness(initial: RunRecord[]) {
    let runs = initial;
    let prefs = ALL;
    let fire: () => void = () => {};
    const shown: Array<{ title: string; body: string }> = [];
    let changes = 0;
    let reads = 0;
    const stop = watchRuns({
      watch: (onChange) => ((fire = onChange), () => (fire = () => {})),
      readRuns: () => (reads++, runs),
      readPrefs: () => prefs,
      notifier: { notify: (n) => void shown.push(n) },
      onChange: () => void changes++,
      recheckMs: 1_000,
    });
    return {
      set: (r: RunRecord[]) => ((runs = r), fire()),
      /** Changes what the history reads as without any write being heard of (an exec that died). */
      quietly: (r: RunRecord[]) => (runs = r),
      prefs: (p: NotificationPrefs) => (prefs = p),
      shown, changes: () => changes, reads: () => reads, stop, fail: () => ((runs = null as never), fire()),
    };
  }

  it('while a run is under way the history is read again on its own: a run whose exec died is announced once as interrupted', () => {
    vi.useFakeTimers();
    const h = harness([run('old', 'failed')]);
    vi.advanceTimersByTime(10_000);
    expect(h.reads()).toBe(1); // nothing under way: no polling
    h.set([run('old', 'failed'), run('r', 'running')]);
    expect(h.changes()).toBe(1);
    vi.advanceTimersByTime(3_000);
    expect(h.reads()).toBe(5); // the change, then every second
    expect(h.changes()).toBe(1); // nothing moved: the window is not refreshed
    h.quietly([run('old', 'failed'), run('r', 'interrupted', { exit_code: null, duration_ms: null })]);
    vi.advanceTimersByTime(1_000);
    expect(h.shown.map((n) => n.title)).toEqual(['subtitle: run interrupted']);
    expect(h.changes()).toBe(2);
    const reads = h.reads();
    vi.advanceTimersByTime(10_000);
    expect(h.reads()).toBe(reads); // nothing under way any more
    expect(h.shown).toHaveLength(1);
  });

  it('stopping ends the polling too', () => {
    vi.useFakeTimers();
    const h = harness([run('r', 'running')]);
    vi.advanceTimersByTime(2_000);
    expect(h.reads()).toBe(3);
    h.stop();
    vi.advanceTimersByTime(10_000);
    expect(h.reads()).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never replays the history it found at start; notifies on each change per the toggles read at that moment', () => {
    const h = harness([run('old', 'failed')]);
    h.set([run('old', 'failed'), run('new', 'running')]);
    expect(h.shown).toEqual([]);
    h.set([run('old', 'failed'), run('new', 'failed')]);
    expect(h.shown.map((n) => n.title)).toEqual(['subtitle: run failed']);
    h.prefs({ ...ALL, run_finished: false });
    h.set([run('old', 'failed'), run('new', 'failed'), run('next', 'succeeded')]);
    expect(h.shown).toHaveLength(1);
    expect(h.changes()).toBe(3);
  });

  it('an unreadable history is skipped until the next change, and nothing is lost', () => {
    const h = harness([]);
    h.fail();
    expect(h.shown).toEqual([]);
    h.set([run('a', 'refused')]);
    expect(h.shown.map((n) => n.title)).toEqual(['subtitle: run refused']);
  });

  it('stops watching', () => {
    const h = harness([]);
    h.stop();
    h.set([run('a', 'failed')]);
    expect(h.shown).toEqual([]);
  });
});
