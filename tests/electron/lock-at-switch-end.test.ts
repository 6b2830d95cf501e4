import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { AgentClient } from '../../shared/node/agent/client';
import { agentSocketFor, type AgentSocket } from '../../shared/node/agent/socket-dir';
import { FileSecretStore } from '../../shared/node/secrets/file-store';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import { setupMain } from './main-setup';

const HF = `hf_${'LoCkAtSwItChEnD'.repeat(3)}`;
const PASS = 'lock at switch end passphrase';

/** True when nothing accepts a connection on the agent's socket (removed, or no process listening on it). */
function refuses(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => (c.destroy(), resolve(false)));
    c.once('error', () => resolve(true));
  });
}

/**
 * Holds connects to the unlock agent made once the vault file's identity is gone: the switch away from the vault file
 * removes it once its secrets are in the keychain, so the first such connect is the switch's own end-of-switch
 * shutdown of its agents. The n-th such connect (from 0) waits when `held` names it, before it connects or, `after`, once
 * it has (its hello answered, or not): `reached(n)` resolves once it waits, `release(n)` lets it go on. Only to order
 * the test's steps; every connect is the real one.
 */
function holdConnectsAfterRemoval(identity: string, held: number[], after = false) {
  const connect = AgentClient.connect.bind(AgentClient);
  const gates = held.map(() => {
    let reached!: () => void;
    let release!: () => void;
    return { arrived: new Promise<void>((r) => (reached = r)), reached: () => reached(), go: new Promise<void>((r) => (release = r)), release: () => release() };
  });
  let count = 0;
  vi.spyOn(AgentClient, 'connect').mockImplementation(async (sock: AgentSocket, timeoutMs?: number) => {
    const g = existsSync(identity) ? undefined : gates[held.indexOf(count++)];
    const wait = async () => {
      g?.reached();
      await g?.go;
    };
    if (!after) await wait();
    try {
      return await connect(sock, timeoutMs);
    } finally {
      if (after) await wait();
    }
  });
  onTestFinished(() => gates.forEach((g) => g.release()));
  return { reached: (n: number) => gates[held.indexOf(n)]!.arrived, release: (n: number) => gates[held.indexOf(n)]!.release() };
}

/** The file stores main opened (its reads through the agent, the switch's source): each is tracked as it reads. */
function trackFileStores(): Set<FileSecretStore> {
  const seen = new Set<FileSecretStore>();
  const proto = FileSecretStore.prototype as unknown as { unlock: (mayAsk?: boolean) => Promise<unknown> };
  const unlock = proto.unlock;
  vi.spyOn(proto, 'unlock').mockImplementation(function (this: FileSecretStore, mayAsk?: boolean) {
    seen.add(this);
    return unlock.call(this, mayAsk);
  });
  return seen;
}

/** A main process whose secrets are in the vault file, unlocked by the app (its agent's pid), about to switch away. */
async function unlockedFileVault() {
  const runtime = mkdtempSync(join(process.env['CPW_TEST_ROOT'] ?? '/tmp', 'run-'));
  chmodSync(runtime, 0o700);
  const m = await setupMain({ env: { XDG_RUNTIME_DIR: runtime }, logN: 10 });
  await m.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
  await m.value('securityUseBackend', { backend: 'file', passphrase: PASS });
  const files = vaultFilesFor(m.vault.profilePath);
  const socket = agentSocketFor(files.identity, { XDG_RUNTIME_DIR: runtime });
  const hello = await AgentClient.connect(socket);
  const pid = hello!.hello.pid;
  hello!.close();
  return { m, files, socket, pid };
}

/** The audit log's switches, unlocks and locks, in order, from the switch away from the vault file (to the keychain) on. */
function eventsFromSwitchAway(m: Awaited<ReturnType<typeof setupMain>>): string[] {
  const events = readFileSync(m.vault.auditLogPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; details?: { to?: string } });
  const from = events.findIndex((e) => e.event === 'backend_switched' && e.details?.to === 'keychain');
  return events.slice(from).map((e) => e.event).filter((e) => ['backend_switched', 'vault_unlocked', 'vault_locked'].includes(e));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Lock now pressed while a switch away from the vault file ends its unlock agent', () => {
  it('held at the switch\'s own shutdown, Lock locks; released, the switch ends done: locked, no agent, no key kept, status the keychain', async () => {
    const { m, files, socket, pid } = await unlockedFileVault();
    const stores = trackFileStores();
    const hold = holdConnectsAfterRemoval(files.identity, [0]);
    const switched = m.call('securityUseBackend', { backend: 'keychain' });
    await hold.reached(0); // the switch moved every secret and is ending its agents
    // Lock runs whole inside the switch's shutdown.
    const locked = await m.call('securityLock');
    expect(locked).toMatchObject({ ok: true, value: { backend: 'keychain', ok: false, code: 'BACKEND_SWITCHING' } });
    hold.release(0);
    expect(await switched).toMatchObject({ ok: true, value: { moved: ['huggingface.token'], status: { backend: 'keychain', ok: true } } });
    await expectAllLocked(m, { files, socket, pid, stores });
    // Lock ended the agent: its lock, once (the switch's shutdown, which found it gone, writes none of its own).
    expect(eventsFromSwitchAway(m)).toEqual(['backend_switched', 'vault_locked']);
  }, 120_000);

  it('Lock held at its own connect while the switch\'s shutdown and its end run: both end done, and the same state', async () => {
    const { m, files, socket, pid } = await unlockedFileVault();
    const stores = trackFileStores();
    const hold = holdConnectsAfterRemoval(files.identity, [0, 1]);
    const switched = m.call('securityUseBackend', { backend: 'keychain' });
    await hold.reached(0);
    const locked = m.call('securityLock');
    await hold.reached(1); // Lock is connecting to the agent the switch is about to end
    hold.release(0); // the switch's shutdown, then the second lock Lock queued, as the switch ends
    expect(await switched).toMatchObject({ ok: true, value: { moved: ['huggingface.token'], status: { backend: 'keychain', ok: true } } });
    hold.release(1);
    // The switch has ended: Lock's answer says what is, not "a switch is still under way" (the card kept that).
    expect(await locked).toEqual({ ok: true, value: { backend: 'keychain', ok: true, offerFile: false } });
    await expectAllLocked(m, { files, socket, pid, stores });
    // The switch's shutdown ended the agent and Lock then found none: the log showed no lock at all, as if the vault
    // file had stayed open. The switch's own lock is written, once.
    expect(eventsFromSwitchAway(m)).toEqual(['backend_switched', 'vault_locked']);
  }, 120_000);

  it('the switch\'s shutdown held once connected to its agent (two clients at once), Lock pressed: the same state', async () => {
    const { m, files, socket, pid } = await unlockedFileVault();
    const stores = trackFileStores();
    const hold = holdConnectsAfterRemoval(files.identity, [0], true);
    const switched = m.call('securityUseBackend', { backend: 'keychain' });
    await hold.reached(0);
    expect(await m.call('securityLock')).toMatchObject({ ok: true, value: { backend: 'keychain', ok: false, code: 'BACKEND_SWITCHING' } });
    hold.release(0);
    expect(await switched).toMatchObject({ ok: true, value: { moved: ['huggingface.token'], status: { backend: 'keychain', ok: true } } });
    await expectAllLocked(m, { files, socket, pid, stores });
    expect(eventsFromSwitchAway(m)).toEqual(['backend_switched', 'vault_locked']);
  }, 120_000);

  // With no Lock pressed, the switch away from the vault file ended its agent and wrote no lock: the audit log showed the
  // vault file unlocked (vault_unlocked) and never locked, as a `cpw-vault lock` or Lock now would say.
  it('with no Lock pressed, the switch\'s own shutdown of its agent is audited as the lock it is', async () => {
    const { m, files, socket, pid } = await unlockedFileVault();
    const stores = trackFileStores();
    expect(await m.call('securityUseBackend', { backend: 'keychain' })).toMatchObject({ ok: true, value: { moved: ['huggingface.token'] } });
    await expectAllLocked(m, { files, socket, pid, stores });
    expect(eventsFromSwitchAway(m)).toEqual(['backend_switched', 'vault_locked']);
  }, 120_000);
});

/** The end state a user who pressed Lock expects, the switch done: no agent, no vault file, no key in main, the keychain. */
async function expectAllLocked(m: Awaited<ReturnType<typeof setupMain>>, s: { files: { identity: string; vault: string }; socket: AgentSocket; pid: number; stores: Set<FileSecretStore> }) {
  await expect.poll(() => existsSync(`/proc/${s.pid}`), { timeout: 10_000 }).toBe(false);
  expect(await refuses(s.socket.path)).toBe(true);
  expect([existsSync(s.files.identity), existsSync(s.files.vault)]).toEqual([false, false]);
  expect(await m.value('securityStatus')).toEqual({ backend: 'keychain', ok: true, offerFile: false });
  expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
  // No key and no agent connection left in a file store main keeps.
  expect(s.stores.size).toBeGreaterThan(0);
  for (const store of s.stores) {
    const kept = store as unknown as { local?: unknown; agent?: unknown; asking?: unknown };
    expect([kept.local, kept.agent, kept.asking]).toEqual([undefined, undefined, undefined]);
  }
  const report = await m.value<{ ok: boolean; storage: string }>('doctor');
  expect(report).toMatchObject({ ok: true, storage: 'keychain' });
}
