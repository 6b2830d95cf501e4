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

/** clone (Node's fork) and clone3 (glibc's posix_spawn, exec's native spawn: its vfork waits there for the execve). */
const CLONES = process.arch === 'arm64' ? ['220', '435'] : ['56', '435'];

/** `pid` is in a fork (clone, clone3) now. */
function inFork(pid: number): boolean {
  try {
    return CLONES.includes(readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0]!);
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

/**
 * Preload source (for `node --require`) that calls `onStart(file, pid)` as exec starts a child, the instant its start
 * returns, whichever way it starts it: Node's child_process.spawn (mkfifo; a stage under CPW_VAULT_SPAWN=node) or
 * the native addon's spawn (a stage on Linux: shared/node/exec/native-spawn.ts). `onStart` is JavaScript source of a
 * function; `pid` is undefined (Node) or negative (the addon) when the child could not start.
 */
export function childStartHook(onStart: string): string {
  return `
    const onStart = ${onStart};
    const cp = require('node:child_process');
    const spawn = cp.spawn;
    cp.spawn = function (file, ...rest) { const child = spawn.call(this, file, ...rest); onStart(String(file), child.pid); return child; };
    const dlopen = process.dlopen;
    process.dlopen = function (module, path, ...rest) {
      const r = dlopen.call(this, module, path, ...rest);
      if (String(path).endsWith('cpw_spawn.node')) {
        const native = module.exports.spawn;
        module.exports.spawn = (file, ...a) => { const pid = native(file, ...a); onStart(String(file), pid); return pid; };
      }
      return r;
    };`;
}

/**
 * Each way exec can start its stage: the native addon (the default on Linux), and Node's spawn. `hold(n, us)`: strace's
 * injection that holds the stage's start (`us` microseconds, 1.5 s unless said), the n-th child exec starts (mkfifo first, when it runs), while /proc shows
 * exec in a fork ({@link heldInFork}): Node's fork itself (clone: the parent is held there), or, for the addon, the
 * stage's execve (its vfork parent waits in clone3 meanwhile). strace counts per process: every child's execve is its
 * first (mkfifo's is held too, with exec in a read, not a fork: heldInFork waits past it).
 */
export const STAGE_SPAWNS = [
  { how: 'native spawn', env: {}, traced: 'execve', hold: (_n: number, us = 1_500_000) => `inject=execve:delay_enter=${us}:when=1` },
  { how: "Node's spawn", env: { CPW_VAULT_SPAWN: 'node' }, traced: 'clone', hold: (n: number, us = 1_500_000) => `inject=clone:delay_enter=${us}:when=${n}` },
] as const;
