// The temp files of atomic writes: made beside their target under an
// unpredictable name, and cleaned up after a writer killed mid-write.
import { randomHex } from '../builtins';
import { constants, lstatSync, openSync, readdirSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { VaultError } from '../../core/errors';
import { shellWord } from '../../core/control-chars';
import { basename, dirname, join } from 'node:path';
import { ioError } from './file-access';

const currentUid = typeof process.getuid === 'function' ? process.getuid() : undefined;

/** Temp names: `<file>.tmp-` and 24 random hex digits (96 bits: nobody can plant a link at the next one). */
const TEMP_MARK = '.tmp-';
const TEMP_TAIL = /^[0-9a-f]{24}$/;
/** Temp names of write-file-atomic, used before: `<file>.<digits>`, cleaned up too. */
const OLD_TEMP_TAIL = /^\d+$/;

/**
 * A new 0600 temp file beside `path`, under an unpredictable name, created
 * with O_CREAT|O_EXCL|O_NOFOLLOW: a link or file planted there is never opened.
 */
export function createTempBeside(path: string): { temp: string; fd: number } {
  const temp = join(dirname(path), `${basename(path)}${TEMP_MARK}${randomHex(12)}`);
  try {
    return { temp, fd: openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600) };
  } catch (err) {
    // "Cannot access x.age.tmp-<hex>: check that it exists" named a file the user never asked for, not the folder.
    throw missingFolder(path) ?? ioError(err, temp);
  }
}

/**
 * The error for writing `path` into a folder that is not there (or is not a folder): IO_ERROR naming the folder,
 * or undefined when the folder exists.
 */
export function missingFolder(path: string): VaultError | undefined {
  const dir = dirname(path);
  let s: Stats | undefined;
  try {
    s = statSync(dir, { throwIfNoEntry: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') return undefined; // EACCES and the like: the write says
  }
  if (s?.isDirectory()) return undefined;
  return new VaultError('IO_ERROR', `Cannot write ${path}: there is no folder ${dir}; nothing was written.`, `Create the folder first (mkdir -p ${shellWord(dir)}), or choose a path in a folder that exists.`);
}


/**
 * Temp files left next to `path` by a writer that was killed mid-write: ours
 * (`<file>.tmp-<hex>`) and, with `older` (the profile, written by
 * write-file-atomic before), write-file-atomic's (`<file>.<digits>`), only
 * regular files of this user (in a shared folder, never another user's).
 * Without `older`, a `team.age.2` of the user's beside a team file is theirs.
 * `beside`: files in the same folder written under the same lock (the
 * profile's sidecars), whose temp files (ours only) are found in the same readdir.
 */
export function orphanTemps(path: string, older = true, beside: readonly string[] = []): string[] {
  const prefix = `${basename(path)}.`;
  const ours = (name: string, file: string) => name.startsWith(`${file}${TEMP_MARK}`) && TEMP_TAIL.test(name.slice(file.length + TEMP_MARK.length));
  const besideNames = beside.filter((b) => dirname(b) === dirname(path)).map((b) => basename(b));
  try {
    return readdirSync(dirname(path))
      .filter((name) => {
        if (besideNames.some((b) => ours(name, b))) return true;
        if (!name.startsWith(prefix)) return false;
        const tail = name.slice(prefix.length);
        return (older && OLD_TEMP_TAIL.test(tail)) || (tail.startsWith(TEMP_MARK.slice(1)) && TEMP_TAIL.test(tail.slice(TEMP_MARK.length - 1)));
      })
      .map((name) => join(dirname(path), name))
      .filter((file) => {
        const s = lstatSync(file, { throwIfNoEntry: false });
        return !!s && s.isFile() && (currentUid === undefined || s.uid === currentUid);
      });
  } catch {
    return [];
  }
}

/** Removes orphan temp files ({@link orphanTemps}). Call only while holding the lock that guards `path`. */
export function removeOrphanTemps(path: string, older = true, beside: readonly string[] = []): number {
  let removed = 0;
  for (const file of orphanTemps(path, older, beside)) {
    try {
      unlinkSync(file);
      removed++;
    } catch {
      // Already gone: another process cleaned it.
    }
  }
  return removed;
}
