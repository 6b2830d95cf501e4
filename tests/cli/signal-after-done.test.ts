import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collect, fixture } from '../helpers/children';
import { fileCli, makeFileVaultHome } from '../helpers/file-vault';

const HF = `hf_${'DoNeDoNe'.repeat(5)}`;

describe('a signal as a completed change exits', () => {
  it('Ctrl-C just after backend use has switched and said so does not make it exit 130 ("cancelled: nothing changed")', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const env = { ...process.env, HOME: h.home, XDG_RUNTIME_DIR: h.runtime, CPW_KEYCHAIN_SERVICE: h.service, CPW_AFTER_SIGNAL: 'SIGINT' };
    const r = await collect(spawn(process.execPath, [fixture('cli-then-signal'), 'backend', 'use', 'keychain', '--passphrase-file', h.passFile], { cwd: h.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] }), '');
    expect(r.stderr).toContain('✓ Moved 1 credential from the age vault file to the OS keychain: huggingface.token. It was read back before the switch.');
    expect((JSON.parse(readFileSync(h.profile, 'utf8')) as { storage?: { backend?: string } }).storage?.backend).toBe('keychain');
    // It ended by the signal (130 to a shell): a script then retried, and got exit 2 "already keeps its secrets in the keychain".
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
  }, 120_000);
});
