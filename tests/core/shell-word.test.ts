// A fix line names a path as one shell word (shellWord). A path holding a control character (a folder unpacked from
// an archive, named with a line break or an escape sequence) showed it as '?': one word, but a glob, so pasted it
// named another file or none. Then as $'...': bash read it, but dash (Debian's sh, what `sh -c` runs) read `$` and a
// quoted word, another file, so `chmod 600 $'...'` changed nothing. Now its control characters go in as
// "$(printf '\ooo')": bash and dash read back the exact bytes, the terminal sees printable text only, and nothing in
// the path (a command substitution, backquotes, a quote) ever runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTROL_CHARS, shArgument, shellArgument, shellWord, shScriptWord, shWord } from '../../shared/core/control-chars';

/** What `sh` makes of `word`: the arguments it passes on (their bytes), and the files anything in it made. */
function readBack(sh: string, word: string) {
  const dir = mkdtempSync(join(tmpdir(), 'shell-word-'));
  const r = spawnSync(sh, ['-c', `printf '%s\\0' ${word}`, sh], { cwd: dir, encoding: 'buffer' });
  expect(r.status, `${sh}: ${r.stderr.toString()}`).toBe(0);
  const args = r.stdout.subarray(0, -1).toString('latin1').split('\0');
  return { args, created: readdirSync(dir) };
}

const bytesOf = (name: string) => Buffer.from(name, 'utf8').toString('latin1');

/** The shells a user pastes into: bash, dash (Debian's sh, what `sh -c` runs) and zsh (macOS's). */
const SHELLS = ['dash', 'bash', 'zsh'];

/** The path a shell reads `name` back as: a relative one that starts with '-' as ./-x (no command takes it for an option). */
const asPath = (name: string) => (name.startsWith('-') ? `./${name}` : name);

/**
 * 4,000 bytes alternating control characters and letters (dash crashed, SIGSEGV, on its 2,000 command substitutions),
 * and a path that is one printf for the same reason, holding what a printf format or a paste reads otherwise.
 */
const LONG = [`/tmp/${'\u0001a'.repeat(1998)}`, `-/${'\u001b%\\\'!-x\n\u00e9'.repeat(300)}`];

/** Every control character CONTROL_CHARS names (NUL aside: no path holds one), alone and between letters. */
const EACH_CONTROL = Array.from({ length: 0x206a }, (_, code) => String.fromCharCode(code)).filter((ch) => ch !== '\0' && CONTROL_CHARS.test(ch));

const HOSTILE = [
  '\nfirst',
  '/home/u/two\nlines/p.profile',
  'a\n\n\nb',
  '\n\n\nx',
  'a\n%s\n\\',
  '/tmp/red\u001b[31mX\u001b]0;title\u0007/p.profile',
  '/tmp/\u202eexe.txt',
  '/tmp/line\u2028sep\u2029para',
  "/tmp/a\nb$(touch pwned1)`touch pwned2`'; touch pwned3; '/p.profile",
  '/tmp/\u0001\u00012345\tcafé\u202eexe.txt\r!\\x41\\n',
  "/tmp/it's here",
  '/tmp/back\\slash\u0007',
  '/tmp/bang!!\u001b',
  '/tmp/$HOME${x}$(id)`id`\u0085',
  '/tmp/café/日本/\u001b[0m',
  '-rf \u001b',
  '/tmp/h\tome\u001b[31m\u00e9',
  '/tmp/\ud800lone\u0007',
  '-x',
  '-',
  '--',
  '=ls',
  '=no-such-command',
  '=x\u0007',
  '~',
  '~root/x',
  '[ab]x',
  '*',
  '?',
  '{a,b}',
  '#comment',
];
const TRAILING = ['/tmp/trailing\n', '/tmp/several\u001b[31m\n\n\n', '\n'];

describe('shellWord', () => {
  const names = [...HOSTILE, ...EACH_CONTROL.flatMap((ch) => (ch === '\n' ? [`a${ch}b`] : [ch, `a${ch}b`]))];

  it.each(names.flatMap((name) => SHELLS.map((sh) => [sh, name])))('%s reads it back exactly, and nothing in it runs (%j)', (sh, name) => {
    const { args, created } = readBack(sh, shellWord(name));
    expect(args).toEqual([bytesOf(asPath(name))]);
    expect(created).toEqual([]);
  });

  it.each(names)('is one line of printable text, no control character in it (%j)', (name) => {
    const word = shellWord(name);
    expect(word).not.toMatch(CONTROL_CHARS);
    expect(word).not.toContain("$'");
  });

  // POSIX sh has no one-line word for a line break that ends a path (a command substitution drops it): $'\n', which
  // bash and zsh read; dash reads `$\n`, a file that is not there, and runs nothing.
  it.each(TRAILING.flatMap((name) => [[name, shellWord(name)], [name, shWord(name)]]))("a line break at the very end is $'\\n': one line, read exactly by bash and zsh, nothing run by dash (%j, %s)", (name, word) => {
    expect(word).not.toMatch(CONTROL_CHARS);
    expect(word).toMatch(/\$'(?:\\n)+'$/);
    for (const sh of ['bash', 'zsh']) expect(readBack(sh, word).args).toEqual([bytesOf(name)]);
    const dash = readBack('dash', word);
    expect(dash.args).toHaveLength(1);
    expect(dash.created).toEqual([]);
  });

  it('keeps a plain path bare, any other quoted as before, and printable text as it is', () => {
    expect(shellWord('/home/u/.cp-whisperx/user.profile')).toBe('/home/u/.cp-whisperx/user.profile');
    expect(shellWord("/tmp/it's here")).toBe(`'/tmp/it'\\''s here'`);
    expect(shellWord('/tmp/café $(x)')).toBe(`'/tmp/café $(x)'`);
    expect(shellWord('')).toBe("''");
    expect(shellWord('/tmp/café\u001b[31m日本')).toBe(`'/tmp/café'"$(printf '\\033')"'[31m日本'`);
    expect(shellWord('/tmp/a\nb')).toBe(`'/tmp/a'"$(printf '\\012\\142')"`);
    expect(shellWord('a=b')).toBe('a=b');
    expect(shellWord('-rf')).toBe('./-rf');
  });

  // Bare, `rm -x` took the path for an option (and `rm -rf x` too); zsh read `=ls` as /usr/bin/ls.
  it('names a relative path that starts with "-" as ./-x, and quotes a word that starts with "="', () => {
    expect(shellWord('-x')).toBe('./-x');
    expect(shellWord('-rf \u001b')).toBe(`'./-rf '"$(printf '\\033')"`);
    expect(shellWord('=ls')).toBe("'=ls'");
    for (const ch of '~[*?{#=') expect(shellWord(`${ch}x`)).toMatch(/^'/);
  });

  it.each(SHELLS)('a fix line run in %s removes the file named "-x" in the working folder, and only it', (sh) => {
    const dir = mkdtempSync(join(tmpdir(), 'shell-word-'));
    for (const name of ['-x', 'x', '-rf']) writeFileSync(join(dir, name), '');
    const r = spawnSync(sh, ['-c', `rm ${shellWord('-x')} && chmod 600 ${shellWord('-rf')}`], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['-rf', 'x']);
  });

  it('a service or key name (shellArgument) that starts with "-" stays so', () => {
    expect(shellArgument('-x')).toBe('-x');
    expect(shellArgument('=x')).toBe("'=x'");
  });

  // dash crashed (SIGSEGV, nothing run) on a word of about 1,665 "$(printf ...)": one each for 4,000 bytes alternating
  // control characters and letters. Past 64 the whole path is one printf.
  it.each(SHELLS)('%s reads back 4,000-byte paths of 2,000 control characters from words of few command substitutions', (sh) => {
    for (const word of [shellWord, shWord, shScriptWord]) {
      for (const name of LONG) {
        expect(word(name).split('$(').length - 1).toBeLessThanOrEqual(64);
        expect(readBack(sh, word(name))).toEqual({ args: [bytesOf(asPath(name))], created: [] });
      }
    }
  });
});

// shWord is for a line a user pastes into whatever shell they have: dash reads it as bash does, and it is one line of
// printable ASCII, a line break too (a raw one split the line where doctor indents its fix lines' next lines).
describe('shWord', () => {
  it.each(HOSTILE.flatMap((name) => SHELLS.map((sh) => [sh, name])))('%s reads it back exactly, and nothing in it runs (%j)', (sh, name) => {
    const { args, created } = readBack(sh, shWord(name));
    expect(args).toEqual([bytesOf(asPath(name))]);
    expect(created).toEqual([]);
  });

  it.each([...HOSTILE, ...TRAILING])('is one line of printable ASCII (%j)', (name) => {
    expect(shWord(name)).toMatch(/^[\x20-\x7e]+$/);
  });

  it('keeps a plain path bare', () => {
    expect(shWord('/home/u/.cp-whisperx/user.profile')).toBe('/home/u/.cp-whisperx/user.profile');
    expect(shWord('/tmp/trailing\n')).toBe("'/tmp/trailing'$'\\n'");
    expect(shWord('')).toBe("''");
  });
});

// shScriptWord is for a line a shell runs and nobody indents (git's helper, run with `sh -c`): a line break that ends
// the path stays as it is, in quotes, which every shell reads exactly.
describe('shScriptWord', () => {
  it.each([...HOSTILE, ...TRAILING].flatMap((name) => SHELLS.map((sh) => [sh, name])))('%s reads it back exactly, and nothing in it runs (%j)', (sh, name) => {
    const { args, created } = readBack(sh, shScriptWord(name));
    expect(args).toEqual([bytesOf(asPath(name))]);
    expect(created).toEqual([]);
  });

  it('keeps a line break at the very end as it is, in quotes (a command substitution drops it)', () => {
    expect(shScriptWord('/tmp/trailing\n')).toBe("'/tmp/trailing''\n'");
  });
});

// shArgument quotes a command that holds a shScriptWord (git's helper, the value of a printed `git config` line): the
// word's raw trailing line break comes out as printf's (the quote after it along), one line every shell reads back
// exactly; '-' first stays (it is no path).
describe('shArgument', () => {
  const helpers = [...HOSTILE, ...TRAILING].map((name) => `!cpw-vault --profile ${shScriptWord(name)} git-credential`);
  it.each([...helpers, '-x'].flatMap((text) => SHELLS.map((sh) => [sh, text])))('%s reads it back exactly, and nothing in it runs (%j)', (sh, text) => {
    const { args, created } = readBack(sh, shArgument(text));
    expect(args).toEqual([bytesOf(text)]);
    expect(created).toEqual([]);
  });

  it.each(helpers)('is one line of printable ASCII (%j)', (text) => {
    expect(shArgument(text)).toMatch(/^[\x20-\x7e]+$/);
  });

  it('quotes a plain helper as it always did', () => {
    expect(shArgument('!cpw-vault git-credential')).toBe("'!cpw-vault git-credential'");
  });
});
