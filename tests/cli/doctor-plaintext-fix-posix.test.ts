// doctor's fix lines for a HuggingFace token left in plaintext are for pasting into a shell. They named the file as
// shellWord does, `$'...'` once the path held a tab or an escape: bash reads it, but dash (Debian's sh) reads `$` and a
// quoted word, a file that is not there: `git credential-store --file $'...'` found no token, and the pipe after it
// then ran `cpw-vault set` on nothing. The token file's line also ended in "(then run stages ...)": pasted, a syntax
// error in every shell, so nothing ran. Now each is POSIX (shWord) and printable ASCII, and the command comes last.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, hex } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

/** A tab, an escape sequence and an é: each read differently by some quoting, or acted on by a terminal shown it raw. */
const ODD = 'h\tome\u001b[31m\u00e9';

/** The fix lines doctor prints on stderr under the finding about `path`, unindented, each checked printable ASCII. */
function fixLines(stderr: string, path: string): string[] {
  const lines = stderr.split('\n');
  const at = lines.findIndex((l) => l.startsWith('! ') && l.includes(`${path.slice(path.lastIndexOf('/'))} holds`));
  expect(at, stderr).toBeGreaterThanOrEqual(0);
  const fix = [lines[at + 1]!.replace(/^ {4}fix: /, '')];
  for (let i = at + 2; lines[i]?.startsWith(' '.repeat(9)); i++) fix.push(lines[i]!.slice(9));
  for (const line of fix) expect(line).toMatch(/^[\x20-\x7e]+$/);
  return fix;
}

/** Runs `script` in `sh` as a user who pasted it would, `cpw-vault` on PATH; returns what the shell said. */
function paste(sh: string, script: string, t: TempHome, env: Record<string, string>) {
  const bin = join(t.root, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'cpw-vault'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
  const r = spawnSync(sh, ['-c', script], { cwd: t.cwd, encoding: 'utf8', env: { ...process.env, ...env, PATH: `${bin}:${process.env['PATH']}`, CPW_KEYCHAIN_SERVICE: t.service, GIT_CONFIG_NOSYSTEM: '1' } });
  return { status: r.status, stderr: r.stderr };
}

describe.each(['dash', 'bash'])("doctor's fix lines for a plaintext HuggingFace token, paths holding a tab, an escape and an é, pasted into %s", (sh) => {
  it("git's store under such a HOME: the lines move its token into the vault and erase it from the store", async () => {
    const t = makeTempHome();
    const home = join(t.home, ODD);
    mkdirSync(home);
    const token = `hf_${hex(34)}`;
    const store = join(home, '.git-credentials');
    writeFileSync(store, `https://user:${token}@huggingface.co\n`, { mode: 0o600 });
    const env = { HOME: home };
    const doctor = await cli(t, ['doctor'], { env });
    const fix = fixLines(doctor.stderr, store);
    expect(fix[0]).toMatch(/\| git credential-store --file .* get \| /);
    for (const line of fix) expect(line).not.toContain("$'");
    const pasted = paste(sh, fix.join('\n'), t, env);
    expect(pasted.stderr).toBe('✓ Stored huggingface.token in the keychain (••••' + token.slice(-4) + ').\n');
    expect(pasted.status).toBe(0);
    expect((await cli(t, ['get', 'huggingface', 'token'], { env })).stdout).toBe(token);
    expect(readFileSync(store, 'utf8')).not.toContain(token);
    expect(doctor.stdout + doctor.stderr).not.toContain(token);
  });

  it("the Hub's token file under such a HF_HOME: the line migrates it and removes the file", async () => {
    const t = makeTempHome();
    const hfHome = join(t.root, ODD, 'hf');
    mkdirSync(hfHome, { recursive: true });
    const token = `hf_${hex(34)}`;
    const file = join(hfHome, 'token');
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    const env = { HF_HOME: hfHome };
    const fix = fixLines((await cli(t, ['doctor'], { env })).stderr, file);
    expect(fix).toHaveLength(1);
    const command = /: (cpw-vault migrate --from .*)$/.exec(fix[0]!)?.[1];
    expect(command, fix[0]).toMatch(/ --remove-plaintext --yes$/);
    const pasted = paste(sh, command!, t, env);
    expect(pasted.status, pasted.stderr).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect((await cli(t, ['get', 'huggingface', 'token'], { env })).stdout).toBe(token);
  });

  it('a token file at such an HF_TOKEN_PATH: the line stores it and removes the file', async () => {
    const t = makeTempHome();
    const dir = join(t.root, ODD);
    mkdirSync(dir);
    const token = `hf_${hex(34)}`;
    const file = join(dir, 'my token');
    writeFileSync(file, token, { mode: 0o600 });
    const env = { HF_TOKEN_PATH: file };
    const fix = fixLines((await cli(t, ['doctor'], { env })).stderr, file);
    const command = /: (cpw-vault set huggingface token < .*)$/.exec(fix[0]!)?.[1];
    expect(command, fix[0]).toBeDefined();
    const pasted = paste(sh, command!, t, env);
    expect(pasted.status, pasted.stderr).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
    expect((await cli(t, ['get', 'huggingface', 'token'], { env })).stdout).toBe(token);
  });
});

// A line break that ends the path was kept raw in its quotes, and doctor indents a fix's next lines: pasted as printed,
// the path had nine spaces in it, a file that is not there, so the token stayed in plaintext. It is $'\n' now, one line.
describe("doctor's fix line for a token file whose name ends in a line break, pasted as printed", () => {
  /** The fix as printed under the finding, next lines with their indent, from its command on. */
  const printedFix = (stderr: string) => {
    const lines = stderr.split('\n');
    const at = lines.findIndex((l) => l.includes(': cpw-vault set huggingface token < '));
    expect(at, stderr).toBeGreaterThanOrEqual(0);
    const fix = [lines[at]!.slice(lines[at]!.indexOf('cpw-vault set'))];
    for (let i = at + 1; lines[i]?.startsWith(' '.repeat(9)); i++) fix.push(lines[i]!);
    return fix.join('\n');
  };

  it.each(['bash', 'zsh'])('%s stores the token and removes the file', async (sh) => {
    const t = makeTempHome();
    const token = `hf_${hex(34)}`;
    const file = join(t.root, 'my token\n');
    writeFileSync(file, token, { mode: 0o600 });
    const env = { HF_TOKEN_PATH: file };
    const fix = printedFix((await cli(t, ['doctor'], { env })).stderr);
    const pasted = paste(sh, fix, t, env);
    expect(pasted.status, pasted.stderr).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect((await cli(t, ['get', 'huggingface', 'token'], { env })).stdout).toBe(token);
    expect(fix).toMatch(/^[\x20-\x7e]+$/);
  });

  it('dash (which has no one-line word for it) reads another file, and removes nothing', async () => {
    const t = makeTempHome();
    const file = join(t.root, 'my token\n');
    writeFileSync(file, `hf_${hex(34)}`, { mode: 0o600 });
    const env = { HF_TOKEN_PATH: file };
    const pasted = paste('dash', printedFix((await cli(t, ['doctor'], { env })).stderr), t, env);
    expect(pasted.status).not.toBe(0);
    expect(existsSync(file)).toBe(true);
  });
});
