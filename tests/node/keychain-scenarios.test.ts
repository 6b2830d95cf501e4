import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/children';
import { filesContaining } from '../helpers/canary';
import { inPrivateSession, vaultOp, type KeyringState } from '../helpers/private-session';
import { makeTempHome } from '../helpers/temp';

const CANARY = `hf_${'LoCkEd'.repeat(6)}77`;
const NEW_VALUE = `hf_${'NeWvAl'.repeat(6)}88`;

// The fixture's JSON line; a keyring daemon that D-Bus activated on a loaded machine may add its own chatter ("discover_other_daemon: 1") to the shared stderr.
const parse = (text: string) => JSON.parse(text.trim().split('\n').filter((l) => l.startsWith('{')).pop()!);

/** A shell line that runs one vault op from a 0600 request file (so no value sits in any argv). */
function opFromFile(dir: string, name: string, request: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(request), { mode: 0o600 });
  return `'${process.execPath}' '${fixture('vault-op')}' < '${file}' >/dev/null`;
}

describe('a really locked keychain (own D-Bus session)', () => {
  it('get and set report KEYCHAIN_LOCKED, nothing is lost, the process does not crash', async () => {
    const home = makeTempHome();
    const setup = opFromFile(home.root, 'seed', { op: 'set', service: 'huggingface', key: 'token', value: CANARY });
    const profileBefore = async () => readFileSync(home.profile);
    const get = await vaultOp('locked', { op: 'get', service: 'huggingface', key: 'token' }, { home, setup });
    rmSync(join(home.root, 'seed.json'));
    expect(get.signal).toBeNull();
    expect(get.code).toBe(1);
    expect(parse(get.stderr).error).toMatchObject({ code: 'KEYCHAIN_LOCKED', fix: expect.stringMatching(/unlock/i) });
    const before = await profileBefore();

    const set = await vaultOp('locked', { op: 'set', service: 'huggingface', key: 'token', value: NEW_VALUE }, { home, setup: '' });
    expect(set.code).toBe(1);
    expect(parse(set.stderr).error.code).toBe('KEYCHAIN_LOCKED');
    const del = await vaultOp('locked', { op: 'delete', service: 'huggingface', key: 'token' }, { home, setup: '' });
    expect(parse(del.stderr).error.code).toBe('KEYCHAIN_LOCKED');
    expect(readFileSync(home.profile)).toEqual(before);

    // Metadata-only operations still work while locked.
    const list = await vaultOp('locked', { op: 'list' }, { home, setup: '' });
    expect(parse(list.stdout).result.find((c: { id: string }) => c.id === 'huggingface.token').stored).toBe(true);

    // Unlock the same keyring file in a fresh session: the original value is still there.
    const after = await inPrivateSession('unlocked', ['secret-tool', 'lookup', 'service', 'cp-whisperx-test', 'account', 'huggingface.token'], { home });
    expect(after.stdout).toBe(CANARY);
  });

  it('status reports KEYCHAIN_LOCKED with a fix', async () => {
    const r = await vaultOp('locked', { op: 'status' });
    expect(parse(r.stdout).result).toMatchObject({ ok: false, code: 'KEYCHAIN_LOCKED' });
  });
});

describe('no keychain reachable', () => {
  it('without a session bus (no DBUS_SESSION_BUS_ADDRESS, no DISPLAY): KEYCHAIN_UNAVAILABLE, quickly', async () => {
    const started = Date.now();
    const r = await vaultOp('no-bus', { op: 'get', service: 'huggingface', key: 'token', timeoutMs: 5000 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(parse(r.stderr).error).toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE', fix: expect.stringContaining('dbus-run-session') });
    const s = await vaultOp('no-bus', { op: 'status' });
    expect(parse(s.stdout).result).toMatchObject({ ok: false, code: 'KEYCHAIN_UNAVAILABLE' });
  });

  it('a bus with no Secret Service provider: KEYCHAIN_NO_PROVIDER', async () => {
    const r = await vaultOp('no-provider', { op: 'set', service: 'huggingface', key: 'token', value: CANARY });
    expect(parse(r.stderr).error).toMatchObject({ code: 'KEYCHAIN_NO_PROVIDER', fix: expect.stringContaining('gnome-keyring') });
    const g = await vaultOp('no-provider', { op: 'get', service: 'huggingface', key: 'token' });
    expect(parse(g.stderr).error.code).toBe('KEYCHAIN_NO_PROVIDER');
    const s = await vaultOp('no-provider', { op: 'status' });
    expect(parse(s.stdout).result).toMatchObject({ ok: false, code: 'KEYCHAIN_NO_PROVIDER' });
  });
});

describe('canary', () => {
  it('a canary pushed through every operation and error path appears nowhere but the keychain', async () => {
    const canary = 'zq-canary-7f3b-not-a-known-shape';
    const home = makeTempHome();
    const outputs: string[] = [];
    const run = async (state: KeyringState, req: Record<string, unknown>) => {
      const r = await vaultOp(state, { profile: home.profile, ...req }, { home });
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    const ok = await run('unlocked', { op: 'set', service: 'custom', key: 'secret', value: canary });
    expect(ok.code).toBe(0);
    await run('unlocked', { op: 'set', service: 'tmdb', key: 'api_key', value: canary }); // format error
    await run('unlocked', { op: 'set', service: 'tmdb', key: 'api_key', value: `${canary}\nsecond line` }); // invalid
    await run('unlocked', { op: 'set', service: 'tmdb', key: 'api_key', value: canary.repeat(400) }); // too long
    await run('unlocked', { op: 'set', service: 'Bad Name', key: 'x', value: canary });
    await run('unlocked', { op: 'get', service: 'custom', key: 'secret' });
    await run('unlocked', { op: 'list' });
    await run('unlocked', { op: 'validate', workflow: 'transcribe' });
    await run('unlocked', { op: 'validate', workflow: canary });
    for (const state of ['locked', 'no-provider', 'no-bus'] as const) {
      await run(state, { op: 'set', service: 'custom', key: 'secret', value: canary });
      await run(state, { op: 'get', service: 'custom', key: 'secret' });
    }
    const del = await run('unlocked', { op: 'delete', service: 'custom', key: 'secret' });
    expect(del.code).toBe(0);
    // The get in an unlocked session did print the value: that is its job. Nothing else may.
    const getOutput = outputs.splice(10, 2);
    expect(getOutput[0]).toContain(canary);
    for (const text of outputs) expect(text).not.toContain(canary);
    expect(filesContaining(home.root, canary)).toEqual([]);
    expect(readFileSync(join(home.home, '.cp-whisperx', 'audit.log'), 'utf8')).toContain('credential_set');
  });
});
