import { lstatSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { VaultError } from '../../core/errors';
import { shellWord } from '../../core/control-chars';
import { currentUid, othersCanWrite } from '../profile/file-access';

// Whether another user could have put a team file where it is. A team file is encrypted to its members' public keys,
// which are public by design: anyone can make a valid one naming the user, holding values of their choosing (their
// own token in place of the user's, so the user's pipelines upload to their account). Where only the user (or root)
// could have put it, its being encrypted to the user's key means a member wrote it; elsewhere it means nothing.

/**
 * Why another user could have put or replaced `file`, or undefined when none could (or it cannot be seen: the read
 * says why). Each step of the path, as given and as resolved, is looked at without following it: in a folder others
 * can write without the sticky bit anyone can replace any entry; with the sticky bit (/tmp), an entry another user
 * made (the file, or a folder above it) is theirs. The same rule as a write's folder (trusted-folder.ts).
 */
export function plantedWhy(file: string): string | undefined {
  if (currentUid === undefined) return undefined; // Windows: no POSIX owner or mode bits to go by
  let resolved: string | undefined;
  try {
    resolved = realpathSync(file);
  } catch {
    resolved = undefined; // absent or unreadable: the read says so
  }
  return pathWhy(file) ?? (resolved !== undefined && resolved !== file ? pathWhy(resolved) : undefined);
}

function pathWhy(path: string): string | undefined {
  try {
    for (let entry = path, dir = dirname(path); entry !== dir; entry = dir, dir = dirname(dir)) {
      const folder = lstatSync(dir);
      if (!othersCanWrite(folder) || folder.isSymbolicLink()) continue; // a link's own mode says nothing; its target is walked as resolved
      const mode = `mode ${(folder.mode & 0o7777).toString(8).padStart(4, '0')}`; // with the sticky bit: 1777
      if (!(folder.mode & 0o1000)) return `${dir} can be written by other users and has no sticky bit (${mode}), so any of them can replace ${entry === path ? 'it' : entry}`;
      const owner = lstatSync(entry).uid;
      if (owner !== currentUid && owner !== 0) return `${entry === path ? 'it' : entry} belongs to another user (uid ${owner}), in ${dir}, which other users can write (${mode})`;
    }
  } catch {
    return undefined; // absent or unreadable: the read says so
  }
  return undefined;
}

/**
 * Throws PROFILE_PERMISSIONS when another user could have put or replaced the team file `file` (see
 * {@link plantedWhy}): nothing of it is read, neither values nor members.
 */
export function assertTeamFilePlace(file: string): void {
  const why = plantedWhy(file);
  if (why === undefined) return;
  throw new VaultError(
    'PROFILE_PERMISSIONS',
    `Refusing the team file ${file}: ${why}. Anyone can make a team file encrypted to your public key (it is public), holding values of their choosing; nothing of it was read.`,
    `Keep the team file in a folder of your own (the repository's folder, say) and give its path: --file PATH. To see who put it there: ls -l ${shellWord(file)}`,
  );
}
