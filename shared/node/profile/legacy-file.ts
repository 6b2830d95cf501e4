import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { shellWord } from '../../core/control-chars';
import { ioError, notAKeysFile, othersFile } from './file-access';
import type { FileStamp } from './secure-fs';
import type { ProfilePaths } from './paths';

/**
 * What is at the deprecated `config/secrets.json`: its stamp when it is read as the user's secrets file, else the
 * clause after "Ignoring PATH: " (a link, another user's file, a FIFO or folder, a folder that cannot be looked into).
 */
export type LegacyAt = { stamp: FileStamp; passedOver?: undefined } | { passedOver: string };

/**
 * What is at `path` (the working directory's config/secrets.json), judged from
 * its lstat alone, never opened (a FIFO there must not block): undefined when
 * nothing is, a path through a file included (a `config` file of the project's:
 * there is no secrets file under it). A link or another user's file (a shared
 * folder, a colleague's checkout) is not this user's secrets; what is not a
 * regular file (a FIFO, a socket, a folder) is no secrets file at all, as
 * migrate's foundAt passes it over; so is a folder on the way this user may
 * not look into (EACCES) or a link on the way that loops (ELOOP): each is `passedOver`, and the command goes on as
 * without it. Throws IO_ERROR when the name cannot be looked at otherwise.
 */
export function legacyAt(path: string): LegacyAt | undefined {
  let s;
  try {
    s = lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    // A `config` folder of the working directory's that this user may not look into (mode 000, another user's 0700):
    // every stage run from there failed, refused its key, for a file that may not even be there. It is no secrets file
    // of the user's: passed over, its folder named. A profile named by --profile or CPW_PROFILE is not looked for here.
    if (code === 'EACCES') return { passedOver: `its folder ${dirname(path)} cannot be looked into (permission denied); no keys are read from it` };
    // A link on the way that leads round in a loop (`config -> config`, planted in a folder others can write: /tmp) is
    // no secrets file of the user's either: every command run from there failed IO_ERROR for it.
    if (code === 'ELOOP') return { passedOver: loopOnTheWay(path) };
    throw ioError(err, path);
  }
  const stamp: FileStamp = { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
  const mine = 'its keys are not read as yours';
  // A link that leads round in a loop, or to a file that does not exist, leads to no file: "a symbolic link" read as
  // one to a file kept from the user. Another user's is said as a link (its target, and the rm, are not the user's).
  if (s.isSymbolicLink()) return { passedOver: (!othersFile(s) && linkToNoFile(path)) || `it is a symbolic link; ${mine}` };
  if (othersFile(s)) return { passedOver: `it belongs to another user (uid ${s.uid}); ${mine}` };
  return s.isFile() ? { stamp } : { passedOver: notAKeysFile(s) };
}

/** Why a secrets file whose path loops (ELOOP from its lstat: a link on the way) is passed over, here and by migrate. */
export function loopOnTheWay(path: string): string {
  return `a symbolic link on its way leads round in a loop (namei -l ${shellWord(path)}); no keys are read from it`;
}

/** A link that leads round in a loop, said alike wherever one is passed over or refused (`${path} is ${LINK_LOOP}`). */
export const LINK_LOOP = 'a symbolic link that leads round in a loop (to itself, or through other links back to it), to no file';

/** The command that fixes a link that leads round in a loop: it leads nowhere, so removing it loses nothing. */
export function linkLoopFix(path: string): string {
  return `rm -- ${shellWord(path)}`;
}

/** Why a secrets file that is a link leading round in a loop is passed over, here and by migrate. */
export function linkLoop(path: string): string {
  return `it is ${LINK_LOOP}; no keys are read from it (remove the link: ${linkLoopFix(path)})`;
}

/** A link to a file that does not exist, said alike wherever one is passed over or refused (`${path} is ${...}`). */
export function danglingLink(target: string): string {
  return `a symbolic link to ${shellWord(target)}, a file that does not exist`;
}

/**
 * What the link at `path` leads to as the link holds it (its folder's relative path, as `ls -l` shows it), when that
 * is no file (nothing there, or a file on the way: ENOENT, ENOTDIR); undefined for a link to a file, and for no link.
 */
export function danglingTarget(path: string): string | undefined {
  try {
    statSync(path);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
  }
  try {
    return readlinkSync(path);
  } catch {
    return undefined; // removed since, or no link
  }
}

/**
 * Why a secrets file of the user's that is a link to no file (one that loops, one to a file that does not exist) is
 * passed over, here and by migrate; undefined for a link to a file.
 */
export function linkToNoFile(path: string): string | undefined {
  if (loopingLink(path)) return linkLoop(path);
  const target = danglingTarget(path);
  return target === undefined ? undefined : `it is ${danglingLink(target)}; no keys are read from it`;
}

/** True when `path` is a link that leads round in a loop (`secrets.json -> secrets.json`, or two links to each other). */
export function loopingLink(path: string): boolean {
  try {
    statSync(path);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ELOOP';
  }
}

/**
 * True when `path` holds a secrets file the profile reader reads in place of a
 * profile (see {@link legacyAt}): the first profile written makes it unread.
 */
export function readAsLegacy(path: string | undefined): boolean {
  const at = path === undefined ? undefined : legacyAt(path);
  return !!at && at.passedOver === undefined;
}

/** The warning when the first profile is written over a secrets file read until then: it is not read any more. */
export function legacyLeftBehind(paths: ProfilePaths): string {
  return `Created ${paths.profile}; from now on it is read instead of the deprecated ${paths.legacySecrets}, whose credentials are not read any more. Move them into the keychain: cpw-vault migrate`;
}
