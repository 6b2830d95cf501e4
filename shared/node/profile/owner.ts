import { readlinkSync } from 'node:fs';
import { nodeOs, procStatFields, readProcFile } from '../builtins';
import type { TxOwner } from '../../core/journal';
import { shownText } from '../../core/control-chars';

let bootIdCache: string | undefined;
let pidNamespaceCache: string | undefined;

/** This machine's boot id (Linux), '' elsewhere: a pid recorded under another boot is not a live process. */
/**
 * This host's name, as gethostname(2) gives it: from /proc (the kernel's own copy for this UTS namespace) on Linux,
 * where loading node:os for it cost each `exec` ~0.3 ms (its run's record and its history's lock name the host); from
 * node:os elsewhere. Read each time, never cached: a host renamed while the app runs is seen.
 */
function hostName(): string {
  try {
    // Its bytes as UTF-8, as node:os decodes them (readProcFile gives them as latin1).
    const name = Buffer.from(readProcFile('/proc/sys/kernel/hostname'), 'latin1').toString('utf8').replace(/\n$/, '');
    if (name) return name;
  } catch {
    // no /proc here
  }
  return nodeOs().hostname();
}

export function bootId(): string {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = readProcFile('/proc/sys/kernel/random/boot_id').trim();
    } catch {
      bootIdCache = '';
    }
  }
  return bootIdCache;
}

/**
 * This process's pid namespace (Linux: "pid:[4026531836]"), '' where it
 * cannot be told. A container with a pid namespace of its own shares the
 * host's boot id (one kernel) and often its home folder and host name
 * (`--network host`), yet its pid 40 is not the host's pid 40.
 */
export function pidNamespace(): string {
  if (pidNamespaceCache === undefined) {
    try {
      pidNamespaceCache = readlinkSync('/proc/self/ns/pid');
    } catch {
      pidNamespaceCache = '';
    }
  }
  return pidNamespaceCache;
}

let procIsOursCache: boolean | undefined;

/**
 * True when /proc shows this process's own pid namespace: /proc/self is our
 * pid. A pid namespace that kept the host's /proc (`unshare --pid --fork`
 * without --mount-proc, a sandbox that does not mount its own) sees the
 * host's processes there: its pid 40 is /proc/<something else>, and
 * /proc/40 is another process of the host.
 */
export function procIsOurs(): boolean {
  if (procIsOursCache === undefined) {
    try {
      procIsOursCache = readlinkSync('/proc/self') === String(process.pid);
    } catch {
      procIsOursCache = false;
    }
  }
  return procIsOursCache;
}

/** This process, as a lock file, a journal transaction or a run records it. */
export function currentOwner(): TxOwner {
  const pidns = pidNamespace();
  return { pid: process.pid, host: hostName(), boot: bootId(), ...(pidns ? { pidns } : {}) };
}

/**
 * Where a recorded process is, seen from this one:
 * - `here`: same host, boot and pid namespace; its pid can be probed;
 * - `earlier-boot`: this host before its last boot; certainly gone;
 * - `unseen`: another host (a home shared over NFS), or another pid
 *   namespace on this one (a container): only its signs of life tell.
 * A record that names no pid namespace (an older version) is judged by host
 * and boot, as it was; one whose namespace differs from ours never is.
 * A record that cannot be read as an owner (a field of another type, a hand-
 * edited or damaged file) is unseen too, and so is a pid whose probe tells
 * nothing: 0 and negative pids address process groups (kill(0) and kill(-1)
 * always "succeed"), a fraction or a number past 2^31 is refused by kill, and
 * pid 1 is alive in every namespace (an older cpw-vault that ran as a
 * container's first process recorded pid 1 and no namespace: probed here it
 * was init, alive for ever, and its lock was never taken over).
 */
export function ownerPlace(owner: TxOwner): 'here' | 'earlier-boot' | 'unseen' {
  const place = placeOf(owner);
  return place === 'here' && !(owner.pid > 1 && owner.pid <= 0x7fffffff) ? 'unseen' : place;
}

function placeOf(owner: TxOwner): 'here' | 'earlier-boot' | 'unseen' {
  const o = owner as { pid?: unknown; host?: unknown; boot?: unknown; pidns?: unknown };
  if (!Number.isSafeInteger(o.pid) || typeof o.host !== 'string' || typeof o.boot !== 'string') return 'unseen';
  if (o.host !== hostName()) return 'unseen';
  if (o.boot && bootId() && o.boot !== bootId()) return 'earlier-boot';
  if (o.pidns === undefined) return 'here';
  return typeof o.pidns === 'string' && o.pidns === pidNamespace() ? 'here' : 'unseen';
}

/** How long a journal transaction (or a backend switch) whose owner cannot be seen is left before it counts as abandoned. */
export const ABANDONED_AFTER_MS = 3_600_000;

/** Where a recorded owner runs, for a message: here, on another host (its name shown clipped), in another pid namespace, or cannot be told. */
export type OwnerLocation = { kind: 'here' } | { kind: 'host'; host: string } | { kind: 'container' } | { kind: 'unknown' };

/**
 * Where a recorded owner is, for a message. Its fields come from a file
 * another version, a container or a hand edit wrote: a host name is shown
 * clipped and without control characters.
 */
export function ownerLocation(owner: TxOwner): OwnerLocation {
  if (ownerPlace(owner) === 'here') return { kind: 'here' };
  const { host, pidns } = owner as { host?: unknown; pidns?: unknown };
  if (typeof host === 'string' && host !== hostName()) return { kind: 'host', host: shown(host) };
  if (pidns !== undefined && pidns !== pidNamespace()) return { kind: 'container' };
  return { kind: 'unknown' };
}

/** {@link ownerLocation} as words: '' here (or untold), " on HOST", " in another pid namespace (a container)". */
export function ownerWhere(owner: TxOwner): string {
  const at = ownerLocation(owner);
  return at.kind === 'host' ? ` on ${at.host}` : at.kind === 'container' ? ' in another pid namespace (a container)' : '';
}

/** A recorded owner for a message: "process 40", "process 1 in another pid namespace (a container)", "process 7 on HOST". */
export function ownerName(owner: TxOwner): string {
  return `process ${shown(owner.pid)}${ownerWhere(owner)}`;
}

/** A field of an owner record as a message shows it: no control character, at most 64 characters. */
export function shown(value: unknown): string {
  const text = typeof value === 'string' || typeof value === 'number' ? String(value) : '?';
  return shownText(text, 64);
}

/** True when `owner` names this very process (pid 1 in a container included). */
export function isCurrentProcess(owner: TxOwner): boolean {
  return owner.pid === process.pid && placeOf(owner) === 'here';
}

/**
 * True when the recorded process is certainly gone: a dead pid on this host,
 * boot and pid namespace (a zombie included), or any pid of an earlier boot.
 * A process that cannot be seen from here (another host, another pid
 * namespace) counts as gone only when `lastSignOfLifeMs` is older than `staleMs`.
 */
export function ownerIsGone(owner: TxOwner, lastSignOfLifeMs: number, staleMs = 10_000, now = Date.now()): boolean {
  const place = ownerPlace(owner);
  // A record without a readable time (a damaged or planted started_at) shows no sign of life at all: gone, not kept for ever.
  if (place === 'unseen') return !Number.isFinite(lastSignOfLifeMs) || now - lastSignOfLifeMs > staleMs;
  if (place === 'earlier-boot') return true;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  return isZombie(owner.pid); // else alive (EPERM also means alive: someone else's process)
}

/**
 * Whether `pid` has ended but is not yet reaped (Linux: state Z, or X while being reaped): it still answers
 * kill(pid, 0), yet runs no code and holds nothing. A cpw-vault killed by `kill -9` whose parent never waits (a
 * pipeline's subprocess.Popen) stays so until that parent exits, and its lock was waited on for the full 30 s, then
 * PROFILE_LOCKED. The pid is still its own (not reused while a zombie), so boot and pid namespace checks stand. Only
 * where /proc is this pid namespace's (elsewhere /proc/<pid> is another process); false where /proc cannot tell.
 * Its thread count must be 1 too: the state is its first thread's, Z as soon as that one has ended while others still
 * run (one left to end alone, or, as a kill -9 lands, those finishing the write or rename they are in), and a holder
 * taken over then made two writers at once.
 */
function isZombie(pid: number): boolean {
  if (!procIsOurs()) return false;
  const fields = procStatFields(pid); // from the state: num_threads is the 18th
  return (fields?.[0] === 'Z' || fields?.[0] === 'X') && fields[17] === '1';
}
