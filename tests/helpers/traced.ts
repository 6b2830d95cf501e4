// The cpw-vault process a test runs under strace (fault injection holds its syscalls), found and watched through /proc.
import { readFileSync } from 'node:fs';
import { BIN } from './cli';

/** The pids of `pid`'s children ([] once it is gone). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Argument `n` of `pid`'s command line, or undefined. */
function argOf(pid: number, n: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[n];
  } catch {
    return undefined;
  }
}

/**
 * The cpw-vault process strace `pid` runs, or 0: by its arguments (node, then the launcher), never by the launcher's
 * name alone, which strace's own command line holds too, as do the children strace forks to probe the kernel.
 */
export function tracedCli(pid: number): number {
  return childrenOf(pid).find((c) => argOf(c, 1) === BIN) ?? 0;
}

/** The cpw-vault process under the strace that the shell `pid` runs; 0 if none yet. */
export function tracedCliUnderShell(pid: number): number {
  const strace = childrenOf(pid).find((c) => argOf(c, 0) === 'strace') ?? 0;
  return strace ? tracedCli(strace) : 0;
}

const CLONE = process.arch === 'arm64' ? '220' : '56';

/** `pid` is in a fork (clone) now. */
function inFork(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0] === CLONE;
  } catch {
    return false;
  }
}

/**
 * Waits (polling, no fixed sleep) until the process `find()` names is in a fork at two looks 10 ms apart: the one
 * strace holds (another fork takes a millisecond). Returns its pid; stops early, returning what it has, once
 * `exited()` or after 60 s (the caller asserts).
 */
export async function heldInFork(find: () => number, exited: () => boolean): Promise<number> {
  let pid = 0;
  let wasInFork = false;
  for (const end = Date.now() + 60_000; !exited() && Date.now() < end; await new Promise((r) => setTimeout(r, 10))) {
    pid ||= find();
    const now = pid > 0 && inFork(pid);
    if (now && wasInFork) break;
    wasInFork = now;
  }
  return pid;
}

/** {@link tracedCli}, which must be there: a test about to signal it (pid 0 would signal the test's own group). */
export function theTracedCli(pid: number): number {
  const found = tracedCli(pid);
  if (!found) throw new Error('no cpw-vault process under strace');
  return found;
}
