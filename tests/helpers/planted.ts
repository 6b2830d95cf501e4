// What another user plants for the shared-folder tests (they run as root, so "another user" is nobody, 65534).
import { chownSync, lchownSync, mkdirSync, symlinkSync } from 'node:fs';
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
