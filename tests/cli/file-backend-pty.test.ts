import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { fixture } from '../helpers/children';
import { agentSockets, fileCli, fileEnv, inPty, makeFileVaultHome, vaultBytes, type FileVaultHome } from '../helpers/file-vault';

const HF = `hf_${'TeRmInAl'.repeat(5)}`;
const TMDB = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const NEW_PASS = 'a whole new vault passphrase';

/** The scrypt work factor written in an age file's header (`-> scrypt <salt> <logN>`). */
const scryptLogN = (path: string) => Number(/-> scrypt \S+ (\d+)/.exec(readFileSync(path).subarray(0, 120).toString('latin1'))?.[1]);

/**
 * The file backend at a real terminal, and its files opened by Debian's own
 * `age` (no cpw-vault involved), all with age's real scrypt work factor.
 */
describe('the file backend in a real terminal, and with Debian age', () => {
  let h: FileVaultHome;
  let env: NodeJS.ProcessEnv;
  const cpw = (...args: string[]) => [process.execPath, BIN, ...args];
  beforeAll(async () => {
    h = await makeFileVaultHome();
    env = fileEnv(h);
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await fileCli(h, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
    expect((await fileCli(h, ['lock'])).code).toBe(0);
  });
  afterAll(async () => {
    await fileCli(h, ['lock']);
  });

  it('age -d -i identity vault opens the vault with the passphrase alone: a user who lost cpw-vault keeps their keys', async () => {
    expect(scryptLogN(h.files.identity)).toBe(18);
    const r = await inPty(h.cwd, env, ['age', '-d', '-i', h.files.identity, h.files.vault], [{ expect: 'Enter passphrase for identity file', send: `${h.passphrase}\r` }]);
    expect(r.stuck_at, r.screen.slice(-800)).toBeUndefined();
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.screen.slice(r.screen.indexOf('{')));
    expect(doc).toEqual({ version: 1, entries: { 'huggingface.token': HF, 'tmdb.api_key': TMDB } });
  });

  it('on a terminal without an agent, a command asks the passphrase once (hidden) and reads all it needs', async () => {
    const r = await inPty(h.cwd, env, cpw('env', '--workflow', 'subtitle'), [{ expect: 'Passphrase of the vault file \\(input hidden\\)', send: `${h.passphrase}\r` }]);
    expect(r.code, r.screen.slice(-1500)).toBe(0);
    // Asked once (inquirer redraws the question per key; ✔ marks each one answered): a second question would hang the run.
    expect(r.screen.match(/✔ Passphrase of the vault file/g)).toHaveLength(1);
    expect(r.screen).toContain(`TMDB_API_KEY='${TMDB}'`);
    expect(r.screen).toContain(`HF_TOKEN='${HF}'`);
    expect(r.screen).not.toContain(h.passphrase);
    expect(agentSockets(h)).toEqual([]);
  });

  it('setup on a locked vault file names the unlock its stages need first (its Next line)', async () => {
    const r = await inPty(h.cwd, env, cpw('setup', '--non-interactive'), [{ expect: 'Passphrase of the vault file \\(input hidden\\)', send: `${h.passphrase}\r` }]);
    expect(r.stuck_at, r.screen.slice(-1500)).toBeUndefined();
    expect(r.screen.replace(/\s+/g, ' ')).toContain('Next: cpw-vault unlock (once per session), then cpw-vault exec --workflow transcribe -- <your stage command>');
    expect(r.screen).not.toContain(h.passphrase);
    expect(agentSockets(h)).toEqual([]);
  });

  it('SIGUSR1 at the passphrase prompt cancels it as SIGTERM does (its default action ended the process: the terminal left without echo)', async () => {
    for (const args of [['get', 'huggingface', 'token'], ['exec', '--workflow', 'transcribe', '--', 'true']]) {
      const r = await inPty(h.cwd, env, cpw(...args), [{ expect: 'Passphrase of the vault file \\(input hidden\\)', signal: 'USR1' }]);
      expect(r.stuck_at, r.screen.slice(-800)).toBeUndefined();
      expect(r.code, r.screen.slice(-800)).toBe(138);
      expect(r.screen).toContain('cancelled: nothing changed');
      expect(agentSockets(h)).toEqual([]);
    }
  });

  it('passphrase change is interactive only; a wrong current passphrase exits 1 and Ctrl-C exits 130, the file byte-identical', async () => {
    const before = vaultBytes(h);
    const piped = await fileCli(h, ['passphrase', 'change'], { input: `${h.passphrase}\n${NEW_PASS}\n${NEW_PASS}\n` });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain('interactive only');
    const wrong = await inPty(h.cwd, env, cpw('passphrase', 'change'), [{ expect: 'Current passphrase \\(input hidden\\)', send: 'definitely not it\r' }]);
    expect(wrong.code).toBe(1);
    expect(wrong.screen).toMatch(/\[VAULT_PASSPHRASE_WRONG\] That passphrase does not open/);
    expect(wrong.screen).not.toContain('New passphrase');
    const cancelled = await inPty(h.cwd, env, cpw('passphrase', 'change'), [{ expect: 'Current passphrase', send: '\u0003' }]);
    expect(cancelled.code).toBe(130);
    expect(cancelled.screen).toContain('cancelled: nothing changed');
    // Ctrl-C while the current passphrase is checked (scrypt holds the process ~2 s): it went on to "verified".
    const during = await inPty(h.cwd, env, cpw('passphrase', 'change'), [{ expect: 'Current passphrase \\(input hidden\\)', send: `${h.passphrase}\r` }, { expect: '', cooked: true, send: '\u0003' }]);
    expect(during.code, during.screen).toBe(130);
    expect(during.screen).toContain('cancelled: nothing changed');
    expect(during.screen).not.toContain('verified');
    expect(vaultBytes(h)).toEqual(before);
    // Ctrl-C while the new passphrase is sealed (scrypt again, ~2 s): the change went through and said ✓.
    const sealing = await inPty(h.cwd, env, cpw('passphrase', 'change'), [
      { expect: 'Current passphrase \\(input hidden\\)', send: `${h.passphrase}\r` },
      { expect: 'New passphrase \\(at least 12 characters\\)', send: `${NEW_PASS}\r` },
      { expect: 'Type it again', send: `${NEW_PASS}\r` },
      { expect: 'Re-encrypting the identity file', cooked: true, send: '\u0003' },
    ]);
    expect(sealing.code, sealing.screen).toBe(130);
    expect(sealing.screen).toContain('cancelled: nothing changed');
    expect(sealing.screen).not.toContain('Passphrase changed');
    expect(vaultBytes(h)).toEqual(before);
  });

  // The identity file is re-encrypted under the profile's lock: a Ctrl-C while another process held it was held for
  // the whole 30 s wait, then the change failed PROFILE_LOCKED (exit 1).
  it('Ctrl-C while passphrase change waits for another\'s profile lock: cancelled at once, exit 130, the file byte-identical', async () => {
    const before = vaultBytes(h);
    const holder = spawn(process.execPath, [fixture('lock-holder'), h.profile], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((held) => holder.stdout!.once('data', held));
      const r = await inPty(h.cwd, env, cpw('passphrase', 'change'), [
        { expect: 'Current passphrase \\(input hidden\\)', send: `${h.passphrase}\r` },
        { expect: 'New passphrase \\(at least 12 characters\\)', send: `${NEW_PASS}\r` },
        { expect: 'Type it again', send: `${NEW_PASS}\r` },
        { expect: 'waiting for', cooked: true, send: '\u0003' },
      ]);
      expect(r.code, r.screen).toBe(130);
      expect(r.screen).toContain('cancelled: nothing changed');
      expect(r.screen).not.toContain('PROFILE_LOCKED');
    } finally {
      holder.kill('SIGKILL');
    }
    expect(vaultBytes(h)).toEqual(before);
  }, 60_000);

  it('Ctrl-C while unlock checks the passphrase: cancelled, exit 130, no agent (it started one for the whole time to live)', async () => {
    const r = await inPty(h.cwd, env, cpw('unlock', '--ttl', '10m'), [{ expect: 'Passphrase of the vault file \\(input hidden\\)', send: `${h.passphrase}\r` }, { expect: '', cooked: true, send: '\u0003' }]);
    expect(r.code, r.screen).toBe(130);
    expect(r.screen).toContain('cancelled: nothing changed');
    expect(r.screen).not.toContain('Unlocked');
    expect(agentSockets(h)).toEqual([]);
  });

  it('Ctrl-C while get opens the vault with the passphrase typed: cancelled, exit 130, no value and no agent', async () => {
    const r = await inPty(h.cwd, env, cpw('get', 'huggingface', 'token'), [{ expect: 'Passphrase of the vault file \\(input hidden\\)', send: `${h.passphrase}\r` }, { expect: '', cooked: true, send: '\u0003' }]);
    expect(r.code, r.screen).toBe(130);
    expect(r.screen).toContain('cancelled');
    expect(r.screen).not.toContain(HF);
    expect(agentSockets(h)).toEqual([]);
  });

  it('unlock at the terminal: a hidden prompt (Enter alone is asked again), then the agent serves', async () => {
    const unlock = await inPty(h.cwd, env, cpw('unlock', '--ttl', '10m'), [
      { expect: 'Unlocking .*vault\\.age[\\s\\S]*Passphrase of the vault file \\(input hidden\\)', send: '\r' },
      { expect: 'Nothing was typed\\. Type the passphrase \\(Ctrl-C to cancel\\)\\.[\\s\\S]*Passphrase of the vault file', send: `${h.passphrase}\r` },
    ]);
    expect(unlock.screen).not.toContain('VAULT_PASSPHRASE_WRONG');
    expect(unlock.code).toBe(0);
    expect(unlock.screen).not.toContain(h.passphrase);
    expect(agentSockets(h)).toHaveLength(1);
  });

  it('export: an age file that Debian age opens with its own passphrase', async () => {
    const pass = join(h.root, 'export-pass');
    writeFileSync(pass, 'export file passphrase\n', { mode: 0o600 });
    const out = join(h.cwd, 'moving.age');
    // The agent started above serves the export: no vault passphrase is asked.
    const r = await fileCli(h, ['export', '--to', out, '--passphrase-file', pass]);
    expect(r.code).toBe(0);
    expect(scryptLogN(out)).toBe(18);
    const age = await inPty(h.cwd, env, ['age', '-d', out], [{ expect: 'Enter passphrase', send: 'export file passphrase\r' }]);
    expect(age.code).toBe(0);
    const doc = JSON.parse(age.screen.slice(age.screen.indexOf('{')));
    expect(doc).toMatchObject({ format: 'cpw-vault-export', version: 1, credentials: [{ id: 'huggingface.token', value: HF }, { id: 'tmdb.api_key', value: TMDB }] });
  });

  it('Ctrl-C while export or import runs its scrypt: cancelled, exit 130, no export file, no plan, nothing imported', async () => {
    const pass = join(h.root, 'export-pass-2');
    writeFileSync(pass, 'export file passphrase\n', { mode: 0o600 });
    const out = join(h.cwd, 'cancelled.age');
    const r = await inPty(h.cwd, env, cpw('export', '--to', out, '--passphrase-file', pass), [{ expect: 'Encrypting the export', send: '\u0003' }]);
    expect(r.code, r.screen).toBe(130);
    expect(r.screen).toContain('cancelled: nothing changed');
    // It was written after the Ctrl-C, and the audit log never said so.
    expect(existsSync(out)).toBe(false);
    expect(r.screen).not.toContain('Exported');
    const moving = join(h.cwd, 'moving.age');
    const before = vaultBytes(h);
    const i = await inPty(h.cwd, env, cpw('import', moving, '--passphrase-file', pass, '--overwrite-all'), [{ expect: 'Decrypting the export', send: '\u0003' }]);
    expect(i.code, i.screen).toBe(130);
    expect(i.screen).toContain('cancelled: nothing changed');
    expect(i.screen).not.toContain('Plan for');
    expect(vaultBytes(h)).toEqual(before);
    // kill (SIGTERM) at a confirmation (migrate's) and at import's passphrase prompt: the command's own listener took
    // the signal from the default action and the question never heard of it, so the process waited there for ever.
    const source = join(h.cwd, 'more.env');
    writeFileSync(source, `ANTHROPIC_API_KEY=sk-ant-${'k'.repeat(40)}\n`, { mode: 0o600 });
    const atConfirm = await inPty(h.cwd, env, cpw('migrate', '--from', source), [{ expect: 'Write \\d+ credential', signal: 'TERM' }]);
    expect(atConfirm.stuck_at).toBeUndefined();
    expect(atConfirm.code, atConfirm.screen).toBe(143);
    expect(atConfirm.screen).toContain('cancelled: nothing changed');
    const atPrompt = await inPty(h.cwd, env, cpw('import', moving), [{ expect: 'Passphrase of the export file', signal: 'TERM' }]);
    expect(atPrompt.code, atPrompt.screen).toBe(143);
    expect(vaultBytes(h)).toEqual(before);
  });

  it('passphrase change: re-asks a short, an unchanged or a mismatched one; after it only the new passphrase opens and the running agent is stopped', async () => {
    expect(agentSockets(h)).toHaveLength(1);
    const vaultBefore = readFileSync(h.files.vault);
    const r = await inPty(h.cwd, env, cpw('passphrase', 'change'), [
      { expect: 'Current passphrase', send: `${h.passphrase}\r` },
      { expect: 'New passphrase \\(at least 12 characters\\)', send: 'short\r' },
      { expect: 'too short[\\s\\S]*New passphrase', send: `${h.passphrase}\r` },
      { expect: 'same as the current one[\\s\\S]*New passphrase', send: `${NEW_PASS}\r` },
      { expect: 'Type it again', send: 'a whole new vault passphrasf\r' },
      { expect: 'did not match[\\s\\S]*New passphrase', send: `${NEW_PASS}\r` },
      { expect: 'Type it again', send: `${NEW_PASS}\r` },
    ]);
    expect(r.stuck_at, r.screen.slice(-800)).toBeUndefined();
    expect(r.code).toBe(0);
    expect(r.screen).toContain('Passphrase changed');
    expect(r.screen).toContain('The unlock agent was stopped');
    for (const p of [h.passphrase, NEW_PASS]) expect(r.screen).not.toContain(p);
    expect(agentSockets(h)).toEqual([]);
    expect((await fileCli(h, ['get', 'huggingface', 'token'])).code).toBe(4);
    expect(readFileSync(h.files.vault).equals(vaultBefore)).toBe(true);
    expect(scryptLogN(h.files.identity)).toBe(18);
    const old = await inPty(h.cwd, env, ['age', '-d', '-i', h.files.identity, h.files.vault], [{ expect: 'Enter passphrase for identity file', send: `${h.passphrase}\r` }]);
    expect(old.code).not.toBe(0);
    expect(old.screen).not.toContain(HF);
    const fresh = await inPty(h.cwd, env, ['age', '-d', '-i', h.files.identity, h.files.vault], [{ expect: 'Enter passphrase for identity file', send: `${NEW_PASS}\r` }]);
    expect(fresh.code).toBe(0);
    expect(fresh.screen).toContain(HF);
    const audit = readFileSync(join(h.home, '.cp-whisperx', 'audit.log'), 'utf8');
    expect(audit).toMatch(/"event":"passphrase_changed".*"agent_locked":true/);
    for (const p of [h.passphrase, NEW_PASS, HF]) expect(audit).not.toContain(p);
  });
});
