// What another user plants for the shared-folder tests (they run as root, so "another user" is nobody, 65534).
import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export const NOBODY = 65534;

/** A folder `name` under `root` that nobody owns (0755): root could write in it, and cpw-vault must not. */
export function theirFolder(root: string, name = 'theirs'): string {
  const dir = join(root, name);
  mkdirSync(dir, { mode: 0o755 });
  chownSync(dir, NOBODY, NOBODY);
  return dir;
}

/** A symbolic link at `link`, owned by nobody, to a new private folder `target` (which must stay empty); returns `target`. */
export function theirLink(link: string, target: string): string {
  mkdirSync(target, { mode: 0o700 });
  symlinkSync(target, link);
  lchownSync(link, NOBODY, NOBODY);
  return target;
}

/**
 * A home folder `name` (0700) of user `uid`, in a new folder under /tmp of mode `mode` that `uid` can reach (the run's
 * own root is root's 0700 folder): a test run as root runs cpw-vault there as that user. The caller removes `base`.
 */
export function homeOf(uid: number, prefix: string, options: { mode?: number; name?: string } = {}): { base: string; home: string } {
  const base = mkdtempSync(`/tmp/${prefix}`);
  chmodSync(base, options.mode ?? 0o755);
  const home = join(base, options.name ?? 'home');
  mkdirSync(home, { mode: 0o700 });
  chownSync(home, uid, uid);
  return { base, home };
}
