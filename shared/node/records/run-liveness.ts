// Whether a run the history shows as pending or running was cut short: its
// exec, which records the run's end, is gone (a kill -9, a crash, a reboot).
import type { RunRecord } from '../../core/records';
import { procStatFields, readProcFile } from '../builtins';
import { ownerIsGone, ownerPlace, procIsOurs } from '../profile/owner';

/** A run still pending or running whose exec (the process that records its end) is certainly gone. */
export function isInterrupted(run: RunRecord): boolean {
  if (run.status !== 'pending' && run.status !== 'running') return false;
  const owner = run.owner;
  if (owner === undefined) {
    // Recorded by a cpw-vault from before runs named their exec (the first versions' runs.json): its exec is gone
    // for certain only when the machine booted since it started.
    const boot = bootTimeMs();
    return boot !== null && Date.parse(run.started_at) < boot - PID_REUSE_SLACK_MS;
  }
  if (!owner || typeof owner !== 'object' || !Number.isSafeInteger(owner.pid) || owner.pid <= 0 || typeof owner.host !== 'string' || typeof owner.boot !== 'string') return false;
  const startedAt = Date.parse(run.started_at);
  if (ownerIsGone(owner, startedAt, Infinity)) return true;
  // A live pid here is the exec, or a process that got its pid since (pids are recycled, from 32,768 by default):
  // one that started after the run did is not the exec.
  return ownerPlace(owner) === 'here' && startedAfter(owner.pid, startedAt);
}

/**
 * A run still pending or running whose exec is certainly alive: its pid here (this host, boot and pid namespace),
 * alive, and not a process started since the run (a recycled pid). One on another host or in a container cannot be
 * seen, and is not.
 */
export function isLive(run: RunRecord): boolean {
  if (run.status !== 'pending' && run.status !== 'running') return false;
  const owner = run.owner;
  if (!owner || typeof owner !== 'object' || ownerPlace(owner) !== 'here') return false;
  const startedAt = Date.parse(run.started_at);
  return Number.isFinite(startedAt) && !ownerIsGone(owner, startedAt, Infinity) && !startedAfter(owner.pid, startedAt);
}

/** Whether the live process `pid` here started after `startedAt` (so is not the exec that recorded it then). */
function startedAfter(pid: number, startedAt: number): boolean {
  const began = processStartMs(pid);
  return began !== undefined && began > startedAt + PID_REUSE_SLACK_MS;
}

/**
 * Slack for comparing a process's start (from /proc, to ~1 s, moved by a step of the clock since) with a run's
 * recorded start: a live exec is never judged gone unless the clock jumped this far ahead while it ran (and its end,
 * once recorded, still wins).
 */
const PID_REUSE_SLACK_MS = 30_000;

let bootTimeCache: number | null | undefined;

/** When this machine booted (ms since the epoch, to the second), from /proc/stat (Linux); null elsewhere. */
function bootTimeMs(): number | null {
  if (bootTimeCache === undefined) {
    try {
      const seconds = Number(/^btime (\d+)$/m.exec(readProcFile('/proc/stat'))?.[1]);
      bootTimeCache = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null;
    } catch {
      bootTimeCache = null;
    }
  }
  return bootTimeCache;
}

/** When process `pid` started (ms since the epoch, to ~1 s), from /proc (Linux; clock ticks of 10 ms); undefined when unknown. */
function processStartMs(pid: number): number | undefined {
  const boot = bootTimeMs();
  if (boot === null || !procIsOurs()) return undefined; // /proc/<pid> of another pid namespace's /proc is another process
  const ticks = Number(procStatFields(pid)?.[19]);
  return Number.isFinite(ticks) ? boot + ticks * 10 : undefined;
}
