// What the tests of list's kept table (shared/cli/list-cache.ts) share: where it lives, a cli call that must
// succeed, waiting until a kept table is used (past the racy margin), and what list prints without one.
import { existsSync, lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { RACY_MS } from '../../shared/cli/list-cache';
import { cli } from './cli';
import type { TempHome } from './temp';

export const dirOf = (t: TempHome) => join(t.home, '.cp-whisperx');
export const cachePath = (t: TempHome) => join(dirOf(t), 'profile.listing');

/** `cpw-vault args` (stdin `input`), which must exit 0. */
export async function ok(t: TempHome, args: string[], input?: string) {
  const r = await cli(t, args, input === undefined ? {} : { input });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

/** Waits until each of `files` is older than the racy margin (its newest time). */
export async function olderThanRacy(files: string[]): Promise<void> {
  const newest = () => Math.max(...files.map((f) => (existsSync(f) ? Math.max(lstatSync(f).mtimeMs, lstatSync(f).ctimeMs) : 0)));
  while (Date.now() - newest() <= RACY_MS + 100) await new Promise((r) => setTimeout(r, 100));
}

/** Waits until every file list's rows come from is older than the racy margin (a cache made then is used). */
export const quiet = (t: TempHome) => olderThanRacy(['user.profile', 'profile.changes', 'usage', 'journal'].map((f) => join(dirOf(t), f)));

/** What list prints without a cache (made again, then removed; the one there put back). */
export async function fresh(t: TempHome, env: Record<string, string | undefined> = {}): Promise<string> {
  const kept = existsSync(cachePath(t)) ? readFileSync(cachePath(t)) : undefined;
  rmSync(cachePath(t), { force: true });
  const r = await cli(t, ['list'], { env });
  if (kept) writeFileSync(cachePath(t), kept, { mode: 0o600 });
  return r.stdout;
}
