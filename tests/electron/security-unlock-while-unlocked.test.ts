import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import { cli } from '../helpers/cli';
import { setupMain } from './main-setup';

const HF = `hf_${'UnLoCkEd'.repeat(5)}`;
const PASS = 'desktop vault passphrase';
const WRONG = 'not the vault passphrase at all';

// The app's Unlock answered "unlocked" without looking at the passphrase whenever an unlock agent already ran (the
// CLI's `cpw-vault unlock`, another window): a wrong passphrase typed into the form, or sent by a page, was taken.
describe('the app\'s Unlock while the vault file is already unlocked by the CLI\'s agent', async () => {
  const runtime = mkdtempSync(join(process.env['CPW_TEST_ROOT'] ?? '/tmp', 'run-'));
  chmodSync(runtime, 0o700);
  // A low scrypt work factor: this is about the check, not age interop.
  const m = await setupMain({ env: { XDG_RUNTIME_DIR: runtime }, logN: 10 });
  const files = vaultFilesFor(m.vault.profilePath);
  const code = async (method: Parameters<typeof m.call>[0], ...args: unknown[]) => {
    const r = await m.call(method, ...args);
    return r.ok ? 'ok' : r.error.code;
  };
  const unlockedUntil = async () => (await m.value<{ unlockedUntil: string | null }>('securityStatus')).unlockedUntil;
  afterAll(async () => {
    await m.call('securityLock');
  });

  it('setup: the vault file, locked by the app, unlocked again by cpw-vault unlock in a terminal', async () => {
    await m.value('credentialsSet', { service: 'huggingface', key: 'token', value: HF });
    await m.value('securityUseBackend', { backend: 'file', passphrase: PASS });
    expect(await m.value('securityLock')).toMatchObject({ ok: false, code: 'VAULT_LOCKED', unlockedUntil: null });
    const r = await cli(m.t, ['unlock', '--passphrase-fd', '0'], { input: `${PASS}\n`, env: { XDG_RUNTIME_DIR: runtime } });
    expect(r.code, r.stderr).toBe(0);
    expect(await unlockedUntil()).toEqual(expect.any(String));
  });

  it('a wrong passphrase is refused as on a locked vault, after the same pause; the vault stays unlocked, nothing leaks', async () => {
    const until = await unlockedUntil();
    const before = readFileSync(files.identity);
    const started = Date.now();
    const wrong = await m.call('securityUnlock', { passphrase: WRONG });
    expect(wrong.ok ? 'ok' : wrong.error.code).toBe('VAULT_PASSPHRASE_WRONG');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(JSON.stringify(wrong)).not.toContain(WRONG);
    // Not locked by the wrong try either: the same agent (its time to live unchanged) still serves the app's reads.
    expect(await unlockedUntil()).toBe(until);
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
    expect(readFileSync(files.identity).equals(before)).toBe(true);
    expect(readFileSync(m.vault.auditLogPath, 'utf8')).not.toContain(WRONG);
  });

  it('the right passphrase answers unlocked and keeps the agent that runs', async () => {
    const until = await unlockedUntil();
    expect(await m.value('securityUnlock', { passphrase: PASS })).toMatchObject({ backend: 'file', ok: true, unlockedUntil: until });
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
  });

  it('calls at once, wrong and right mixed (a page in a loop, a double click): each judged on its own passphrase, each wrong one paused', async () => {
    const until = await unlockedUntil();
    const started = Date.now();
    const codes = await Promise.all([WRONG, PASS, WRONG, PASS, WRONG].map((passphrase) => code('securityUnlock', { passphrase })));
    expect(codes).toEqual(['VAULT_PASSPHRASE_WRONG', 'ok', 'VAULT_PASSPHRASE_WRONG', 'ok', 'VAULT_PASSPHRASE_WRONG']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(await unlockedUntil()).toBe(until);
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
  });

  it('hostile arguments: not a string, 1 MiB, bytes, text that is not UTF-8: a clear error, the vault still unlocked', async () => {
    const until = await unlockedUntil();
    const before = readFileSync(files.identity);
    const refused: unknown[] = [
      42, null, [PASS], { toString: () => PASS },
      'x'.repeat(1024 * 1024),
      Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
      new Uint8Array(Buffer.from(PASS)),
      { type: 'Buffer', data: [...Buffer.from(PASS)] },
    ];
    for (const passphrase of refused) expect(await code('securityUnlock', { passphrase }), String(passphrase).slice(0, 40)).toBe('INVALID_ARGUMENT');
    // Invalid UTF-8 as a page can send it in a string (a lone surrogate; a decoder's U+FFFD): not the passphrase.
    for (const passphrase of ['\ud800\udfff\ud800', `${PASS}\ud800`, `${PASS}\ufffd`]) expect(await code('securityUnlock', { passphrase })).toBe('VAULT_PASSPHRASE_WRONG');
    expect(await unlockedUntil()).toBe(until);
    expect(await m.value('credentialsReveal', { service: 'huggingface', key: 'token' })).toBe(HF);
    expect(readFileSync(files.identity).equals(before)).toBe(true);
  });
});
