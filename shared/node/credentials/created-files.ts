import { lstatSync, rmSync } from 'node:fs';

/**
 * Removes files a transaction created (a migration's plaintext backup): only
 * regular files (or a link itself, never what it points to); one that cannot
 * be removed never stops the recovery of the rest.
 */
export function removeCreated(files: readonly string[]): void {
  for (const file of files) {
    try {
      const s = lstatSync(file, { throwIfNoEntry: false });
      if (s && (s.isFile() || s.isSymbolicLink())) rmSync(file, { force: true });
    } catch {
      // left in place; the journal entry goes anyway (a backup is the user's file too)
    }
  }
}
