import { legacyAt, type LegacyAt } from './legacy-file';

/**
 * What is at config/secrets.json ({@link legacyAt}), for one profile reader. doctor reads the profile per credential
 * and workflow, and with none each read looked there again: ~57 lstats a run. With `once` (one CLI command, which a
 * file appearing mid-run need not reach) a missing or passed-over one is held for the reader's life; a file read in
 * place of a profile is looked at every read, so a change to it (or its removal) is still seen. A long-lived reader
 * (the app, the library) looks at every read.
 */
export function legacyLooker(once: boolean): (path: string) => LegacyAt | undefined {
  let held: { at: LegacyAt | undefined } | undefined;
  return (path) => {
    if (held) return held.at;
    const at = legacyAt(path);
    if (once && (at === undefined || at.passedOver !== undefined)) held = { at };
    return at;
  };
}
