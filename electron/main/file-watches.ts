/**
 * Main's watches on the files other processes write while the app is open:
 * the profile (the CLI editing it), the audit log (every read, write and
 * delete wherever it was made: a CLI `get`, a pipeline stage, this app), the
 * run history (with its desktop notifications) and the vault file's unlock
 * agent (`cpw-vault unlock` or `lock` in a terminal). Each change reaches the
 * window as one event; one stop function ends every watch.
 */
import { watchProfile } from '../../shared/node/profile/watch';
import type { MainDeps } from './handlers';
import { notificationFeed } from './history-reads';
import { watchVaultLock } from './lock-watch';
import type { NotifierPort } from './ports';
import { watchRuns } from './run-notifications';

/** Quiet time before a change is reported: a burst of writes (a `set` journals, writes, audits) is one event. */
const DEBOUNCE_MS = 150;

/**
 * The longest the audit event waits while appends keep coming: a pipeline reading values in a loop appends more
 * often than the debounce, and its events would otherwise show only once it stopped.
 */
export const AUDIT_MAX_WAIT_MS = 1000;

/** What the watches read and whom they tell. */
export type FileWatchDeps = Pick<MainDeps, 'vault' | 'runs' | 'events' | 'env'> & { notifier: NotifierPort };

/**
 * Starts watching the profile (and its index changes), the audit log, the run history and the vault file's unlock
 * agent; returns the function that stops them all.
 */
export function watchVaultFiles(deps: FileWatchDeps): () => void {
  const { vault, runs, events } = deps;
  const stops = [
    watchProfile(vault.profilePath, () => events.send('profileChanged', undefined), DEBOUNCE_MS),
    // A set or delete in a large profile writes only its index changes beside it.
    watchProfile(vault.indexChangesPath, () => events.send('profileChanged', undefined), DEBOUNCE_MS),
    watchProfile(vault.auditLogPath, () => events.send('auditChanged', undefined), DEBOUNCE_MS, AUDIT_MAX_WAIT_MS),
    watchRuns({
      ...notificationFeed(deps),
      watch: (onChange) => watchProfile(runs.path, onChange, DEBOUNCE_MS),
      notifier: deps.notifier,
      onChange: () => events.send('runsChanged', undefined),
    }),
    watchVaultLock(deps, () => events.send('vaultLockChanged', undefined)),
  ];
  return () => stops.forEach((stop) => stop());
}
