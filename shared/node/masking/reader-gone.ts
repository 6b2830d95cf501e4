import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

/** SIGPIPE's bit in /proc's signal masks (signal 13: bit 12). */
const SIGPIPE_BIT = 1n << 12n;

/**
 * True when process `pid` ignores, catches or blocks SIGPIPE (Python ignores
 * it: a write to a closed pipe is its BrokenPipeError); false when SIGPIPE
 * would kill it; undefined when that cannot be read (reaped, no /proc).
 * A zombie keeps its ignored and blocked signals there, not its handlers.
 */
function handlesSigpipe(pid: number | undefined): boolean | undefined {
  if (pid === undefined) return undefined;
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const masks = [...status.matchAll(/^Sig(?:Blk|Ign|Cgt):\s*([0-9a-f]+)$/gm)].map((m) => BigInt(`0x${m[1]}`));
  return masks.length ? masks.some((m) => (m & SIGPIPE_BIT) !== 0n) : undefined;
}

/** How a stage ended: its exit code, or the signal that killed it. */
export interface StageEnd {
  code: number;
  signal: NodeJS.Signals | null;
}

/**
 * The SIGPIPE a stage whose output exec masks gets when the reader of exec's
 * output goes away (`| head -1`): what a direct pipe would have given it.
 * `gone` sends it (the callback of pipeMasked); `end` says how the stage
 * ended, for exec to report.
 *
 * The stage writes into exec's pipe, which holds 64 KiB and is read at once,
 * so a burst written after the reader left (or the last lines before an
 * exit) can all be taken before exec learns, by its own failed write, that
 * the reader is gone: the stage may have exited by then, and a signal cannot
 * reach it. A direct pipe would have killed it at that write, before its
 * exit: a stage that did not get the SIGPIPE sent ended as if killed by it
 * (141, exec dies of SIGPIPE). Not one that ignores, catches or blocks
 * SIGPIPE (its exit is its own answer to the EPIPE), nor, when exec could no
 * longer tell (the stage was reaped first), one that failed (exit 1 says more).
 */
export function sigpipeOnReaderGone(child: ChildProcess): { gone: () => void; end: (ended: StageEnd) => StageEnd } {
  let gone = false;
  let handles: boolean | undefined;
  return {
    gone: () => {
      if (gone) return;
      gone = true;
      // Read before the signal: caught, it changes nothing here; and once reaped, the process is no longer there.
      if (child.exitCode === null && child.signalCode === null) handles = handlesSigpipe(child.pid);
      child.kill('SIGPIPE');
    },
    end: (ended) => {
      const killed = gone && ended.signal === null && (handles === false || (handles === undefined && ended.code === 0));
      return killed ? { code: 128 + constants.signals.SIGPIPE, signal: 'SIGPIPE' } : ended;
    },
  };
}
