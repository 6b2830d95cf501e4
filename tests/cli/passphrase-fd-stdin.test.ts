// `--passphrase-fd 0`: the passphrase on stdin, from a pipe (`< <(pass show cpw-vault)`). It was read in the thread
// pool: once the command had asked whether stdin is a terminal (echo-off), Node had made descriptor 0 non-blocking and
// the read failed "cannot be read (EAGAIN)", exit 2, before a writer that takes its time (gpg asking) wrote; a writer
// that never wrote or never closed held a Ctrl-C. Now it is read through the event loop: it waits for the writer, and a
// Ctrl-C ends the command at once, "cancelled", exit 130, with nothing changed (and descriptor 0 never closed).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { agentSockets, fileEnv, makeFileVaultHome } from '../helpers/file-vault';
import { withStdinHeld } from '../helpers/stdin-held';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'StdinFd'.repeat(6)}`;
const PASSPHRASE = 'correct horse battery staple 42';

/** `cpw-vault ARGS --passphrase-fd 0`, stdin a pipe this test holds open (see withStdinHeld). */
const withPassphraseHeld = (cwd: string, env: NodeJS.ProcessEnv, args: string[]) => withStdinHeld(cwd, env, [...args, '--passphrase-fd', '0']);

describe('--passphrase-fd 0 from a pipe', () => {
  it('waits for a writer that writes only once the command reads (export): exported, exit 0 (it failed EAGAIN, exit 2)', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const out = join(t.home, 'out.age');
    const run = withPassphraseHeld(t.cwd, { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, ['export', '--to', out]);
    await run.waiting;
    run.child.stdin!.end(PASSPHRASE);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('✓ Exported 1 credential');
    expect(existsSync(out)).toBe(true);
  }, 60_000);

  it('export, Ctrl-C while its writer never ends: cancelled at once, exit 130, no export file', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const out = join(t.home, 'out.age');
    const run = withPassphraseHeld(t.cwd, { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, ['export', '--to', out]);
    await run.waiting;
    run.child.kill('SIGINT');
    const r = await run.done;
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 130, signal: null });
    expect(r.stderr).toContain('cancelled: nothing changed');
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('backend use file, SIGTERM while its writer never ends: cancelled at once, exit 143, still the keychain, the value kept', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const profile = readFileSync(t.profile, 'utf8');
    const run = withPassphraseHeld(t.cwd, { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, ['backend', 'use', 'file']);
    await run.waiting;
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 143, signal: null });
    expect(r.stderr).toContain('cancelled: nothing changed');
    expect(readFileSync(t.profile, 'utf8')).toBe(profile);
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    expect((await cli(t, ['doctor'])).code).toBe(0);
  }, 60_000);

  it('unlock, Ctrl-C while its writer never ends: cancelled at once, exit 130, no agent', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const run = withPassphraseHeld(h.cwd, fileEnv(h), ['unlock']);
    await run.waiting;
    run.child.kill('SIGINT');
    const r = await run.done;
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 130, signal: null });
    expect(r.stderr).toContain('cancelled: nothing changed');
    expect(agentSockets(h)).toEqual([]);
  }, 60_000);

  it('team identity --export-identity, Ctrl-C while its writer never ends: cancelled at once, exit 130, no backup written', async () => {
    const t = makeTempHome();
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
    const identity = await cli(t, ['team', 'identity']);
    expect(identity.code, identity.stderr).toBe(0);
    const backup = join(t.home, 'id.age');
    const run = withPassphraseHeld(t.cwd, env, ['team', 'identity', '--export-identity', backup]);
    await run.waiting;
    run.child.kill('SIGINT');
    const r = await run.done;
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 130, signal: null });
    expect(r.stderr).toMatch(/^cancelled: /m);
    expect(existsSync(backup)).toBe(false);
    expect((await cli(t, ['team', 'identity'])).stdout).toBe(identity.stdout);
  }, 60_000);
});
