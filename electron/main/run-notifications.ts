/**
 * Desktop notifications from the run history, while the app runs: a run
 * that finished, failed, was interrupted (its exec died before recording the
 * end), or that exec refused to start for a missing credential, each behind
 * its toggle in the profile. The decision is a pure
 * function of two snapshots; the watcher only reads, decides and notifies
 * through a port.
 */
import { formatDuration, type RunRecord, type RunStatus } from '../../shared/core/records';
import type { NotifierPort } from './ports';

/** The profile's notification toggles. */
export interface NotificationPrefs {
  run_finished: boolean;
  run_failed: boolean;
  credential_missing: boolean;
}

/** Run id -> status, as last seen. */
export type RunSnapshot = ReadonlyMap<string, RunStatus>;

const ENDED: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'interrupted', 'refused']);
const UNDER_WAY: ReadonlySet<RunStatus> = new Set(['pending', 'running']);

/** The snapshot of a list of runs. */
export function snapshotOf(runs: readonly RunRecord[]): RunSnapshot {
  return new Map(runs.map((r) => [r.id, r.status]));
}

/**
 * A run's workflow or program as the Activity screen shows it: a hand-edited history's update line can make either an
 * object (or a number, an empty string), which said '[object Object]: run finished'.
 */
const named = (v: unknown): string => (typeof v === 'string' && v ? v : '—');

function describe(record: RunRecord): { toggle: keyof NotificationPrefs; title: string; body: string } {
  const run = { ...record, workflow: named(record.workflow), program: named(record.program) };
  const took = run.duration_ms === null ? '' : ` in ${formatDuration(run.duration_ms)}`;
  if (run.status === 'succeeded') return { toggle: 'run_finished', title: `${run.workflow}: run finished`, body: `${run.program} finished${took}.` };
  if (run.status === 'failed') {
    const how = run.signal ? `was stopped by ${run.signal}` : `failed with exit code ${run.exit_code ?? '?'}`;
    return { toggle: 'run_failed', title: `${run.workflow}: run failed`, body: `${run.program} ${how}${took}.` };
  }
  if (run.status === 'interrupted') {
    return { toggle: 'run_failed', title: `${run.workflow}: run interrupted`, body: `${run.program} ran under a cpw-vault exec that was killed (or the machine restarted) before it could record how the run ended.` };
  }
  return { toggle: 'credential_missing', title: `${run.workflow}: run refused`, body: `${run.program} was not started: a credential the workflow needs is missing. Open cpw-vault to add it.` };
}

/**
 * The notifications to raise going from `before` to `runs`: one per run that
 * has ended since (succeeded, failed, interrupted or refused) and whose
 * toggle is on (an interrupted run is behind run_failed).
 * A run already ended in `before` is never announced twice; runs that were
 * there before the app started are in the first snapshot, so history is
 * never replayed. Names only (workflow, program), never a value.
 */
export function runNotifications(before: RunSnapshot, runs: readonly RunRecord[], prefs: NotificationPrefs): Array<{ runId: string; title: string; body: string }> {
  const out: Array<{ runId: string; title: string; body: string }> = [];
  for (const run of runs) {
    const was = before.get(run.id);
    if (!ENDED.has(run.status) || (was !== undefined && ENDED.has(was))) continue;
    const { toggle, title, body } = describe(run);
    if (prefs[toggle]) out.push({ runId: run.id, title, body });
  }
  return out;
}

/** What the watcher reads and how it hears of changes. */
export interface RunWatchDeps {
  /** Starts watching the history file; returns a stop function. */
  watch(onChange: () => void): () => void;
  readRuns(): RunRecord[];
  readPrefs(): NotificationPrefs;
  notifier: NotifierPort;
  /** Called after every change (the window refreshes its Activity screen). */
  onChange?: () => void;
  /**
   * How often the history is read again while a run is under way (default
   * 5 s): a run whose exec died turns interrupted without a write to the
   * file, so no change is heard of it.
   */
  recheckMs?: number;
}

/**
 * Watches the run history and notifies per the toggles. A history that
 * cannot be read (damaged, mid-replace) is skipped until the next change.
 * While a run is pending or running it is also read again every `recheckMs`
 * (its exec may die without a word); with none under way, nothing runs.
 * Returns a stop function.
 */
export function watchRuns(deps: RunWatchDeps): () => void {
  const read = (): RunRecord[] | undefined => {
    try {
      return deps.readRuns();
    } catch {
      return undefined;
    }
  };
  let snapshot = snapshotOf(read() ?? []);
  let timer: ReturnType<typeof setInterval> | undefined;
  let stopped = false;
  const look = (changed: boolean) => {
    const runs = read();
    if (!runs) return;
    let prefs: NotificationPrefs;
    try {
      prefs = deps.readPrefs();
    } catch {
      prefs = { run_finished: false, run_failed: false, credential_missing: false };
    }
    for (const n of runNotifications(snapshot, runs, prefs)) deps.notifier.notify({ title: n.title, body: n.body });
    const next = snapshotOf(runs);
    const moved = next.size !== snapshot.size || [...next].some(([id, status]) => snapshot.get(id) !== status);
    snapshot = next;
    recheck();
    if (changed || moved) deps.onChange?.();
  };
  // Polls only while something may end without a write.
  const recheck = () => {
    const underWay = !stopped && [...snapshot.values()].some((s) => UNDER_WAY.has(s));
    if (underWay && !timer) {
      timer = setInterval(() => look(false), deps.recheckMs ?? 5_000);
      timer.unref?.();
    } else if (!underWay && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  recheck();
  const stopWatch = deps.watch(() => look(true));
  return () => {
    stopped = true;
    recheck();
    stopWatch();
  };
}
