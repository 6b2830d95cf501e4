// A command stopped by strace exactly where it waits for the profile's lock a second (third...) time, with another
// process holding that lock then: a SIGTERM or Ctrl-C there must cancel at once. strace stops the command once it wrote
// a file under the lock (its rename), then again once it let go of the lock, so the holder takes it exactly there.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { BIN } from './cli';
import { fixture } from './children';
import type { TempHome } from './temp';

/** Polls `check` every 10 ms until it holds (the test's own timeout bounds it). */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

function status(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

/** Whether `pid` is stopped (/proc state T): one started as `bash -c 'kill -STOP $$; exec ...'`, before {@link stopAt}. */
export const isStopped = (pid: number): boolean => /^State:\s+T/m.test(status(pid));

/**
 * Runs strace on `pid` (stopped: State T) until it has stopped it (SIGSTOP) at the `when`-th call of `syscalls` (a regex
 * of names; with `path`, only calls on it); then detaches, leaving it stopped. Returns what strace saw.
 */
export async function stopAt(t: TempHome, pid: number, syscalls: string, when: number, path?: string): Promise<string> {
  const log = join(t.root, `strace-${when}-${Date.now()}.log`);
  const tracer = spawn('strace', ['-qq', '-o', log, '-p', String(pid), ...(path ? ['-P', path] : []), '-e', `trace=${syscalls}`, '-e', `inject=${syscalls}:signal=SIGSTOP:when=${when}`], { stdio: 'ignore' });
  onTestFinished(() => void tracer.kill('SIGKILL'));
  await until(() => /^TracerPid:\s+[1-9]/m.test(status(pid)));
  process.kill(pid, 'SIGCONT');
  // The SIGSTOP strace sends (SI_KERNEL), not the one the process was stopped by when it attached.
  await until(() => existsSync(log) && readFileSync(log, 'utf8').includes('si_code=SI_KERNEL'));
  const detached = new Promise((r) => tracer.on('close', r));
  tracer.kill('SIGTERM');
  await detached;
  return readFileSync(log, 'utf8');
}

/** How {@link waitingAfterWrite} runs the command. */
export interface WaitingOptions {
  /** Its environment (HOME and the keychain service of `t` by default). */
  env?: NodeJS.ProcessEnv;
  /** Its stdin (none by default). */
  input?: string;
}

/**
 * `cpw-vault ARGS`, stopped by strace right after it lets go of the profile's lock following its `when`-th rename (of
 * any file), which must be onto `written` (the file it wrote under the lock); then another process (lock-holder)
 * holds the lock and the command goes on. Resolves once the command says it waits for that holder (or ended).
 */
export async function waitingAfterWrite(t: TempHome, args: string[], written: string, when: number, options: WaitingOptions = {}) {
  const env = options.env ?? { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
  const cmd = spawn('bash', ['-c', 'kill -STOP $$; exec "$@"', 'bash', process.execPath, BIN, ...args], { cwd: t.cwd, env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
  cmd.stdin?.end(options.input);
  let stderr = '';
  cmd.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => cmd.on('close', (code, signal) => resolve({ code, signal })));
  const pid = cmd.pid!;
  onTestFinished(() => void cmd.kill('SIGKILL'));
  await until(() => isStopped(pid));
  // By count: strace's -P did not see a rename onto a file that was not there yet. The last one must be onto `written`.
  const renames = (await stopAt(t, pid, '/^rename', when)).split('\n').filter((l) => l.startsWith('rename'));
  expect(renames.at(-1), 'the write the command was stopped after').toContain(`${written}")`);
  const lock = `${t.profile}.lock`;
  await stopAt(t, pid, '/^unlink', 1, lock);
  expect(existsSync(lock), 'the command let go of the lock').toBe(false);
  const holder = spawn(process.execPath, [fixture('lock-holder'), t.profile], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => void holder.kill('SIGKILL'));
  await new Promise((held) => holder.stdout!.once('data', held));
  process.kill(pid, 'SIGCONT');
  await until(() => stderr.includes('waiting for') || cmd.exitCode !== null);
  return { ended, stderr: () => stderr, kill: (signal: NodeJS.Signals) => process.kill(pid, signal), holder };
}
