import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { makeFileVaultHome } from '../helpers/file-vault';
import { collect, type ChildResult } from '../helpers/children';
import { isStopped, stopAt, until } from '../helpers/lock-stop';
import { makeTempHome, type TempHome } from '../helpers/temp';

/**
 * A CI job (`setsid ... < /dev/null`: no terminal) on a host where dbus-run-session and gnome-keyring-daemon are
 * installed but no keychain answers. check, list and doctor offered the vault file as `cpw-vault backend use file`
 * (doctor: "asks a passphrase twice"): pasted into the job, it failed with "There is no terminal to ask the passphrase
 * on", and only then said to add --passphrase-file. Each line is pasted here as a CI job runs it.
 */

const PASSPHRASE = 'ci passphrase of the vault 42';
const TOKEN = 'hf_abcdefghijklmnopqrstuvwxyz0123456789';

/** `cpw-vault ...args` as a CI job runs it: a session of its own, stdin /dev/null, no D-Bus session bus. */
function inCi(t: TempHome, command: string[]): Promise<ChildResult> {
  return collect(ciJob(t, command));
}

/**
 * {@link inCi}'s job, started: with `stopped`, it stops itself before cpw-vault starts (for {@link stopAt}); `env`
 * adds to the job's environment.
 */
function ciJob(t: TempHome, command: string[], options: { stopped?: boolean; env?: Record<string, string> } = {}): ChildProcess {
  const bin = join(t.root, 'bin');
  mkdirSync(bin, { recursive: true });
  if (!existsSync(join(bin, 'cpw-vault'))) symlinkSync(BIN, join(bin, 'cpw-vault'));
  const run = join(t.root, 'run');
  mkdirSync(run, { recursive: true, mode: 0o700 });
  const env: Record<string, string | undefined> = { ...process.env, PATH: `${bin}:${process.env['PATH']}`, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, XDG_RUNTIME_DIR: run, ...options.env };
  for (const name of ['DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'WAYLAND_DISPLAY']) delete env[name];
  const cli = command[0] === 'cpw-vault' ? ['sh', '-ec', command.slice(1).join(' ')] : [process.execPath, BIN, ...command];
  const job = options.stopped ? ['bash', '-c', 'kill -STOP $$; exec "$@"', 'bash', ...cli] : cli;
  return spawn('setsid', ['-w', ...job], { cwd: t.cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The steps of the line that offers the vault file, as a user copies them: from `cpw-vault backend use file` to the line's end, its note in brackets and final full stop left out. */
function offeredSteps(stderr: string): string[] {
  const line = /cpw-vault (?:--profile \S+ )?backend use file.*$/m.exec(stderr)?.[0] ?? '';
  return line.replace(/ {3}\(.*$/, '').replace(/\.$/, '').split(', then ');
}

describe('no terminal, keychain tools installed but no keychain: the vault file offered in steps that work there', () => {
  for (const args of [['check', 'transcribe'], ['list'], ['doctor']]) {
    it(`${args[0]}: its line, pasted into the job with the passphrase file, switches to the vault file and unlocks it`, async () => {
      const t = makeTempHome();
      const found = await inCi(t, args);
      expect(found.code, found.stderr).toBe(4);
      expect(found.stderr).toContain('KEYCHAIN_UNAVAILABLE');
      const steps = offeredSteps(found.stderr);
      expect(steps, found.stderr).toEqual(['cpw-vault backend use file --passphrase-file PATH', 'cpw-vault unlock --passphrase-file PATH']);
      const pass = join(t.root, 'pass.txt');
      writeFileSync(pass, `${PASSPHRASE}\n`, { mode: 0o600 });
      for (const step of steps) {
        const r = await inCi(t, ['cpw-vault', step.replaceAll('PATH', pass)]);
        expect(r.code, `${step}\n${r.stderr}`).toBe(0);
      }
      const backend = await inCi(t, ['backend']);
      expect(backend.code, backend.stderr).toBe(0);
      expect(backend.stdout).toMatch(/backend: file[\s\S]*unlocked by agent pid \d+/);
      await inCi(t, ['lock']);
    }, 120_000);
  }
});

// Scripts read doctor --json: its offer.command was the bare `cpw-vault backend use file` while its text gave the steps
// that work with no terminal, and the unlock that must follow was not in the document at all.
describe('no terminal: doctor --json offers the vault file in the lines that work there', () => {
  it('offer.steps, and offer.command its first, are the text\'s steps (with --profile, naming it); pasted into the job, they switch and unlock', async () => {
    const t = makeTempHome();
    const profile = ['--profile', join(t.cwd, 'team.profile')];
    const text = await inCi(t, [...profile, 'doctor']);
    const found = await inCi(t, [...profile, 'doctor', '--json']);
    expect(found.code, found.stderr).toBe(4);
    const { offer } = JSON.parse(found.stdout);
    const named = `cpw-vault ${profile.join(' ')}`;
    expect(offer).toEqual({ backend: 'file', command: `${named} backend use file --passphrase-file PATH`, steps: [`${named} backend use file --passphrase-file PATH`, `${named} unlock --passphrase-file PATH`] });
    expect(offer.steps).toEqual(offeredSteps(text.stderr));
    const pass = join(t.root, 'pass.txt');
    writeFileSync(pass, `${PASSPHRASE}\n`, { mode: 0o600 });
    for (const step of offer.steps as string[]) {
      const r = await inCi(t, ['cpw-vault', step.replace('--passphrase-file PATH', `--passphrase-file ${pass}`)]);
      expect(r.code, `${step}\n${r.stderr}`).toBe(0);
    }
    expect((await inCi(t, [...profile, 'backend'])).stdout).toMatch(/backend: file[\s\S]*unlocked by agent pid \d+/);
    await inCi(t, [...profile, 'lock']);
  }, 120_000);
});

// After the switch, backend use file named the unlock as a terminal takes it ("Next: cpw-vault unlock"): pasted into
// the job, it failed "There is no terminal to ask the passphrase on".
describe('no terminal: the unlock named next after a switch to the vault file is one that works there', () => {
  it('backend use file --passphrase-file: its "Next:" unlock, pasted into the job, unlocks', async () => {
    const t = makeTempHome();
    const pass = join(t.root, 'pass.txt');
    writeFileSync(pass, `${PASSPHRASE}\n`, { mode: 0o600 });
    const use = await inCi(t, ['backend', 'use', 'file', '--passphrase-file', pass]);
    expect(use.code, use.stderr).toBe(0);
    const step = /Next: (cpw-vault unlock[^(]*?)\s*\(/.exec(use.stderr)?.[1];
    expect(step, use.stderr).toBe('cpw-vault unlock --passphrase-file PATH');
    const r = await inCi(t, ['cpw-vault', step!.replaceAll('PATH', pass)]);
    expect(r.code, `${step}\n${r.stderr}`).toBe(0);
    expect((await inCi(t, ['backend'])).stdout).toMatch(/unlocked by agent pid \d+/);
    await inCi(t, ['lock']);
  }, 120_000);
});

// setup's last line named the unlock as a terminal takes it too ("Next: cpw-vault unlock (once per session), then ...").
// With no terminal it is printed when the vault file's agent ended while setup ran (its TTL, a lock from another job):
// pasted into the job, that unlock failed "There is no terminal to ask the passphrase on".
describe('no terminal: the unlock setup names next is one that works there', () => {
  it('setup --non-interactive, its agent ended before its last line: that line\'s unlock, pasted into the job, unlocks', async () => {
    // The vault file made by the library at a low scrypt cost: this test is about setup's last line; the switch by
    // `backend use file` (age's cost, seconds of CPU each scrypt) is the test above's.
    const t = await makeFileVaultHome({ logN: 10, passphrase: PASSPHRASE });
    const pass = t.passFile;
    expect((await inCi(t, ['unlock', '--passphrase-file', pass])).code).toBe(0);
    const setup = ciJob(t, ['setup', '--non-interactive'], { stopped: true, env: { HF_TOKEN: TOKEN } });
    const done = collect(setup);
    await until(() => isStopped(setup.pid!));
    // Stopped where its last line asks whether an agent listens (the one read of /proc/net/unix); the agent ends there.
    await stopAt(t, setup.pid!, 'openat', 1, '/proc/net/unix');
    expect((await inCi(t, ['lock'])).code).toBe(0);
    process.kill(setup.pid!, 'SIGCONT');
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    const step = /Next: (cpw-vault unlock[^(]*?)\s*\(/.exec(r.stderr)?.[1];
    expect(step, r.stderr).toBe('cpw-vault unlock --passphrase-file PATH');
    const unlock = await inCi(t, ['cpw-vault', step!.replace('PATH', pass)]);
    expect(unlock.code, `${step}\n${unlock.stderr}`).toBe(0);
    expect((await inCi(t, ['backend'])).stdout).toMatch(/unlocked by agent pid \d+/);
    expect((await inCi(t, ['get', 'huggingface', 'token'])).stdout).toBe(TOKEN);
    await inCi(t, ['lock']);
  }, 120_000);
});
