import { spawn } from 'node:child_process';
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
