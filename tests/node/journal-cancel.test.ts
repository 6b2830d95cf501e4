// A journal entry and the waits for the profile's lock around it, under a signal. A start's recovery of a killed
// writer's entry waited the lock's 30 s for another cpw-vault whatever the signal said, then went on without it. A
// change that ended (cancelled, or its lock wait past) while another held the lock left its entry: in a process that
// goes on (the app, a script using the library) it stayed live to every other cpw-vault until that process ended.
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { SecretStore } from '../../shared/core/secret-store';
import { createVault } from '../../shared/node/open';
import { JournalFile } from '../../shared/node/credentials/journal-file';
import { currentOwner } from '../../shared/node/profile/owner';
import { openSecretStore } from '../../shared/node/secrets/open-secret-store';
import { onLockWait } from '../../shared/node/profile/lock-wait-notice';
import { FailingStore } from '../fakes/failing-store';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { cli, keychainValues } from '../helpers/cli';
import { fixture } from '../helpers/children';
import { NOBODY } from '../helpers/planted';
import { rejected } from '../helpers/errors';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'JournalCancel'.repeat(3)}`;

afterEach(() => onLockWait(undefined));

/** The keychain (as the CLI opens it for `t`), with `afterWrite` awaited after each credential write. */
class PausingStore extends FailingStore {
  afterWrite: (() => Promise<void>) | undefined;

  override async set(account: string, value: string): Promise<void> {
    await super.set(account, value);
    if (!account.includes('#')) await this.afterWrite?.();
  }
}

function keychainOf(t: TempHome): PausingStore {
  const env = { CPW_KEYCHAIN_SERVICE: t.service, DBUS_SESSION_BUS_ADDRESS: process.env['DBUS_SESSION_BUS_ADDRESS'] };
  return new PausingStore(openSecretStore({ backend: 'keychain', namespace: t.service, env, timeoutMs: 10_000, profilePath: t.profile }) as SecretStore);
}

const journalOf = (t: TempHome) => join(dirname(t.profile), 'journal');

/** Takes `profile`'s lock in another process until the test ends, or the call it returns ends it (resolved once it has). */
async function holdLock(profile: string): Promise<() => Promise<void>> {
  const holder = spawn(process.execPath, [fixture('lock-holder'), profile], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => void holder.kill('SIGKILL'));
  await new Promise((held) => holder.stdout!.once('data', held));
  const gone = new Promise<void>((ended) => holder.once('exit', () => ended()));
  return () => (holder.kill('SIGKILL'), gone);
}

/** A writer of `id` killed between its value and its index: its journal entry, its process gone. */
async function killedWritersEntry(t: TempHome, id: string): Promise<void> {
  const gone = spawn('true');
  await new Promise((exited) => gone.on('exit', exited));
  const owner = { pid: gone.pid, host: hostname(), boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), pidns: readlinkSync('/proc/self/ns/pid') };
  writeFileSync(journalOf(t), `${JSON.stringify({ transactions: [{ id: 'tx-killed', owner, started_at: new Date().toISOString(), ops: [{ id, kind: 'set' }] }] })}\n`, { mode: 0o600 });
}

describe('a journal entry and a signal', () => {
  it('a start finishing a killed writer\'s entry behind another\'s lock ends CANCELLED once its signal aborts; the entry is the next start\'s', async () => {
    const t = makeTempHome();
    const secrets = new MemorySecretStore();
    const open = () => createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets, caller: 'cli', warn: () => {}, lockWaitMs: 10_000 });
    await open().setCredential('huggingface', 'token', HF);
    // The killed writer had stored its value; the index does not describe it yet.
    secrets.items.set('huggingface.token', `${HF}2`);
    await killedWritersEntry(t, 'huggingface.token');
    const profile = readFileSync(t.profile, 'utf8');
    const release = await holdLock(t.profile);
    const controller = new AbortController();
    // Ctrl-C once the start says it waits (it went on waiting the whole lockWaitMs, then opened without the repair).
    onLockWait(() => controller.abort('SIGINT'));
    const e = await rejected(open().open(controller.signal));
    expect(e.code).toBe('CANCELLED');
    expect(readFileSync(t.profile, 'utf8')).toBe(profile);
    expect(existsSync(journalOf(t))).toBe(true);
    await release();
    await open().open();
    expect(existsSync(journalOf(t))).toBe(false);
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).credential_metadata['huggingface.token'].hint).toBe(`••••${HF.slice(-3)}2`);
  });

  // The app passes no signal, but its change ends the same way when another holds the lock past its wait (30 s; here 1.5).
  it.each([['a signal (a script using the library)', true], ['no signal (the app): another holds the lock past the wait', false]] as const)(
    'a change of a process that goes on, ended by %s between its value and its index: the entry it leaves does not hold up another cpw-vault once the lock is free',
    async (_name, withSignal) => {
      const t = makeTempHome();
      expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
      const keychain = keychainOf(t);
      const vault = createVault({ homeDir: t.home, cwd: t.cwd, env: { CPW_KEYCHAIN_SERVICE: t.service }, secrets: keychain, caller: 'app', warn: () => {}, lockWaitMs: 1_500 });
      const controller = new AbortController();
      let release: (() => Promise<void>) | undefined;
      // Another cpw-vault takes the lock as the new value lands; then Ctrl-C (or, without a signal, the wait runs out).
      keychain.afterWrite = async () => {
        keychain.afterWrite = undefined;
        release = await holdLock(t.profile);
        if (withSignal) controller.abort('SIGINT');
      };
      const e = await rejected(vault.setCredential('huggingface', 'token', `${HF}2`, withSignal ? { signal: controller.signal } : {}));
      expect(e.code).toBe(withSignal ? 'CANCELLED' : 'PROFILE_LOCKED');
      expect(await keychainValues(t)).toEqual({ 'huggingface.token': HF }); // the undo put it back
      expect(existsSync(journalOf(t)), 'left: the lock was held').toBe(true);
      await release!();
      // This process goes on. Another cpw-vault's set of the same credential waited 30 s for the entry, then failed
      // PROFILE_LOCKED ("Another cpw-vault (process N) has been changing huggingface.token"), as long as it lived.
      const other = await cli(t, ['set', 'huggingface', 'token'], { input: `${HF}3` });
      expect(other.code, other.stderr).toBe(0);
      expect(existsSync(journalOf(t))).toBe(false);
      expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(`${HF}3`);
      expect((await cli(t, ['doctor'])).stdout).not.toMatch(/✗/);
    },
  );

  // After a cancel whose undo met a silent keychain the entry is kept on purpose (its credential may hold the new
  // value): the next start rolls it forward. Its owner going on, no other start did, and their sets waited 30 s.
  it.each([['the lock free', false], ['another holding the lock then', true]] as const)(
    'a change of a process that goes on, cancelled with its undo failing, %s: the entry is left ended, and another cpw-vault\'s start rolls it forward',
    async (_name, held) => {
      const t = makeTempHome();
      expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
      const keychain = keychainOf(t);
      const vault = createVault({ homeDir: t.home, cwd: t.cwd, env: { CPW_KEYCHAIN_SERVICE: t.service }, secrets: keychain, caller: 'app', warn: () => {} });
      const controller = new AbortController();
      let release: (() => Promise<void>) | undefined;
      keychain.afterWrite = async () => {
        keychain.afterWrite = undefined;
        if (held) release = await holdLock(t.profile);
        controller.abort('SIGINT');
        keychain.breakAfter(0); // this process's keychain stops answering: the undo cannot put the value back
      };
      const e = await rejected(vault.setCredential('huggingface', 'token', `${HF}2`, { signal: controller.signal }));
      expect(e.code).toBe('CANCELLED');
      expect(e.message).toContain('huggingface.token');
      expect(existsSync(journalOf(t)), 'kept for recovery').toBe(true);
      await release?.();
      const other = await cli(t, ['set', 'huggingface', 'token'], { input: `${HF}3` });
      expect(other.code, other.stderr).toBe(0);
      expect(existsSync(journalOf(t))).toBe(false);
      expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(`${HF}3`);
      expect((await cli(t, ['doctor'])).stdout).not.toMatch(/✗/);
    },
  );

  // Its folder made another user's (as root; a read-only folder, for a user): each try at the entry left failed, and
  // the next came a second later for as long as the process lived.
  it.runIf(process.getuid?.() === 0)('an entry left that can never be written: its tries end, and this process\'s next change of the journal drops it', async () => {
    const t = makeTempHome();
    const dir = dirname(t.profile);
    mkdirSync(dir, { mode: 0o700 });
    const journal = new JournalFile(journalOf(t), t.profile, true, 1_000);
    const tx = (id: string) => ({ id, owner: currentOwner(), started_at: new Date().toISOString(), ops: [{ id: 'huggingface.token', kind: 'set' as const }] });
    await journal.add(tx('tx-left'), () => true);
    const release = await holdLock(t.profile);
    vi.useFakeTimers();
    onTestFinished(() => void vi.useRealTimers());
    const tries = vi.spyOn(journal as unknown as { change: () => Promise<void> }, 'change');
    expect((await rejected(journal.remove(['tx-left'], AbortSignal.abort()))).code).toBe('CANCELLED');
    // Another holds the lock: tried again and again, it lets go.
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(vi.getTimerCount(), 'still trying').toBe(1);
    chownSync(dir, NOBODY, NOBODY);
    await release();
    tries.mockClear();
    await vi.advanceTimersByTimeAsync(24 * 3_600_000);
    expect(vi.getTimerCount(), 'no try left scheduled').toBe(0);
    expect(tries.mock.calls.length).toBeLessThanOrEqual(8);
    vi.useRealTimers();
    chownSync(dir, 0, 0);
    expect(journal.read().map((x) => x.id)).toEqual(['tx-left']);
    await journal.add(tx('tx-next'), () => true);
    expect(journal.read().map((x) => x.id)).toEqual(['tx-next']);
  });
});
