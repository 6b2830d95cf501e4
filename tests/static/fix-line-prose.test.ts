// A fix line's command ends its line. `Create one with: cpw-vault setup   (or open the cpw-vault app)`, the text after
// the colon pasted whole, was a syntax error in bash and dash ("unexpected token `('") and a glob qualifier in zsh
// (nothing ran); `cpw-vault set huggingface token  (or in the app: ...)` was printed for every missing credential.
// The prose goes before the command now.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const root = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** A command introduced by a colon or "run", then words, then prose in parentheses on the same line of a string. */
const PROSE_AFTER_COMMAND = /(?:: |\brun |\bRun )cpw-vault (?:\$\{[^}]*\}|[^'`"(:.;\n])* +\(/;

// The renderer only rewords these messages (its patterns match them): the sources that make them are scanned.
it('no message in the sources puts prose in parentheses after the command it offers', () => {
  const found = ['shared', 'electron'].flatMap((d) => sources(join(root, d))).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line, i) => [line, i] as const)
      .filter(([line]) => !/^\s*(\/\/|\*)/.test(line) && PROSE_AFTER_COMMAND.test(line))
      .map(([line, i]) => `${relative(root, file)}:${i + 1}: ${PROSE_AFTER_COMMAND.exec(line)![0]}`),
  );
  expect(found).toEqual([]);
});

/** What bash, dash and zsh each run for `line` pasted whole, `cpw-vault` a stand-in that prints its arguments. */
function pasted(line: string): Record<string, { out: string; err: string }> {
  const standIn: Record<string, string> = { bash: 'cpw-vault() { printf "%s|" "$@"; }', dash: 'cpwvault() { printf "%s|" "$@"; }', zsh: 'cpw-vault() { printf "%s|" "$@"; }' };
  const out: Record<string, { out: string; err: string }> = {};
  for (const shell of ['bash', 'dash', 'zsh']) {
    // dash takes no '-' in a function name: the line is run with the name changed, the words as they are.
    const text = shell === 'dash' ? line.replace(/^cpw-vault /, 'cpwvault ') : line;
    const r = spawnSync(shell, shell === 'zsh' ? ['-f', '-c', `${standIn[shell]}\n${text}`] : ['-c', `${standIn[shell]}\n${text}`], { encoding: 'utf8' });
    out[shell] = { out: r.stdout, err: r.stderr };
  }
  return out;
}

it('the fixes a new user meets most, pasted whole after their colon, run the command alone in bash, dash and zsh', async () => {
  const t = makeTempHome();
  const noTerminal = await cli(t, ['setup']);
  expect((await cli(t, ['profile', 'set', 'name=Paste'])).code).toBe(0);
  const missing = await cli(t, ['get', 'huggingface', 'token']);
  const typo = await cli(t, ['set', 'huggingfce', 'token'], { input: 'x' });
  const cases: Array<[string, string]> = [
    [noTerminal.stderr, 'setup|--non-interactive|'],
    [missing.stderr, 'set|huggingface|token|'],
    [typo.stderr, 'set|huggingface|token|'],
  ];
  for (const [stderr, args] of cases) {
    const fix = /^fix: (.*)$/m.exec(stderr)?.[1];
    expect(fix, stderr).toBeDefined();
    const command = fix!.slice(fix!.lastIndexOf(': ') + 2);
    expect(command).toMatch(/^cpw-vault /);
    for (const [shell, r] of Object.entries(pasted(command))) expect({ shell, ...r }).toEqual({ shell, out: args, err: '' });
  }
});
