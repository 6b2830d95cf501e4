// exec's stage started by posix_spawn (native/spawn), where Node's spawn forks this whole process: on a 2-core
// machine that fork and Node's child set-up cost a `cpw-vault exec -- true` ~20 ms of its ~120, posix_spawn ~1 ms.
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { nodeOs } from '../builtins';
import { nativeAddon, type NativeAddon } from '../native-addon';

/** What exec uses of a started stage: Node's ChildProcess has it, and so has {@link NativeChild}. */
export interface StageProcess {
  readonly pid?: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  /** Node's pipes, when exec asked for them (the addon never gives any). */
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  kill(signal?: NodeJS.Signals | number): boolean;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
}

/** `CPW_VAULT_SPAWN=node`: Node's own spawn, as before the addon (a system where it misbehaves; the tests of both). */
const SPAWN_SWITCH = 'CPW_VAULT_SPAWN';

/** The addon (shared/node/native-addon.ts) when built and not switched off; undefined otherwise (exec then uses Node's spawn). */
export function execAddon(env: NodeJS.ProcessEnv): NativeAddon | undefined {
  return env[SPAWN_SWITCH] === 'node' ? undefined : nativeAddon();
}

/** True when {@link spawnNative} starts stages with the addon here (the tests ask: a build that failed fails them). */
export function nativeSpawnAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  return execAddon(env) !== undefined;
}

/**
 * A real pipe's [read end, write end] (both close-on-exec) by the addon, for a masked stream; undefined where exec
 * starts its stages with Node's spawn (no addon, or switched off) or the pipe could not be made.
 */
export function nativePipe(): [number, number] | undefined {
  const made = execAddon(process.env)?.pipe?.();
  return Array.isArray(made) ? made : undefined;
}

/** The name of signal number `n` (SIGTERM for 15). */
function signalName(n: number): NodeJS.Signals | null {
  const found = Object.entries(nodeOs().constants.signals).find(([, number]) => number === n);
  return (found?.[0] as NodeJS.Signals | undefined) ?? null;
}

/**
 * A stage started by the addon, as Node's ChildProcess shows one: `pid`, `exitCode` / `signalCode` once it ended,
 * `kill`, and its 'exit' (code, signal) or 'error' (it could not be started: `code` ENOENT, EACCES...). Its streams
 * are file descriptors exec gave it, so `stdout` and `stderr` are null.
 */
export class NativeChild extends EventEmitter {
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stdout = null;
  readonly stderr = null;
  /** Reaped: its pid may be another process's now, never to be signalled. */
  private reaped = false;

  constructor(native: NativeAddon, file: string, args: readonly string[], env: readonly string[], fds: readonly [number, number, number]) {
    super();
    const result = native.spawn(file, [file, ...args], env, fds, () => this.exited(native));
    if (result > 0) {
      this.pid = result;
      return;
    }
    const code = process.getBuiltinModule('node:util').getSystemErrorName(result);
    // Node's words for a child that could not start: `spawn <file> ENOENT`, with its code, errno, syscall and path.
    const err = Object.assign(new Error(`spawn ${file} ${code}`), { errno: result, code, syscall: `spawn ${file}`, path: file, spawnargs: [...args] });
    process.nextTick(() => this.emit('error', err));
  }

  private exited(native: NativeAddon): void {
    if (this.pid === undefined || this.reaped) return;
    let status: number;
    try {
      status = native.reap(this.pid);
    } catch {
      // Reaped by someone else (nothing in Node does): gone, its status unknown; a failure, never a success.
      status = 1;
    }
    this.reaped = true;
    // A signal Node has no name for (a real-time one, SIGRTMIN+6): 128 + its number, as a shell says (exit 128 said
    // only that some signal ended it).
    const signal = status < 0 ? signalName(-status) : null;
    if (signal) this.signalCode = signal;
    else this.exitCode = status < 0 ? 128 - status : status;
    this.emit('exit', this.exitCode, this.signalCode);
  }

  /** As ChildProcess.kill: false once the stage has ended (its pid is not ours to signal any more) or the signal fails. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (this.pid === undefined || this.reaped) return false;
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Starts `file` with `args`, environment `env` and fds 0-2 `fds` (each its own number, inherited, or a pipe's above 2)
 * by the addon. Undefined where exec is to use Node's spawn: no addon, an empty program name or a NUL in a string
 * (Node refuses those with its own error; the addon would cut a NUL's string short).
 */
export function spawnNative(file: string, args: readonly string[], env: Readonly<Record<string, string>>, fds: readonly [number, number, number]): StageProcess | undefined {
  const native = execAddon(process.env);
  if (!native) return undefined;
  // As Node builds it: every own key whose value is defined, `NAME=value`.
  const pairs: string[] = [];
  for (const key of Object.keys(env)) {
    const value = env[key];
    if (value !== undefined) pairs.push(`${key}=${value}`);
  }
  if (!file || [file, ...args, ...pairs].some((s) => s.includes('\0'))) return undefined;
  return new NativeChild(native, file, args, pairs, fds);
}
