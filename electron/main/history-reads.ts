/**
 * Main's reads of the run history and the audit log: memoized by the file's
 * stamp, so paging through 10,000 runs does not parse the history per page,
 * and the feed of the run watcher (run-notifications.ts).
 */
import { statSync } from 'node:fs';
import type { RunRecord, RunStats, RunStatus } from '../../shared/core/records';
import type { MainDeps } from './handlers';
import type { NotificationPrefs } from './run-notifications';

/**
 * Memoises reads of a file-backed list until the file changes (inode, size,
 * mtime, ctime): paging through 10,000 runs must not re-parse the history
 * for every page. Both stores replace or append to their file on every
 * change, so a changed stamp always means a changed list.
 */
export function stampMemo(path: () => string) {
  let stamp = '';
  const memo = new Map<string, unknown>();
  /** `keep`: whether the value depends on the file alone (else it is read again at each call). */
  return <T>(key: string, read: () => T, keep: (value: T) => boolean = () => true): T => {
    const s = statSync(path(), { throwIfNoEntry: false });
    const now = s ? `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}` : 'none';
    if (now !== stamp) {
      memo.clear();
      stamp = now;
    }
    if (memo.has(key)) return memo.get(key) as T;
    const value = read();
    if (!keep(value)) return value;
    // The keys are filters the page sends: a page looping over made-up ones grew main's memory without end.
    if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
    memo.set(key, value);
    return value;
  };
}

/** Most reads one memo keeps (the oldest goes first): the Activity filters a person uses fit many times over. */
export const MEMO_ENTRIES = 16;

/**
 * The run history's reads, memoized by its file's stamp only while no run is
 * pending or running: such a run turns interrupted when its exec dies, which
 * changes nothing in the file.
 */
export function runsReader(runs: MainDeps['runs']) {
  const memo = stampMemo(() => runs.path);
  const settled = (stats: RunStats) => stats.by_status.pending + stats.by_status.running === 0;
  const stats = () => memo('stats', () => runs.stats(), settled);
  return {
    stats,
    list: (filter: { status?: RunStatus; workflow?: string }): RunRecord[] => {
      const used = { ...(filter.status ? { status: filter.status } : {}), ...(filter.workflow ? { workflow: filter.workflow } : {}) };
      const read = () => runs.list(used);
      // Keyed by the filter read (JSON): `list:${status}:${workflow}` was the same for no workflow and one spelled "undefined".
      return settled(stats()) ? memo(`list:${JSON.stringify(used)}`, read) : read();
    },
  };
}

/** The run history and notification toggles, for the run watcher (index.ts wires them to the file watch). */
export function notificationFeed(deps: Pick<MainDeps, 'vault' | 'runs'>): { readRuns: () => RunRecord[]; readPrefs: () => NotificationPrefs } {
  return {
    readRuns: () => deps.runs.list(),
    readPrefs: () => deps.vault.getProfile().profile.preferences.notifications,
  };
}
