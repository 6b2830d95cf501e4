/**
 * The secret the app copied last: cleared from the clipboard after
 * CLIPBOARD_CLEAR_MS if it is still there, or at once (the app quitting).
 */
import { createHash } from 'node:crypto';
import type { ClipboardPort, EventPort, SchedulerPort } from './ports';

/** How long a copied secret stays on the clipboard. */
export const CLIPBOARD_CLEAR_MS = 20_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The secret copied last, cleared from the clipboard if it still holds it: after {@link CLIPBOARD_CLEAR_MS}, or at once. */
export interface CopyGuard {
  /** Puts `value` on the clipboard; 20 s later it is cleared if still there (a later copy owns the clipboard and its own timer). */
  copy(value: string): void;
  /** Clears the clipboard now if it still holds the value copied last (the app quitting: its timer would never fire). */
  clearNow(): boolean;
}

/** A {@link CopyGuard} over the clipboard. Only a hash of the value is kept: enough to tell whether the clipboard still holds it. */
export function createCopyGuard(deps: { clipboard: ClipboardPort; scheduler: SchedulerPort; events: EventPort }): CopyGuard {
  let copies = 0;
  let held: string | undefined;
  const clearNow = () => {
    const still = held !== undefined && sha256(deps.clipboard.readText()) === held;
    if (still) deps.clipboard.clear();
    held = undefined;
    return still;
  };
  return {
    copy: (value) => {
      deps.clipboard.writeText(value);
      held = sha256(value);
      const copy = ++copies;
      deps.scheduler.setTimeout(() => {
        if (copy !== copies) return; // a later copy owns the clipboard and its own timer
        deps.events.send('clipboardCleared', { cleared: clearNow() });
      }, CLIPBOARD_CLEAR_MS);
    },
    clearNow,
  };
}
