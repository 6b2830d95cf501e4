// Spare FIFOs exec claims its masked streams from. Node cannot make a FIFO
// (no mknod), and the `mkfifo` child that made them cost each exec ~2.5 ms of
// ~45: spawn() blocks the event loop until the child has exec'd, and the
// keychain's replies wait meanwhile. With spares ready, most execs fork
// nothing but their stage; the one that finds too few makes its own FIFOs and
// the spares in one `mkfifo`.
import { closeSync, constants as fs, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { makerIsGone, pipesFolderPrefix } from './pipe-leftovers';

/**
 * The most spares the pool holds: each has one of these fixed names
 * (`spare-00`...), so concurrent refills collide (mkfifo's EEXIST) instead
 * of growing it. An empty FIFO is an inode, no data: 32 let an exec masking
 * both streams (2 FIFOs) fork `mkfifo` once in 16.
 */
const SPARES = 32;
const SPARE_NAMES = Array.from({ length: SPARES }, (_, i) => `spare-${String(i).padStart(2, '0')}`);
const SPARE = /^spare-\d\d$/;
/** A claimed FIFO's name: the pipes' folder name of its exec (pid, start, place) and 6 characters. */
const CLAIMED = /^cpw-vault-exec-[^/]*-[A-Za-z0-9]{6}$/;

/** Where an exec's FIFOs are: `paths` to open; `make`, what `mkfifo` is to make (in its fd 3 when `fd` is given); `done` removes them from disk. */
export interface FifoPlace {
  paths: string[];
  make: string[];
  /** The folder's fd, handed to mkfifo as its fd 3 (it works through /proc/self/fd/3: a folder swapped meanwhile leads nowhere). */
  fd?: number;
  done(): void;
}

/** The pool's folder name in TMPDIR: one per user. */
export function poolName(): string {
  return `cpw-vault-pipes-${process.getuid?.() ?? ''}`;
}

/**
 * The pool `base`/{@link poolName}, opened, made 0700 if missing. Undefined
 * unless it is a real folder (O_NOFOLLOW: never a symlink) of this user, mode
 * exactly 0700: what another user planted under that name in a sticky /tmp,
 * a file, a 0755 folder are left as they are, and exec makes its FIFOs as
 * before (a private folder of its own).
 */
function openPool(base: string): number | undefined {
  const path = join(base, poolName());
  let made = false;
  try {
    mkdirSync(path, 0o700);
    made = true;
  } catch {
    // there already (or TMPDIR unwritable: the open below fails too)
  }
  let fd: number;
  try {
    fd = openSync(path, fs.O_RDONLY | fs.O_DIRECTORY | fs.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const ours = st.isDirectory() && (process.getuid === undefined || st.uid === process.getuid());
    // Made just now under a umask that took more than 077: 0700 as asked. Never changed otherwise.
    if (ours && made && (st.mode & 0o7777) !== 0o700) fchmodSync(fd, 0o700);
    if (ours && (made || (st.mode & 0o7777) === 0o700)) return fd;
  } catch {
    // unreadable: no pool
  }
  closeSync(fd);
  return undefined;
}

/**
 * `count` FIFOs from the pool in `base`: spares claimed (renamed to a name of
 * this exec: atomic, so no two execs ever share one), and, when too few are
 * left, the rest for `mkfifo` to make under such names, with every free
 * spare name. Undefined when there is no usable pool. A claimed name whose
 * exec is certainly gone ({@link makerIsGone}: killed -9 between its claim
 * and its unlink) is removed; a spare that is not an empty FIFO of ours
 * nobody else can open (a symlink, a file) is unlinked, never followed.
 * Nothing else in the folder is touched.
 */
export function fromPool(base: string, count: number): FifoPlace | undefined {
  const fd = openPool(base);
  if (fd === undefined) return undefined;
  const dir = `/proc/self/fd/${fd}`;
  const mine = basename(pipesFolderPrefix(base));
  const names: string[] = [];
  try {
    const found = readdirSync(dir);
    for (const name of found) {
      if (names.length === count) break;
      // A folder under a spare's name is left as it is (unlink cannot remove it; exec never removes a folder there).
      if (!SPARE.test(name) || lstatSync(join(dir, name), { throwIfNoEntry: false })?.isDirectory() !== false) continue;
      const claimed = `${mine}fifo${String(names.length).padStart(2, '0')}`;
      try {
        renameSync(join(dir, name), join(dir, claimed));
      } catch {
        continue; // claimed by another exec meanwhile
      }
      const st = lstatSync(join(dir, claimed));
      if (st.isFIFO() && (process.getuid === undefined || st.uid === process.getuid()) && (st.mode & 0o077) === 0) names.push(claimed);
      else unlinkSync(join(dir, claimed));
    }
    for (const name of found) if (CLAIMED.test(name) && !name.startsWith(mine)) removeIfAbandoned(dir, name);
  } catch {
    // unreadable meanwhile: what was claimed is removed by done(), and exec makes its FIFOs as before
    unlinkAll(dir, names);
    closeSync(fd);
    return undefined;
  }
  const make: string[] = [];
  for (let i = names.length; i < count; i++) make.push(`${mine}fifo${String(i).padStart(2, '0')}`);
  // Its own first: they are what this exec waits for.
  const all = [...names, ...make];
  return {
    paths: all.map((n) => join(dir, n)),
    make: make.length ? [...make, ...SPARE_NAMES].map((n) => `/proc/self/fd/3/${n}`) : [],
    fd,
    done: () => {
      unlinkAll(dir, all);
      closeSync(fd);
    },
  };
}

function unlinkAll(dir: string, names: readonly string[]): void {
  for (const n of names) {
    try {
      unlinkSync(join(dir, n));
    } catch {
      // never made (mkfifo stopped by a signal, or failed)
    }
  }
}

/** Unlinks claimed FIFO `name` (never a folder: unlink) when its exec is certainly gone. */
function removeIfAbandoned(dir: string, name: string): void {
  try {
    const st = lstatSync(join(dir, name));
    // A rename changes the ctime, not the mtime: an old spare claimed just now is young.
    if (!st.isDirectory() && makerIsGone(name, Math.max(st.mtimeMs, st.ctimeMs))) unlinkSync(join(dir, name));
  } catch {
    // removed by its exec, or another, meanwhile
  }
}
