// The index lost, then found again: what a user does by hand (rm -rf of the
// profile folder, two profiles side by side) and what the vault makes of it.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'Repair1'.repeat(5)}`;
const HF_B = `hf_${'Repair2'.repeat(5)}`;

describe('repair of the profile index', () => {
  it('set, then rm -rf ~/.cp-whisperx: the next command re-indexes it, and check, exec and list agree with get', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    rmSync(dirname(t.profile), { recursive: true, force: true });
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
    const check = await cli(t, ['check', 'transcribe']);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toMatch(/re-indexed huggingface\.token/);
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).credential_metadata['huggingface.token']).toMatchObject({ hint: `••••${HF.slice(-4)}` });
    const exec = await cli(t, ['exec', '--workflow', 'transcribe', '--no-history', '--', 'sh', '-c', 'test -n "$HF_TOKEN"']);
    expect(exec.code).toBe(0);
    const list = JSON.parse((await cli(t, ['list', '--json'])).stdout);
    expect(list.credentials.find((c: { id: string }) => c.id === 'huggingface.token')).toMatchObject({ stored: true, source: { kind: 'keychain' } });
  });

  it('env: an index that lost a value its workflow needs is repaired, then answered; one that lost another value answers at once', async () => {
    const t = makeTempHome();
    const TMDB = '0123456789abcdef0123456789abcdef';
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
    // The index loses tmdb.api_key (a profile restored from before it was set); the keychain still has it.
    const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
    delete doc.credential_metadata['tmdb.api_key'];
    writeFileSync(t.profile, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
    // transcribe uses only the HF token: the lost entry changes nothing it prints.
    const transcribe = await cli(t, ['env', '--workflow', 'transcribe']);
    expect(transcribe.code, transcribe.stderr).toBe(0);
    expect(transcribe.stdout).toContain(HF);
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).credential_metadata['tmdb.api_key']).toBeUndefined();
    // subtitle needs the lost one: not ready by the index, so the full vault repairs and then answers.
    const subtitle = await cli(t, ['env', '--workflow', 'subtitle']);
    expect(subtitle.code, subtitle.stderr).toBe(0);
    expect(subtitle.stdout).toContain(TMDB);
    expect(subtitle.stderr).toMatch(/re-indexed tmdb\.api_key/);
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).credential_metadata['tmdb.api_key']).toMatchObject({ hint: `••••${TMDB.slice(-4)}` });
  });

  it('doctor --repair drops an entry whose value was removed behind the vault\'s back, says so, and has nothing left to do the second time', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: '0123456789abcdef0123456789abcdef' })).code).toBe(0);
    const { spawnSync } = await import('node:child_process');
    spawnSync('secret-tool', ['clear', 'service', t.service, 'account', 'tmdb.api_key']);
    expect((await cli(t, ['check', 'subtitle'])).code).toBe(3); // get says missing, and so does readiness
    // doctor and which agree with get (they said "ready" and "keychain", exit 0): the entry is named, with both ways out.
    const plain = await cli(t, ['doctor']);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('✗ tmdb.api_key is listed in the profile, but the keychain does not hold its value (removed outside cpw-vault?)\n    fix: Store it again (cpw-vault set tmdb api_key), or drop it from the list: cpw-vault doctor --repair');
    expect(plain.stderr).toMatch(/✗ subtitle: not ready/);
    expect(JSON.parse((await cli(t, ['doctor', '--json'])).stdout)).toMatchObject({ ok: false, stale: ['tmdb.api_key'] });
    const which = await cli(t, ['which', 'tmdb', 'api_key']);
    expect(which.code).toBe(3);
    expect(which.stdout).toMatch(/tmdb\.api_key +missing/);
    expect(which.stderr).toContain('listed in the profile, but the keychain does not hold its value');
    expect((await cli(t, ['which', 'huggingface', 'token'])).code).toBe(0);
    const first = await cli(t, ['doctor', '--repair', '--json']);
    expect(JSON.parse(first.stdout).repair).toMatchObject({ dropped: ['tmdb.api_key'], added: [] });
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).credential_metadata['tmdb.api_key']).toBeUndefined();
    const again = await cli(t, ['doctor', '--repair']);
    expect(again.stderr).toMatch(/repair: nothing to do: the index and the keychain agree/);
    expect(again.code).toBe(0);
  });

  // The plain doctor compared only how many items the keychain holds with how many the index lists: one value removed
  // in Seahorse and another item there that the index does not list (an old version's, another tool's) made the counts
  // agree, and doctor said "✓ subtitle: ready", exit 0, while check and exec said missing.
  it('doctor names a value removed behind the vault\'s back even when another unlisted item makes the counts agree', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: '0123456789abcdef0123456789abcdef' })).code).toBe(0);
    const { spawnSync } = await import('node:child_process');
    spawnSync('secret-tool', ['clear', 'service', t.service, 'account', 'tmdb.api_key']);
    expect((await cli(t, ['doctor'])).code).toBe(1); // the counts differ: the full doctor names it
    expect((await cli(t, ['get', 'tmdb', 'api_key'])).code).toBe(3);
    const stored = spawnSync('secret-tool', ['store', '--label', `${t.service}/mytool.api_key`, 'service', t.service, 'account', 'mytool.api_key'], { input: 'some-other-value-0123' });
    expect(stored.status).toBe(0);
    expect((await cli(t, ['check', 'subtitle'])).code).toBe(3);
    const plain = await cli(t, ['doctor']);
    expect(plain.stderr).toContain('✗ tmdb.api_key is listed in the profile, but the keychain does not hold its value');
    expect(plain.stderr).toMatch(/✗ subtitle: not ready/);
    expect(plain.code).toBe(1);
    expect(JSON.parse((await cli(t, ['doctor', '--json'])).stdout)).toMatchObject({ ok: false, stale: ['tmdb.api_key'] });
    // Its fix, as printed: then doctor has nothing left to say about tmdb.
    expect((await cli(t, ['doctor', '--repair'])).code).toBe(0);
    const after = await cli(t, ['doctor']);
    expect(after.stderr).not.toContain('tmdb.api_key is listed');
    expect(after.code).toBe(0);
  });

  it('a value set through --profile a is not readable through --profile b, and the default profile still uses cp-whisperx names', async () => {
    const t = makeTempHome();
    const a = join(t.cwd, 'a.profile');
    const b = join(t.cwd, 'b.profile');
    expect((await cli(t, ['--profile', a, 'set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    // b exists (a profile of its own, no credential): a named profile that does not exist is an error of its own.
    expect((await cli(t, ['--profile', b, 'profile', 'set', 'name=B'])).code).toBe(0);
    const fromB = await cli(t, ['--profile', b, 'get', 'huggingface', 'token']);
    expect(fromB.code).toBe(3);
    expect(fromB.stdout).toBe('');
    expect((await cli(t, ['--profile', b, 'set', 'huggingface', 'token'], { input: HF_B })).code).toBe(0);
    expect((await cli(t, ['--profile', a, 'get', 'huggingface', 'token'])).stdout).toBe(HF);
    expect((await cli(t, ['--profile', b, 'get', 'huggingface', 'token'])).stdout).toBe(HF_B);
    expect(existsSync(t.profile)).toBe(false);
    // The default profile reads what secret-tool (and every earlier cpw-vault) stores under the plain service name.
    const { spawnSync } = await import('node:child_process');
    spawnSync('secret-tool', ['store', '--label=x', 'xdg:schema', 'org.freedesktop.Secret.Generic', 'service', t.service, 'account', 'huggingface.token'], { input: HF });
    expect((await cli(t, ['get', 'huggingface', 'token'])).stdout).toBe(HF);
  });
});

describe('doctor checks what reads only shape-check', () => {
  it('a stored time zone this system does not know is a problem doctor names, with the fix', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['profile', 'set', 'name=Ada'])).code).toBe(0);
    const { writeFileSync } = await import('node:fs');
    const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
    writeFileSync(t.profile, JSON.stringify({ ...doc, user: { ...doc.user, timezone: 'Mars/Olympus' } }), { mode: 0o600 });
    expect((await cli(t, ['profile', 'show'])).code).toBe(0); // reads do not pay for the check
    const r = await cli(t, ['doctor', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).profile.problems).toContainEqual(expect.objectContaining({ code: 'PROFILE_INVALID', message: expect.stringMatching(/user\.timezone is not a time zone/), fix: expect.stringContaining('profile set timezone=') }));
  });
});

describe('doctor --repair on a profile it cannot read', () => {
  // It said "repair: nothing to do: the index and the keychain agree" for a profile cut mid-write: nothing had been
  // compared (a profile that does not parse is never rewritten), and the keychain held values the index could not name.
  it('says the repair was not done and why, changes nothing, and exits 1', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const whole = readFileSync(t.profile, 'utf8');
    writeFileSync(t.profile, whole.slice(0, whole.length / 2));
    const r = await cli(t, ['doctor', '--repair']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('agree');
    expect(r.stderr).toContain('repair: not done: the profile could not be read (see below); nothing was changed');
    expect(r.stderr).toContain(`PROFILE_INVALID ${t.profile} is not valid JSON`);
    const json = JSON.parse((await cli(t, ['doctor', '--repair', '--json'])).stdout) as { repair: { skipped?: string } };
    expect(json.repair.skipped).toBe('the profile could not be read (see below); nothing was changed');
    expect(readFileSync(t.profile, 'utf8')).toBe(whole.slice(0, whole.length / 2));
    expect((await cli(t, ['get', 'huggingface', 'token'])).code).toBe(1);
  });
});
