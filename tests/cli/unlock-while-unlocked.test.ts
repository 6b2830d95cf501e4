import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSockets, fileCli, makeFileVaultHome, vaultBytes, type FileVaultHome } from '../helpers/file-vault';

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
