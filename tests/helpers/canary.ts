import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Every regular file under `root` whose bytes contain `canary`, skipping the
 * keyring folders (the keychain is the one place a secret may live; its files
 * are encrypted anyway).
 */
export function filesContaining(root: string, canary: string): string[] {
  const hits: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const s = statSync(path, { throwIfNoEntry: false });
      if (!s) continue;
      if (s.isDirectory()) {
        if (name !== 'keyrings') walk(path);
      } else if (s.isFile() && readFileSync(path).includes(canary)) {
        hits.push(relative(root, path));
      }
    }
  };
  walk(root);
  return hits;
}
