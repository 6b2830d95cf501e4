import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/children';

/** Runs the env-bytes fixture with `n` variables whose values are Latin-1 (not UTF-8), set by exec as bytes. */
function runWithLatin1Vars(n: number): { altered: number; elements: number } {
  // Node passes an environment only as text; python's execve passes the bytes as they are.
  const script = [
    'import os, sys',
    'env = {b"PATH": os.environb[b"PATH"]}',
    `env.update({b"CPW_T%d" % i: b"caf\\xe9" for i in range(${n})})`,
    'os.execve(sys.argv[1], [sys.argv[1], sys.argv[2]], env)',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, process.execPath, fixture('env-bytes-work')], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { altered: number; elements: number };
}

describe('variables whose bytes are not UTF-8', () => {
  it('5,000 of them are all named, each looked up once (a Set), not searched for among the others', () => {
    const n = 5_000;
    const { altered, elements } = runWithLatin1Vars(n);
    expect(altered).toBe(n);
    // The work, without a clock: searching the suspects' list for each entry of the environment counted n² (25,000,000).
    expect(elements).toBeLessThan(10 * n);
  });
});
