// A fix line is for pasting. A path holding a control character (a folder named with a line break, unpacked from an
// archive) was quoted with '?' in its place: one shell word, but it named another file (a glob, or a literal '?'), so
// `chmod 600 ...` left the profile readable by others. Then as $'...', which dash (Debian's sh) reads as `$` and a
// quoted word: the same chmod, run by dash, changed nothing. The fix line, run as printed in dash or bash, acts on the
// exact file, and nothing written into the folder's name (a command substitution, backquotes, a quote) runs.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'FixLine12'.repeat(5)}`;
const FOLDER = "a\nb$(touch pwned1)`touch pwned2`'; touch pwned3; 'c\u001b[31m";
const mode = (path: string) => statSync(path).mode & 0o777;

/** Runs `line` in `sh` in a folder of its own; returns what else appeared there (what a word of the path ran). */
function runIn(sh: string, line: string, root: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = join(root, `run-${sh}`);
  mkdirSync(dir);
  spawnSync(sh, ['-c', line], { cwd: dir, env });
  return readdirSync(dir);
}

/** The one fix line on stderr that starts with `command`, as printed: printable ASCII only. */
function fixLine(stderr: string, command: string): string {
  const line = new RegExp(`(?:^|[ (])(${command} .*?)(?:, and |\\)?$)`, 'm').exec(stderr)?.[1];
  expect(line, stderr).toBeDefined();
  expect(line).toMatch(/^[\x20-\x7e]+$/);
  return line!;
}

describe.each(['dash', 'bash'])('fix lines naming a path that holds a control character, run in %s', (sh) => {
  it("doctor's chmod 600 makes that 0644 profile 0600, and runs nothing else", async () => {
    const t = makeTempHome();
    const profile = join(t.home, FOLDER, 'p.profile');
    mkdirSync(join(t.home, FOLDER));
    expect((await cli(t, ['--profile', profile, 'set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    chmodSync(profile, 0o644);
    const line = fixLine((await cli(t, ['--profile', profile, 'doctor'])).stderr, 'chmod 600');
    expect(runIn(sh, line, t.root)).toEqual([]);
    expect(mode(profile)).toBe(0o600);
  });

  it("an error's fix line (migrate --from a file others can write: chmod go-w) acts on that file", async () => {
    const t = makeTempHome();
    mkdirSync(join(t.root, FOLDER));
    const source = join(t.root, FOLDER, 'old.env');
    writeFileSync(source, `HF_TOKEN=${HF}\n`);
    chmodSync(source, 0o666);
    const r = await cli(t, ['migrate', '--from', source, '--dry-run']);
    expect(r.code).toBe(2);
    const line = fixLine(r.stderr, 'chmod go-w');
    expect(runIn(sh, line, t.root)).toEqual([]);
    expect(mode(source)).toBe(0o644);
  });

  // Its own copy of the quoting kept the raw line break inside quotes, and doctor indented the fix line's next line:
  // pasted, the path had nine spaces in it.
  it("doctor's line that erases git's stored HF token erases it from ~/.git-credentials under that HOME", async () => {
    const t = makeTempHome();
    const home = join(t.home, FOLDER);
    mkdirSync(home);
    const store = join(home, '.git-credentials');
    writeFileSync(store, `https://user:${HF}@huggingface.co\n`, { mode: 0o600 });
    const env = { HOME: home };
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF, env })).code).toBe(0);
    const line = fixLine((await cli(t, ['doctor'], { env })).stderr, 'printf'); // the vault holds the same token: erase it
    expect(line).toMatch(/git credential-store --file .* erase$/);
    expect(runIn(sh, line, t.root, { ...process.env, ...env })).toEqual([]);
    expect(readFileSync(store, 'utf8')).not.toContain(HF);
  });

  // These named the path bare, unquoted: split by its line break (and by a space), pasted they named other files.
  it("migrate's iconv line for a Latin-1 file writes the UTF-8 copy beside it", async () => {
    const t = makeTempHome();
    const dir = join(t.root, `my ${FOLDER}`);
    mkdirSync(dir);
    const source = join(dir, 'old.env');
    writeFileSync(source, Buffer.from(`USER=caf\xe9\nHF_TOKEN=${HF}\n`, 'latin1'), { mode: 0o600 });
    const r = await cli(t, ['migrate', '--from', source, '--dry-run']);
    expect(r.stderr).toContain('is not UTF-8 text');
    const line = fixLine(r.stderr, 'iconv').replace(/, then --from .*$/, '');
    expect(runIn(sh, line, t.root)).toEqual([]);
    expect(readFileSync(`${source}.utf8`, 'utf8')).toBe(`USER=café\nHF_TOKEN=${HF}\n`);
  });

  it("a damaged team file's git checkout line, run in its repository, puts back the committed file", async () => {
    const t = makeTempHome();
    const repo = join(t.root, FOLDER);
    mkdirSync(repo);
    const file = join(repo, 'cpw-team.age');
    const git = (...args: string[]) => expect(spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo }).status).toBe(0);
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await cli(t, ['team', 'identity'])).code).toBe(0);
    expect((await cli(t, ['team', 'init', '--add', 'huggingface.token', '--file', file])).code).toBe(0);
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'team');
    const committed = readFileSync(file, 'utf8');
    writeFileSync(file, committed.slice(0, committed.length / 2));
    const r = await cli(t, ['team', 'status', '--file', file]);
    expect(r.stderr).toContain('[TEAM_INVALID]');
    const line = fixLine(r.stderr, 'git checkout --').replace(/ {3}\(or git log .*$/, '');
    expect(spawnSync(sh, ['-c', line], { cwd: repo }).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(committed);
  });

  it("migrate --remove-plaintext's rm line for an earlier run's backup removes that backup", async () => {
    const t = makeTempHome();
    const dir = join(t.root, FOLDER);
    mkdirSync(dir);
    const source = join(dir, 'old.env');
    writeFileSync(source, `HF_TOKEN=${HF}\n`, { mode: 0o600 });
    expect((await cli(t, ['migrate', '--from', source, '--yes'])).code).toBe(0);
    const [backup] = readdirSync(dir).filter((f) => f.includes('.backup-'));
    const r = await cli(t, ['migrate', '--from', source, '--yes', '--remove-plaintext']);
    expect(r.code).toBe(1);
    const line = /\(rm -- (.*)\)\.$/m.exec(r.stderr)?.[1];
    expect(line, r.stderr).toMatch(/^[\x20-\x7e]+$/);
    expect(r.stderr).toContain(`Not removed: ${join(t.root, 'a?b$(touch pwned1)')}`);
    expect(runIn(sh, `rm -- ${line}`, t.root)).toEqual([]);
    expect(readdirSync(dir)).not.toContain(backup);
  });
});

// A relative path that starts with '-' was printed bare: `chmod go-w -x.env` took it for an option, and the file stayed
// writable by others. It is ./-x.env now.
describe.each(['dash', 'bash', 'zsh'])('fix lines naming a relative path that starts with "-", run in %s', (sh) => {
  it("migrate --from -x.env (a file others can write): its chmod go-w line, run in that folder, acts on that file", async () => {
    const t = makeTempHome();
    const source = join(t.cwd, '-x.env');
    writeFileSync(source, `HF_TOKEN=${HF}\n`);
    chmodSync(source, 0o666);
    const r = await cli(t, ['migrate', '--from', '-x.env', '--dry-run']);
    expect(r.code, r.stderr).toBe(2);
    const line = fixLine(r.stderr, 'chmod go-w');
    const run = spawnSync(sh, ['-c', line], { cwd: t.cwd, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(mode(source)).toBe(0o644);
  });
});
