import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
import { fixture } from './children';

/** A loop fixture's process, started and loaded, its request not yet sent. */
interface Waiting {
  child: ChildProcess;
  /** The lines it printed: "ready", then one per round, ending in the round's milliseconds. */
  lines: string[];
  exited: Promise<NodeJS.Signals | null>;
  hasExited: () => boolean;
  stderr: () => string;
  /** Resolves at its next line or its exit. */
  next: () => Promise<void>;
}

function startWaiting(name: string, env: NodeJS.ProcessEnv, onRound: (ms: number) => void): Waiting {
  const child = spawn(process.execPath, [fixture(name)], { stdio: ['pipe', 'pipe', 'pipe'], env });
  // One that died before its request: its exit and stderr say so, not an EPIPE.
  child.stdin!.on('error', () => {});
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: string[] = [];
  let wake = () => {};
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const ms = /(\d+)$/.exec(line)?.[1];
    if (ms) onRound(Number(ms));
    lines.push(line);
    wake();
  });
  let gone = false;
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, s) => ((gone = true), r(s), wake())));
  return { child, lines, exited, hasExited: () => gone, stderr: () => stderr, next: () => new Promise<void>((r) => (wake = r)) };
}

/**
 * SIGKILLs a loop fixture (backend-loop, passphrase-loop, team-loop: it reads its request from stdin to the end,
 * prints "ready", then a line per round ending in that round's milliseconds) at a random instant of its first or
 * second round, as the kill tests do hundreds of times. The next kill's process is started one kill ahead: node and
 * the fixture's bundle load (about half a second of a loaded machine, most of each kill) while this kill's round
 * and the test's checks run. It touches nothing until its request comes: its stdin stays open until then.
 */
export class LoopKiller {
  private spare: Waiting;

  /** `roundMs`: a first guess at one round's duration; then learnt from the loops' own reports. */
  constructor(
    private readonly name: string,
    public roundMs: number,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.spare = this.start();
  }

  private start(): Waiting {
    return startWaiting(this.name, this.env, (ms) => (this.roundMs = 0.8 * this.roundMs + 0.2 * ms));
  }

  /** Sends `request`, lets 0 or 1 round complete, then SIGKILLs the loop at a random instant of the next one. */
  async killMidRound(request: unknown): Promise<void> {
    const run = this.spare;
    this.spare = this.start();
    run.child.stdin!.end(JSON.stringify(request));
    const completions = Math.floor(Math.random() * 2);
    // "ready" is the first line: the round to kill starts once `completions` more are printed.
    while (run.lines.length <= completions) {
      if (run.hasExited()) throw new Error(`the ${this.name} loop exited: ${run.stderr()}`);
      await run.next();
    }
    await new Promise((r) => setTimeout(r, Math.random() * this.roundMs));
    run.child.kill('SIGKILL');
    expect(await run.exited).toBe('SIGKILL');
  }

  /** Ends the process started for a next kill. */
  close(): void {
    this.spare.child.kill('SIGKILL');
  }
}
