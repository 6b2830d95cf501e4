// The private folders exec makes its pipes in, named after the exec that made
// them, and the removal of those a killed exec left in TMPDIR.
import { closeSync, constants as fs, fstatSync, lstatSync, openSync, readdir, readdirSync, realpathSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { nodeOs, procStatFields } from '../builtins';
import { ABANDONED_AFTER_MS, bootId, pidNamespace, procIsOurs } from '../profile/owner';

const PREFIX = 'cpw-vault-exec-';
/** `cpw-vault-exec-<pid>.<start ticks>.<place>-XXXXXX` (mkdtemp's 6 random characters); ticks or place empty when unknown. */
const NAMED = /^cpw-vault-exec-(\d{1,10})\.(\d{0,20})\.([0-9a-z]{0,40})-[A-Za-z0-9]{6}$/;
/** What versions before made: `cpw-vault-exec-XXXXXX`, naming no exec. */
const UNNAMED = /^cpw-vault-exec-[A-Za-z0-9]{6}$/;
/** The FIFOs a folder holds (see stage-pipes.ts): nothing else is ever removed. */
const PIPES = new Set(['both', 'out', 'err']);
/**
 * How long exec, its stage ended, still waits for a removal under way. It
 * runs while the stage does (a readdir: under 1 ms at 1,000 entries, ~15 ms
 * at 10,000, ~150 ms at 100,000 on a loaded 2-core machine): only a stage
 * quicker than it waits, and a huge TMPDIR does not hold up every exec.
 */
const WAIT_MS = 250;

/**
 * TMPDIR as the folder it names (a symlink to one: macOS's /tmp, a home's
 * link to scratch space), when pipes can be made there safely: where nobody
 * else can rename our folders (they could swap one of ours in for the pool
 * just made, which exec then makes 0700 and fills, or for exec's FIFOs'
 * folder, which exec then removes with what it holds). Not one others can
 * write without the sticky bit, nor one another user owns: the sticky bit
 * does not bind its owner. Undefined otherwise.
 */
export function pipesTmpdir(): string | undefined {
  try {
    const base = realpathSync(nodeOs().tmpdir());
    const st = lstatSync(base);
    const owner = process.getuid === undefined || st.uid === 0 || st.uid === process.getuid();
    return st.isDirectory() && owner && !(st.mode & 0o022 && !(st.mode & 0o1000)) ? base : undefined;
  } catch {
    return undefined;
  }
}

/** Process `pid`'s state and start in clock ticks after boot (/proc/<pid>/stat fields 3 and 22); undefined where unreadable. */
function procStat(pid: number | 'self'): { state: string; ticks: string } | undefined {
  const fields = procStatFields(pid);
  const ticks = fields?.[19];
  return fields?.[0] && ticks && /^\d+$/.test(ticks) ? { state: fields[0], ticks } : undefined;
}

/**
 * Where this process runs: its boot (the first 16 hex digits of the boot id)
 * and pid namespace. A folder of another place (another host sharing TMPDIR,
 * a container, an earlier boot) names a pid this one cannot probe.
 */
function place(): string {
  return `${bootId().replace(/-/g, '').slice(0, 16)}n${/\[(\d+)\]/.exec(pidNamespace())?.[1] ?? ''}`.toLowerCase();
}

/** The mkdtemp prefix of the pipes' folder of process `pid` (this one): its pid and start name it, for {@link removeLeftoverPipes}. */
export function pipesFolderPrefix(base: string, pid = process.pid, ticks = procStat(pid === process.pid ? 'self' : pid)?.ticks): string {
  return join(base, `${PREFIX}${pid}.${ticks ?? ''}.${place()}-`);
}

/**
 * True when the exec that made folder `name` (or claimed FIFO `name`: pipe-pool.ts) is certainly gone: its pid is
 * dead here, a zombie, or now another process's (a later start). A folder from
 * another place, or of a version that named no exec, counts as gone only
 * once untouched for {@link ABANDONED_AFTER_MS}: a live exec keeps its
 * folder a few milliseconds.
 */
export function makerIsGone(name: string, mtimeMs: number): boolean {
  const named = NAMED.exec(name);
  if (!named) return UNNAMED.test(name) && Date.now() - mtimeMs > ABANDONED_AFTER_MS;
  const [, pidText, ticks, where] = named as unknown as [string, string, string, string];
  if (where !== place()) return Date.now() - mtimeMs > ABANDONED_AFTER_MS;
  const pid = Number(pidText);
  // 0 and 1 tell nothing: kill(0) addresses our own group, pid 1 lives in every namespace.
  if (pid <= 1 || pid > 0x7fffffff) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  // Alive (EPERM too: another user's): the maker only if it started when the maker did, and is not a zombie (killed,
  // not yet reaped). /proc of another pid namespace (one that kept the host's) shows other processes: the pid alone then.
  if (!ticks || !procIsOurs()) return false;
  const now = procStat(pid);
  return now !== undefined && (now.ticks !== ticks || now.state === 'Z');
}

/**
 * Removes `dir` when it is a folder a killed exec left: a real folder (never
 * a symlink: O_NOFOLLOW), of this user, mode 0700, holding only its FIFOs.
 * They are judged and unlinked through the folder as opened (/proc/self/fd),
 * never by its name again: a folder swapped for a symlink meanwhile leads
 * nowhere else. Anything else in it and it is left.
 */
function removeFolder(dir: string, name: string): boolean {
  const fd = openSync(dir, fs.O_RDONLY | fs.O_DIRECTORY | fs.O_NOFOLLOW);
  try {
    const st = fstatSync(fd);
    const uid = process.getuid?.();
    if ((uid !== undefined && st.uid !== uid) || (st.mode & 0o7777) !== 0o700 || !makerIsGone(name, st.mtimeMs)) return false;
    const opened = `/proc/self/fd/${fd}`;
    const inside = readdirSync(opened);
    if (!inside.every((n) => PIPES.has(n) && lstatSync(join(opened, n)).isFIFO())) return false;
    for (const n of inside) unlinkSync(join(opened, n));
  } finally {
    closeSync(fd);
  }
  rmdirSync(dir);
  return true;
}

/**
 * Removes the pipes' folders killed execs left in TMPDIR (a kill -9 in the
 * few milliseconds one exists: nothing else removes them), each only when
 * its exec is certainly gone ({@link makerIsGone}) and it is safe to
 * ({@link removeFolder}). One readdir, off the main thread; never fails
 * (what cannot be removed is left, silently). Returns how many went.
 */
export async function removeLeftoverPipes(base = pipesTmpdir()): Promise<number> {
  if (!base) return 0;
  let removed = 0;
  try {
    const names = await new Promise<string[]>((resolve, reject) => readdir(base, (err, found) => (err ? reject(err) : resolve(found))));
    for (const name of names) {
      if (!name.startsWith(PREFIX)) continue;
      try {
        if (removeFolder(join(base, name), name)) removed++;
      } catch {
        // gone meanwhile (another exec removed it), or not ours to judge: left
      }
    }
  } catch {
    // TMPDIR unreadable: nothing removed, exec unaffected
  }
  return removed;
}

/** Waits for a removal under way, at most {@link WAIT_MS}. */
export async function settled(removal: Promise<unknown> | undefined): Promise<void> {
  if (!removal) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([removal, new Promise((resolve) => (timer = setTimeout(resolve, WAIT_MS)))]);
  clearTimeout(timer);
}
