import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { fileCli, makeFileVaultHome } from '../helpers/file-vault';
import { makeTempHome, type TempHome } from '../helpers/temp';
import { makeTestPki } from '../helpers/tls';
import { ConnectProxy } from '../fakes/connect-proxy';
import { FakeProviders, PROVIDER_HOSTS, recordingServer } from '../fakes/fake-providers';

const HF = `hf_${'Vrfy'.repeat(9)}`;
const GATED = `hf_${'Gate'.repeat(9)}`;
const REVOKED = `hf_${'Gone'.repeat(9)}`;
const TMDB = '0123456789abcdef0123456789abcdef';
const OPENAI = `sk-proj-${'v'.repeat(40)}`;
const NO_PROXY_ENV = { HTTPS_PROXY: undefined, https_proxy: undefined, HTTP_PROXY: undefined, http_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined, HF_ENDPOINT: undefined, OPENAI_BASE_URL: undefined, ANTHROPIC_BASE_URL: undefined };

let fake: FakeProviders;
let endpoints: Record<string, string | undefined>;

beforeAll(async () => {
  fake = new FakeProviders();
  const origin = await fake.start();
  for (const k of [HF, TMDB, OPENAI]) fake.tokens.set(k, 'valid');
  fake.tokens.set(GATED, 'gated-denied');
  endpoints = { ...NO_PROXY_ENV, CPW_VAULT_ENDPOINT_HUGGINGFACE: `${origin}/hf`, CPW_VAULT_ENDPOINT_TMDB: `${origin}/tmdb`, OPENAI_BASE_URL: `${origin}/openai/v1` };
});
afterAll(() => fake.stop());

const run = (t: TempHome, args: string[], env: Record<string, string | undefined> = {}, input?: string) => cli(t, args, { env: { ...endpoints, ...env }, ...(input !== undefined ? { input } : {}) });

describe('cpw-vault verify', () => {
  it('a value replaced while it is being verified: the result is not stamped on the new value (the audit log still says what was checked)', async () => {
    const t = makeTempHome();
    const held = `hf_${'Held'.repeat(9)}`;
    const replacement = `hf_${'Next'.repeat(9)}`;
    fake.tokens.set(held, 'held');
    await run(t, ['set', 'huggingface', 'token'], {}, held);
    const verifying = run(t, ['verify', 'huggingface', 'token']);
    // The provider has the request (the old value was read and sent): now the value is replaced.
    for (let i = 0; i < 400 && !fake.seen.some((r) => r.key === held); i++) await new Promise((r) => setTimeout(r, 25));
    expect(fake.seen.some((r) => r.key === held)).toBe(true);
    expect((await run(t, ['set', 'huggingface', 'token'], {}, replacement)).code).toBe(0);
    fake.release();
    const r = await verifying;
    expect(r.code, r.stderr).toBe(0);
    const meta = JSON.parse(readFileSync(t.profile, 'utf8')).credential_metadata['huggingface.token'];
    expect(meta.hint.endsWith(replacement.slice(-4))).toBe(true);
    expect(meta.last_validated_at ?? null).toBeNull();
    expect(meta.last_validation ?? null).toBeNull();
    expect(readFileSync(join(t.home, '.cp-whisperx', 'audit.log'), 'utf8')).toMatch(/"event":"credential_verified"/);
  });

  // It ended by the signal with no word (an outside pass): now "cancelled", exit 130, nothing recorded. `check
  // --verify` and `exec --verify` ended so too (the stage not started, but nothing said why).
  it.each([
    ['verify', ['verify', 'huggingface', 'token']],
    ['check --verify', ['check', 'transcribe', '--verify']],
    ['exec --verify', ['exec', '--workflow', 'transcribe', '--verify', '--', 'touch', 'stage-ran']],
  ])('Ctrl-C (or SIGTERM) while a provider is being asked by %s: cancelled, exit 130 (143), nothing recorded, never the value', async (name, args) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const t = makeTempHome();
      const held = `hf_${'Stop'.repeat(7)}St${name.slice(0, 2)}${signal === 'SIGINT' ? 'Ii' : 'Tt'}`;
      fake.tokens.set(held, 'held');
      await run(t, ['set', 'huggingface', 'token'], {}, held);
      const before = readFileSync(t.profile, 'utf8');
      const env: Record<string, string | undefined> = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, ...endpoints };
      for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
      const child = spawn(process.execPath, [BIN, ...args], { cwd: t.cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      const done = collect(child, '');
      // The provider has the request: the value was read and sent, the answer is held.
      for (let i = 0; i < 400 && !fake.seen.some((r) => r.key === held); i++) await new Promise((r) => setTimeout(r, 25));
      expect(fake.seen.some((r) => r.key === held)).toBe(true);
      child.kill(signal);
      const r = await done;
      fake.release();
      expect(r.code, r.stderr).toBe(signal === 'SIGINT' ? 130 : 143); // 128 + the signal, as every cancelled command
      expect(r.stderr).toContain('cancelled: nothing changed');
      expect(r.stdout + r.stderr).not.toContain(held);
      expect(readFileSync(t.profile, 'utf8')).toBe(before);
      expect(readFileSync(join(t.home, '.cp-whisperx', 'audit.log'), 'utf8')).not.toMatch(/"event":"credential_verified"/);
      expect(existsSync(join(t.cwd, 'stage-ran'))).toBe(false);
    }
  });

  it('a valid token: exit 0, the account shown, the outcome recorded in the metadata and the audit log, never the value', async () => {
    const t = makeTempHome();
    await run(t, ['set', 'huggingface', 'token'], {}, HF);
    const r = await run(t, ['verify', 'huggingface', 'token']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('✓ huggingface.token: valid (valid: account ada-lovelace, read token)  [keychain]\n');
    const profileText = readFileSync(t.profile, 'utf8');
    const meta = JSON.parse(profileText).credential_metadata['huggingface.token'];
    expect(meta.last_validation).toEqual({ result: 'valid', at: meta.last_validated_at, checks: ['whoami'], account: 'ada-lovelace', role: 'read' });
    const audit = readFileSync(join(t.home, '.cp-whisperx', 'audit.log'), 'utf8');
    expect(JSON.parse(audit.trim().split('\n').at(-1)!)).toMatchObject({ event: 'credential_verified', caller: 'cli', credential: 'huggingface.token', details: { result: 'valid', checks: ['whoami'], source: 'keychain' } });
    for (const text of [profileText, audit, r.stdout]) expect(text).not.toContain(HF);
  });

  it('a key in the age vault file (no keychain on the host): the result names the vault file, not "[keychain]"', async () => {
    // A GPU server with no Secret Service read "[keychain]" (and "source": "keychain" alone in --json) for a key the vault
    // file held, where list, which and the library say "vault file".
    const h = await makeFileVaultHome({ logN: 10 });
    try {
      expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
      expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
      const r = await fileCli(h, ['verify', 'huggingface', 'token'], { env: endpoints });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('✓ huggingface.token: valid (valid: account ada-lovelace, read token)  [vault file]\n');
      const json = await fileCli(h, ['verify', '--workflow', 'transcribe', '--json'], { env: endpoints });
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout).results[0]).toMatchObject({ credential: 'huggingface.token', source: 'keychain', store: 'file' });
      expect(r.stdout + json.stdout).not.toContain(HF);
    } finally {
      await fileCli(h, ['lock']);
    }
  });

  it('--workflow diarize: gated terms not accepted is exit 3 with the model page; --json is one document', async () => {
    const t = makeTempHome();
    await run(t, ['set', 'huggingface', 'token'], {}, GATED);
    const r = await run(t, ['verify', '--workflow', 'diarize', '--json']);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.results).toHaveLength(1);
    expect(doc.results[0]).toMatchObject({ credential: 'huggingface.token', result: 'no-access', fixUrl: 'https://huggingface.co/pyannote/speaker-diarization-3.1', account: 'ada-lovelace' });
    expect(doc.results[0].checks.map((c: { check: string }) => c.check)).toEqual(['whoami', 'gated:pyannote/speaker-diarization-3.1', 'gated:pyannote/segmentation-3.0']);
    const human = await run(t, ['verify', '--workflow', 'diarize']);
    expect(human.stdout).toMatch(/✗ huggingface\.token: no-access — the token's account has not accepted the conditions of the gated model pyannote\/speaker-diarization-3\.1\s+\[keychain\]\n\s+fix: Open https:\/\/huggingface\.co\/pyannote\/speaker-diarization-3\.1/);
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).credential_metadata['huggingface.token'].last_validation).toMatchObject({ result: 'no-access', reason: 'GatedRepo' });
  });

  it('--all: 5 when a provider cannot be reached, 3 as soon as a key is rejected; unverifiable ones are named', async () => {
    const t = makeTempHome();
    const closed = await recordingServer();
    await closed.stop();
    await run(t, ['set', 'huggingface', 'token'], {}, HF);
    await run(t, ['set', 'tmdb', 'api_key'], {}, TMDB);
    await run(t, ['set', 'deepl', 'api_key'], {}, 'deepl-key-123456');
    const down = await run(t, ['verify', '--all'], { CPW_VAULT_ENDPOINT_TMDB: closed.origin });
    expect(down.code).toBe(5);
    expect(down.stdout).toMatch(/✓ huggingface\.token: valid/);
    expect(down.stdout).toMatch(/! tmdb\.api_key: unreachable — 127\.0\.0\.1:\d+ refused the connection/);
    expect(down.stderr).toMatch(/note: deepl\.api_key not verified: no provider call is known for it/);
    await run(t, ['set', 'openai', 'api_key'], {}, `sk-proj-${'r'.repeat(40)}`);
    const rejected = await run(t, ['verify', '--all'], { CPW_VAULT_ENDPOINT_TMDB: closed.origin });
    expect(rejected.code).toBe(3);
    expect(rejected.stdout).toMatch(/✗ openai\.api_key: invalid .*\n\s+fix: Create a new key at https:\/\/platform\.openai\.com\/api-keys, then: cpw-vault set openai api_key/);
  });

  it('a rejected key taken from an env var: the fix names the variable (a new key stored in the vault would change nothing)', async () => {
    const t = makeTempHome();
    await run(t, ['set', 'openai', 'api_key'], {}, OPENAI);
    const bad = `sk-proj-${'e'.repeat(40)}`;
    const r = await run(t, ['verify', 'openai', 'api_key'], { OPENAI_API_KEY: bad });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/✗ openai\.api_key: invalid .*\[env\]\n\s+fix: The key comes from OPENAI_API_KEY in this environment, which is read before the vault: correct or unset OPENAI_API_KEY \(new keys: https:\/\/platform\.openai\.com\/api-keys\)\.\n/);
    expect(r.stdout).not.toContain('cpw-vault set');
    expect(r.stdout + r.stderr).not.toContain(bad);
    // The stored key itself, with the variable unset: verified as the vault's.
    expect((await run(t, ['verify', 'openai', 'api_key'], { OPENAI_API_KEY: undefined })).code).toBe(0);
  });

  it('usage errors: nothing to verify, two targets, a custom credential, a bad --timeout (exit 2); a missing one (exit 3)', async () => {
    const t = makeTempHome();
    expect((await run(t, ['verify'])).code).toBe(2);
    expect((await run(t, ['verify', 'huggingface', 'token', '--all'])).code).toBe(2);
    expect((await run(t, ['verify', 'deepl', 'api_key'])).stderr).toMatch(/cannot verify deepl\.api_key/);
    expect((await run(t, ['verify', '--all', '--timeout', 'soon'])).code).toBe(2);
    // One that rounded to 0 ms was taken for none given: the default 10 s, without a word.
    for (const tiny of ['0.0001', '0.04']) {
      const r = await run(t, ['verify', '--all', '--timeout', tiny]);
      expect([r.code, r.stderr]).toEqual([2, 'error [INVALID_ARGUMENT] --timeout takes a number of seconds from 0.1 to 300.\nfix: Example: --timeout 20\n']);
    }
    const missing = await run(t, ['verify', 'tmdb', 'api_key']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('cpw-vault set tmdb api_key');
  });
});

describe('check --verify and exec --verify', () => {
  it('check --verify: 0 when every key works, 3 when one is revoked, with the fix', async () => {
    const t = makeTempHome();
    await run(t, ['set', 'huggingface', 'token'], {}, HF);
    await run(t, ['set', 'tmdb', 'api_key'], {}, TMDB);
    const ok = await run(t, ['check', 'subtitle', '--verify', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ workflow: 'subtitle', ready: true, verification: [{ credential: 'huggingface.token', result: 'valid' }, { credential: 'tmdb.api_key', result: 'valid' }] });
    await run(t, ['set', 'huggingface', 'token'], {}, REVOKED);
    const bad = await run(t, ['check', 'subtitle', '--verify']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/✗ huggingface\.token: invalid/);
  });

  it('exec --verify refuses to start on a rejected key (3) or an unreachable provider (5), and starts when all are valid', async () => {
    const t = makeTempHome();
    const marker = join(t.root, 'started');
    await run(t, ['set', 'huggingface', 'token'], {}, REVOKED);
    const rejected = await run(t, ['exec', '--workflow', 'transcribe', '--verify', '--', 'touch', marker]);
    expect(rejected.code).toBe(3);
    expect(rejected.stderr).toMatch(/CREDENTIAL_REJECTED.*Not starting/);
    await run(t, ['set', 'huggingface', 'token'], {}, HF);
    const unreachable = await run(t, ['exec', '--workflow', 'transcribe', '--verify', '--', 'touch', marker], { CPW_VAULT_ENDPOINT_HUGGINGFACE: 'http://hf-mirror.example' });
    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).toMatch(/PROVIDER_UNREACHABLE/);
    expect(existsSync(marker)).toBe(false);
    const ok = await run(t, ['exec', '--workflow', 'transcribe', '--verify', '--', 'touch', marker]);
    expect(ok.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });

  it('exec --verify that keeps the stage from starting records the run as refused, as exec does without --verify', async () => {
    const t = makeTempHome();
    const marker = join(t.root, 'started');
    const runs = async () => JSON.parse((await run(t, ['runs', '--json'])).stdout).runs as Array<Record<string, unknown>>;
    const missing = await run(t, ['exec', '--workflow', 'transcribe', '--verify', '--', 'touch', marker]);
    expect(missing.code).toBe(3);
    expect(await runs()).toMatchObject([{ status: 'refused', workflow: 'transcribe', program: 'touch', credentials: ['huggingface.token'] }]);
    await run(t, ['set', 'huggingface', 'token'], {}, REVOKED);
    const rejected = await run(t, ['exec', '--workflow', 'transcribe', '--verify', '--', 'touch', marker]);
    expect(rejected.code).toBe(3);
    expect(await runs()).toHaveLength(2);
    expect((await runs()).map((r) => r['status'])).toEqual(['refused', 'refused']);
    await run(t, ['exec', '--workflow', 'transcribe', '--verify', '--no-history', '--', 'touch', marker]);
    expect(await runs()).toHaveLength(2);
    expect(existsSync(marker)).toBe(false);
  });

  it('exec --verify checks the keys --with adds too: a revoked one given to the stage is refused, the stage not started', async () => {
    const t = makeTempHome();
    const marker = join(t.root, 'started');
    await run(t, ['set', 'huggingface', 'token'], {}, HF);
    await run(t, ['set', 'openai', 'api_key'], {}, `sk-proj-${'r'.repeat(40)}`);
    const rejected = await run(t, ['exec', '--workflow', 'transcribe', '--with', 'openai.api_key', '--verify', '--', 'touch', marker]);
    expect(rejected.stderr).toMatch(/✗ openai\.api_key: invalid/);
    expect(rejected.code).toBe(3);
    expect(existsSync(marker)).toBe(false);
    await run(t, ['set', 'openai', 'api_key'], {}, OPENAI);
    const ok = await run(t, ['exec', '--workflow', 'transcribe', '--with', 'openai.api_key', '--verify', '--', 'touch', marker]);
    expect(ok.stderr).toMatch(/✓ openai\.api_key: valid/);
    expect(ok.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });
});

describe('verify with the documented hosts, through HTTPS_PROXY', () => {
  it('with no endpoint variable, each provider is reached at its real host by a CONNECT tunnel; the proxy never sees a key', async () => {
    const pki = makeTestPki(PROVIDER_HOSTS);
    const tls = new FakeProviders({ key: pki.key, cert: pki.cert });
    const keys = { HF_TOKEN: HF, PYANNOTE_API_TOKEN: `hf_${'Pyan'.repeat(9)}`, TMDB_API_KEY: TMDB, OPENAI_API_KEY: OPENAI, ANTHROPIC_API_KEY: `sk-ant-${'a'.repeat(40)}`, GOOGLE_API_KEY: `AIza${'g'.repeat(35)}`, YOUTUBE_API_KEY: `AIza${'y'.repeat(35)}`, VIMEO_ACCESS_TOKEN: 'fedcba9876543210fedcba9876543210' };
    for (const v of Object.values(keys)) tls.tokens.set(v, 'valid');
    const proxy = new ConnectProxy(Number(new URL(await tls.start()).port));
    const proxyUrl = await proxy.start();
    try {
      const t = makeTempHome();
      expect((await cli(t, ['setup', '--non-interactive'], { env: { ...NO_PROXY_ENV, ...keys } })).code).toBe(0);
      const r = await cli(t, ['verify', '--all', '--json'], { env: { ...NO_PROXY_ENV, HTTPS_PROXY: proxyUrl, NODE_EXTRA_CA_CERTS: pki.caFile } });
      expect(JSON.parse(r.stdout).results.map((x: { credential: string; result: string }) => `${x.credential}:${x.result}`)).toEqual(['huggingface.token:valid', 'pyannote.token:valid', 'tmdb.api_key:valid', 'openai.api_key:valid', 'anthropic.api_key:valid', 'google.api_key:valid', 'youtube.api_key:valid', 'vimeo.access_token:valid']);
      expect(r.code).toBe(0);
      expect([...new Set(proxy.connects)].sort()).toEqual(['api.anthropic.com:443', 'api.openai.com:443', 'api.themoviedb.org:443', 'api.vimeo.com:443', 'generativelanguage.googleapis.com:443', 'huggingface.co:443', 'www.googleapis.com:443']);
      const tunnelled = Buffer.concat(proxy.bytes);
      for (const v of Object.values(keys)) expect(tunnelled.includes(v)).toBe(false);
      expect(proxy.plain).toEqual([]);
    } finally {
      await proxy.stop();
      await tls.stop();
    }
  });
});

describe('a proxy that accepts the connection and never answers', () => {
  it('verify gives up at its --timeout (exit 5, "through the proxy"), not after undici\'s own 300 s for the CONNECT', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => void sockets.push(s)); // accepts, reads nothing, answers nothing
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const t = makeTempHome();
      await run(t, ['set', 'huggingface', 'token'], {}, HF);
      const r = await cli(t, ['verify', 'huggingface', 'token', '--timeout', '1'], { env: { ...NO_PROXY_ENV, HTTPS_PROXY: `http://127.0.0.1:${port}` } });
      expect(r.code, r.stderr).toBe(5);
      expect(r.stdout).toContain(`no answer from huggingface.co within 1 s (through the proxy 127.0.0.1:${port})`);
      expect(sockets.length).toBeGreaterThan(0);
      // Several at once share one pool: each ends at its own deadline with its own words, none failed by another's
      // timeout (UND_ERR_DESTROYED, "check the network").
      await run(t, ['set', 'tmdb', 'api_key'], {}, TMDB);
      await run(t, ['set', 'openai', 'api_key'], {}, OPENAI);
      const all = await cli(t, ['verify', '--all', '--timeout', '1', '--json'], { env: { ...NO_PROXY_ENV, HTTPS_PROXY: `http://127.0.0.1:${port}` } });
      expect(all.code, all.stderr).toBe(5);
      const results = JSON.parse(all.stdout).results as Array<{ credential: string; message: string }>;
      expect(results.map((x) => x.credential)).toEqual(['huggingface.token', 'tmdb.api_key', 'openai.api_key']);
      for (const x of results) expect(x.message).toMatch(/^no answer from \S+ within 1 s \(through the proxy 127\.0\.0\.1:\d+\)$/);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

describe('help', () => {
  it.each([['verify'], ['git-credential'], ['exec'], ['check']])('%s --help shows usage, the new options and examples', async (cmd) => {
    const r = await cli(makeTempHome(), [cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: cpw-vault/);
    expect(r.stdout).toMatch(/Examples:\n {2}\$ cpw-vault/);
    if (cmd === 'exec') expect(r.stdout).toMatch(/--inherit-secrets[\s\S]*--mask[\s\S]*--no-mask[\s\S]*--verify/);
  });
});
