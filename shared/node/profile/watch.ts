import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { stampOf, sameStamp } from './secure-fs';

/**
 * Calls `onChange` when the profile file changes on disk — typically the CLI
 * editing it while the app is open. Watches the folder (an atomic write
 * replaces the file, which a file watcher would lose), debounces bursts, and
 * fires only when the file's stamp really changed. Returns a stop function.
 * The same holds for any file beside the profile (the run history, the audit
 * log): one not there yet is seen when it appears, one rotated (renamed away,
 * then created again) when it is created again.
 *
 * `maxWaitMs` bounds how long a burst may postpone the check: a file written
 * more often than every `debounceMs` (the audit log of a pipeline reading
 * values in a loop) would otherwise never be reported until the writes stop.
 */
export function watchProfile(path: string, onChange: () => void, debounceMs = 150, maxWaitMs = Infinity): () => void {
  let last = stampOf(path);
  let timer: NodeJS.Timeout | undefined;
  let burstStart: number | undefined;
  let watcher: FSWatcher | undefined;
  const check = () => {
    timer = undefined;
    burstStart = undefined;
    const now = stampOf(path);
    if (!sameStamp(now, last) && (now || last)) {
      last = now;
      onChange();
    }
  };
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
      if (name && name !== basename(path)) return;
      const at = Date.now();
      burstStart ??= at;
      if (timer) clearTimeout(timer);
      timer = setTimeout(check, Math.max(0, Math.min(debounceMs, burstStart + maxWaitMs - at)));
    });
    watcher.on('error', () => {
      // The folder went away; nothing more to watch.
    });
  } catch {
    // No folder yet (no profile): nothing to watch until the app writes one and restarts the watch.
  }
  return () => {
    if (timer) clearTimeout(timer);
    watcher?.close();
  };
}
