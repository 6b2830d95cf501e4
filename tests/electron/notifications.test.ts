import { describe, expect, it } from 'vitest';
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

  it('a run stopped by a signal says so; no value ever appears, only names', () => {
    const [n] = runNotifications(snapshotOf([]), [run('s', 'failed', { exit_code: null, signal: 'SIGTERM', duration_ms: null })], ALL);
    expect(n!.body).toBe('stage02 was stopped by SIGTERM.');
  });
});

describe('the run watcher', () => {
  function harness(initial: RunRecord[]) {
    let runs = initial;
    let prefs = ALL;
    let fire: () => void = () => {};
    const shown: Array<{ title: string; body: string }> = [];
    let changes = 0;
    const stop = watchRuns({
      watch: (onChange) => ((fire = onChange), () => (fire = () => {})),
      readRuns: () => runs,
      readPrefs: () => prefs,
      notifier: { notify: (n) => void shown.push(n) },
      onChange: () => void changes++,
    });
    return { set: (r: RunRecord[]) => ((runs = r), fire()), prefs: (p: NotificationPrefs) => (prefs = p), shown, changes: () => changes, stop, fail: () => ((runs = null as never), fire()) };
  }

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
