import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openSecretStore } from '../../shared/node/secrets/open-secret-store';
import { collect, type ChildResult } from './children';
import type { TempHome } from './temp';

/** The installed launcher, as a user runs it. */
export const BIN = resolve(import.meta.dirname, '../../bin/cpw-vault.cjs');

/** Runs `cpw-vault ...args` with HOME (and cwd) of `home`, stdin from `input`, on the throwaway keyring. */
export function cli(home: TempHome, args: string[], options: { input?: string; env?: Record<string, string | undefined> } = {}): Promise<ChildResult> {
  const env: Record<string, string | undefined> = { ...process.env, HOME: home.home, CPW_KEYCHAIN_SERVICE: home.service, ...options.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: home.cwd, env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  return collect(child, options.input ?? '');
}

/**
 * Starts `cpw-vault ...args` like {@link cli}, feeding `input`, and returns the child at once (to kill it at a chosen
 * instant) with `done`: how it ended and its stderr.
 */
export function startCli(home: TempHome, args: string[], input = '') {
  const env = { ...process.env, HOME: home.home, CPW_KEYCHAIN_SERVICE: home.service };
  const child = spawn(process.execPath, [BIN, ...args], { cwd: home.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(input);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, done };
}

/** Every value the keychain holds in `home`'s test namespace (stash copies included), read directly. */
export async function keychainValues(home: TempHome): Promise<Record<string, string>> {
  const s = openSecretStore({ backend: 'keychain', namespace: home.service, env: process.env, timeoutMs: 10_000, profilePath: home.profile });
  const out: Record<string, string> = {};
  for (const account of await s.list()) out[account] = (await s.get(account))!;
  s.close();
  return out;
}

/** `n` random lowercase hex digits (test values). */
export const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');

/** Most memory (resident, MiB) a command reading an endless stdin may reach before {@link cliFromEndlessPipe} stops it. */
const ENDLESS_STDIN_RSS_MIB = 300;
/** Most of an endless stdin a command may read (bounded memory, but never ending) before it is stopped. */
const ENDLESS_STDIN_READ_GIB = 2;

/** A number field of a /proc file of `pid` (`VmRSS` of status, kB; `rchar` of io, bytes), 0 once it is gone. */
function procField(pid: number | undefined, file: string, field: string): number {
  try {
    return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // exited between two looks
  }
}

/**
 * Runs `cpw-vault ...args` (or another of the bundles, `script`) as `cat /dev/zero | cpw-vault ...args` would: stdin a
 * pipe that never ends. A command that
 * reads it without a bound grows without end (~270 MB a second), one that drops what it reads never ends: it is killed
 * once past {@link ENDLESS_STDIN_RSS_MIB} MiB or {@link ENDLESS_STDIN_READ_GIB} GiB read, and `stopped` says which
 * (conditions, not a timeout: the machine's other work is never starved waiting for one).
 */
export async function cliFromEndlessPipe(home: TempHome, args: string[], script = BIN): Promise<ChildResult & { stopped?: string }> {
  const zeros = spawn('cat', ['/dev/zero'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const env = { ...process.env, HOME: home.home, CPW_KEYCHAIN_SERVICE: home.service };
  const child = spawn(process.execPath, [script, ...args], { cwd: home.cwd, env, stdio: [zeros.stdout, 'pipe', 'pipe'] });
  let stopped: string | undefined;
  const watch = setInterval(() => {
    const mib = procField(child.pid, 'status', 'VmRSS') / 1024;
    const gib = procField(child.pid, 'io', 'rchar') / 1024 ** 3;
    if (mib > ENDLESS_STDIN_RSS_MIB) stopped = `grown to ${Math.round(mib)} MiB`;
    else if (gib > ENDLESS_STDIN_READ_GIB) stopped = `still reading after ${gib.toFixed(1)} GiB`;
    if (stopped) child.kill('SIGKILL');
  }, 50);
  try {
    return { ...(await collect(child)), ...(stopped !== undefined ? { stopped } : {}) };
  } finally {
    clearInterval(watch);
    zeros.kill();
  }
}
