import { lstatSync, type Stats } from 'node:fs';
import { VaultError } from '../../core/errors';
import { shellWord } from '../../core/control-chars';
import { currentUid, modeString, othersCanWrite } from '../profile/file-access';
import { plantedWhy } from '../planted-place';
import { readRegularFile } from '../secrets/durable-file';

/**
 * The refusal of a team file another user could have put, replaced or written: nothing of it was read. `listOf`:
 * `file` is the recipients list of that team file.
 */
function refused(file: string, why: string, listOf?: string): VaultError {
  const team = listOf ?? file;
  const q = shellWord(team);
  return new VaultError(
    'PROFILE_PERMISSIONS',
    `Refusing ${listOf ? 'the recipients list' : 'the team file'} ${file}: ${why}. Anyone can make a team file encrypted to your public key (it is public), holding values of their choosing; nothing of it was read.`,
    // A copy, not a "trust this path" option: the copy is what the user looked at, where a trusted path stays its owner's to rewrite.
    `Keep the team file in a folder of your own (the repository's folder, say) and give its path: --file PATH. To use this one anyway, see what it holds (cpw-vault team diff ${q}), then copy it into a folder of your own and give the copy: cp ${q} ${shellWord(`${team}.recipients`)} DIR/   To see who put it there: ls -l ${shellWord(file)}`,
  );
}

/**
 * Throws PROFILE_PERMISSIONS when another user could have put or replaced the team file `file` (see
 * {@link plantedWhy}): nothing of it is read, neither values nor members. Returns the file as the check saw it
 * (undefined: absent), for the open to compare with.
 */
export function assertTeamFilePlace(file: string, listOf?: string): Stats | undefined {
  let seen: Stats | undefined;
  try {
    seen = lstatSync(file, { throwIfNoEntry: false });
  } catch {
    seen = undefined; // unreadable: the read says so
  }
  const why = plantedWhy(file);
  if (why !== undefined) throw refused(file, why, listOf);
  return seen;
}

/**
 * The bytes of the team file `file` (undefined when absent), refused as {@link assertTeamFilePlace} says unless
 * `anyPlace` (for what takes nothing from it, like git's textconv). The place is checked by path, so the opened
 * descriptor is checked too: a regular file of the user's (or root's) that others cannot write, and the very file
 * (device, inode) the check saw; a link planted on its path between the check and the open is not followed into
 * another file. Refuses a symlink, a non-file and one over 16 MiB (as readRegularFile). `listOf`: `file` is the
 * recipients list of that team file, held to the same rule (the refusal names it so).
 */
export function readPlacedTeamFile(file: string, options: { anyPlace?: boolean; listOf?: string } = {}): Buffer | undefined {
  const what = 'the team file';
  if (options.anyPlace || currentUid === undefined) return readRegularFile(file, { what });
  const seen = assertTeamFilePlace(file, options.listOf);
  return readRegularFile(file, { what, opened: (s) => assertOpenedIsChecked(file, s, seen, options.listOf) });
}

/** Throws unless the opened team file `s` (a regular file: readRegularFile checked) is the user's (or root's), others cannot write it, and it is the one the place check saw. */
function assertOpenedIsChecked(file: string, s: Stats, seen: Stats | undefined, listOf?: string): void {
  if (s.uid !== currentUid && s.uid !== 0) throw refused(file, `it belongs to another user (uid ${s.uid}), who can put any values in it`, listOf);
  if (seen === undefined || seen.dev !== s.dev || seen.ino !== s.ino) throw refused(file, 'the file opened is not the one whose place was checked (a link was planted on its path, or the file replaced, in between)', listOf);
  if (othersCanWrite(s)) {
    throw new VaultError('PROFILE_PERMISSIONS', `Refusing the team file ${file}: other users can write it (mode ${modeString(s.mode)}), so they could have put any values in it; nothing of it was read.`, `If its content is what you expect (cpw-vault team diff ${shellWord(file)}), take the write access away: chmod go-w ${shellWord(file)}`);
  }
}
