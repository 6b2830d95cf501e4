import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { stampOf, sameStamp, type FileStamp } from './secure-fs';

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
  let last = stampNow(path);
  let timer: NodeJS.Timeout | undefined;
  let burstStart: number | undefined;
  let watcher: FSWatcher | undefined;
  let search: NodeJS.Timeout | undefined;
  const check = () => {
    timer = undefined;
    burstStart = undefined;
    const now = stampNow(path);
    if (!sameStamp(now, last) && (now || last)) {
      last = now;
      onChange();
    }
  };
  const start = (): boolean => {
    try {
      const current = watch(dirname(path), { persistent: false }, (_event, name) => {
        // The folder itself removed or moved away (its own name): the watch was on the folder as it was, and nothing
        // written in one made again was reported while the app stayed open. Watched anew (its inode may be reused).
        if (name === basename(dirname(path))) return lookAgain();
        if (name && name !== basename(path)) return;
        const at = Date.now();
        burstStart ??= at;
        if (timer) clearTimeout(timer);
        timer = setTimeout(check, Math.max(0, Math.min(debounceMs, burstStart + maxWaitMs - at)));
      });
      // Looked for again (a second later, not at once: a watch that fails again is not restarted in a loop). Only the
      // watch in use: one closed already (restarted after its folder went) must not close its successor.
      current.on('error', () => {
        if (watcher !== current) return;
        current.close();
        watcher = undefined;
        lookFor();
      });
      watcher = current;
      return true;
    } catch {
      return false;
    }
  };
  // No folder yet: a first run, whose onboarding makes it while the app is open, or one removed while watched. Looked
  // for (one stat) until it is there, then watched; what was written into it meanwhile is reported at once.
  const lookFor = () => {
    if (search) return; // one search at a time: a second would never be cleared
    search = setInterval(() => {
      if (!start()) return;
      clearInterval(search);
      search = undefined;
      check();
    }, FOLDER_SEARCH_MS);
    search.unref();
  };
  const lookAgain = () => {
    watcher?.close();
    watcher = undefined;
    if (!start()) lookFor();
    check();
  };
  if (!start()) lookFor();
  return () => {
    if (timer) clearTimeout(timer);
    if (search) clearInterval(search);
    watcher?.close();
  };
}

/** How often a folder that does not exist yet is looked for. */
const FOLDER_SEARCH_MS = 1000;

/** What stampOf gives for a file that cannot be looked at. */
const UNREADABLE: FileStamp = { ino: -1, size: -1, mtimeMs: -1, ctimeMs: -1 };

/**
 * The file's stamp, never a throw: a watch runs in a timer of Electron's main process, where an exception would be
 * uncaught. A file that cannot be looked at (its folder's permissions taken away, a file in place of the folder)
 * counts as one change, so the window reads it again and says why.
 */
function stampNow(path: string): FileStamp | undefined {
  try {
    return stampOf(path);
  } catch {
    return UNREADABLE;
  }
}
