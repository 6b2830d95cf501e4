import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentSockets, fileCli, makeFileVaultHome, type FileVaultHome } from '../helpers/file-vault';

/**
 * The unlock agent's folder and socket as a user meets them after something went wrong: an XDG_RUNTIME_DIR other
 * users can write, an agent killed with -9. Each must end in a message that says what is wrong and what to do.
 */

const homes: FileVaultHome[] = [];
async function home(): Promise<FileVaultHome> {
  const h = await makeFileVaultHome({ logN: 10 });
  homes.push(h);
  return h;
}
afterEach(async () => {
  for (const h of homes.splice(0)) {
    await fileCli(h, ['lock']);
    rmSync(h.root, { recursive: true, force: true });
  }
});

/** The first two lines of stderr (the error and its fix), the part a user acts on. */
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => /^(error|fix):/.test(l)).join('\n');

/** Resolves once connecting to `path` is refused (the killed agent's socket closed): a condition, never a fixed sleep. */
async function untilRefused(path: string, deadlineMs = 20_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const code = await new Promise<string | undefined>((resolve) => {
      const c = createConnection(path);
      c.once('connect', () => (c.destroy(), resolve(undefined)));
      c.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
    });
    if (code === 'ECONNREFUSED') return;
    if (Date.now() > until) throw new Error(`${path} still accepts connections`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('an XDG_RUNTIME_DIR other users can write', () => {
  it('get after an unlock elsewhere says the folder is refused, why, and how to fix it, in the words unlock uses', async () => {
    const h = await home();
    const shared = join(h.root, 'shared-run');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    expect((await fileCli(h, ['set', 'tmdb', 'api_key', '--force'], { input: '0123456789abcdef0123456789abcdef' })).code).toBe(0);
    const get = await fileCli(h, ['get', 'tmdb', 'api_key'], { env: { XDG_RUNTIME_DIR: shared } });
    expect(get.stdout).toBe('');
    expect(get.code).not.toBe(0);
    // It said "no unlock agent is running ... unlock it once", and that unlock could only refuse.
    expect(get.stderr).not.toMatch(/no unlock agent is running/);
    expect(get.stderr).toContain(`XDG_RUNTIME_DIR is ${shared}, which other users can change (mode 0777, not sticky)`);
    expect(get.stderr).toMatch(/fix: Unset XDG_RUNTIME_DIR .*or point it at a private folder of yours: mkdir -m 700/);
    const unlock = await fileCli(h, ['unlock', '--passphrase-file', h.passFile], { env: { XDG_RUNTIME_DIR: shared } });
    expect(unlock.code).not.toBe(0);
    expect(errorLines(unlock.stderr)).toBe(errorLines(get.stderr));
    expect(existsSync(join(shared, 'cpw-vault'))).toBe(false);
  }, 60_000);

  it('list, which, check, env and exec say that refusal too, never "locked ... unlock it"', async () => {
    const h = await home();
    const shared = join(h.root, 'shared-run');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    const hf = `hf_${'a1B2c3D4e5'.repeat(3)}abcd`;
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: hf })).code).toBe(0);
    const env = { XDG_RUNTIME_DIR: shared };
    const refusal = `XDG_RUNTIME_DIR is ${shared}, which other users can change (mode 0777, not sticky)`;
    const fix = /Unset XDG_RUNTIME_DIR .*or point it at a private folder of yours: mkdir -m 700/;
    // list and which showed the index with "the vault file is locked ... Unlock it: cpw-vault unlock", an unlock that can only refuse.
    for (const args of [['list'], ['which', 'huggingface', 'token'], ['which', '--all'], ['check', 'transcribe'], ['env', '--workflow', 'transcribe'], ['exec', '--workflow', 'transcribe', '--', 'true']]) {
      const r = await fileCli(h, args, { env });
      expect(r.stderr, args.join(' ')).not.toMatch(/is locked|no unlock agent is running|Unlock it/);
      expect(r.stderr, args.join(' ')).toContain(refusal);
      expect(r.stderr, args.join(' ')).toMatch(fix);
      expect(r.stdout + r.stderr).not.toContain(hf);
    }
    for (const args of [['list', '--json'], ['which', '--all', '--json']]) {
      const r = await fileCli(h, args, { env });
      const keychain = (JSON.parse(r.stdout) as { keychain: { code: string; message: string; fix: string } }).keychain;
      expect(keychain, args.join(' ')).toMatchObject({ ok: false, code: 'VAULT_AGENT_UNSAFE', message: expect.stringContaining(refusal), fix: expect.stringMatching(fix) });
    }
    expect(existsSync(join(shared, 'cpw-vault'))).toBe(false);
  }, 120_000);
});

describe('lock after the agent was killed with -9', () => {
  it('removes the dead socket and says so; the next unlock, get and lock work', async () => {
    const h = await home();
    const unlock = await fileCli(h, ['unlock', '--passphrase-file', h.passFile, '--json']);
    expect(unlock.code, unlock.stderr).toBe(0);
    expect((await fileCli(h, ['set', 'tmdb', 'api_key', '--force'], { input: '0123456789abcdef0123456789abcdef' })).code).toBe(0);
    const pid = (JSON.parse(unlock.stdout) as { pid: number }).pid;
    const [name] = agentSockets(h);
    const socket = join(h.runtime, 'cpw-vault', name!);
    process.kill(pid, 'SIGKILL');
    await untilRefused(socket);
    expect(agentSockets(h)).toEqual([name]);
    const lock = await fileCli(h, ['lock', '--json']);
    expect(lock.code, lock.stderr).toBe(0);
    expect(lock.stderr).toContain(`No unlock agent was running for this vault; removed ${socket}, the socket one left`);
    expect(lock.stderr).not.toContain('Nothing to lock'); // above "removed", it read as a contradiction
    expect(JSON.parse(lock.stdout)).toMatchObject({ locked: true, was_running: false, removed_socket: socket });
    expect(agentSockets(h)).toEqual([]);
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    expect((await fileCli(h, ['get', 'tmdb', 'api_key'])).stdout).toBe('0123456789abcdef0123456789abcdef');
    const again = await fileCli(h, ['lock']);
    expect(again.stderr).toMatch(/✓ Locked: the unlock agent \(pid \d+\) has stopped/);
    expect(again.stderr).not.toContain("removed");
    expect(agentSockets(h)).toEqual([]);
  }, 60_000);
});

/** Whether `pid` is still a live process (a zombie counts as ended: its parent, unlock, has exited). */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

describe('the agent sent a signal other than SIGTERM', () => {
  // Its stop list was SIGTERM, SIGINT, SIGHUP and SIGUSR1: a SIGUSR2, SIGALRM or SIGPWR (every command takes them as an
  // interrupt) killed it by default, its socket left behind for the next lock to remove ("killed?").
  it.each(['SIGUSR2', 'SIGALRM', 'SIGPWR'] as const)('%s stops it as SIGTERM does: its socket removed, nothing left to lock', async (signal) => {
    const h = await home();
    const unlock = await fileCli(h, ['unlock', '--passphrase-file', h.passFile, '--json']);
    expect(unlock.code, unlock.stderr).toBe(0);
    const pid = (JSON.parse(unlock.stdout) as { pid: number }).pid;
    const [name] = agentSockets(h);
    const socket = join(h.runtime, 'cpw-vault', name!);
    process.kill(pid, signal);
    // Until the agent has ended (a condition, never a fixed sleep): by then a clean stop has removed its socket.
    for (const until = Date.now() + 20_000; alive(pid) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
    expect(agentSockets(h)).toEqual([]);
    const lock = await fileCli(h, ['lock', '--json']);
    expect(lock.code, lock.stderr).toBe(0);
    expect(lock.stderr).not.toContain('removed');
    expect(existsSync(socket)).toBe(false);
  }, 60_000);
});
