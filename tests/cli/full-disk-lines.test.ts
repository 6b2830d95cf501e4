// The JSON-lines files a command appends to (the run history, the audit log) on a disk that fills up in the middle of
// a line. The kernel then writes part of it (a short write), which the appends took for done: the history kept a
// damaged line (warned about at every later `runs`, the run's start lost with its end orphaned), and the audit log's
// cut line swallowed the next event appended after it. A file size limit (`prlimit --fsize`, bytes) cuts a write at
// an exact offset, as a full disk does, without a disk to fill: Node ignores SIGXFSZ, so the write is short, then
// fails with EFBIG.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect } from '../helpers/children';
import { BIN, cli } from '../helpers/cli';
import { fileCli, fileEnv, makeFileVaultHome, vaultBytes } from '../helpers/file-vault';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'Full'.repeat(9)}`;

async function ready(): Promise<TempHome> {
  const t = makeTempHome();
  expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
  return t;
}

/** `cpw-vault args` with writes past `bytes` in any one file cut short. */
function limited(t: TempHome, bytes: number, args: string[]) {
  const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
  return collect(spawn('prlimit', [`--fsize=${bytes}`, '--', process.execPath, BIN, ...args], { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

describe('a history line that cannot be written whole', () => {
  it('is taken back: the history stays byte-identical, the run is said not recorded (once, why, and the fix), and `runs` warns of nothing', async () => {
    const t = await ready();
    expect((await cli(t, ['exec', '--workflow', 'transcribe', '--', 'true'])).code).toBe(0);
    const history = join(t.home, '.cp-whisperx', 'runs.jsonl');
    // Bigger than every other file exec writes (the limit is per file), so only the history's next line passes it.
    const one = readFileSync(history, 'utf8');
    writeFileSync(history, one.repeat(Math.ceil(64 * 1024 / one.length)));
    const before = readFileSync(history);
    // 60 bytes of the start line fit: the rest does not.
    const r = await limited(t, before.length + 60, ['exec', '--workflow', 'transcribe', '--', 'echo', 'stage ran']);
    expect([r.code, r.stdout], r.stderr).toEqual([0, 'stage ran\n']);
    expect(r.stderr).toBe(`warning: could not record the run in ${history}: Cannot write ${history}: the file would pass this process's file size limit (EFBIG). Fix: Raise the limit (ulimit -f unlimited in the shell that runs it), then run the command again.\n`);
    expect(readFileSync(history).equals(before)).toBe(true);
    const runs = await cli(t, ['runs']);
    expect([runs.code, runs.stderr]).toEqual([0, '']);
  });
});

describe('an audit line that cannot be written whole', () => {
  it('does not swallow the event appended after it', async () => {
    const t = await ready();
    const log = join(t.home, '.cp-whisperx', 'audit.log');
    const one = readFileSync(log, 'utf8');
    writeFileSync(log, one.repeat(Math.ceil(32 * 1024 / one.length)));
    const size = statSync(log).size;
    // The read's audit line is cut after 40 bytes: the value is still printed (the read happened), with a warning.
    const cut = await limited(t, size + 40, ['get', 'huggingface', 'token']);
    expect(cut.stdout).toBe(HF);
    expect(cut.stderr).not.toContain(HF);
    expect(statSync(log).size).toBe(size + 40);
    // The next read's event is on a line of its own, whole.
    expect((await cli(t, ['get', 'huggingface', 'token'])).code).toBe(0);
    const last = JSON.parse(readFileSync(log, 'utf8').trimEnd().split('\n').pop()!) as { event: string; credential: string };
    expect(last).toMatchObject({ event: 'credential_read', credential: 'huggingface.token' });
  });
});

describe('a vault file that cannot be rewritten (a full disk, a file size limit)', () => {
  it('a set over an existing key changes nothing and says so plainly: never "may keep the change", nor "once the keychain answers"', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    const old = `old-${'o'.repeat(5000)}`;
    expect((await fileCli(h, ['set', 'custom', 'big'], { input: old })).code).toBe(0);
    const before = vaultBytes(h);
    // The new vault is over 5 KB: its temp file cannot be written under a 4 KB limit (EFBIG, as ENOSPC on a full disk).
    const r = await collect(spawn('prlimit', ['--fsize=4096', '--', process.execPath, BIN, 'set', 'custom', 'big'], { cwd: h.cwd, env: fileEnv(h), stdio: ['pipe', 'pipe', 'pipe'] }), `new-${'n'.repeat(5000)}`);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('(EFBIG)');
    expect(r.stderr).not.toMatch(/may keep the change|undo did not finish|keychain answers/);
    expect(vaultBytes(h)).toEqual(before);
    const get = await fileCli(h, ['get', 'custom', 'big']);
    expect(get.stdout).toBe(old);
    expect((await fileCli(h, ['lock'])).code).toBe(0);
  }, 120_000);
});

/** A 64 KiB tmpfs mounted over `dir` (as root), its files copied in, or undefined where that cannot be done. */
function smallDisk(dir: string): (() => void) | undefined {
  const aside = `${dir}.aside`;
  cpSync(dir, aside, { recursive: true });
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir], { stdio: 'ignore' }).status !== 0) return undefined;
  cpSync(aside, dir, { recursive: true });
  return () => void spawnSync('umount', [dir], { stdio: 'ignore' });
}

describe('a lock that cannot be created on a full disk', () => {
  // Every command takes a lock before it writes: on a full disk it said "Check that <lock>'s folder exists and is
  // writable", sending the user after a folder that was fine (the exec's history warning, a set, a profile change).
  it('says the disk is full, with the fix for it, in exec\'s history warning and in a command\'s error', async (ctx) => {
    const t = await ready();
    const dir = join(t.home, '.cp-whisperx');
    const unmount = smallDisk(dir);
    if (!unmount) return ctx.skip();
    try {
      spawnSync('sh', ['-c', 'head -c 1048576 /dev/zero > "$0/filler"', dir], { stdio: 'ignore' });
      const exec = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'echo', 'stage ran']);
      expect([exec.code, exec.stdout], exec.stderr).toEqual([0, 'stage ran\n']);
      expect(exec.stderr).toContain(`warning: could not record the run in ${join(dir, 'runs.jsonl')}: Cannot write ${join(dir, 'runs.jsonl.lock')}: the disk is full (ENOSPC). Fix: Free some space on that disk (df -h ${dir}), then run the command again.`);
      const set = await cli(t, ['profile', 'set', 'name=Ada']);
      expect(set.code).toBe(1);
      expect(set.stderr).toContain('the disk is full (ENOSPC)');
      expect(set.stderr).not.toContain('exists and is writable');
    } finally {
      unmount();
    }
  });
});
