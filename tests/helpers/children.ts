import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';

/** Path of a bundled fixture (tests/fixtures/<name>.child.ts). */
export function fixture(name: string): string {
  return join(inject('fixturesDir'), `${name}.child.mjs`);
}

/** Result of a finished child process. */
export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns `node <fixture> ...args` and resolves when it exits. */
export function runFixture(name: string, args: string[], options: SpawnOptions = {}): Promise<ChildResult> {
  return collect(spawn(process.execPath, [fixture(name), ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options }));
}

/** Collects a child's output and exit status. */
export function collect(child: ChildProcess, input?: string): Promise<ChildResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // A child that exits before reading its input (the case under test, or a crash) closes the pipe: EPIPE then is
  // not the test's failure, the child's exit status and output say what happened.
  child.stdin?.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  if (input !== undefined) child.stdin?.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
