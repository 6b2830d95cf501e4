import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isBackupName } from '../../core/journal';

/**
 * The backups migration made of `source` in `dir` (beside it by default),
 * oldest first: exactly `<name>.backup-<UTC time>-<6 hex>`, never a file
 * whose name merely starts like one (`secrets.json.backup-my-old-keys` is the
 * user's, and may hold keys the vault never got).
 */
export function backupsOf(source: string, dir = dirname(source)): string[] {
  try {
    return readdirSync(dir).filter((f) => isBackupName(basename(source), f)).sort().map((f) => join(dir, f));
  } catch {
    return [];
  }
}
