// A command's start finishes what a killed writer left (its journal entry, a temp file beside the profile) under the
// profile's lock. Another cpw-vault may hold that lock then: a Ctrl-C or SIGTERM while the start waits for it must end
// the command at once, as at any other wait for the lock (lock-wait.test.ts), and leave what the writer left to the
// next start. A command that takes its signals before it opens the vault (team add re-encrypts the team file, reads
// the identity inside) held the signal the whole 30 s, then said "cancelled".
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BIN, cli, keychainValues } from '../helpers/cli';
import { fixture } from '../helpers/children';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'AtStart'.repeat(6)}`;

/** A `set` killed between its value and its index: its journal entry, owned by a process that is gone. */
async function deadWritersEntry(t: TempHome): Promise<string> {
  const gone = spawn('true');
  await new Promise((exited) => gone.on('exit', exited));
  const owner = { pid: gone.pid, host: hostname(), boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), pidns: readlinkSync('/proc/self/ns/pid') };
  const path = join(dirname(t.profile), 'journal');
  writeFileSync(path, `${JSON.stringify({ transactions: [{ id: 'tx-killed', owner, started_at: new Date().toISOString(), ops: [{ id: 'huggingface.token', kind: 'set' }] }] })}\n`, { mode: 0o600 });
  return path;
}

/** A profile write killed before its rename: the temp file beside the profile. */
async function killedWritersTemp(t: TempHome): Promise<string> {
  const path = `${t.profile}.tmp-${'0a1b2c3d'.repeat(3)}`;
  writeFileSync(path, '{"half": ', { mode: 0o600 });
  return path;
}

/** `cpw-vault ARGS`, with `told` once it says it is waiting for the lock. */
function startWaiting(t: TempHome, args: string[]) {
  const cmd = spawn(process.execPath, [BIN, ...args], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => void cmd.kill('SIGKILL'));
  let stderr = '';
  let stdout = '';
  cmd.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const told = new Promise<void>((resolve) => cmd.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), stderr.includes('waiting for') && resolve())));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => cmd.on('close', (code, signal) => resolve({ code, signal })));
  return { told, ended, stderr: () => stderr, stdout: () => stdout, kill: (signal: NodeJS.Signals) => cmd.kill(signal) };
}

/** The lock of `t`'s profile, held by another process until the test ends (or it is killed). */
async function lockHeld(t: TempHome) {
  const holder = spawn(process.execPath, [fixture('lock-holder'), t.profile], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => void holder.kill('SIGKILL'));
  await new Promise((held) => holder.stdout!.once('data', held));
  return holder;
}

const LEFT = [
  ['a killed set\'s journal entry', deadWritersEntry, 'SIGINT', 130],
  ['a killed write\'s temp file', killedWritersTemp, 'SIGTERM', 143],
] as const;

describe('a Ctrl-C or SIGTERM while a command\'s start waits for another\'s lock to finish what a killed writer left', () => {
  it.each(LEFT)('%s, team add: cancelled at once, the team file as it was; the next start finishes it', async (_name, leave, signal, code) => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const file = join(t.home, 'team.age');
    const init = await cli(t, ['team', 'init', '--file', file, '--add', 'huggingface.token', '--name', 'me']);
    expect(init.code, init.stderr).toBe(0);
    const keyFile = join(t.home, 'bob.key');
    execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
    const bob = execFileSync('age-keygen', ['-y', keyFile], { encoding: 'utf8' }).trim();
    const team = readFileSync(file);
    const recipients = readFileSync(`${file}.recipients`, 'utf8');
    const left = await leave(t);
    const holder = await lockHeld(t);

    const add = startWaiting(t, ['team', 'add', 'bob', bob, '--file', file]);
    await add.told;
    add.kill(signal);
    // The holder never lets go meanwhile: the command ends on its own, and never says it waits again.
    expect(await add.ended, add.stderr()).toEqual({ code, signal: null });
    expect(add.stderr()).toContain('cancelled: nothing changed');
    expect(add.stderr().match(/waiting for/g)).toHaveLength(1);
    expect(add.stderr()).not.toContain(HF.slice(3, 20));
    expect(existsSync(`${t.profile}.lock`), 'the holder\'s lock is kept').toBe(true);
    expect(existsSync(left), 'left for the next start').toBe(true);
    expect(readFileSync(file).equals(team)).toBe(true);
    expect(readFileSync(`${file}.recipients`, 'utf8')).toBe(recipients);

    holder.kill('SIGKILL');
    // The next starts: get finishes a journal entry; the light path leaves a temp file to the full CLI's (profile show).
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    expect((await cli(t, ['profile', 'show'])).code).toBe(0);
    expect(existsSync(left), 'finished by the next start').toBe(false);
    expect(await keychainValues(t)).toMatchObject({ 'huggingface.token': HF });
    expect((await cli(t, ['doctor'])).stdout).not.toMatch(/✗/);
  });
});

// The commands that read (get, list, exec, doctor, profile show...) took no signal there: the signal's default action
// ended them, safely (the journal covers it) but with no "cancelled" and no exit 130, unlike every other command.
const READERS = [
  ['get', 'SIGINT', 130, ['get', 'huggingface', 'token']],
  ['get', 'SIGTERM', 143, ['get', 'huggingface', 'token']],
  ['list', 'SIGINT', 130, ['list']],
  ['env', 'SIGINT', 130, ['env', '--workflow', 'transcribe']],
  ['which', 'SIGINT', 130, ['which', 'huggingface', 'token']],
  ['check', 'SIGINT', 130, ['check', 'transcribe']],
  ['exec', 'SIGINT', 130, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'echo ran > stage-ran']],
  ['doctor', 'SIGINT', 130, ['doctor']],
  ['profile show', 'SIGINT', 130, ['profile', 'show']],
  ['runs', 'SIGINT', 130, ['runs']],
] as const;

describe('a signal while a read command\'s start waits for another\'s lock to finish what killed writers left', () => {
  it.each(READERS)('%s, %s: "cancelled: nothing changed" at once, nothing printed or run; the next start finishes it', async (_name, signal, code, args) => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const left = [await deadWritersEntry(t), await killedWritersTemp(t)];
    const holder = await lockHeld(t);

    const cmd = startWaiting(t, [...args]);
    await cmd.told;
    cmd.kill(signal);
    expect(await cmd.ended, cmd.stderr()).toEqual({ code, signal: null });
    expect(cmd.stderr()).toContain('cancelled: nothing changed');
    expect(cmd.stderr().match(/waiting for/g)).toHaveLength(1);
    expect(cmd.stdout()).toBe('');
    expect(existsSync(join(t.cwd, 'stage-ran')), 'no stage started').toBe(false);
    for (const path of left) expect(existsSync(path), `${path} left for the next start`).toBe(true);

    holder.kill('SIGKILL');
    const doctor = await cli(t, ['doctor']);
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
    for (const path of left) expect(existsSync(path), `${path} finished by the next start`).toBe(false);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    expect(await keychainValues(t)).toMatchObject({ 'huggingface.token': HF });
  });
});
