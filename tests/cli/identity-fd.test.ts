import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { collect, type ChildResult } from '../helpers/children';
import { until } from '../helpers/lock-stop';
import { makeTempHome, type TempHome } from '../helpers/temp';

/**
 * `--identity-fd N`: the team identity read from a descriptor the shell opened, as `--passphrase-fd` reads the
 * passphrase. There was none: a pod not run as root, its key a root-owned 0440 Secret read through the pod's group,
 * was told to make a private copy of the key (the route itself: mounted-secret.test.ts, as nobody). It refuses what
 * --passphrase-fd refuses, with the same words.
 */

const TOKEN = 'hf_abcdefghijklmnopqrstuvwxyz0123456789';
/** A secret key itself (the messages may name the form, AGE-SECRET-KEY-1...). */
const KEY = /AGE-SECRET-KEY-1[0-9A-Z]{20}/;

/** A home whose working folder holds key.txt, an age-keygen identity (0600), and its recipient. */
function withKey(): { t: TempHome; key: string; recipient: string } {
  const t = makeTempHome();
  const key = join(t.cwd, 'key.txt');
  expect(spawnSync('age-keygen', ['-o', key]).status).toBe(0);
  return { t, key, recipient: spawnSync('age-keygen', ['-y', key], { encoding: 'utf8' }).stdout.trim() };
}

/** `line` run by bash in `t`'s working folder, cpw-vault on PATH (the shell opens the descriptors, as a user's does). */
function shell(t: TempHome, line: string): Promise<ChildResult> {
  const bin = join(t.root, 'bin');
  if (!existsSync(bin)) {
    mkdirSync(bin);
    symlinkSync(BIN, join(bin, 'cpw-vault'));
  }
  const env = { ...process.env, PATH: `${bin}:${process.env['PATH']}`, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
  return collect(spawn('bash', ['-c', line], { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

describe('--identity-fd N: the team identity from a descriptor', () => {
  it('team identity reads it from a file the shell opened, a pipe (3< <(...)) and stdin, never showing the key', async () => {
    const { t, recipient } = withKey();
    for (const line of ['cpw-vault team identity --identity-fd 3 3< key.txt', 'cpw-vault team identity --identity-fd 3 3< <(cat key.txt)', 'cpw-vault team identity --identity-fd 0 < key.txt']) {
      const r = await shell(t, line);
      expect(r.code, `${line}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toBe(`${recipient}\n`);
      expect(r.stderr).not.toMatch(KEY);
    }
  });

  it('refuses what --passphrase-fd refuses, each with a clear error and exit 2: no number, stdout, a descriptor not open or past the limit, write-only, over 64 KiB, no identity, beside --identity-file, without --team', async () => {
    const { t } = withKey();
    const refusals: Array<[string, string]> = [
      ['cpw-vault team identity --identity-fd x', 'The --identity-fd value must be a file descriptor number, e.g. 3.'],
      ['cpw-vault team identity --identity-fd 1', 'File descriptor 1 is stdout, where cpw-vault writes.'],
      ['cpw-vault team identity --identity-fd 9', 'File descriptor 9 is not open for cpw-vault to read.'],
      // A number past the process's limit (ulimit -n) is a descriptor number: said so, not 'must be a file descriptor number'.
      ['ulimit -n 1024; cpw-vault team identity --identity-fd 99999', "File descriptor 99999 is past this process's limit of 1024 open files (ulimit -n): it cannot be open for cpw-vault to read."],
      ['ulimit -n 1024; cpw-vault team identity --identity-fd 12345678901234567890', "File descriptor 12345678901234567890 is past this process's limit of 1024 open files"],
      ['ulimit -n 1024; cpw-vault team identity --identity-fd 1000', 'File descriptor 1000 is not open for cpw-vault to read.'],
      ['cpw-vault team identity --identity-fd 5 5>/dev/null', 'File descriptor 5 is not open for cpw-vault to read.'],
      ['cpw-vault team identity --identity-fd 3 3< <(head -c 70000 /dev/zero)', 'File descriptor 3 gave over 65536 bytes.'],
      ['cpw-vault team identity --identity-fd 3 3< <(echo not a key)', 'File descriptor 3 does not hold exactly one age X25519 identity'],
      ['cpw-vault team identity --identity-fd 3 --identity-file key.txt 3< key.txt', 'Give --identity-file or --identity-fd, not both.'],
      ['cpw-vault team status --identity-fd 3 --identity-file key.txt 3< key.txt', 'Give --identity-file or --identity-fd, not both.'],
      ['cpw-vault get huggingface token --identity-fd 3 3< key.txt', '--identity-fd works only with --team'],
    ];
    for (const [line, said] of refusals) {
      const r = await shell(t, line);
      expect(r.code, `${line}\n${r.stderr}`).toBe(2);
      expect(r.stderr, line).toContain(`[INVALID_ARGUMENT] ${said}`);
      expect(r.stdout + r.stderr).not.toMatch(KEY);
    }
  });

  it('a FIFO opened read-write (3<>fifo): refused at once, no hang (its end never comes)', async () => {
    const { t } = withKey();
    const fifo = join(t.root, 'key.fifo');
    expect(spawnSync('mkfifo', ['-m', '600', fifo]).status).toBe(0);
    // exec: the test's own timeout then ends cpw-vault itself, not only the shell.
    const r = await shell(t, `exec cpw-vault team identity --identity-fd 3 3<>${fifo}`);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('File descriptor 3 is a pipe opened for reading and writing (3<>)');
  }, 30_000);

  it('opens the team file with get, which, team status, exec --team and team pull, read once; the stage does not get the descriptor', async () => {
    const { t } = withKey();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: TOKEN })).code).toBe(0);
    expect((await shell(t, 'cpw-vault team init --add huggingface.token --identity-fd 3 3< key.txt')).code).toBe(0);
    // A home of its own for the CI job: nothing in its vault, the team file and the key given.
    const ci = makeTempHome();
    const team = `--team ${join(t.cwd, 'cpw-team.age')} --identity-fd 3`;
    const get = await shell(ci, `cpw-vault get huggingface token ${team} 3< ${join(t.cwd, 'key.txt')}`);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe(TOKEN);
    expect((await shell(ci, `cpw-vault which huggingface token ${team} 3< ${join(t.cwd, 'key.txt')}`)).stdout).toMatch(/huggingface\.token\s+team /);
    // status asks for the identity twice (its key, then the file's): the descriptor is read once.
    const status = await shell(ci, `cpw-vault team status --file ${join(t.cwd, 'cpw-team.age')} --identity-fd 3 3< ${join(t.cwd, 'key.txt')}`);
    expect(status.code, status.stderr).toBe(0);
    const stage = await shell(ci, `cpw-vault exec --workflow transcribe ${team} --no-mask -- sh -c 'echo "\${HF_TOKEN:+token given}"; cat <&3 || echo "no descriptor 3"' 3< ${join(t.cwd, 'key.txt')}`);
    expect(stage.code, stage.stderr).toBe(0);
    expect(stage.stdout).toBe('token given\nno descriptor 3\n');
    // A line pull gives to run again names the descriptor with the file it was open on: pasted, it runs.
    const typo = await shell(ci, `cpw-vault team pull --file ${join(t.cwd, 'cpw-team.age')} --identity-fd 3 --overwrite huggingface.tokn --yes 3< ${join(t.cwd, 'key.txt')}`);
    expect(typo.code, typo.stderr).toBe(2);
    const again = /\(see: (cpw-vault team pull .*--dry-run)\)/.exec(typo.stderr)?.[1];
    expect(again, typo.stderr).toBe(`cpw-vault team pull --file ${join(t.cwd, 'cpw-team.age')} --identity-fd 3 3< ${join(t.cwd, 'key.txt')} --dry-run`);
    expect((await shell(ci, again!)).code).toBe(0);
  }, 60_000);

  it("a descriptor on a file removed since it was opened: pull's line to run again names KEY_FILE, not the gone path", async () => {
    const { t } = withKey();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: TOKEN })).code).toBe(0);
    expect((await shell(t, 'cpw-vault team init --add huggingface.token --identity-fd 3 3< key.txt')).code).toBe(0);
    // Opened, then removed before the command (a copy shredded once the shell held it): /proc names it '... (deleted)'.
    const typo = await shell(t, 'cp key.txt once.txt && exec 3< once.txt && rm once.txt && cpw-vault team pull --identity-fd 3 --overwrite huggingface.tokn --yes');
    expect(typo.code, typo.stderr).toBe(2);
    expect(typo.stderr).toContain('(see: cpw-vault team pull --identity-fd 3 3< KEY_FILE --dry-run)');
    expect(typo.stderr).not.toContain('deleted');
  }, 60_000);

  it('Ctrl-C while team pull waits for a descriptor whose writer never ends (3< <(pass show ...) stuck) cancels at once, exit 130', async () => {
    const { t } = withKey();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: TOKEN })).code).toBe(0);
    expect((await shell(t, 'cpw-vault team init --add huggingface.token --identity-fd 3 3< key.txt')).code).toBe(0);
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
    const child = spawn(process.execPath, [BIN, 'team', 'pull', '--identity-fd', '3', '--yes'], { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const writer = child.stdio[3] as NodeJS.WritableStream; // held open: the input's end never comes
    writer.on('error', () => {});
    onTestFinished(() => void writer.end());
    const done = collect(child);
    // Once it turns Ctrl-C into a cancel (SIGHUP caught with SIGINT and SIGTERM; Node catches SIGINT from its start).
    await until(() => (BigInt(`0x${/^SigCgt:\s*([0-9a-f]+)/m.exec(procStatus(child.pid!))?.[1] ?? '0'}`) & 1n) !== 0n);
    child.kill('SIGINT');
    const r = await done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('cancelled: nothing changed');
  }, 60_000);
});

function procStatus(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}
