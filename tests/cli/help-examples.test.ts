// The README promises every command's --help with examples. Walks the real
// command tree (every command, group and subcommand) and prints each one's help
// as `cpw-vault ... --help` would.
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
