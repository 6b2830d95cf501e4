import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { VaultError } from '../../shared/core/errors';
import { AgentClient } from '../../shared/node/agent/client';
import { agentSocketFor } from '../../shared/node/agent/socket-dir';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import { SwitchGate } from '../../shared/node/vault/switch-gate';
import { cli } from '../helpers/cli';
import { setupMain } from './main-setup';

const HF = `hf_${'LoCkMiDsWiTcH'.repeat(3)}`;
const PASS = 'lock during switch passphrase';
const NEXT = 'lock during switch passphrase two';
const AGENT = resolve(import.meta.dirname, '../../dist/agent.cjs');
const temp = (name: string) => {
  const dir = mkdtempSync(join(process.env['CPW_TEST_ROOT'] ?? '/tmp', name));
  chmodSync(dir, 0o700);
  return dir;
};

/**
 * The unlock agent program, held at its start until released: the switch's new agent is then a process not yet
 * listening, as it is for the instant node takes to load it. Its pid is the agent's (sh execs node, which loads it).
 */
function heldAgent() {
  const dir = temp('held-agent-');
  const started = join(dir, 'started');
  const release = join(dir, 'release');
  const script = join(dir, 'held-agent.cjs');
  writeFileSync(script, [
    "const fs = require('node:fs');",
    `if (!fs.existsSync(${JSON.stringify(started)})) fs.writeFileSync(${JSON.stringify(started)}, String(process.pid));`,
    `fs.writeFileSync(${JSON.stringify(started)} + '-' + process.pid, '');`,
    `const go = () => (fs.existsSync(${JSON.stringify(release)}) ? require(${JSON.stringify(AGENT)}) : setTimeout(go, 10));`,
    'go();',
  ].join('\n'));
  const pid = () => Number(readFileSync(started, 'utf8'));
  /** How many agent processes were started (the switch's, and any other). */
  const count = () => readdirSync(dir).filter((f) => f.startsWith('started-')).length;
  onTestFinished(() => {
    for (const f of readdirSync(dir).filter((name) => name.startsWith('started-'))) {
      const p = Number(f.slice('started-'.length));
      if (existsSync(`/proc/${p}`)) process.kill(p, 'SIGKILL');
    }
  });
  return { script, started: () => existsSync(started), pid, count, release: () => writeFileSync(release, '') };
}

/** Resolves once a call first waits on a backend switch of this process (SwitchGate): only to order the test's steps. */
function waitedOnSwitch(): Promise<void> {
  const proto = SwitchGate.prototype as unknown as { held: (deadline: number) => Promise<void> };
  const held = proto.held;
  return new Promise((resolve) => {
    vi.spyOn(proto, 'held').mockImplementation(function (this: unknown, deadline: number) {
      resolve();
      return held.call(this, deadline);
    });
  });
}

/** Resolves once a backend switch of this process begins (SwitchGate): only to order the test's steps. */
function switchBegan(): Promise<void> {
  const proto = SwitchGate.prototype as unknown as { exclusive: <T>(fn: () => Promise<T>) => Promise<T> };
  const exclusive = proto.exclusive;
  return new Promise((resolve) => {
    vi.spyOn(proto, 'exclusive').mockImplementation(function (this: unknown, fn: () => Promise<unknown>) {
      const running = exclusive.call(this, fn);
      resolve();
      return running;
    });
  });
}

/** True when nothing accepts a connection on the agent's socket (removed, or no process listening on it). */
function refuses(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => (c.destroy(), resolve(false)));
    c.once('error', () => resolve(true));
  });
}

/**
 * A main process with a stored key, switching it to the vault file, held where the switch has committed and is
 * starting its unlock agent (heldAgent: released by the test). `waited` resolves once a call waits on the switch.
 */
async function switchingToFile() {
  const agent = heldAgent();
  const runtime = temp('run-');
  const m = await setupMain({ env: { XDG_RUNTIME_DIR: runtime }, logN: 10, agentScript: agent.script });
  await m.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
  const waited = waitedOnSwitch();
  const switched = m.call('securityUseBackend', { backend: 'file', passphrase: PASS });
  await expect.poll(agent.started, { timeout: 60_000 }).toBe(true);
  const socket = agentSocketFor(vaultFilesFor(m.vault.profilePath).identity, { XDG_RUNTIME_DIR: runtime });
  return { agent, m, socket, waited, switched };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Lock now, Unlock and a passphrase change pressed while the app switches the backend', () => {
  // Lock waited for the switch (the gate's 30 s), then failed BACKEND_SWITCHING with the vault file open: pressed while
  // the switch starts its agent (a process not yet listening), it now answers at once and ends that agent once it starts.
  it('answers at once while the switch starts its agent, and ends that agent as the switch ends: nothing left open, nothing lost', async () => {
    const { agent, m, socket, switched } = await switchingToFile();
    let switchEnded = false;
    void switched.then(() => (switchEnded = true));
    // The agent is held: the switch cannot end before it is released.
    const locked = await m.call('securityLock');
    expect(switchEnded).toBe(false);
    expect(locked).toMatchObject({ ok: true, value: { backend: 'file', ok: false, code: 'BACKEND_SWITCHING', unlockedUntil: null, message: expect.stringMatching(/^Locked: .* still under way/) } });
    agent.release();
    expect(await switched).toMatchObject({ ok: true, value: { moved: ['huggingface.token'], status: { backend: 'file', ok: false, code: 'VAULT_LOCKED', unlockedUntil: null } } });
    await expect.poll(() => existsSync(`/proc/${agent.pid()}`), { timeout: 10_000 }).toBe(false);
    expect(await refuses(socket.path)).toBe(true);
    expect(await m.value('securityStatus')).toMatchObject({ backend: 'file', ok: false, code: 'VAULT_LOCKED', unlockedUntil: null });
    expect(await m.call('credentialsReveal', { service: 'huggingface', key: 'token' })).toMatchObject({ ok: false, error: { code: 'VAULT_LOCKED' } });
    expect(readFileSync(m.vault.auditLogPath, 'utf8')).toContain('"event":"vault_locked"');
    // Nothing lost: unlocked again (a fresh agent, not held), the value is there.
    expect(await m.value('securityUnlock', { passphrase: PASS })).toMatchObject({ ok: true, unlockedUntil: expect.any(String) });
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
    await m.value('securityLock');
  }, 120_000);

  /** Lock pressed during a switch to the vault file, whose second round (as the switch ends) finds the agent's folder not safe to talk through (as after a chmod 777 of it). */
  async function lockFailingAtSwitchEnd() {
    const s = await switchingToFile();
    expect(await s.m.call('securityLock')).toMatchObject({ ok: true, value: { code: 'BACKEND_SWITCHING' } });
    const connect = AgentClient.connect.bind(AgentClient);
    vi.spyOn(AgentClient, 'connect').mockImplementationOnce(async () => {
      throw new VaultError('VAULT_AGENT_UNSAFE', `The unlock agent's folder ${s.socket.dir} is writable by other users.`, 'Fix its mode: chmod 700 it.');
    }).mockImplementation(connect);
    s.agent.release();
    return s;
  }

  // Lock's second round (as the switch ends) that failed was told only by the status after the switch ("unlocked until",
  // the agent it could not stop still running): the user who pressed Lock was not told it failed. Now the status says
  // why (lockFailed) until Lock or Unlock is pressed again, and a second Lock locks.
  it('its second round failing as the switch ends (an unsafe socket folder): the status says Lock failed and why, until Lock is pressed again', async () => {
    const { agent, m, switched } = await lockFailingAtSwitchEnd();
    const lockFailed = { code: 'VAULT_AGENT_UNSAFE', message: expect.stringMatching(/^Lock now, pressed during the switch .* failed: The unlock agent's folder .* writable by other users\.$/), fix: 'Fix its mode: chmod 700 it.' };
    expect(await switched).toMatchObject({ ok: true, value: { status: { backend: 'file', ok: true, unlockedUntil: expect.any(String), lockFailed } } });
    expect(await m.value('securityStatus')).toMatchObject({ lockFailed });
    // Pressed again: locked, and the failure is no longer said.
    const again = await m.value<Record<string, unknown>>('securityLock');
    expect(again).toMatchObject({ backend: 'file', ok: false, code: 'VAULT_LOCKED', unlockedUntil: null });
    expect(again['lockFailed']).toBeUndefined();
    await expect.poll(() => existsSync(`/proc/${agent.pid()}`), { timeout: 10_000 }).toBe(false);
  }, 120_000);

  // The failure stayed in every status until Lock or Unlock was pressed, even once the vault file was locked by other
  // means (cpw-vault lock, the agent's time to live): Lock now kept saying the Lock had failed over a locked vault file.
  it('its second round\'s failure is said while the vault file stays open, and goes once cpw-vault lock has locked it', async () => {
    const { agent, m, socket, switched } = await lockFailingAtSwitchEnd();
    const lockFailed = { code: 'VAULT_AGENT_UNSAFE', message: expect.stringMatching(/^Lock now, pressed during the switch .* failed: /) };
    expect(await switched).toMatchObject({ ok: true, value: { status: { backend: 'file', unlockedUntil: expect.any(String), lockFailed } } });
    // Still open: still said, however often the status is asked.
    expect(await m.value('securityStatus')).toMatchObject({ unlockedUntil: expect.any(String), lockFailed });
    expect(await m.value('securityStatus')).toMatchObject({ lockFailed });
    // Locked by another cpw-vault, as a user in a terminal does: the next status says locked, and no failure.
    expect((await cli(m.t, ['lock'], { env: { XDG_RUNTIME_DIR: dirname(socket.dir) } })).code).toBe(0);
    await expect.poll(() => existsSync(`/proc/${agent.pid()}`), { timeout: 10_000 }).toBe(false);
    const after = await m.value<Record<string, unknown>>('securityStatus');
    expect(after).toMatchObject({ backend: 'file', ok: false, code: 'VAULT_LOCKED', unlockedUntil: null });
    expect(after['lockFailed']).toBeUndefined();
  }, 120_000);

  // Lock pressed while the switch back to the keychain waited (a call in flight before it) waited with it, 30 s, then
  // failed BACKEND_SWITCHING with the agent running. Now it locks at once; the switch, which had not read the vault
  // file yet, stops with its own error, and nothing is lost.
  it('away from the vault file: locks at once, and the switch that then finds the vault file locked stops, nothing moved', async () => {
    const runtime = temp('run-');
    const m = await setupMain({ env: { XDG_RUNTIME_DIR: runtime }, logN: 10 });
    await m.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    await m.value('securityUseBackend', { backend: 'file', passphrase: PASS });
    const socket = agentSocketFor(vaultFilesFor(m.vault.profilePath).identity, { XDG_RUNTIME_DIR: runtime });
    const hello = await AgentClient.connect(socket);
    const pid = hello!.hello.pid;
    hello!.close();
    // A call in flight that the switch waits for (as for a write a keychain prompt holds), until the test releases it.
    let release!: () => void;
    const inFlight = m.vault.afterSwitch(() => new Promise<void>((r) => (release = r)));
    onTestFinished(() => release());
    const began = switchBegan();
    const switched = m.call('securityUseBackend', { backend: 'keychain' });
    await began;
    expect(await m.call('securityLock')).toMatchObject({ ok: true, value: { backend: 'file', ok: false, code: 'BACKEND_SWITCHING', unlockedUntil: null } });
    await expect.poll(() => existsSync(`/proc/${pid}`), { timeout: 10_000 }).toBe(false);
    expect(await refuses(socket.path)).toBe(true);
    release();
    await inFlight;
    expect(await switched).toMatchObject({ ok: false, error: { code: 'VAULT_LOCKED', message: expect.stringContaining('the vault file was locked (Lock now) before the switch had read your secrets from it. Nothing was moved') } });
    // Nothing lost: still the vault file, which opens and holds the value; doctor finds the index and the store agreeing.
    expect(await m.value('securityUnlock', { passphrase: PASS })).toMatchObject({ backend: 'file', ok: true });
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
    const report = await m.value<{ ok: boolean; storage: string; stale?: unknown; backend_switch?: unknown; unfinished?: unknown }>('doctor');
    expect(report).toMatchObject({ ok: true, storage: 'file' });
    expect([report.stale, report.backend_switch, report.unfinished]).toEqual([undefined, undefined, undefined]);
    await m.value('securityLock');
  }, 120_000);

  // Lock pressed before the switch to the vault file had moved anything waited for it (30 s), then failed; the switch
  // then unlocked the vault file with the passphrase just chosen. Now Lock answers at once and the switch leaves it locked.
  it('to the vault file: Lock pressed before the switch moved anything answers at once; the switch moves every secret and starts no agent', async () => {
    const runtime = temp('run-');
    const m = await setupMain({ env: { XDG_RUNTIME_DIR: runtime }, logN: 10 });
    await m.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    // A call in flight that the switch waits for (as for a write a keychain prompt holds), until the test releases it.
    let release!: () => void;
    const inFlight = m.vault.afterSwitch(() => new Promise<void>((r) => (release = r)));
    onTestFinished(() => release());
    const began = switchBegan();
    const switched = m.call('securityUseBackend', { backend: 'file', passphrase: PASS });
    await began;
    expect(await m.call('securityLock')).toMatchObject({ ok: true, value: { backend: 'keychain', ok: false, code: 'BACKEND_SWITCHING' } });
    release();
    await inFlight;
    expect(await switched).toMatchObject({ ok: true, value: { moved: ['huggingface.token'], status: { backend: 'file', ok: false, code: 'VAULT_LOCKED', unlockedUntil: null } } });
    expect(readFileSync(m.vault.auditLogPath, 'utf8')).not.toContain('"event":"vault_unlocked"');
    expect(await refuses(agentSocketFor(vaultFilesFor(m.vault.profilePath).identity, { XDG_RUNTIME_DIR: runtime }).path)).toBe(true);
    // Nothing lost: the passphrase chosen opens it, and the value is there.
    expect(await m.value('securityUnlock', { passphrase: PASS })).toMatchObject({ ok: true, unlockedUntil: expect.any(String) });
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
    await m.value('securityLock');
  }, 120_000);

  // Without a switch, as before: the agent is stopped and the answer is the status after.
  it('with no switch under way: locks, and answers the status (locked)', async () => {
    const runtime = temp('run-');
    const m = await setupMain({ env: { XDG_RUNTIME_DIR: runtime }, logN: 10 });
    await m.value('securityUseBackend', { backend: 'file', passphrase: PASS });
    const socket = agentSocketFor(vaultFilesFor(m.vault.profilePath).identity, { XDG_RUNTIME_DIR: runtime });
    expect(await refuses(socket.path)).toBe(false);
    expect(await m.value('securityLock')).toMatchObject({ backend: 'file', ok: false, code: 'VAULT_LOCKED', unlockedUntil: null });
    expect(await refuses(socket.path)).toBe(true);
  }, 120_000);

  // Unlock (the unlock screen doctor shows once the profile names the vault file) pressed while the switch started its
  // agent: it found none listening and started a second one, and one of the two failed on the other's socket.
  it('Unlock pressed meanwhile waits for the switch and finds its agent: both answer ok, one agent runs', async () => {
    const { agent, m, waited, switched } = await switchingToFile();
    const unlocked = m.call('securityUnlock', { passphrase: PASS });
    // The agent goes on once the Unlock waits on the switch, answered, or started an agent of its own.
    let raced = false;
    const second = (async () => {
      while (!raced && agent.count() < 2) await new Promise((r) => setTimeout(r, 10));
    })();
    await Promise.race([unlocked, waited, second]);
    raced = true;
    agent.release();
    const [moved, unlock] = await Promise.all([switched, unlocked]);
    expect(moved).toMatchObject({ ok: true, value: { moved: ['huggingface.token'], status: { backend: 'file', ok: true, unlockedUntil: expect.any(String) } } });
    expect(unlock).toMatchObject({ ok: true, value: { backend: 'file', ok: true, unlockedUntil: expect.any(String) } });
    expect(agent.count()).toBe(1);
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
    await m.value('securityLock');
  }, 120_000);

  // A passphrase change pressed meanwhile (the vault file named, its agent not yet listening) ended no agent, answered
  // "locked: unlock again with the new passphrase", and the agent the switch then started kept the vault open.
  it('a passphrase change pressed meanwhile waits for the switch, then ends its agent: locked, and only the new passphrase opens', async () => {
    const { agent, m, waited, switched } = await switchingToFile();
    const changed = m.call('securityChangePassphrase', { current: PASS, next: NEXT });
    await Promise.race([changed, waited]);
    agent.release();
    const [moved, change] = await Promise.all([switched, changed]);
    expect(moved).toMatchObject({ ok: true, value: { moved: ['huggingface.token'] } });
    expect(change).toMatchObject({ ok: true, value: { backend: 'file', ok: false, code: 'VAULT_LOCKED', unlockedUntil: null } });
    await expect.poll(() => existsSync(`/proc/${agent.pid()}`), { timeout: 10_000 }).toBe(false);
    expect(await m.call('credentialsReveal', { service: 'huggingface', key: 'token' })).toMatchObject({ ok: false, error: { code: 'VAULT_LOCKED' } });
    expect(await m.call('securityUnlock', { passphrase: PASS })).toMatchObject({ ok: false, error: { code: 'VAULT_PASSPHRASE_WRONG' } });
    expect(await m.value('securityUnlock', { passphrase: NEXT })).toMatchObject({ ok: true, unlockedUntil: expect.any(String) });
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
    await m.value('securityLock');
  }, 120_000);
});
