// A Secret Service provider that stops answering (the real gnome-keyring-daemon,
// stopped with SIGSTOP): every command must end with exit 4 (KEYCHAIN_TIMEOUT)
// within 11 s of wall-clock time, and a library call must reject within 10 s
// and let its process exit right after.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/children';
import { BIN } from '../helpers/cli';
import { inPrivateSession } from '../helpers/private-session';

const LIBRARY = resolve(import.meta.dirname, '../../dist/index.mjs');

describe('a keychain that stops answering (SIGSTOP on gnome-keyring-daemon)', () => {
  it('get, set, exec, migrate and check exit 4 within 11 s; they, doctor, git\'s credential helper and the library name the stopped daemon and its kill -CONT; the library rejects within 10 s and its process exits at once', async () => {
    const r = await inPrivateSession('unlocked', [process.execPath, fixture('stopped-keychain'), BIN, LIBRARY]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as {
      daemon: number;
      commands: Array<{ args: string; code: number; ms: number; stderr: string }>;
      helper: { code: number; stdout: string; stderr: string };
      doctors: [{ code: number; ms: number; stderr: string }, { code: number; ms: number; stdout: string; stderr: string }];
      settings: Array<{ args: string; code: number; ms: number; stderr: string }>;
      library: { rejected: boolean; code: string; message: string; fix: string; ms: number; exitMs: number; stderr: string; again: unknown };
    };
    for (const c of result.commands) console.log(`stopped keychain: cpw-vault ${c.args}: exit ${c.code} after ${(c.ms / 1000).toFixed(2)} s`);
    console.log(`stopped keychain: library getCredential rejected ${result.library.code} after ${(result.library.ms / 1000).toFixed(2)} s; its process exited after ${(result.library.exitMs / 1000).toFixed(2)} s`);
    for (const c of result.commands) {
      expect(c.code, `${c.args}: ${c.stderr}`).toBe(4);
      expect(c.stderr).toMatch(/KEYCHAIN_TIMEOUT/);
      expect(c.ms).toBeLessThanOrEqual(11_000);
    }
    // Each says what doctor says: the daemon is stopped, and kill -CONT resumes it (they said "a dialog may be waiting
    // on screen ... restart the keyring daemon or log out"); so do git's credential helper and the library.
    const stopped = `gnome-keyring (pid ${result.daemon}) is stopped (kill -STOP, a suspended session).`;
    const resume = `Resume it, then retry: kill -CONT ${result.daemon}`;
    for (const c of result.commands) {
      expect(c.stderr, c.args).toContain(stopped);
      expect(c.stderr, c.args).toContain(`fix: ${resume}\n`);
    }
    expect(result.helper).toMatchObject({ code: 4, stdout: '' });
    expect(result.helper.stderr).toContain(`${stopped} fix: ${resume}\n`);
    expect(result.library.message).toContain(stopped);
    expect(result.library.fix).toBe(resume);
    // doctor names the stopped daemon, its pid and the resume, not only "did not answer within 9 s"; in its deadline.
    const [text, json] = result.doctors;
    expect(text.code, text.stderr).toBe(4);
    expect(text.stderr).toContain(`gnome-keyring (pid ${result.daemon}) is stopped (kill -STOP, a suspended session).`);
    expect(text.stderr).toContain(`fix: Resume it, then retry: kill -CONT ${result.daemon}\n`);
    expect(json.code, json.stderr).toBe(4);
    const keychain = (JSON.parse(json.stdout) as { keychain: Record<string, unknown> }).keychain;
    expect(keychain).toMatchObject({ code: 'KEYCHAIN_TIMEOUT', fix: `Resume it, then retry: kill -CONT ${result.daemon}`, providerNotAnswering: { pid: result.daemon, label: 'gnome-keyring', state: 'stopped' } });
    expect(keychain['message']).toMatch(/is stopped \(kill -STOP/);
    for (const d of result.doctors) expect(d.ms).toBeLessThanOrEqual(11_000);
    // profile show / set and runs touch no secret: they answer, without waiting for the keychain's deadline (9 s).
    for (const c of result.settings) {
      expect(c.code, `${c.args}: ${c.stderr}`).toBe(0);
      expect(c.ms, c.args).toBeLessThan(8_000);
    }
    expect(result.library).toMatchObject({ rejected: true, code: 'KEYCHAIN_TIMEOUT', again: { value: 43 } });
    expect(result.library.ms).toBeLessThanOrEqual(10_000);
    expect(result.library.exitMs - result.library.ms).toBeLessThan(2_000);
  }, 120_000);
});
