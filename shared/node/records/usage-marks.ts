import { closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { isCredentialId, type CredentialId } from '../../core/credential';
import { isoString } from '../../core/iso-time';

/** Resolution of "last used": a read re-marks a credential only when its mark is older than this. */
export const USAGE_RESOLUTION_MS = 60_000;

const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;

/**
 * "Last used" of each credential, recorded off the read path: one empty
 * file per credential in a folder beside the profile, whose modification
 * time is the last read. Why: a stage's first read used to rewrite the
 * whole profile under its lock (2.3x the cost of the read itself); now a
 * read costs one stat, and at most once a minute one utimes, with no lock,
 * no profile write, no schema. Lists merge these times with the index.
 */
export class UsageMarks {
  private warned = false;

  constructor(readonly dir: string, private readonly warn: (message: string) => void) {}

  /**
   * Marks `id` used at `now`, unless its mark is younger than the resolution and not older than `createdAt` (the
   * credential's creation: a mark before it is one deleted before's, see {@link markSince}). Never throws.
   */
  touch(id: CredentialId, now: Date, createdAt?: string): void {
    if (!isCredentialId(id)) return;
    const path = join(this.dir, id);
    try {
      const s = statSync(path, { throwIfNoEntry: false });
      // A mark in the future (written while the clock was ahead) is rewritten: skipped, it would show a last
      // use still to come until the clock caught up with it.
      const age = s ? now.getTime() - s.mtimeMs : Infinity;
      if (age >= 0 && age < USAGE_RESOLUTION_MS && !(createdAt !== undefined && s!.mtimeMs < Date.parse(createdAt))) return;
      // Before any write (at most once a minute): the folder, then the mark, must be ours. utimes follows
      // links, so a mark that is a link or another user's file is never touched.
      this.ensureDir();
      const mark = lstatSync(path, { throwIfNoEntry: false });
      if (mark && (!mark.isFile() || (uid !== undefined && mark.uid !== uid))) throw Object.assign(new Error('not our file'), { code: 'EPERM' });
      // The folder's own times move too (its ctime with them), so a cache of what list shows (shared/cli/list-cache.ts)
      // knows a mark changed from one stat of the folder, not one of each of 10,000 marks. Before the mark, and again
      // after it: moved only after, a read killed between the two left the mark changed and the folder not, and list
      // printed the old last use from its cache until something else changed. Moved first, a cache made before is
      // no longer used, and one made between the two is not kept (its folder changed within the racy margin).
      utimesSync(this.dir, now, now);
      if (!mark) closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600));
      utimesSync(path, now, now);
      utimesSync(this.dir, now, now);
    } catch (err) {
      // Usage is a convenience: a read must never fail for it. Say so once.
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const why = code === 'EPERM' ? 'it belongs to another user or is not a plain folder and file; refusing to use it' : code;
      if (!this.warned) this.warn(`could not record the last use of ${id} in ${this.dir} (${why})`);
      this.warned = true;
    }
  }

  /** The last use of every marked credential (ISO time). */
  read(): Map<CredentialId, string> {
    const out = new Map<CredentialId, string>();
    let names: string[];
    try {
      // Another user's folder (or a link) says nothing about our reads.
      const d = lstatSync(this.dir);
      if (!d.isDirectory() || (uid !== undefined && d.uid !== uid)) return out;
      names = readdirSync(this.dir);
    } catch {
      return out;
    }
    for (const name of names) {
      if (!isCredentialId(name)) continue;
      const s = lstatSync(join(this.dir, name), { throwIfNoEntry: false });
      if (s?.isFile()) out.set(name, isoString(new Date(s.mtimeMs)));
    }
    return out;
  }

  /** The folder, 0700 and ours: a link or someone else's folder planted there is refused. */
  private ensureDir(): void {
    try {
      const s = lstatSync(this.dir);
      if (!s.isDirectory() || (uid !== undefined && s.uid !== uid)) throw Object.assign(new Error('not our folder'), { code: 'EPERM' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(this.dir, { mode: 0o700 });
    }
  }
}

/**
 * `mark`, unless it is older than the credential's creation: then it is a use of one deleted before, under the same
 * id (delete leaves its mark: a read may be marking it as it is deleted), and the credential made since was not used.
 */
export function markSince(mark: string | undefined, createdAt: string): string | undefined {
  return mark !== undefined && Date.parse(mark) < Date.parse(createdAt) ? undefined : mark;
}

/** The later of two ISO times (either may be missing). */
export function laterOf(a: string | null | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}
