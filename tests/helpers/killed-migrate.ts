import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { hex, startCli } from './cli';
import type { TempHome } from './temp';

/**
 * A `migrate --from .env` of `n` custom keys, killed with kill -9 once its progress shows it writing (a condition,
 * not a delay: its backup and journal are there then). Returns the source, its values, and a check that a text
 * holds none of them.
 */
export async function killedMigrate(t: TempHome, n: number): Promise<{ env: string; values: string[]; noValue: (text: string) => void }> {
  const values = Array.from({ length: n }, () => `sk-${hex(40)}`);
  const env = join(t.cwd, '.env');
  writeFileSync(env, values.map((v, i) => `SVC${i}_API_KEY=${v}`).join('\n') + '\n', { mode: 0o600 });
  const run = startCli(t, ['migrate', '--from', env, '--include-unknown', '--yes']);
  let progress = '';
  await new Promise<void>((resolve) => {
    run.child.stderr!.on('data', (d: Buffer) => {
      progress += d.toString();
      if (progress.includes(`[20/${n}]`)) resolve();
    });
    run.child.on('close', () => resolve());
  });
  run.child.kill('SIGKILL');
  expect((await run.done).signal).toBe('SIGKILL');
  return { env, values, noValue: (text) => expect(values.some((v) => text.includes(v))).toBe(false) };
}
