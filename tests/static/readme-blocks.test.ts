// zsh, macOS's default shell, reads `#` as a comment only with `setopt interactive_comments`, off when it is
// interactive. The README's command blocks ended their lines with `   # explanation`: pasted into zsh,
// `npm test   # the whole suite; ends with "N passed, N failed"` ran `npm test` with the words "#", "the", "whole",
// "suite" (vitest filtered the test files by them and found none), then a command named "ends"; a line of its own
// `# a CI job ...` said "command not found: #". A block holds what a user types; what it does is said in the prose.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const README = readFileSync(join(root, 'README.md'), 'utf8');
/** Blocks a reader copies into a shell. Output shown in the README goes in ```text blocks. */
const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'zsh', 'console']);

interface ShellLine { at: number; text: string }

/** Every line of every shell block, with its line number in README.md. */
function shellBlocks(text: string): ShellLine[][] {
  const blocks: ShellLine[][] = [];
  let open: ShellLine[] | undefined;
  let inFence = false;
  text.split('\n').forEach((line, i) => {
    const fence = /^```(\S*)\s*$/.exec(line);
    if (!fence) return void open?.push({ at: i + 1, text: line });
    if (inFence) [inFence, open] = [false, open && (blocks.push(open), undefined)];
    else [inFence, open] = [true, SHELL_LANGS.has(fence[1]!) ? [] : undefined];
  });
  return blocks;
}

/** Where a `#` starts a word outside quotes (a comment to bash and dash, words to zsh), or -1. */
function commentAt(line: string): number {
  let quote: '' | "'" | '"' = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") quote = c === "'" ? '' : quote;
    else if (c === '\\') i++;
    else if (quote === '"') quote = c === '"' ? '' : quote;
    else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /[\s;&|()<>]/.test(line[i - 1]!))) return i;
  }
  return -1;
}

/** The command a line starts with (after `VAR=value` assignments); eval's command is the one it is handed. */
function firstCommand(line: string): string | undefined {
  const words = line.trim().split(/\s+/).filter((w) => !/^[A-Za-z_]\w*=/.test(w));
  return words[0] === 'eval' ? undefined : words[0];
}

const blocks = shellBlocks(README);
const lines = blocks.flat();

describe("the README's shell blocks paste as they are into zsh, bash and dash", () => {
  it('finds the blocks (the quick start, the CLI tour, the team vault ...)', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    expect(lines.length).toBeGreaterThanOrEqual(40);
  });

  // A block with no language is neither checked here as a shell block nor shown as one: two held output and a tree.
  it('every block names its language, so none is passed over as not a shell block', () => {
    let inFence = false;
    const bare: number[] = [];
    README.split('\n').forEach((line, i) => {
      const fence = /^```(\S*)\s*$/.exec(line);
      if (!fence) return;
      if (!inFence && !fence[1]) bare.push(i + 1);
      inFence = !inFence;
    });
    expect(bare.map((n) => `README.md:${n}`)).toEqual([]);
  });

  it('no line holds a `#` comment (an interactive zsh passes its words to the command) or is empty', () => {
    const bad = lines.filter((l) => commentAt(l.text) >= 0 || l.text.trim() === '').map((l) => `README.md:${l.at}: ${l.text}`);
    expect(bad).toEqual([]);
  });

  it.each(['bash', 'dash'])('every block parses in %s (no quote left open)', (shell) => {
    for (const block of blocks) {
      const r = spawnSync(shell, ['-n'], { input: `${block.map((l) => l.text).join('\n')}\n`, encoding: 'utf8' });
      expect(r.stderr, `README.md:${block[0]!.at}`).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('pasted into an interactive zsh, every line reaches its commands, no `#` word passed on, nothing said', () => {
    const dir = mkdtempSync(join(tmpdir(), 'readme-zsh-'));
    const log = join(dir, 'calls');
    const empty = join(dir, 'no-commands');
    mkdirSync(empty);
    writeFileSync(log, '');
    // Nothing runs: with PATH empty every command reaches the handler, which records its words ('|' between them);
    // echo is no builtin then, and a path (/usr/bin/python3, .venv/bin/pip) is a function doing the same.
    const paths = [...new Set(lines.flatMap((l) => l.text.split(/\s+/)).filter((w) => /^[\w./-]*\/[\w./-]*$/.test(w)))];
    const standIns = [
      'unsetopt prompt_sp prompt_cr',
      `command_not_found_handler() { printf '%s|' "$@" >> '${log}'; print >> '${log}'; return 0 }`,
      ...paths.map((p) => `function ${p} { command_not_found_handler "$0" "$@" }`),
      'disable echo',
      `PATH='${empty}'`,
    ];
    const r = spawnSync('zsh', ['-f', '-i'], {
      cwd: dir,
      input: `${standIns.join('\n')}\n${lines.map((l) => l.text).join('\n')}\n`,
      encoding: 'utf8',
      env: { ...process.env, HOME: dir, PS1: '', PS2: '', PROMPT_EOL_MARK: '' },
    });
    const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((c) => c.slice(0, -1).split('|'));
    expect(calls.filter((words) => words.some((w) => w.startsWith('#')))).toEqual([]);
    // A line reading from a file this machine has not (a Kubernetes Secret's) stops at its redirection, as said.
    const absent = lines.map((l) => /\d<\s*(\/\S+)/.exec(l.text)?.[1]).filter((p): p is string => !!p && !existsSync(p));
    expect(r.stderr.replace(/\r/g, '').split('\n').filter(Boolean)).toEqual(absent.map((p) => `zsh: no such file or directory: ${p}`));
    // Each line's command was called, in the README's order.
    const expected = lines.filter((l) => !absent.some((p) => l.text.includes(p))).map((l) => firstCommand(l.text)).filter((c) => c !== undefined);
    let next = 0;
    for (const words of calls) if (words[0] === expected[next]) next++;
    expect(expected.slice(next), `called: ${calls.map((c) => c[0]).join(' ')}`).toEqual([]);
  });
});

describe('the quick start', () => {
  it('is exactly what CI runs (.ci/run), sudo aside and the Electron download skipped as CI skips it', () => {
    const heading = README.split('\n').indexOf('## Quick start (fresh Debian / Ubuntu)') + 1;
    const quick = blocks.find((b) => heading > 0 && b[0]!.at > heading)!.map((l) => l.text);
    const ci = readFileSync(join(root, '.ci/run'), 'utf8').split('\n');
    expect(ci).toContain('export ELECTRON_SKIP_BINARY_DOWNLOAD=1');
    const ciCommands = ci.filter((l) => l.trim() !== '' && !/^(#|set |cd |export )/.test(l));
    expect(quick).toEqual(['sudo bash scripts/install-system-deps.sh', 'ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci', 'npm test']);
    expect(quick.map((l) => l.replace(/^sudo /, '').replace(/^ELECTRON_SKIP_BINARY_DOWNLOAD=1 /, ''))).toEqual(ciCommands);
  });
});
