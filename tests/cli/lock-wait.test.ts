// A command behind another cpw-vault's lock says it is waiting (after a
// second), then goes on once the lock is free: it never looks hung for the
// 30 s it may wait, and never gives up while the holder lives.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { constants, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { fixture } from '../helpers/children';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'LockWait'.repeat(5)}`;

/** `cpw-vault set huggingface token` (value on stdin), with `told` once it says it is waiting. */
function startSet(t: TempHome) {
  return startWaiting(t, ['set', 'huggingface', 'token'], HF);
}

/** `cpw-vault ARGS` (`input` on stdin), with `told` once it says it is waiting. */
function startWaiting(t: TempHome, args: string[], input = '') {
  const set = spawn(process.execPath, [BIN, ...args], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['pipe', 'pipe', 'pipe'] });
  set.stdin.end(input);
  let stderr = '';
  const told = new Promise<void>((resolve) => set.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), stderr.includes('waiting for') && resolve())));
  const code = new Promise<number | null>((resolve) => set.on('close', resolve));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => set.on('close', (code, signal) => resolve({ code, signal })));
  return { told, code, ended, stderr: () => stderr, kill: (signal: NodeJS.Signals) => set.kill(signal) };
}

describe('a command waiting for the profile lock', () => {
  it('set says who it waits for, then stores the value once the holder is gone; the notice never holds the value', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['profile', 'set', 'name=Waiter'])).code).toBe(0);
    const holder = spawn(process.execPath, [fixture('lock-holder'), t.profile], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((held) => holder.stdout!.once('data', held));
    onTestFinished(() => void holder.kill('SIGKILL')); // also when the test fails before it lets go
    const set = startSet(t);
    await set.told;
    const stderr = set.stderr();
    expect(stderr).toMatch(new RegExp(`cpw-vault: waiting for process ${holder.pid} \\(since [^)]+\\) to release ${t.profile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\.lock \\(at most \\d+ s more\\)\\.\\.\\.`));
    holder.kill('SIGKILL');
    expect(await set.code).toBe(0);
    expect(set.stderr()).not.toContain(HF);
    expect(set.stderr().match(/waiting for/g)).toHaveLength(1);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    expect(existsSync(`${t.profile}.lock`)).toBe(false);
    expect(readFileSync(t.profile, 'utf8')).toContain('huggingface.token');
  });

  // A SIGTERM while it waited was held for the 30 s wait, then set failed PROFILE_LOCKED (exit 1) after 30 s more (it
  // waited again to take back a claim it never made). A SIGUSR2, SIGALRM (`timeout -s ALRM`) or SIGVTALRM killed it
  // by its default action: each signal exec takes cancels now, as SIGTERM does.
  it('a SIGTERM, SIGUSR2, SIGALRM or SIGVTALRM while set waits is "cancelled: nothing changed" at once, exit 128+n, and the holder\'s lock is kept', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['profile', 'set', 'name=Waiter'])).code).toBe(0);
    const holder = spawn(process.execPath, [fixture('lock-holder'), t.profile], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((held) => holder.stdout!.once('data', held));
    onTestFinished(() => void holder.kill('SIGKILL'));
    const profile = readFileSync(t.profile, 'utf8');
    for (const signal of ['SIGTERM', 'SIGUSR2', 'SIGALRM', 'SIGVTALRM'] as const) {
      const set = startSet(t);
      await set.told;
      set.kill(signal);
      expect(await set.ended, `${signal}: ${set.stderr()}`).toEqual({ code: 128 + constants.signals[signal], signal: null });
      expect(set.stderr()).toContain('cancelled: nothing changed');
      expect(set.stderr()).not.toContain(HF);
      expect(existsSync(`${t.profile}.lock`), signal).toBe(true);
    }
    holder.kill('SIGKILL');
    expect(readFileSync(t.profile, 'utf8')).toBe(profile);
    expect((await cli(t, ['get', 'huggingface', 'token'])).code).toBe(3);
    expect((await cli(t, ['doctor'])).stdout).not.toMatch(/✗/);
  });

  // backend use waited out the 30 s with the signal held, then failed PROFILE_LOCKED (exit 1): its record of the move
  // is written under the profile's lock, and that wait did not take the command's abort as set's does.
  it('a SIGTERM while `backend use file` waits is "cancelled: nothing changed" at once, exit 143, no vault file made', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const pass = join(t.home, 'pass');
    writeFileSync(pass, 'correct horse battery staple 42\n', { mode: 0o600 });
    const holder = spawn(process.execPath, [fixture('lock-holder'), t.profile], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((held) => holder.stdout!.once('data', held));
    onTestFinished(() => void holder.kill('SIGKILL'));
    const profile = readFileSync(t.profile, 'utf8');
    const use = startWaiting(t, ['backend', 'use', 'file', '--passphrase-file', pass]);
    await use.told;
    use.kill('SIGTERM');
    expect(await use.ended, use.stderr()).toEqual({ code: 143, signal: null });
    expect(use.stderr()).toContain('cancelled: nothing changed');
    expect(use.stderr()).not.toContain('PROFILE_LOCKED');
    expect(existsSync(`${t.profile}.lock`)).toBe(true);
    holder.kill('SIGKILL');
    expect(readFileSync(t.profile, 'utf8')).toBe(profile);
    expect(existsSync(`${t.profile}.vault.age`)).toBe(false);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    expect((await cli(t, ['doctor'])).stdout).not.toMatch(/✗/);
  });

  // team push (add, remove, init) waited out the 30 s for another's lock of the team file with the signal held, then
  // failed PROFILE_LOCKED (exit 1).
  it('a SIGTERM while `team push` waits for the team file\'s lock is "cancelled: nothing changed" at once, exit 143', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const file = join(t.home, 'team.age');
    const init = await cli(t, ['team', 'init', '--file', file, '--add', 'huggingface.token', '--name', 'me']);
    expect(init.code, init.stderr).toBe(0);
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `${HF}2` })).code).toBe(0);
    const team = readFileSync(file);
    const holder = spawn(process.execPath, [fixture('lock-holder'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((held) => holder.stdout!.once('data', held));
    onTestFinished(() => void holder.kill('SIGKILL'));
    const push = startWaiting(t, ['team', 'push', '--file', file]);
    await push.told;
    push.kill('SIGTERM');
    expect(await push.ended, push.stderr()).toEqual({ code: 143, signal: null });
    expect(push.stderr()).toContain('cancelled: nothing changed');
    expect(push.stderr()).not.toContain('PROFILE_LOCKED');
    expect(existsSync(`${file}.lock`)).toBe(true);
    holder.kill('SIGKILL');
    expect(readFileSync(file).equals(team)).toBe(true);
  });

  // A first `team identity` waits for another's identity lock (a first use in another terminal): a SIGTERM was held
  // for the 30 s, then PROFILE_LOCKED (exit 1).
  it('a SIGTERM while `team identity` waits for the identity lock is "cancelled: nothing changed" at once, exit 143', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['profile', 'set', 'name=Waiter'])).code).toBe(0);
    const holder = spawn(process.execPath, [fixture('lock-holder'), `${t.profile}.team-identity`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((held) => holder.stdout!.once('data', held));
    onTestFinished(() => void holder.kill('SIGKILL'));
    const identity = startWaiting(t, ['team', 'identity']);
    await identity.told;
    identity.kill('SIGTERM');
    expect(await identity.ended, identity.stderr()).toEqual({ code: 143, signal: null });
    expect(identity.stderr()).toContain('cancelled: nothing changed');
    holder.kill('SIGKILL');
    expect((await cli(t, ['get', 'cpw-vault', 'team_identity'])).code).toBe(3);
  });

  // doctor --repair's own change (the index's stale entries dropped) waited for another's lock with no signal taken:
  // a Ctrl-C there was held up to the 30 s, then the repair went on.
  it('a Ctrl-C while `doctor --repair` waits to drop a stale entry is "cancelled: nothing changed" at once, exit 130; the next repair drops it', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    // Its value removed outside cpw-vault: the index lists it, the keychain does not hold it.
    execFileSync('secret-tool', ['clear', 'service', t.service, 'account', 'huggingface.token']);
    const profile = readFileSync(t.profile, 'utf8');
    const holder = spawn(process.execPath, [fixture('lock-holder'), t.profile], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((held) => holder.stdout!.once('data', held));
    onTestFinished(() => void holder.kill('SIGKILL'));
    const repair = startWaiting(t, ['doctor', '--repair']);
    await repair.told;
    repair.kill('SIGINT');
    // The holder never lets go meanwhile: the repair ends on its own, and never says it waits again.
    expect(await repair.ended, repair.stderr()).toEqual({ code: 130, signal: null });
    expect(repair.stderr()).toContain('cancelled: nothing changed');
    expect(repair.stderr().match(/waiting for/g)).toHaveLength(1);
    expect(existsSync(`${t.profile}.lock`), 'the holder\'s lock is kept').toBe(true);
    expect(readFileSync(t.profile, 'utf8')).toBe(profile);
    holder.kill('SIGKILL');
    const again = await cli(t, ['doctor', '--repair']);
    expect(again.stderr).toContain('huggingface.token');
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).credential_metadata['huggingface.token']).toBeUndefined();
  });

  it('set says so while another live cpw-vault is changing the same credential, then stores the value once it is gone', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['profile', 'set', 'name=Waiter'])).code).toBe(0);
    // Another cpw-vault mid-change of huggingface.token, as its journal entry says (a live process of this host).
    const other = spawn('sleep', ['600'], { stdio: 'ignore' });
    onTestFinished(() => void other.kill('SIGKILL'));
    const owner = { pid: other.pid, host: hostname(), boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), pidns: readlinkSync('/proc/self/ns/pid') };
    const tx = { id: 'tx-other', owner, started_at: new Date().toISOString(), ops: [{ id: 'huggingface.token', kind: 'set' }, { id: 'tmdb.api_key', kind: 'set' }] };
    writeFileSync(join(dirname(t.profile), 'journal'), `${JSON.stringify({ transactions: [tx] })}\n`, { mode: 0o600 });
    const set = startSet(t);
    await set.told;
    const stderr = set.stderr();
    // Only the credential both change is named.
    expect(stderr).toMatch(new RegExp(`cpw-vault: waiting for process ${other.pid} to finish changing huggingface\\.token \\(at most \\d+ s more\\)\\.\\.\\.`));
    other.kill('SIGKILL');
    expect(await set.code).toBe(0);
    expect(set.stderr()).not.toContain(HF);
    expect(set.stderr().match(/waiting for/g)).toHaveLength(1);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
  });
});
