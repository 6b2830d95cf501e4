import { closeSync, fchmodSync, fstatSync, lstatSync, chmodSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { VaultError } from '../../core/errors';
import { shellWord } from '../../core/control-chars';
import { replaceLinkFix } from './secure-fs';
import { otherOwnerFix, READ_DATA_NOFOLLOW } from './file-access';

function ownedByMe(uid: number): boolean {
  return typeof process.getuid !== 'function' || uid === process.getuid();
}

/**
 * "Fix it" for a profile others can read or write: the file to 0600 and, when
 * the folder is cpw-vault's own (~/.cp-whisperx), the folder to 0700. Never
 * follows a symbolic link (PROFILE_SYMLINK) and never touches a file or
 * folder of another user (PROFILE_PERMISSIONS: only its owner can fix that).
 */
export function tightenProfile(profile: string, dedicatedDir: boolean): void {
  let fd: number;
  try {
    // As every data open: a FIFO swapped in at the name is refused below instead of holding the app's main process
    // in this open until a writer comes, and a terminal there never becomes the controlling one.
    fd = openSync(profile, READ_DATA_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new VaultError('PROFILE_SYMLINK', `${profile} is a symbolic link; cpw-vault will not change its target.`, replaceLinkFix(profile));
    throw new VaultError('PROFILE_PERMISSIONS', `Cannot open ${profile} to fix its mode (${code ?? 'error'}).`, `Run: chmod 600 ${shellWord(profile)}`);
  }
  try {
    const s = fstatSync(fd);
    if (!s.isFile()) throw new VaultError('PROFILE_INVALID', `${profile} is not a regular file.`, 'Move it aside and run the onboarding again.');
    if (!ownedByMe(s.uid)) throw new VaultError('PROFILE_PERMISSIONS', `${profile} belongs to another user (uid ${s.uid}); cpw-vault cannot fix its mode.`, otherOwnerFix(profile, 'profile'));
    if ((s.mode & 0o777) !== 0o600) fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
  if (!dedicatedDir) return;
  const dir = dirname(profile);
  const d = lstatSync(dir);
  if (d.isDirectory() && !d.isSymbolicLink() && ownedByMe(d.uid) && (d.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}
