import { lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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
  const own = (path: string) => {
    const s = lstatSync(path, { throwIfNoEntry: false });
    return !!s?.isFile() && s.uid === process.getuid?.();
  };
  try {
    return readdirSync(dir).filter((f) => isBackupName(basename(source), f)).sort().map((f) => join(dir, f)).filter(own);
  } catch {
    return [];
  }
}
