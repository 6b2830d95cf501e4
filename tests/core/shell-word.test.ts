// A fix line names a path as one shell word (shellWord). A path holding a control character (a folder unpacked from
// an archive, named with a line break or an escape sequence) showed it as '?': one word, but a glob, so pasted it
// named another file or none. Now it is $'...': the shell reads back the exact bytes, the terminal sees printable
// ASCII only, and nothing in the path (a command substitution, backquotes, a quote) ever runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellWord, shWord } from '../../shared/core/control-chars';

/** What `sh` makes of `word`: the arguments it passes on (their bytes), and the files anything in it made. */
function readBack(sh: string, word: string) {
  const dir = mkdtempSync(join(tmpdir(), 'shell-word-'));
  const r = spawnSync(sh, ['-c', `printf '%s\\0' ${word}`, sh], { cwd: dir, encoding: 'buffer' });
  expect(r.status, `${sh}: ${r.stderr.toString()}`).toBe(0);
  const args = r.stdout.subarray(0, -1).toString('latin1').split('\0');
  return { args, created: readdirSync(dir) };
}

const dashReadsDollarQuotes = spawnSync('dash', ['-c', "printf %s $'a\\nb'"], { encoding: 'utf8' }).stdout === 'a\nb';

const NAMES = [
  '/home/u/two\nlines/p.profile',
  '/tmp/red\u001b[31mX\u001b]0;title\u0007/p.profile',
  "/tmp/a\nb$(touch pwned1)`touch pwned2`'; touch pwned3; '/p.profile",
  '/tmp/\u0001\u00012345\tcafé\u202eexe.txt\r!\\x41\\n',
  '/tmp/trailing\n',
];

describe('shellWord', () => {
  it.each(NAMES)('a path holding a control character is one $\'...\' word of printable ASCII that bash reads back exactly (%j)', (name) => {
    const word = shellWord(name);
    expect(word).toMatch(/^\$'[\x20-\x7e]*'$/);
    const { args, created } = readBack('bash', word);
    expect(args).toEqual([Buffer.from(name, 'utf8').toString('latin1')]);
    expect(created).toEqual([]);
  });

  it.each(NAMES)('dash runs nothing of it either, and reads it exactly when it knows $\'...\' (%j)', (name) => {
    const { args, created } = readBack('dash', shellWord(name));
    expect(created).toEqual([]);
    expect(args).toHaveLength(1);
    if (dashReadsDollarQuotes) expect(args).toEqual([Buffer.from(name, 'utf8').toString('latin1')]);
    else expect(args[0]).toMatch(/^\$\//); // Debian's dash 0.5.12: '$' and the quoted text, a file that is not there
  });

  it('keeps a plain path bare and any other quoted as before', () => {
    expect(shellWord('/home/u/.cp-whisperx/user.profile')).toBe('/home/u/.cp-whisperx/user.profile');
    expect(shellWord("/tmp/it's here")).toBe(`'/tmp/it'\\''s here'`);
    expect(shellWord('/tmp/café $(x)')).toBe(`'/tmp/café $(x)'`);
  });
});

// shWord is for a line a shell runs or a user pastes: dash reads it as bash does (no $'...'), and it is one line of
// printable ASCII, a line break too (a raw one split the line where doctor indents its fix lines' next lines).
describe('shWord', () => {
  const names = [...NAMES, '/tmp/h\tome\u001b[31m\u00e9', '\n\n\nx', 'a\n%s\n\\', '/tmp/\ud800lone', "it's"];

  it.each(names.flatMap((name) => ['dash', 'bash'].map((sh) => [sh, name])))('%s reads it back exactly, and nothing in it runs (%j)', (sh, name) => {
    const word = shWord(name);
    const { args, created } = readBack(sh, word);
    expect(args).toEqual([Buffer.from(name, 'utf8').toString('latin1')]);
    expect(created).toEqual([]);
  });

  it.each(names.filter((name) => !name.endsWith('\n')))('is one line of printable ASCII (%j)', (name) => {
    expect(shWord(name)).toMatch(/^[\x20-\x7e]+$/);
  });

  it('keeps a plain path bare; a line break at the very end only is kept as it is, in quotes (a command substitution drops it)', () => {
    expect(shWord('/home/u/.cp-whisperx/user.profile')).toBe('/home/u/.cp-whisperx/user.profile');
    expect(shWord('/tmp/trailing\n')).toBe("'/tmp/trailing''\n'");
  });
});
