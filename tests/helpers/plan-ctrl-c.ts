import { expect } from 'vitest';
import type { ChildResult } from './children';

/**
 * The JSON lines a Ctrl-C-during-the-plan script prints (one per run: its args, exit code, time, stdout, stderr; then
 * `which`'s exit code), checked: each run ended cancelled (exit 130) within `withinMs`, no plan printed and no keychain
 * timeout, and nothing was stored (`which` exit 3).
 */
export function expectPlanRunsCancelled(r: ChildResult, withinMs: number): void {
  expect(r.code, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const runs = lines.filter((l) => 'args' in l) as { args: string; code: number; ms: number; stdout: string; stderr: string }[];
  expect(runs.map((x) => x.args)).toEqual(['--dry-run', '--yes']);
  for (const run of runs) {
    expect({ args: run.args, code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ args: run.args, code: 130, stdout: '', stderr: expect.stringContaining('cancelled: nothing changed') });
    expect(run.stderr).not.toMatch(/KEYCHAIN_TIMEOUT|Plan for/);
    expect(run.ms, run.args).toBeLessThan(withinMs);
  }
  expect(lines.find((l) => 'which' in l)).toEqual({ which: 3 });
}
