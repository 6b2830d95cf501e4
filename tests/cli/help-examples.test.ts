// The README promises every command's --help with examples. Walks the real
// command tree (every command, group and subcommand) and prints each one's help
// as `cpw-vault ... --help` would.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../shared/cli/io';
import { buildProgram } from '../../shared/cli/program';
import { version } from '../../package.json';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

function allCommands(cmd: Command, path: string[] = []): Array<[string, Command]> {
  return cmd.commands.flatMap((c) => [[[...path, c.name()].join(' '), c] as [string, Command], ...allCommands(c, [...path, c.name()])]);
}

describe('--help', () => {
  let text = '';
  const io = { out: (s: string) => void (text += s), err: (s: string) => void (text += s) } as unknown as CliIO;
  const program = buildProgram(io, () => undefined);
  const commands = allCommands(program).filter(([name]) => name !== 'help');

  it('walks a real tree', () => {
    expect(commands.map(([n]) => n)).toEqual(expect.arrayContaining(['get', 'runs show', 'profile prefs set', 'team pull', 'passphrase change']));
  });

  it.each(commands)('cpw-vault %s --help shows examples', (_name, cmd) => {
    text = '';
    cmd.outputHelp();
    expect(text).toMatch(/Examples:\n {2}\$ \S/);
  });

  // An interactive zsh (macOS's shell) reads `#` as a comment only with `setopt interactive_comments`, off by default:
  // an example copied with its `   # a 0600 file` after it gave the command the words "#", "a", "0600", "file" (and
  // `eval "$(cpw-vault git-credential config)"   # installs it...` ran a command named "#"). A note is a line of its own.
  it('every example line runs in an interactive zsh as printed, no comment words passed on', () => {
    const lines = commands.flatMap(([, cmd]) => {
      text = '';
      cmd.outputHelp();
      return [...text.matchAll(/^ {2}\$ (.*)$/gm)].map((m) => m[1]!);
    });
    const dir = mkdtempSync(join(tmpdir(), 'help-zsh-'));
    const log = join(dir, 'calls');
    // Each command the examples name, and one named '#': they only record their arguments.
    for (const name of ['cpw-vault', 'age', 'age-keygen', 'pass', 'git', 'python3', '#']) writeFileSync(join(dir, name), `#!/bin/sh\nprintf '%s|' "$0" "$@" >> '${log}'\necho >> '${log}'\n`, { mode: 0o755 });
    writeFileSync(join(dir, 'key.txt'), 'x');
    spawnSync('zsh', ['-f', '-i'], { cwd: dir, input: `${lines.join('\n')}\n`, env: { ...process.env, HOME: dir, PATH: `${dir}:${process.env['PATH']}`, PS1: '', PS2: '' } });
    const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    expect(calls.length).toBeGreaterThan(lines.length / 2);
    expect(calls.filter((c) => c.includes('|#|') || c.startsWith(join(dir, '#')))).toEqual([]);
    // And in the shells of Linux hosts and scripts: `--passphrase-fd 3 3< <(pass show ...)` was bash and zsh only (dash,
    // Debian's sh: "Syntax error: redirection unexpected").
    for (const shell of ['bash', 'dash']) {
      expect(lines.filter((line) => spawnSync(shell, ['-n', '-c', line]).status !== 0).map((line) => `${shell}: ${line}`)).toEqual([]);
    }
  });
});

describe('--version', () => {
  // A user filing a bug, or a script checking what it runs against, asks the
  // installed command itself: the built launcher, with no keychain reached.
  it.each([['--version'], ['-V']])('cpw-vault %s prints the package version and exits 0', async (flag) => {
    const r = await cli(makeTempHome(), [flag]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`cpw-vault ${version}\n`);
    expect(r.code).toBe(0);
  });
});
