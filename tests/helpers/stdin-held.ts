import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { onTestFinished } from 'vitest';
import { BIN } from './cli';
import { collect } from './children';
import { until } from './lock-stop';

/** The number of read(2) in /proc/PID/task/TID/syscall. */
const READ_SYSCALL = process.arch === 'arm64' ? '63' : '0';

/**
 * Whether `pid` waits for its stdin: through its event loop (descriptor 0 in one of its epoll sets), or in a thread
 * blocked in read(0, ...) (a thread pool's read, which holds a Ctrl-C).
 */
export function waitsOnStdin(pid: number): boolean {
  try {
    const polled = readdirSync(`/proc/${pid}/fd`).some((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:[eventpoll]' && /^tfd:\s+0 /m.test(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8')));
    return polled || readdirSync(`/proc/${pid}/task`).some((tid) => readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').startsWith(`${READ_SYSCALL} 0x0 `));
  } catch {
    return false; // gone between two looks
  }
}

/**
 * `cpw-vault ARGS`, stdin a pipe this test holds open (its writer never ends unless told; `written` is written to it
 * first), with `done` once it ended and `waiting` once it waits for that stdin or has ended (without waiting).
 */
export function withStdinHeld(cwd: string, env: NodeJS.ProcessEnv, args: string[], written = '') {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.on('error', () => {}); // the command may stop reading it once cancelled
  if (written) child.stdin!.write(written);
  onTestFinished(() => void (child.kill('SIGKILL'), child.stdin!.destroy()));
  let ended = false;
  const done = collect(child).finally(() => (ended = true));
  const waiting = until(() => ended || waitsOnStdin(child.pid!));
  return { child, done, waiting };
}
