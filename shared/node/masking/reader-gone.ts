import type { StageProcess } from '../exec/native-spawn';
import { readdirSync, readFileSync } from 'node:fs';
import { nodeOs, procStatFields } from '../builtins';

/** SIGPIPE's bit in /proc's signal masks (signal 13: bit 12). */
const SIGPIPE_BIT = 1n << 12n;

/** What /proc says of process `pid` (undefined when it cannot be read: reaped, no /proc). */
interface ProcSigpipe {
  /** It ignores, catches or blocks SIGPIPE (Python ignores it: a write to a closed pipe is its BrokenPipeError). */
  handles: boolean | undefined;
  /** It has exited (a zombie not yet reaped). A zombie keeps its ignored and blocked signals there, not its handlers. */
  exited: boolean;
}

function procSigpipe(pid: number | undefined): ProcSigpipe | undefined {
  if (pid === undefined) return undefined;
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const masks = [...status.matchAll(/^Sig(?:Blk|Ign|Cgt):\s*([0-9a-f]+)$/gm)].map((m) => BigInt(`0x${m[1]}`));
  return { handles: masks.length ? masks.some((m) => (m & SIGPIPE_BIT) !== 0n) : undefined, exited: /^State:\s*[ZX]/m.test(status) };
}

/**
 * Whether process `pid` has no child: then it alone holds the stage's end of
 * the stream (a wrapper's child may have written instead). Found by each
 * process's parent in /proc (this kernel may lack /proc's `children` lists);
 * false where /proc cannot be listed. Read only when a reader goes away.
 */
function childless(pid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return false;
  }
  const parent = String(pid);
  return !entries.some((entry) => /^[0-9]+$/.test(entry) && procStatFields(Number(entry))?.[1] === parent);
}

/** How a stage ended: its exit code, or the signal that killed it. */
export interface StageEnd {
  code: number;
  signal: NodeJS.Signals | null;
}

/**
 * The SIGPIPE a stage whose output exec masks gets when the reader of exec's
 * output goes away (`| head -1`): what a direct pipe would have given it.
 * `gone` is pipeMasked's callback; `end` says how the stage ended, for exec
 * to report.
 *
 * With exec's own real pipes (`realPipes`: FIFOs), pipeMasked closes exec's
 * read end, the only one: whichever process of the stage writes next gets
 * the broken pipe itself, as with a direct pipe. No signal is sent: a
 * wrapper (`sh -c 'seq 100000; mv out done'`) whose child wrote is not what
 * a direct pipe kills, and it was (its cleanup never ran). Node's own pipes
 * are sockets, whose closed end gives the writer ECONNRESET, not SIGPIPE:
 * there the stage is sent SIGPIPE, as before.
 *
 * The pipe holds 64 KiB and exec reads it at once, so a burst written after
 * the reader left can all be taken, and the stage exit, before exec learns,
 * by its own failed write, that the reader is gone. A direct pipe would have
 * killed it at that write: a stage that had exited by then, normally, ends
 * as if killed by SIGPIPE (141, exec dies of SIGPIPE). So does one still
 * running with no child (it alone wrote that burst) that then exits without
 * writing again (its last write was taken, and it was on its way out: `head
 * -c 1000 /dev/zero` can be caught between its write and its exit). Not
 * one that ignores, catches or blocks SIGPIPE (its exit is its own answer to
 * the EPIPE), nor, when exec could no longer tell (reaped first), one that
 * failed (exit 1 says more). A stage with children running then keeps its
 * own ending: a wrapper's child may have written, and a direct pipe would
 * have killed only that child.
 */
export function sigpipeOnReaderGone(child: StageProcess, realPipes: boolean): { gone: () => void; end: (ended: StageEnd) => StageEnd } {
  let gone = false;
  // What /proc said when the reader went: the stage had exited by then (and whether SIGPIPE would have killed it).
  let before: { handles: boolean | undefined } | undefined;
  return {
    gone: () => {
      if (gone) return;
      gone = true;
      const reaped = child.exitCode !== null || child.signalCode !== null;
      const proc = reaped ? undefined : procSigpipe(child.pid);
      if (reaped || !proc || proc.exited || (child.pid !== undefined && childless(child.pid))) before = { handles: proc?.handles };
      if (!realPipes) child.kill('SIGPIPE');
    },
    end: (ended) => {
      const killed = !!before && ended.signal === null && (before.handles === false || (before.handles === undefined && ended.code === 0));
      return killed ? { code: 128 + nodeOs().constants.signals.SIGPIPE, signal: 'SIGPIPE' } : ended;
    },
  };
}
