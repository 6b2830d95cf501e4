import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { stampOf, sameStamp } from './secure-fs';

/**
 * Calls `onChange` when the profile file changes on disk — typically the CLI
 * editing it while the app is open. Watches the folder (an atomic write
 * replaces the file, which a file watcher would lose), debounces bursts, and
 * fires only when the file's stamp really changed. Returns a stop function.
 */
export function watchProfile(path: string, onChange: () => void, debounceMs = 150): () => void {
  let last = stampOf(path);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const check = () => {
    timer = undefined;
    const now = stampOf(path);
    if (!sameStamp(now, last) && (now || last)) {
      last = now;
      onChange();
    }
  };
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
      if (name && name !== basename(path)) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(check, debounceMs);
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
