import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { describe, it, type ExpectStatic } from 'vitest';
import { AgentClient } from '../../shared/node/agent/client';
import { agentSocketFor, type AgentSocket } from '../../shared/node/agent/socket-dir';
import { startAgent } from '../../shared/node/agent/start';
import { changePassphrase, openIdentity } from '../../shared/node/secrets/vault-admin';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import { setupMain } from './main-setup';

const HF = `hf_${'SiLeNtAgEnT'.repeat(3)}`;
const PASS = 'silent agent passphrase';
const NEXT = 'silent agent passphrase two';

/** The app on a vault file unlocked by main, the agent's socket and a way to stop (kill -STOP) this test's own agent. */
async function unlockedApp() {
  const runtime = mkdtempSync(join(process.env['CPW_TEST_ROOT'] ?? '/tmp', 'run-'));
  chmodSync(runtime, 0o700);
  const m = await setupMain({ env: { XDG_RUNTIME_DIR: runtime }, logN: 10 });
  await m.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
  await m.value('securityUseBackend', { backend: 'file', passphrase: PASS });
  const sock = agentSocketFor(vaultFilesFor(m.vault.profilePath).identity, { XDG_RUNTIME_DIR: runtime });
  return { m, sock, stopAgent: (onFinished: Finished) => stopAgentOn(sock, onFinished) };
}

/** The test's own onTestFinished (its context's: the tests here run at once, and the global one may name another test). */
type Finished = (fn: () => void) => void;

/** Stops (SIGSTOP) the agent on `sock`, this test's own; resumed and ended when the test finishes, whatever happened. */
async function stopAgentOn(sock: AgentSocket, onTestFinished: Finished): Promise<number> {
  const hello = await AgentClient.connect(sock);
  const pid = hello!.hello.pid;
  hello!.close();
  onTestFinished(() => {
    if (!existsSync(`/proc/${pid}`)) return;
    process.kill(pid, 'SIGCONT');
    process.kill(pid, 'SIGKILL');
  });
  process.kill(pid, 'SIGSTOP');
  return pid;
}

/** Polls until `pid` is gone, with the test's own expect (expect.poll needs it in tests that run at once). */
const gone = (expect: ExpectStatic, pid: number) => expect.poll(() => existsSync(`/proc/${pid}`), { timeout: 10_000 }).toBe(false);

// At once: each test has its own home, runtime folder and agent (its socket named after its own vault), and most of
// their time is waiting out a stopped agent's 5 s; one after another they took ~42 s on CI.
describe.concurrent('the app and an unlock agent that does not answer (kill -STOP), as cpw-vault lock handles it', () => {
  it('Lock now ends it (its key with it) and shows locked; a folder other users can reach is said, not shown as locked', async ({ expect, onTestFinished }) => {
    const { m, sock, stopAgent } = await unlockedApp();
    const pid = await stopAgent(onTestFinished);
    expect(await m.value('securityLock')).toMatchObject({ backend: 'file', ok: false, code: 'VAULT_LOCKED', unlockedUntil: null });
    await gone(expect, pid);
    expect(existsSync(sock.path)).toBe(false);
    expect(await m.call('credentialsReveal', { service: 'huggingface', key: 'token' })).toMatchObject({ ok: false, error: { code: 'VAULT_LOCKED' } });
    // Unlocked again: the app starts a new agent (the stopped one's socket did not make it "already running").
    expect(await m.value('securityUnlock', { passphrase: PASS })).toMatchObject({ ok: true, unlockedUntil: expect.any(String) });
    chmodSync(sock.dir, 0o755);
    try {
      expect(await m.call('securityLock')).toMatchObject({ ok: false, error: { code: 'VAULT_AGENT_UNSAFE', message: expect.stringContaining('other users can reach it') } });
    } finally {
      chmodSync(sock.dir, 0o700);
    }
    expect(await m.value('securityStatus')).toMatchObject({ ok: true, unlockedUntil: expect.any(String) });
    expect(await m.value('securityLock')).toMatchObject({ ok: false, code: 'VAULT_LOCKED', unlockedUntil: null });
  }, 60_000);

  it('a passphrase change whose agent cannot be stopped (its folder other users can reach) is said after what happened, and audited', async ({ expect }) => {
    const { m, sock } = await unlockedApp();
    chmodSync(sock.dir, 0o755);
    try {
      expect(await m.call('securityChangePassphrase', { current: PASS, next: NEXT })).toMatchObject({ ok: false, error: { code: 'VAULT_AGENT_UNSAFE', message: expect.stringMatching(/^The passphrase was changed, but its unlock agent was not stopped\. /) } });
    } finally {
      chmodSync(sock.dir, 0o700);
    }
    // It happened: only the new passphrase opens, and the change is in the audit log (it was not when the stop failed).
    expect(readFileSync(m.vault.auditLogPath, 'utf8')).toContain('"event":"passphrase_changed"');
    await m.value('securityLock');
    expect(await m.call('securityUnlock', { passphrase: PASS })).toMatchObject({ ok: false, error: { code: 'VAULT_PASSPHRASE_WRONG' } });
    expect(await m.value('securityUnlock', { passphrase: NEXT })).toMatchObject({ ok: true, unlockedUntil: expect.any(String) });
  }, 60_000);

  it('a passphrase change ends it: no key left in a stopped process, and Unlock with the new passphrase starts a new agent', async ({ expect, onTestFinished }) => {
    const { m, stopAgent } = await unlockedApp();
    const pid = await stopAgent(onTestFinished);
    expect(await m.value('securityChangePassphrase', { current: PASS, next: NEXT })).toMatchObject({ ok: false, code: 'VAULT_LOCKED', unlockedUntil: null });
    await gone(expect, pid);
    expect(await m.value('securityUnlock', { passphrase: NEXT })).toMatchObject({ ok: true, unlockedUntil: expect.any(String) });
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
  }, 60_000);

  it('switching to the keychain ends one of this vault that is stopped in another folder (another XDG_RUNTIME_DIR): no process keeps the key', async ({ expect, onTestFinished }) => {
    const { m } = await unlockedApp();
    // An agent of this vault started from another shell (its own XDG_RUNTIME_DIR), then stopped (a frozen session).
    const other = mkdtempSync(join(process.env['CPW_TEST_ROOT'] ?? '/tmp', 'run-other-'));
    chmodSync(other, 0o700);
    const files = vaultFilesFor(m.vault.profilePath);
    const elsewhere = agentSocketFor(files.identity, { XDG_RUNTIME_DIR: other });
    await startAgent({ key: (await openIdentity(files, PASS)).key, files, socket: elsewhere, ttlMs: 3_600_000, agentScript: resolve(import.meta.dirname, '../../dist/agent.cjs') });
    const pid = await stopAgentOn(elsewhere, onTestFinished);
    expect(await m.value('securityUseBackend', { backend: 'keychain' })).toMatchObject({ moved: ['huggingface.token'], status: { backend: 'keychain', ok: true } });
    await gone(expect, pid);
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
  }, 60_000);

  it('Unlock ends it and starts a new agent (its socket did not make Unlock fail as "already running")', async ({ expect, onTestFinished }) => {
    const { m, stopAgent } = await unlockedApp();
    const pid = await stopAgent(onTestFinished);
    expect(await m.value('securityUnlock', { passphrase: PASS })).toMatchObject({ ok: true, unlockedUntil: expect.any(String) });
    await gone(expect, pid);
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
  }, 60_000);

  it('the status says "not answering" (its pid), not locked, while it is stopped: display only, the agent is left as it is and, resumed, unlocked again', async ({ expect, onTestFinished }) => {
    const { m, stopAgent } = await unlockedApp();
    const pid = await stopAgent(onTestFinished);
    // Before: { ok: false, code: VAULT_LOCKED, unlockedUntil: null } and nothing else, the card's "The vault file is locked".
    expect(await m.value('securityStatus')).toMatchObject({ backend: 'file', ok: false, code: 'VAULT_LOCKED', unlockedUntil: null, agentNotAnswering: { pids: [pid] } });
    // The status ended nothing: the stopped process and its socket are still there, and resumed it serves reads again.
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    process.kill(pid, 'SIGCONT');
    await expect.poll(async () => (await m.value<{ unlockedUntil?: string | null }>('securityStatus')).unlockedUntil ?? null, { timeout: 15_000 }).toEqual(expect.any(String));
    expect(await m.value('securityStatus')).not.toHaveProperty('agentNotAnswering');
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
    // With no agent at all: locked, said as locked.
    expect(await m.value('securityLock')).toMatchObject({ ok: false, code: 'VAULT_LOCKED', unlockedUntil: null });
    expect(await m.value('securityStatus')).not.toHaveProperty('agentNotAnswering');
  }, 60_000);

  it('doctor, which every screen but Security follows, says it too: VAULT_LOCKED with the agent not answering (its pid, stopped), not a bare "locked"', async ({ expect, onTestFinished }) => {
    const { m, stopAgent } = await unlockedApp();
    const pid = await stopAgent(onTestFinished);
    // Before: keychain { ok: false, code: VAULT_LOCKED } and nothing else, and the app's whole-screen unlock form asked a passphrase.
    expect(await m.value('doctor')).toMatchObject({ keychain: { ok: false, code: 'VAULT_LOCKED', agentNotAnswering: { pids: [pid], state: 'stopped' } } });
    expect(await m.value('securityStatus')).toMatchObject({ code: 'VAULT_LOCKED', unlockedUntil: null, agentNotAnswering: { pids: [pid], state: 'stopped' } });
    expect(existsSync(`/proc/${pid}`)).toBe(true);
  }, 60_000);

  it('with the agent\'s folder reachable by other users the status says that refusal, and not "locked" (unlockedUntil null) while the agent may serve the key', async ({ expect }) => {
    const { m, sock } = await unlockedApp();
    chmodSync(sock.dir, 0o777);
    try {
      const status = await m.value('securityStatus');
      expect(status).toMatchObject({ backend: 'file', ok: false, code: 'VAULT_AGENT_UNSAFE', message: expect.stringContaining('other users can reach it (mode 0777)') });
      // Before: unlockedUntil: null, the contract's "locked", with an agent of this vault running in that folder.
      expect(status).not.toHaveProperty('unlockedUntil');
      expect(status).not.toHaveProperty('agentNotAnswering');
      expect(await m.value('doctor')).toMatchObject({ keychain: { ok: false, code: 'VAULT_AGENT_UNSAFE' } });
    } finally {
      chmodSync(sock.dir, 0o700);
    }
    expect(await m.value('securityStatus')).toMatchObject({ ok: true, unlockedUntil: expect.any(String) });
  }, 60_000);

  it('(the agent itself) stopped during a passphrase change and resumed: the read it was sent while stopped is refused, not served', async ({ expect, onTestFinished }) => {
    const { m, sock, stopAgent } = await unlockedApp();
    const pid = await stopAgent(onTestFinished);
    // Sent while it is stopped (the kernel queues them): a hello and a decrypt of the vault file.
    const replies: string[] = [];
    const conn = createConnection(sock.path);
    conn.setEncoding('utf8').on('data', (d: string) => replies.push(d)).on('error', () => undefined);
    const files = vaultFilesFor(m.vault.profilePath);
    conn.write(`${JSON.stringify({ op: 'hello' })}\n${JSON.stringify({ op: 'decrypt', data: readFileSync(files.vault).toString('base64') })}\n`);
    await changePassphrase(files, await openIdentity(files, PASS), NEXT, { logN: 10 });
    process.kill(pid, 'SIGCONT');
    await gone(expect, pid);
    // Refused (VAULT_LOCKED, identity changed) or cut off unanswered, whichever of its checks comes first: never the text.
    const lines = replies.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { ok: boolean; code?: string });
    expect(lines.filter((l) => l.ok || l.code !== 'VAULT_LOCKED')).toEqual([]);
    expect(replies.join('')).not.toContain(HF);
    conn.destroy();
  }, 60_000);
});
