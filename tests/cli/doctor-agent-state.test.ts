// A user runs doctor because a command hung on the vault file. doctor said only VAULT_LOCKED "did not answer within 5 s"
// and "lock, then unlock": not whether the unlock agent is stopped (kill -CONT resumes it, unlocked), busy or hung, or
// cannot be asked at all, which backend and list said (and doctor --json carried).
import { chmodSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { agentSocketFor } from '../../shared/node/agent/socket-dir';
import { fileCli, makeFileVaultHome, startSilentAgent, unlockAgent } from '../helpers/file-vault';

const HF = `hf_${'DoCtOrAgEnT'.repeat(3)}`;


describe('doctor on a vault file whose unlock agent does not answer', () => {
  it('a stopped one: doctor says it is stopped, with its pid and kill -CONT; resumed so, doctor finds the vault unlocked', async (ctx) => {
    const h = await makeFileVaultHome({ logN: 10 });
    const pid = await unlockAgent(h, (fn) => ctx.onTestFinished(fn));
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    process.kill(pid, 'SIGSTOP');
    const r = await fileCli(h, ['doctor']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain(`! not answering: the unlock agent (pid ${pid}) is stopped (kill -STOP, a suspended session) and did not answer; it may still hold the key in memory: cpw-vault lock ends it, its key with it; or resume it, unlocked as it was: kill -CONT ${pid}`);
    expect(r.stderr).toContain('fix: Start the unlock again (in scripts, unlock with --passphrase-file PATH): cpw-vault lock; cpw-vault unlock\n');
    expect(r.stderr).not.toContain(HF);
    // The advice holds: resumed, it serves again (doctor only looked: it ended nothing).
    process.kill(pid, 'SIGCONT');
    const after = await fileCli(h, ['doctor']);
    expect(after.stderr).toContain(`unlocked by agent pid ${pid}`);
    expect(after.stderr).not.toContain('not answering');
    expect((await fileCli(h, ['lock'])).code).toBe(0);
  }, 60_000);

  it('one that runs but does not answer: busy or hung, never "stopped" nor kill -CONT; it is left running', async (ctx) => {
    const h = await makeFileVaultHome({ logN: 10 });
    // Stands in for an agent busy decrypting a large vault file (or hung): titled as the agent, listening, answering nothing.
    const busy = await startSilentAgent(h, (fn) => ctx.onTestFinished(fn));
    const r = await fileCli(h, ['doctor']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain(`! not answering: the unlock agent (pid ${busy.pid}) runs but did not answer in time: busy (a large vault file being decrypted) or hung; it may still hold the key in memory: cpw-vault lock ends it, its key with it`);
    expect(r.stderr).not.toContain('kill -CONT');
    expect(r.stderr).not.toContain('stopped');
    expect(busy.exitCode).toBe(null);
  }, 60_000);

  it('one that cannot be asked (its folder open to other users): doctor says so under the refusal, not only the refusal', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    const dir = agentSocketFor(h.files.identity, { XDG_RUNTIME_DIR: h.runtime }).dir;
    chmodSync(dir, 0o777);
    try {
      const r = await fileCli(h, ['doctor']);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain('VAULT_AGENT_UNSAFE Refusing the unlock agent folder');
      expect(r.stderr).toContain('! unlock agent: not known, it cannot be asked (VAULT_AGENT_UNSAFE, above)');
    } finally {
      chmodSync(dir, 0o700);
    }
    expect((await fileCli(h, ['lock'])).code).toBe(0);
  }, 60_000);

  it('a locked vault file with no agent: no agent line, only the unlock to run', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const r = await fileCli(h, ['doctor']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('VAULT_LOCKED');
    expect(r.stderr).not.toContain('unlock agent: not known');
    expect(r.stderr).not.toContain('not answering');
  }, 60_000);
});
