import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
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
