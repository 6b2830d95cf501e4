// Commands that each wait out the same deadline on one silent peer (an unlock agent stopped with kill -STOP, a
// stand-in that answers nothing): run one after another, a test waited 5 s per command. Started in turn instead, each
// once the one before it waits on the peer, their waits overlap and their start-ups do not, so each command's own
// time, measured from its own start, is what it was alone.
import type { ChildProcess } from 'node:child_process';
import { collect, type ChildResult } from './children';
import { connectedOrGone } from './socket-held';

/** A finished command and how long it took from its own start. */
export type TimedResult = ChildResult & { ms: number };

/**
 * Starts each of `starts` (a spawn of one command, its stdin `input` when given) once the one before it has connected
 * to its peer or ended, and resolves with every result in order, each with its own `ms`. The last may be one whose
 * connection cannot be seen (a command under strace): nothing waits for it to connect.
 */
export async function inTurn(starts: Array<{ start: () => ChildProcess; input?: string }>): Promise<TimedResult[]> {
  const running: Array<Promise<TimedResult>> = [];
  for (const [i, { start, input }] of starts.entries()) {
    const started = Date.now();
    const child = start();
    running.push(collect(child, input ?? '').then((r) => ({ ...r, ms: Date.now() - started })));
    if (i === starts.length - 1) break;
    let ended = false;
    void running[i]!.then(() => (ended = true));
    while (!ended && !connectedOrGone(child.pid!)) await new Promise((r) => setTimeout(r, 10));
  }
  return Promise.all(running);
}
