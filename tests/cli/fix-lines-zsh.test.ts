// zsh, macOS's default shell, reads `#` as a comment only with `setopt interactive_comments`, off by default when it
// is interactive (bash has it on). doctor's fix for a plaintext token that is not the vault's ended in
// `   # removes the file only if your vault's token works; ...`: pasted into zsh, `rm` got the comment's words as files
// to remove (it stopped on the `--from` they held), and git's store's fix opened a quote at "vault's" that swallowed
// the lines after it. The explanation is in the finding's message now, before the fix; the fix is commands only.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const STORED = `hf_${'Vaul'.repeat(9)}ult1`;
const OTHER = `hf_${'Othr'.repeat(9)}thr2`;

/**
 * Runs `script` as an interactive zsh reads what is pasted into it (its rc files aside), with `cpw-vault`, `git` and
 * `rm` stand-ins that only record their arguments (one line each, words split by '|'): nothing is changed. No prompt
 * (PS1, PS2 empty, no PROMPT_SP mark): its stderr is what zsh said.
 */
function pasteIntoZsh(t: TempHome, script: string): { calls: string[][]; stderr: string } {
  const bin = join(t.root, 'stand-ins');
  const log = join(t.root, 'calls');
  mkdirSync(bin, { recursive: true });
  writeFileSync(log, '');
  for (const name of ['cpw-vault', 'git', 'rm']) writeFileSync(join(bin, name), `#!/bin/sh\nprintf '%s|' ${name} "$@" >> '${log}'\necho >> '${log}'\n`, { mode: 0o755 });
  const r = spawnSync('zsh', ['-f', '-i'], { cwd: t.cwd, input: `unsetopt prompt_sp prompt_cr\n${script}\n`, encoding: 'utf8', env: { ...process.env, HOME: t.home, PATH: `${bin}:${process.env['PATH']}`, PS1: '', PS2: '', PROMPT_EOL_MARK: '' } });
  const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => line.slice(0, -1).split('|'));
  return { calls, stderr: r.stderr.replace(/\r/g, '') };
}

it("doctor's fixes for a plaintext token other than the vault's run in an interactive zsh as printed: no comment words passed on", async () => {
  const t = makeTempHome();
  expect((await cli(t, ['set', 'huggingface', 'token'], { input: STORED })).code).toBe(0);
  const creds = join(t.home, '.git-credentials');
  writeFileSync(creds, `https://ada:${OTHER}@huggingface.co\n`, { mode: 0o600 });
  const hub = join(t.home, '.cache', 'huggingface');
  mkdirSync(hub, { recursive: true });
  writeFileSync(join(hub, 'token'), OTHER, { mode: 0o600 });
  const found = JSON.parse((await cli(t, ['doctor', '--json'])).stdout).plaintext_tokens as Array<{ kind: string; message: string; fix: string }>;
  const byKind = (kind: string) => found.find((f) => f.kind === kind)!;

  const store = pasteIntoZsh(t, byKind('git-credentials').fix);
  expect(store.stderr).toBe('');
  expect(store.calls.map((c) => c.slice(0, 3))).toEqual([
    ['cpw-vault', 'verify', 'huggingface'],
    ['git', 'credential-store', '--file'],
    ['git', 'config', '--global'],
    ['git', 'config', '--global'],
    ['git', 'config', '--global'],
  ]);
  expect(store.calls[1]).toEqual(['git', 'credential-store', '--file', creds, 'erase']);

  const file = pasteIntoZsh(t, byKind('hf-token-file').fix);
  expect(file.stderr).toBe('');
  expect(file.calls).toEqual([['cpw-vault', 'verify', 'huggingface', 'token'], ['rm', join(hub, 'token')]]);

  // The other way (the plaintext token, if the vault's does not work) is said in the message, before the fix.
  expect(byKind('git-credentials').message).toMatch(/The fix erases git's copy only if your vault's token works; if it does not, take git's instead: printf .*\| cpw-vault set huggingface token$/);
  expect(byKind('hf-token-file').message).toMatch(/The fix removes the file only if your vault's token works; if it does not, take the file's instead: cpw-vault migrate --from \S+ --overwrite huggingface\.token --remove-plaintext --yes$/);
  for (const f of found) expect(f.fix).not.toContain('#');
});
