// `cpw-vault env --workflow W --format dotenv > .env.local` (the help's own
// example) and `get ... > token.txt` under the usual umask 022 left the
// values in a file every user of the machine could read. Such a stdout is
// made 0600 before a value is written, and the user is told; a terminal,
// pipe or /dev/null is left alone; another user's file is refused.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { fixture } from '../helpers/children';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'SecretOut'.repeat(4)}`;

/** `cpw-vault <args>` from bash under umask 022, with `redirect` (a bash redirection) as its stdout. */
/** `cpw-vault args redirect` run by bash under `umask`, after `before` (a pipe into it). */
function sh(t: TempHome, args: string, redirect: string, umask = '022', before = '') {
  return spawnSync('bash', ['-c', `umask ${umask}; ${before} "${process.execPath}" "${BIN}" ${args} ${redirect}`], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8' });
}
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('secret values written to a file others can read', () => {
  it('env > .env.local, get > file and get >> an existing 0644 file: made 0600 before the values, said on stderr', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const dotenv = join(t.cwd, '.env.local');
    const r = sh(t, 'env --workflow transcribe --format dotenv', `> "${dotenv}"`);
    expect(r.status, r.stderr).toBe(0);
    expect(mode(dotenv)).toBe('600');
    expect(r.stderr).toBe(`note: ${dotenv} was readable by other users (0644); it is now 0600, as the secret values written to it need.\n`);
    expect(readFileSync(dotenv, 'utf8')).toContain(`HF_TOKEN='${HF}'`);
    const existing = join(t.cwd, 'notes.txt');
    writeFileSync(existing, 'kept\n');
    chmodSync(existing, 0o644);
    for (const [args, redirect, file] of [['get huggingface token', `> "${join(t.cwd, 'token.txt')}"`, join(t.cwd, 'token.txt')], ['get huggingface token --json', `>> "${existing}"`, existing]] as const) {
      const g = sh(t, args, redirect);
      expect(g.status, g.stderr).toBe(0);
      expect(g.stderr).toContain('was readable by other users (0644); it is now 0600');
      expect(mode(file)).toBe('600');
      expect(readFileSync(file, 'utf8')).toContain(HF);
    }
    expect(readFileSync(existing, 'utf8')).toMatch(/^kept\n/);
    // Already private, a pipe, /dev/null: nothing said, nothing changed.
    const again = sh(t, 'get huggingface token', `> "${dotenv}"`);
    expect(again.stderr).toBe('');
    expect(sh(t, 'get huggingface token', '| cat').stderr).toBe('');
    expect(sh(t, 'env --workflow transcribe', '> /dev/null').stderr).toBe('');
    expect(mode('/dev/null')).toBe('666');
  });

  it("another user's file (planted in /tmp under the name redirected to): refused, nothing written", (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip(); // needs root to run the child as nobody
    const t = makeTempHome();
    const out = join(t.cwd, 'shared.txt');
    const r = spawnSync('bash', ['-c', `umask 022; : > "${out}"; setpriv --reuid=65534 --regid=65534 --clear-groups "${process.execPath}" "${fixture('secret-output')}" >> "${out}"`], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`INVALID_ARGUMENT: Refusing to write secret values to ${out}: it belongs to another user (uid 0), who can read it whatever its mode (0644). | Write them to a file of your own (e.g. umask 077; cpw-vault env --workflow W --format dotenv > ~/.env.local), or pipe them.\n`);
    expect(mode(out)).toBe('644');
    expect(readFileSync(out, 'utf8')).toBe('');
  });

  it('a new file others can reach: created readable (umask 022) it is refused, nothing written, as another user may hold it open already; created private it is written', async (ctx) => {
    // The shell creates `> .env.local` 0644 before cpw-vault starts: a user polling the folder opened it in that
    // window and read the values after the chmod (a descriptor keeps its access). Only a folder others cannot enter
    // makes that window harmless.
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const open = mkdtempSync('/tmp/cpw-reach-');
    chmodSync(open, 0o755);
    ctx.onTestFinished(() => rmSync(open, { recursive: true, force: true }));
    for (const args of ['env --workflow transcribe --format dotenv', 'get huggingface token']) {
      const out = join(open, `${args.split(' ')[0]}.out`);
      const r = sh(t, args, `> "${out}"`);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`Refusing to write secret values to ${out}: it is readable by other users (0644) in a folder they can reach`);
      expect(r.stderr).toContain('the empty file was removed');
      expect(r.stderr).toContain('umask 077');
      expect(existsSync(out)).toBe(false);
      const ok = sh(t, args, `> "${out}"`, '077');
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stderr).toBe('');
      expect(readFileSync(out, 'utf8')).toContain(HF);
    }
  });

  it('the refusal\'s own fix cannot re-arm the file: a reader holding it open from before reads nothing after `umask 077` and the same redirect', async (ctx) => {
    // Made 0600 and left in place, the refused file was accepted by the next run (umask 077 does not touch an
    // existing file) while another user's descriptor, opened when it was 0644, read every value.
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const open = mkdtempSync('/tmp/cpw-rearm-');
    chmodSync(open, 0o755);
    ctx.onTestFinished(() => rmSync(open, { recursive: true, force: true }));
    const out = join(open, 'tok.txt');
    writeFileSync(out, 'old\n', { mode: 0o644 });
    const held = openSync(out, 'r'); // the other user's descriptor
    ctx.onTestFinished(() => closeSync(held));
    await sleep(100); // made a while before the command: within a clock tick of its start it would count as its own
    // Emptied by the shell's `>`, it is not this command's to remove (it may be a file a planted link led to): left,
    // and the fix says to remove it first.
    const refused = sh(t, 'get huggingface token', `> "${out}"`);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`the empty file was left in place, as it was there before this command ran`);
    expect(refused.stderr).toContain(`rm ${out} first`);
    expect(mode(out)).toBe('644');
    rmSync(out);
    const again = sh(t, 'get huggingface token', `> "${out}"`, '077');
    expect(again.status, again.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(HF);
    expect(readFileSync(held, 'utf8')).toBe('');
    // Appended to (`>>`), a file with content is not removed: it keeps its mode and is refused again, untouched.
    const log = join(open, 'log.txt');
    writeFileSync(log, 'kept\n', { mode: 0o644 });
    for (let i = 0; i < 2; i++) {
      const r = sh(t, 'get huggingface token', `>> "${log}"`, '077');
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`rm ${log} first`);
    }
    expect(readFileSync(log, 'utf8')).toBe('kept\n');
    expect(mode(log)).toBe('644');
  });

  it("an empty file the user already had, reached by `>>` through a link another user planted in /tmp: refused, nothing written, and the file kept", async (ctx) => {
    // The shell leaves the target of `>>` as it was, and cpw-vault removed it as if the shell had just made it:
    // another user could have any empty file of the victim's (a marker, a lock, a flag) removed by their get or env.
    if (process.getuid?.() !== 0) return ctx.skip(); // needs root to plant the link as nobody
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const base = mkdtempSync('/tmp/cpw-marker-');
    chmodSync(base, 0o755);
    ctx.onTestFinished(() => rmSync(base, { recursive: true, force: true }));
    const home = join(base, 'home');
    mkdirSync(home, { mode: 0o711 });
    chmodSync(home, 0o711);
    const marker = join(home, 'marker');
    writeFileSync(marker, '', { mode: 0o644 });
    const shared = join(base, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const link = join(shared, 'out.txt');
    expect(spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'ln', '-s', marker, link]).status).toBe(0);
    const before = statSync(marker);
    await sleep(100); // made a while before the command: within a clock tick of its start it would count as its own
    // Through the planted link, and named directly: the same file, there before the command ran.
    for (const target of [link, marker]) {
      const r = sh(t, 'get huggingface token', `>> "${target}"`);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`Refusing to write secret values to ${marker}: it is readable by other users (0644) in a folder they can reach`);
      expect(r.stderr).toContain('Nothing was written; the empty file was left in place, as it was there before this command ran (the redirect of a { ...; } group or a loop makes it first; or a link led the redirect to it).');
      expect(r.stderr).not.toContain('was removed');
      expect(r.stderr).not.toContain(HF);
      const now = statSync(marker);
      expect([now.ino, now.size, mode(marker)]).toEqual([before.ino, 0, '644']);
    }
  });

  it('git-credential get, tried by hand into a file: the same protection as get (it wrote password=... into a 0644 file)', async (ctx) => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const open = mkdtempSync('/tmp/cpw-gitcred-');
    chmodSync(open, 0o755);
    ctx.onTestFinished(() => rmSync(open, { recursive: true, force: true }));
    const out = join(open, 'answer.txt');
    const request = `printf 'protocol=https\\nhost=huggingface.co\\n\\n' |`;
    const r = sh(t, 'git-credential get', `> "${out}"`, '022', request);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`Refusing to write secret values to ${out}`);
    expect(existsSync(out)).toBe(false);
    // Through a pipe, as git asks: answered.
    const piped = sh(t, 'git-credential get', '| cat', '022', request);
    expect(piped.stdout).toContain(`password=${HF}\n`);
  });

  it('a group folder (setgid, another group): the group\'s members are other users, so a 0660 file there is refused', async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip(); // chown to another group
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const base = mkdtempSync('/tmp/cpw-group-');
    chmodSync(base, 0o755);
    ctx.onTestFinished(() => rmSync(base, { recursive: true, force: true }));
    const team = join(base, 'team');
    expect(spawnSync('bash', ['-c', `mkdir "${team}" && chown 0:65534 "${team}" && chmod 2770 "${team}"`]).status).toBe(0);
    const out = join(team, 'tok');
    const r = sh(t, 'get huggingface token', `> "${out}"`, '007');
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`it is readable by other users (0660) in a folder they can reach`);
    expect(existsSync(out)).toBe(false);
  });

  it("a file in another user's folder (where a link planted in /tmp leads): refused whatever its mode, nothing written", async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip();
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const base = mkdtempSync('/tmp/cpw-theirs-');
    ctx.onTestFinished(() => rmSync(base, { recursive: true, force: true }));
    const theirs = join(base, 'nobody');
    expect(spawnSync('bash', ['-c', `mkdir -m 700 "${theirs}" && chown 65534:65534 "${theirs}"`]).status).toBe(0);
    const out = join(theirs, 'steal');
    const r = sh(t, 'get huggingface token', `> "${out}"`, '077');
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`Refusing to write secret values to ${out}: it is in a folder of another user (uid 65534)`);
    expect(readFileSync(out, 'utf8')).toBe('');
  });

  it("root writing to another user's file planted in a 1777 folder (0600 or 0666): refused, nothing written, its mode kept", async (ctx) => {
    // Root can open any file, and the owner can read their own file whatever its mode: as root (a container, CI)
    // the owner check was skipped and a 0600 file was not even looked at, so the planter read every value.
    if (process.getuid?.() !== 0) return ctx.skip();
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const shared = mkdtempSync('/tmp/cpw-planted-'); // the test home is 0700: nobody could not reach a folder in it
    chmodSync(shared, 0o1777);
    ctx.onTestFinished(() => rmSync(shared, { recursive: true, force: true }));
    for (const planted of ['600', '666']) {
      const out = join(shared, `env-${planted}.txt`);
      const p = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', '-c', `umask 0; : > "${out}"; chmod ${planted} "${out}"`], { encoding: 'utf8' });
      expect(p.status, p.stderr).toBe(0);
      for (const [args, redirect] of [['env --workflow transcribe --format dotenv', `>> "${out}"`], ['get huggingface token', `> "${out}"`]] as const) {
        const r = sh(t, args, redirect);
        expect(r.status).toBe(2);
        expect(r.stderr).toContain(`Refusing to write secret values to ${out}: it belongs to another user (uid 65534), who can read it whatever its mode (0${planted}).`);
        // The fix's example is the command that was refused (get's named env's, a command the user never ran).
        expect(r.stderr).toContain(args.startsWith('get') ? 'e.g. umask 077; cpw-vault get huggingface token > ~/token.txt' : 'e.g. umask 077; cpw-vault env --workflow W --format dotenv > ~/.env.local');
        expect(r.stderr).not.toContain(HF);
        expect(readFileSync(out, 'utf8')).toBe('');
        expect(mode(out)).toBe(planted);
      }
    }
    // sudo: the file the invoking user's shell made (private, in a folder others can reach) is theirs.
    const mine = join(shared, 'sudoer.txt');
    spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', '-c', `umask 077; : > "${mine}"`]);
    const s = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" get huggingface token >> "${mine}"`], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, SUDO_UID: '65534' }, encoding: 'utf8' });
    expect(s.status, s.stderr).toBe(0);
    expect(readFileSync(mine, 'utf8')).toBe(HF);
    expect(mode(mine)).toBe('600');
  });
  it("a FIFO another user planted under the name redirected to: refused, its reader gets nothing; the user's own FIFO others can open and another user's device are refused too", async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip(); // needs root to plant as nobody
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const shared = mkdtempSync('/tmp/cpw-planted-');
    chmodSync(shared, 0o1777);
    ctx.onTestFinished(() => rmSync(shared, { recursive: true, force: true }));
    const fifo = join(shared, '.env.local');
    const stolen = join(shared, 'stolen');
    expect(spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', '-c', `umask 0; mkfifo -m 622 "${fifo}"; : > "${stolen}"`]).status).toBe(0);
    for (const args of ['get huggingface token', 'env --workflow transcribe --format dotenv']) {
      // The planter reads whatever comes; the victim's shell opens the FIFO (the reader lets it), then cpw-vault runs.
      const reader = spawnSync('bash', ['-c', `setpriv --reuid=65534 --regid=65534 --clear-groups bash -c 'cat "${fifo}" >> "${stolen}"' & umask 022; "${process.execPath}" "${BIN}" ${args} > "${fifo}"; echo "exit=$?" >&2; wait`], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8', timeout: 60_000 });
      expect(reader.stderr).toContain(`Refusing to write secret values to ${fifo}: it belongs to another user (uid 65534)`);
      expect(reader.stderr).toContain('exit=2');
      expect(readFileSync(stolen, 'utf8')).toBe('');
    }
    // The user's own FIFO that others can open: refused too (its reader may be theirs: a chmod once it is open is too late).
    const own = join(t.cwd, 'own.fifo');
    expect(spawnSync('bash', ['-c', `umask 0; mkfifo -m 644 "${own}"`]).status).toBe(0);
    const open = spawnSync('bash', ['-c', `cat "${own}" > "${own}.out" & "${process.execPath}" "${BIN}" get huggingface token > "${own}"; echo "exit=$?" >&2; wait`], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8', timeout: 60_000 });
    expect(open.stderr).toContain(`Refusing to write secret values to ${own}: it is a FIFO other users can open (mode 0644)`);
    expect(open.stderr).toContain('exit=2');
    expect(readFileSync(`${own}.out`, 'utf8')).toBe('');
    // Made private first, it works.
    chmodSync(own, 0o600);
    const mine = spawnSync('bash', ['-c', `cat "${own}" > "${own}.out" & "${process.execPath}" "${BIN}" get huggingface token > "${own}"; wait`], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8', timeout: 60_000 });
    expect(mine.status, mine.stderr).toBe(0);
    expect(mine.stderr).toBe('');
    expect(readFileSync(`${own}.out`, 'utf8')).toBe(HF);
    // A device of another user (a link planted to their terminal, opened to all): refused.
    const theirs = mkdtempSync('/tmp/cpw-their-dev-'); // as /dev/pts: not a sticky folder
    ctx.onTestFinished(() => rmSync(theirs, { recursive: true, force: true }));
    chmodSync(theirs, 0o755);
    const device = join(theirs, 'their-tty');
    expect(spawnSync('mknod', ['-m', '666', device, 'c', '1', '3']).status).toBe(0);
    chownSync(device, 65534, 65534);
    const dev = sh(t, 'get huggingface token', `> "${device}"`);
    expect(dev.status, dev.stderr).toBe(2);
    expect(dev.stderr).toContain(`Refusing to write secret values to ${device}: it is a device of another user (uid 65534).`);
  });
});

describe('the fix line of a refused FIFO, pasted', () => {
  // Its chmod named the FIFO unquoted: "chmod 600 /x/my fifo $(touch PWNED)" pasted chmod'ed other files and ran the $(...).
  it("the user's own FIFO others can open, named with a space, a quote and $(...): the chmod printed, run by sh, makes it 0600 and runs nothing", async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const own = join(t.cwd, "it's my fifo $(touch PWNED)");
    expect(spawnSync('mkfifo', ['-m', '644', own]).status).toBe(0);
    const r = spawnSync('bash', ['-c', 'cat -- "$1" > /dev/null & "$2" "$3" env --workflow transcribe > "$1"; echo "exit=$?" >&2; wait', '_', own, process.execPath, BIN], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toContain('exit=2');
    const chmod = /or (chmod 600 .*)\), or use a pipe\./.exec(r.stderr)?.[1];
    expect(chmod).toBeDefined();
    const pasted = spawnSync('sh', ['-c', chmod!], { cwd: t.cwd, encoding: 'utf8' });
    expect(pasted.status, pasted.stderr).toBe(0);
    expect(mode(own)).toBe('600');
    expect(existsSync(join(t.cwd, 'PWNED'))).toBe(false);
  });
});
