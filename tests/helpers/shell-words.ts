// Fix lines name paths as shell words a user pastes into whatever shell they have: bash, dash (Debian's sh, what
// `sh -c` runs) or zsh (macOS's). A test reads a printed word back through each, rather than matching its quoting.
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

/** The shells a printed word must read the same in. */
export const SHELLS = ['dash', 'bash', 'zsh'] as const;

/** What each of SHELLS makes of `words` (as printed on a line), each argument's bytes as UTF-8 text; nothing else run. */
export function readBack(words: string): string[][] {
  return SHELLS.map((sh) => {
    const r = spawnSync(sh, ['-c', `printf '%s\\0' ${words}`], { encoding: 'buffer', cwd: '/' });
    expect(r.status, `${sh}: ${r.stderr.toString()}`).toBe(0);
    return r.stdout.subarray(0, -1).toString('utf8').split('\0');
  });
}

/** Asserts that each of SHELLS reads `word` as the one argument `path`. */
export function expectReadAs(word: string, path: string): void {
  expect(readBack(word), word).toEqual(SHELLS.map(() => [path]));
}
