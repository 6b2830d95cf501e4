import { lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { isBackupName } from '../../core/journal';

/**
 * The backups migration made of `source` in `dir` (beside it by default),
 * oldest first: exactly `<name>.backup-<UTC time>-<6 hex>`, never a file
 * whose name merely starts like one (`secrets.json.backup-my-old-keys` is the
 * user's, and may hold keys the vault never got). Plain files of this user
 * only: a link (to /etc/shadow, or to nothing) or another user's file planted
 * under a backup's name is no backup (not to delete, not to read, not to list).
 */
export function backupsOf(source: string, dir = dirname(source)): string[] {
  try {
    return readdirSync(dir).filter((f) => isBackupName(basename(source), f)).sort().map((f) => join(dir, f)).filter(isOwnFile);
  } catch {
    return [];
  }
}

/**
 * Every migration backup still on disk that doctor can find, of any source:
 * those in `dirs` (migrate writes its backup beside the source, or in
 * --backup-dir), and those `named` (the backup paths of the audit log's
 * migration_applied entries: a migrate killed after its commit, before its
 * summary, left a backup nothing else names, perhaps far from here). The
 * same checks as {@link backupsOf}: the exact name, a plain file of this
 * user's. Sorted, each once.
 */
export function leftoverBackups(dirs: readonly string[], named: readonly string[]): string[] {
  const found = new Set<string>();
  for (const dir of new Set(dirs)) {
    try {
      for (const f of readdirSync(dir)) if (isAnyBackupName(f)) found.add(join(dir, f));
    } catch {
      // A folder that is not there (no config/), or not readable: nothing of ours to find in it.
    }
  }
  for (const path of named) if (isAbsolute(path) && isAnyBackupName(basename(path))) found.add(path);
  return [...found].filter(isOwnFile).sort();
}

/** `<source>.backup-<UTC time>[-<6 hex>]` for some source name (see isBackupName). */
function isAnyBackupName(file: string): boolean {
  const at = file.lastIndexOf('.backup-');
  return at > 0 && isBackupName(file.slice(0, at), file);
}

/** A regular file of this user's (never through a link). */
export function isOwnFile(path: string): boolean {
  try {
    const s = lstatSync(path, { throwIfNoEntry: false });
    return !!s?.isFile() && s.uid === process.getuid?.();
  } catch {
    return false; // a named path under a file, or a folder we may not enter
  }
}

/** A regular file (not a folder, not a link): the only kind --remove-plaintext deletes, or doctor names as a backup. */
export function isPlainFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}
