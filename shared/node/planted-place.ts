import { lstatSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { currentUid, othersCanWrite } from './profile/file-access';

// Whether another user could have put a file where it is (a team file, a passphrase or identity file). A team file is encrypted to its members' public keys,
// which are public by design: anyone can make a valid one naming the user, holding values of their choosing (their
// own token in place of the user's, so the user's pipelines upload to their account). Where only the user (or root)
// could have put it, its being encrypted to the user's key means a member wrote it; elsewhere it means nothing.
// Like git's "dubious ownership", that includes a colleague's own checkout (0755): only they can write it, and so
// whatever is in it is theirs. A passphrase or identity file is a secret, and the same rule keeps a link another
// user planted in /tmp (to one of the user's own private files, or to /etc/shadow) from being read as it.

/**
 * Why another user could have put or replaced `file`, or undefined when none could (or it cannot be seen: the read
 * says why). Each step of the path, as given and as resolved, is looked at without following it: in a folder others
 * can write without the sticky bit anyone can replace any entry; with the sticky bit (/tmp), an entry another user
 * made (the file, or a folder above it) is theirs; and an entry another user (not root) owns anywhere is theirs to
 * write, or, a folder, to replace anything in. The same rule as a write's folder (trusted-folder.ts), plus the owner.
 * `ownerCheckedOnOpen`: the caller checks the owner of the file it opens (fstat), with refusals of its own (a secret
 * mounted read-only as another user's file: its descriptor route), so that file's owner, where others cannot write its
 * folder, is left to that check; its place (the folders above, a shared folder, a link) is still looked at here.
 */
export function plantedWhy(file: string, ownerCheckedOnOpen = false): string | undefined {
  if (currentUid === undefined) return undefined; // Windows: no POSIX owner or mode bits to go by
  let resolved: string | undefined;
  try {
    resolved = realpathSync(file);
  } catch {
    resolved = undefined; // absent or unreadable: the read says so
  }
  return pathWhy(file, ownerCheckedOnOpen) ?? (resolved !== undefined && resolved !== file ? pathWhy(resolved, ownerCheckedOnOpen) : undefined);
}

function pathWhy(path: string, ownerCheckedOnOpen: boolean): string | undefined {
  try {
    for (let entry = path, dir = dirname(path); entry !== dir; entry = dir, dir = dirname(dir)) {
      const folder = lstatSync(dir);
      const shared = othersCanWrite(folder) && !folder.isSymbolicLink(); // a link's own mode says nothing; its target is walked as resolved
      const mode = `mode ${(folder.mode & 0o7777).toString(8).padStart(4, '0')}`; // with the sticky bit: 1777
      if (shared && !(folder.mode & 0o1000)) return `${dir} can be written by other users and has no sticky bit (${mode}), so any of them can replace ${entry === path ? 'it' : entry}`;
      const own = lstatSync(entry, { throwIfNoEntry: false });
      // Only the owner of a link's folder can change a link (its own owner cannot): outside a shared folder, its owner says nothing.
      if (!own || own.uid === currentUid || own.uid === 0 || (!shared && (own.isSymbolicLink() || (ownerCheckedOnOpen && entry === path)))) continue;
      const name = entry === path ? 'it' : entry;
      return shared ? `${name} belongs to another user (uid ${own.uid}), in ${dir}, which other users can write (${mode})` : `${name} belongs to another user (uid ${own.uid}), who can ${entry === path ? 'put any values in it' : 'replace anything in it'}`;
    }
  } catch {
    return undefined; // absent or unreadable: the read says so
  }
  return undefined;
}
