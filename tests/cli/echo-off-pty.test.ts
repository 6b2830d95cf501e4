import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { agentSockets, fileCli, fileEnv, inPty, makeFileVaultHome } from '../helpers/file-vault';

const NEW_PASS = 'typed ahead while the check ran';
/** Real scrypt (age's work factor: the check takes long enough to type during it), in a pty, on a loaded machine. */
const BUDGET = 120_000;

/**
 * Text typed ahead while a passphrase is checked (scrypt, 1-3 s, after its
 * hidden prompt ended) is not echoed: the terminal's echo stays off until the
 * command is done with its hidden questions.
 */
describe('type-ahead during a passphrase check, in a real terminal', () => {
  it('passphrase change: the new passphrase typed while the current one is checked is not shown, and is taken as the answer', async () => {
    const h = await makeFileVaultHome();
    const r = await inPty(h.cwd, fileEnv(h), [process.execPath, BIN, 'passphrase', 'change'], [
      { expect: 'Current passphrase \\(input hidden\\)', send: `${h.passphrase}\r` },
      // The prompt has ended (canonical mode again) and the check runs: typed now, it used to appear in clear.
      { expect: '', cooked: true, send: `${NEW_PASS}\r` },
      { expect: 'Type it again', send: `${NEW_PASS}\r` },
    ]);
    expect(r.stuck_at, r.screen.slice(-800)).toBeUndefined();
    expect(r.code, r.screen.slice(-800)).toBe(0);
    expect(r.screen).toMatch(/Current passphrase verified[\s\S]*Passphrase changed/);
    for (const p of [h.passphrase, NEW_PASS]) expect(r.screen).not.toContain(p);
    expect((await fileCli(h, ['unlock', '--passphrase-fd', '3'], { fd3: NEW_PASS })).code).toBe(0);
    expect((await fileCli(h, ['lock'])).code).toBe(0);
  }, BUDGET);

  it('unlock: what is typed while the passphrase is checked is not shown; Ctrl-C then still cancels', async () => {
    const h = await makeFileVaultHome();
    const env = fileEnv(h);
    const typed = await inPty(h.cwd, env, [process.execPath, BIN, 'unlock', '--ttl', '10m'], [
      { expect: 'Passphrase of the vault file \\(input hidden\\)', send: `${h.passphrase}\r` },
      { expect: '', cooked: true, send: 'words typed ahead' },
    ]);
    expect(typed.code, typed.screen.slice(-800)).toBe(0);
    expect(typed.screen).not.toContain('words typed ahead');
    expect((await fileCli(h, ['lock'])).code).toBe(0);
    const cancelled = await inPty(h.cwd, env, [process.execPath, BIN, 'unlock', '--ttl', '10m'], [
      { expect: 'Passphrase of the vault file \\(input hidden\\)', send: `${h.passphrase}\r` },
      { expect: '', cooked: true, send: '\u0003' },
    ]);
    expect(cancelled.code, cancelled.screen).toBe(130);
    expect(cancelled.screen).toContain('cancelled: nothing changed');
    expect(agentSockets(h)).toEqual([]);
  }, BUDGET);

  it('exec on a locked vault file: its stage gets the terminal with echo on again, after the passphrase prompt and its check', async () => {
    const h = await makeFileVaultHome();
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: `hf_${'EcHo'.repeat(9)}` })).code).toBe(0);
    expect((await fileCli(h, ['lock'])).code).toBe(0);
    const r = await inPty(h.cwd, fileEnv(h), [process.execPath, BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'echo "stage sees: $(stty -a | tr -s " ;" "\\n\\n" | grep -x -e echo -e -echo)"'], [
      { expect: 'Passphrase of the vault file \\(input hidden\\)', send: `${h.passphrase}\r` },
    ]);
    expect(r.code, r.screen.slice(-800)).toBe(0);
    expect(r.screen).toMatch(/stage sees: echo\r?\n/);
  }, BUDGET);
});
