// A journal entry and the waits for the profile's lock around it, under a signal. A start's recovery of a killed
// writer's entry waited the lock's 30 s for another cpw-vault whatever the signal said, then went on without it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { createVault } from '../../shared/node/open';
import { onLockWait } from '../../shared/node/profile/lock-wait-notice';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { fixture } from '../helpers/children';
import { rejected } from '../helpers/errors';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'JournalCancel'.repeat(3)}`;

afterEach(() => onLockWait(undefined));

const journalOf = (t: TempHome) => join(dirname(t.profile), 'journal');

/** Takes `profile`'s lock in another process until the test ends. */
async function holdLock(profile: string): Promise<() => void> {
  const holder = spawn(process.execPath, [fixture('lock-holder'), profile], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => void holder.kill('SIGKILL'));
  await new Promise((held) => holder.stdout!.once('data', held));
  return () => holder.kill('SIGKILL');
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
    release();
    await open().open();
    expect(existsSync(journalOf(t))).toBe(false);
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).credential_metadata['huggingface.token'].hint).toBe(`••••${HF.slice(-3)}2`);
  });
});
