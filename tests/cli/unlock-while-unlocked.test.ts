import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { collect } from '../helpers/children';
import { agentSockets, fileCli, fileEnv, makeFileVaultHome, vaultBytes, type FileVaultHome } from '../helpers/file-vault';

const HF = `hf_${'AlReAdY'.repeat(5)}`;

/**
 * `cpw-vault unlock --passphrase-file/--passphrase-fd` while an agent already runs said "Already unlocked", exit 0,
 * without reading the passphrase it was given: a pipeline with the wrong passphrase file passed its unlock step, and a
 * script that checks a passphrase with `unlock` was told a wrong one was fine.
 */
describe('unlock given a passphrase while the vault file is already unlocked', () => {
  let h: FileVaultHome;
  beforeAll(async () => {
    h = await makeFileVaultHome({ logN: 10 });
    const r = await fileCli(h, ['unlock', '--passphrase-file', h.passFile]);
    expect(r.code, r.stderr).toBe(0);
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
  });
  afterAll(async () => {
    await fileCli(h, ['lock']);
  });
  const agentShown = async () => (JSON.parse((await fileCli(h, ['backend', '--json'])).stdout) as { agent: unknown }).agent;

  it('a wrong passphrase: refused as on a locked vault (exit 1, after the pause), the agent kept, nothing leaked', async () => {
    const wrong = join(h.root, 'wrong.txt');
    writeFileSync(wrong, 'this is not the passphrase\n', { mode: 0o600 });
    const before = { files: vaultBytes(h), sockets: agentSockets(h), backend: await agentShown() };
    for (const args of [['--passphrase-file', wrong], ['--passphrase-fd', '3']]) {
      const started = Date.now();
      const r = await fileCli(h, ['unlock', ...args, '--json'], { fd3: 'this is not the passphrase\n' });
      expect(Date.now() - started).toBeGreaterThan(1_000);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/\[VAULT_PASSPHRASE_WRONG\] That passphrase does not open .*identity\.age\. Nothing was changed\./);
      expect(r.stderr).not.toContain('Already unlocked');
      expect(JSON.parse(r.stdout).error.code).toBe('VAULT_PASSPHRASE_WRONG');
      expect(r.stdout + r.stderr).not.toContain('this is not the passphrase');
    }
    expect({ files: vaultBytes(h), sockets: agentSockets(h), backend: await agentShown() }).toEqual(before);
    expect((await fileCli(h, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
  });

  it('the right one: "Already unlocked", exit 0, the same agent', async () => {
    const before = await agentShown();
    const r = await fileCli(h, ['unlock', '--passphrase-fd', '3', '--json'], { fd3: `${h.passphrase}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Already unlocked: agent pid \d+/);
    expect(JSON.parse(r.stdout)).toMatchObject({ unlocked: true, already: true });
    expect(await agentShown()).toEqual(before);
  });
});

/** Whether `pid` catches SIGHUP yet: the sign that the command turns Ctrl-C into a cancel (see file-backend.test.ts). */
function catchesSignals(pid: number): boolean {
  try {
    return (BigInt(`0x${/^SigCgt:\s*([0-9a-f]+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0'}`) & 1n) !== 0n;
  } catch {
    return false;
  }
}

// Ctrl-C while the passphrase given to an unlock is read or checked (scrypt) against a vault file another unlock's
// agent serves: never a death by the signal nor "Already unlocked" after it; exit 130 "cancelled: nothing changed" (or,
// for a wrong passphrase whose check ended first, its refusal), and the agent that ran keeps serving, unchanged.
describe('Ctrl-C while unlock checks a passphrase, the vault file already unlocked', () => {
  let h: FileVaultHome;
  beforeAll(async () => {
    h = await makeFileVaultHome({ logN: 16 });
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await fileCli(h, ['lock']);
  });

  const cases: Array<[string, () => string | undefined]> = [
    ['the right passphrase', () => h.passphrase],
    ['a wrong one', () => 'this is not the passphrase'],
    ['none given yet (its descriptor still open)', () => undefined],
  ];
  it.each(cases)('%s: a clean cancel, the same agent serves', async (_, pass) => {
    const before = { sockets: agentSockets(h), files: vaultBytes(h) };
    const child = spawn(process.execPath, [BIN, 'unlock', '--passphrase-fd', '3'], { cwd: h.cwd, env: fileEnv(h), stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const done = collect(child);
    for (const end = Date.now() + 20_000; !catchesSignals(child.pid!) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    const fd3 = child.stdio[3] as NodeJS.WritableStream;
    fd3.on('error', () => {});
    const given = pass();
    if (given !== undefined) fd3.end(`${given}\n`);
    child.kill('SIGINT');
    const r = await done;
    fd3.end();
    expect(r.signal, r.stderr).toBeNull();
    if (r.code === 130) expect(r.stderr).toContain('cancelled: nothing changed');
    else expect([r.code, r.stderr, given]).toEqual([1, expect.stringContaining('[VAULT_PASSPHRASE_WRONG]'), 'this is not the passphrase']);
    expect(r.stderr).not.toContain('Already unlocked');
    expect({ sockets: agentSockets(h), files: vaultBytes(h) }).toEqual(before);
    expect((await fileCli(h, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
  }, 60_000);
});
