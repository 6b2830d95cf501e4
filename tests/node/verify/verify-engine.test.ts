import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialId } from '../../../shared/core/credential';
import { verifyCredential, verifyMany } from '../../../shared/node/verify/verify';
import { ConnectProxy } from '../../fakes/connect-proxy';
import { FakeProviders, PROVIDER_HOSTS, recordingServer, type Behaviour } from '../../fakes/fake-providers';
import { makeTestPki } from '../../helpers/tls';

const KEYS: Record<string, string> = {
  'huggingface.token': `hf_${'Good'.repeat(9)}`,
  'pyannote.token': `hf_${'Pyan'.repeat(9)}`,
  'openai.api_key': `sk-proj-${'o'.repeat(40)}`,
  'anthropic.api_key': `sk-ant-api03-${'a'.repeat(40)}`,
  'google.api_key': `AIza${'G'.repeat(35)}`,
  'tmdb.api_key': 'eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ0bWRiIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ',
  'youtube.api_key': `AIza${'Y'.repeat(35)}`,
  'vimeo.access_token': '0123456789abcdef0123456789abcdef',
};

let fake: FakeProviders;
let env: Record<string, string>;

/** A key that behaves as `b` at the fake. */
function key(b: Behaviour, base = 'hf_'): string {
  const k = `${base}${b.replace(/-/g, '')}${'x'.repeat(30)}`;
  fake.tokens.set(k, b);
  return k;
}

beforeAll(async () => {
  fake = new FakeProviders();
  const origin = await fake.start();
  for (const k of Object.values(KEYS)) fake.tokens.set(k, 'valid');
  env = {
    CPW_VAULT_ENDPOINT_HUGGINGFACE: `${origin}/hf`, OPENAI_BASE_URL: `${origin}/openai/v1`, ANTHROPIC_BASE_URL: `${origin}/anthropic`,
    CPW_VAULT_ENDPOINT_GOOGLE: `${origin}/google`, CPW_VAULT_ENDPOINT_TMDB: `${origin}/tmdb`, CPW_VAULT_ENDPOINT_YOUTUBE: `${origin}/youtube`, CPW_VAULT_ENDPOINT_VIMEO: `${origin}/vimeo`,
  };
});
afterAll(() => fake.stop());

const seenFor = (k: string) => fake.seen.filter((s) => s.key === k);

describe('verifyCredential against loopback providers', () => {
  const HOW: Record<string, { method: string; path: string; header: string }> = {
    'huggingface.token': { method: 'GET', path: '/api/whoami-v2', header: 'authorization' },
    'pyannote.token': { method: 'HEAD', path: '/pyannote/speaker-diarization-3.1/resolve/main/config.yaml', header: 'authorization' },
    'openai.api_key': { method: 'GET', path: '/v1/models', header: 'authorization' },
    'anthropic.api_key': { method: 'GET', path: '/v1/models', header: 'x-api-key' },
    'google.api_key': { method: 'GET', path: '/v1beta/models', header: 'x-goog-api-key' },
    'tmdb.api_key': { method: 'GET', path: '/3/authentication', header: 'authorization' },
    'youtube.api_key': { method: 'GET', path: '/youtube/v3/videoCategories', header: 'x-goog-api-key' },
    'vimeo.access_token': { method: 'GET', path: '/oauth/verify', header: 'authorization' },
  };

  it.each(Object.keys(HOW))('%s: a working key is valid; the key travels in its header, never in the URL', async (id) => {
    const r = await verifyCredential(id as CredentialId, KEYS[id]!, { env });
    expect(r).toMatchObject({ credential: id, result: 'valid' });
    const req = seenFor(KEYS[id]!)[0]!;
    expect([req.method, req.path]).toEqual([HOW[id]!.method, HOW[id]!.path]);
    expect(String(req.headers[HOW[id]!.header])).toContain(KEYS[id]!);
    expect(req.query.toString()).not.toContain(KEYS[id]!);
    expect(JSON.stringify(r)).not.toContain(KEYS[id]!); // vimeo echoes the token in its body: never kept
  });

  it.each(Object.keys(HOW))('%s: an unknown key is invalid, with where to get one and the command to store it', async (id) => {
    const bad = id.startsWith('google') || id.startsWith('youtube') ? `AIza${'Z'.repeat(35)}` : `${KEYS[id]!.slice(0, -6)}BADBAD`;
    const r = await verifyCredential(id as CredentialId, bad, { env });
    expect(r.result).toBe('invalid');
    const [service, k] = id.split('.');
    expect(r.fix).toContain(`cpw-vault set ${service} ${k}`);
  });

  it('HuggingFace whoami: the account name and the token role', async () => {
    const r = await verifyCredential('huggingface.token', KEYS['huggingface.token']!, { env });
    expect(r).toMatchObject({ result: 'valid', account: 'ada-lovelace', role: 'read', message: 'valid: account ada-lovelace, read token' });
  });

  it('diarize: a token that has not accepted the gated models is no-access, with each model page to accept', async () => {
    const t = key('gated-denied');
    const r = await verifyCredential('pyannote.token', t, { env });
    expect(r.result).toBe('no-access');
    expect(r.checks.map((c) => [c.check, c.status, c.reason])).toEqual([
      ['gated:pyannote/speaker-diarization-3.1', 403, 'GatedRepo'],
      ['gated:pyannote/segmentation-3.0', 403, 'GatedRepo'],
    ]);
    expect(r.fixUrl).toBe('https://huggingface.co/pyannote/speaker-diarization-3.1');
    expect(r.fix).toMatch(/accept the conditions/);
    const hf = await verifyCredential('huggingface.token', t, { env, gated: true });
    expect(hf.checks.map((c) => c.result)).toEqual(['valid', 'no-access', 'no-access']);
    expect(hf.account).toBe('ada-lovelace');
  });

  it('diarize: a fine-grained token without gated-repo access gets the token-settings fix', async () => {
    const r = await verifyCredential('pyannote.token', key('gated-forbidden'), { env });
    expect(r).toMatchObject({ result: 'no-access', fixUrl: 'https://huggingface.co/settings/tokens' });
    expect(r.fix).toMatch(/public gated repos/);
  });

  it('an invalid HuggingFace token stops at whoami: the gated calls are not spent', async () => {
    const bad = `hf_${'Nope'.repeat(9)}`;
    const r = await verifyCredential('huggingface.token', bad, { env, gated: true });
    expect(r.result).toBe('invalid');
    expect(seenFor(bad)).toHaveLength(1);
  });

  it('OpenAI: the organization header goes along; no credit is rate-limited; a wrong organization is no-access', async () => {
    await verifyCredential('openai.api_key', KEYS['openai.api_key']!, { env, related: { 'openai.organization_id': 'org-abcdef123456' } });
    expect(seenFor(KEYS['openai.api_key']!).at(-1)!.headers['openai-organization']).toBe('org-abcdef123456');
    expect(await verifyCredential('openai.api_key', key('insufficient-quota', 'sk-'), { env })).toMatchObject({ result: 'rate-limited', checks: [{ reason: 'insufficient_quota' }] });
    expect(await verifyCredential('openai.api_key', key('org-mismatch', 'sk-'), { env })).toMatchObject({ result: 'no-access', checks: [{ reason: 'mismatched_organization' }] });
  });

  it('Anthropic sends its API version; Google and YouTube read the error reason', async () => {
    expect(seenFor(KEYS['anthropic.api_key']!)[0]?.headers['anthropic-version']).toBe('2023-06-01');
    const disabled = await verifyCredential('google.api_key', key('disabled', 'AIza'), { env });
    expect(disabled).toMatchObject({ result: 'no-access', fixUrl: expect.stringContaining('generativelanguage.googleapis.com'), checks: [{ reason: 'SERVICE_DISABLED' }] });
    expect(await verifyCredential('youtube.api_key', key('rate-limited', 'AIza'), { env })).toMatchObject({ result: 'rate-limited', checks: [{ status: 403, reason: 'quotaExceeded' }] });
    expect(await verifyCredential('youtube.api_key', `AIza${'Q'.repeat(35)}`, { env })).toMatchObject({ result: 'invalid', checks: [{ status: 400, reason: 'API_KEY_INVALID' }] });
  });

  it('TMDB: a v4 token goes in a header; a v3 key can only go in the query, and the result says so', async () => {
    const v3 = key('valid', '');
    const r = await verifyCredential('tmdb.api_key', v3, { env });
    expect(r.result).toBe('valid');
    expect(seenFor(v3)[0]!.query.get('api_key')).toBe(v3);
    expect(r.notes.join(' ')).toMatch(/v3 API key can only be sent in the URL query/);
    expect(JSON.stringify(r)).not.toContain(v3);
  });

  it('429 is rate-limited (with Retry-After); 503 is unreachable; neither is a crash', async () => {
    expect(await verifyCredential('anthropic.api_key', key('rate-limited', 'sk-ant-'), { env })).toMatchObject({ result: 'rate-limited', message: expect.stringMatching(/retry after 30 s/) });
    expect(await verifyCredential('vimeo.access_token', key('server-error', ''), { env })).toMatchObject({ result: 'unreachable', checks: [{ reason: 'provider-error', status: 503 }] });
  });

  it('a 5 MiB body or bytes that are not JSON: valid by the status, only 64 KiB read, no account invented', async () => {
    for (const b of ['huge-body', 'garbage-body'] as const) {
      const r = await verifyCredential('huggingface.token', key(b), { env });
      expect(r).toMatchObject({ result: 'valid', message: 'the Hub accepted the token' });
      expect(r.account).toBeUndefined();
    }
  });

  it('a value no key can be (spaces, non-ASCII) is invalid without being sent anywhere', async () => {
    const before = fake.seen.length;
    const r = await verifyCredential('openai.api_key', 'sk-über key', { env });
    expect(r).toMatchObject({ result: 'invalid', checks: [{ reason: 'format' }] });
    expect(fake.seen.length).toBe(before);
  });

  it('verifyMany: every provider at once, results in the order given', async () => {
    const ids = Object.keys(KEYS);
    const results = await verifyMany(ids.map((id) => ({ id, value: KEYS[id]! })), { env });
    expect(results.map((r) => [r.credential, r.result])).toEqual(ids.map((id) => [id, 'valid']));
  });

  it('an unverifiable credential is a usage error, not a network call', async () => {
    await expect(verifyCredential('deepl.api_key', 'whatever-value', { env })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('the key never goes where it should not', () => {
  it('a redirect to another host is not followed: that host receives nothing', async () => {
    const elsewhere = await recordingServer();
    fake.redirectTo = `${elsewhere.origin}/api/whoami-v2`;
    try {
      const r = await verifyCredential('huggingface.token', key('redirect-away'), { env });
      expect(r).toMatchObject({ result: 'unreachable', checks: [{ reason: 'redirect', status: 302 }] });
      expect(r.message).toMatch(/not followed/);
      expect(elsewhere.seen).toHaveLength(0);
    } finally {
      await elsewhere.stop();
    }
  });

  it('a redirect whose Location is not a URL is said to be one, not "check the network"', async () => {
    const server = http.createServer((_req, res) => res.writeHead(302, { location: 'http://[::1' }).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const r = await verifyCredential('huggingface.token', KEYS['huggingface.token']!, { env: { HF_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } });
      expect(r).toMatchObject({ result: 'unreachable', checks: [{ reason: 'redirect' }] });
      expect(r.message).toMatch(/^127\.0\.0\.1:\d+ answered with a redirect to an address that is not a URL; it was not followed$/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('plain http to a "localhost" name is refused when the name resolves to an address that is not loopback', async () => {
    // *.localhost (even localhost itself, missing from /etc/hosts) can go to DNS, which may answer with any address:
    // plain http must then not carry the key there. 0.0.0.0 stands for that address (it reaches this machine).
    const seen: string[] = [];
    const server = http.createServer((req, res) => res.end(void seen.push(String(req.headers['authorization']))));
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
    const elsewhere: LookupFunction = (_host, options, cb) => (options.all ? cb(null, [{ address: '0.0.0.0', family: 4 }]) : cb(null, '0.0.0.0', 4));
    try {
      const r = await verifyCredential('huggingface.token', KEYS['huggingface.token']!, { env: { HF_ENDPOINT: `http://hf.localhost:${(server.address() as AddressInfo).port}` }, connect: { lookup: elsewhere } });
      expect(r).toMatchObject({ result: 'unreachable', checks: [{ reason: 'dns' }] });
      expect(r.message).toBe('hf.localhost resolved to 0.0.0.0, which is not a loopback address, so nothing was sent (a loopback name may use plain http:// and bypasses the proxy)');
      expect(seen).toEqual([]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('a redirect within the same origin is followed (a renamed repository)', async () => {
    const t = key('redirect-same');
    expect((await verifyCredential('huggingface.token', t, { env })).result).toBe('valid');
    expect(seenFor(t).map((s) => s.query.get('moved'))).toEqual([null, '1']);
  });

  it('plain http to a non-loopback endpoint is refused before anything is sent', async () => {
    const before = fake.seen.length;
    const r = await verifyCredential('huggingface.token', KEYS['huggingface.token']!, { env: { HF_ENDPOINT: 'http://hf-mirror.example' } });
    expect(r).toMatchObject({ result: 'unreachable', checks: [{ reason: 'endpoint' }] });
    expect(r.fix).toMatch(/HF_ENDPOINT/);
    expect(fake.seen.length).toBe(before);
  });

  it('a closed port is "refused"; a server that never answers is "timeout" at the deadline', async () => {
    const closed = await recordingServer();
    await closed.stop();
    expect(await verifyCredential('vimeo.access_token', KEYS['vimeo.access_token']!, { env: { CPW_VAULT_ENDPOINT_VIMEO: closed.origin } })).toMatchObject({ result: 'unreachable', checks: [{ reason: 'refused' }] });
    const started = Date.now();
    const slow = await verifyCredential('huggingface.token', key('slow'), { env, timeoutMs: 400 });
    expect(slow).toMatchObject({ result: 'unreachable', checks: [{ reason: 'timeout' }] });
    expect(slow.message).toMatch(/within 0.4 s/);
    // Said for the app too: the flag is named as the command's, never as if the app had it.
    expect(slow.fix).toContain('the command cpw-vault verify --timeout SECONDS waits longer');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a certificate nobody trusts is a TLS failure: unreachable, the request never made', async () => {
    const pki = makeTestPki(PROVIDER_HOSTS);
    const tls = new FakeProviders(pki.untrusted);
    const origin = await tls.start();
    try {
      const r = await verifyCredential('huggingface.token', KEYS['huggingface.token']!, { env: { HF_ENDPOINT: origin } });
      expect(r).toMatchObject({ result: 'unreachable', checks: [{ reason: 'tls' }] });
      expect(r.fix).toMatch(/NODE_EXTRA_CA_CERTS/);
      expect(tls.seen).toHaveLength(0);
    } finally {
      await tls.stop();
    }
  });
});

describe('HTTPS_PROXY and NO_PROXY', () => {
  let pki: ReturnType<typeof makeTestPki>;
  let tls: FakeProviders;
  let port: number;
  let proxy: ConnectProxy;
  let proxyUrl: string;
  // Resolves every name to loopback, so nothing ever reaches DNS.
  const lookup: LookupFunction = (_host, options, cb) => (options.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4));
  const token = KEYS['huggingface.token']!;

  beforeAll(async () => {
    pki = makeTestPki(PROVIDER_HOSTS);
    tls = new FakeProviders({ key: pki.key, cert: pki.cert });
    tls.tokens.set(token, 'valid');
    port = Number(new URL(await tls.start()).port);
    proxy = new ConnectProxy(port);
    proxyUrl = await proxy.start();
  });
  afterAll(async () => {
    await proxy.stop();
    await tls.stop();
  });

  it('a provider host goes through the proxy as a CONNECT tunnel; the proxy sees only TLS, never the key', async () => {
    const r = await verifyCredential('huggingface.token', token, { env: { HTTPS_PROXY: proxyUrl, HF_ENDPOINT: `https://huggingface.co:${port}` }, connect: { ca: pki.ca } });
    expect(r.result).toBe('valid');
    expect(proxy.connects).toEqual([`huggingface.co:${port}`]);
    expect(Buffer.concat(proxy.bytes).includes(token)).toBe(false);
    expect(proxy.plain).toEqual([]);
  });

  it('NO_PROXY sends that host direct; loopback is never proxied', async () => {
    proxy.connects.length = 0;
    const direct = await verifyCredential('huggingface.token', token, { env: { https_proxy: proxyUrl, NO_PROXY: 'example.org,huggingface.co', HF_ENDPOINT: `https://huggingface.co:${port}` }, connect: { ca: pki.ca, lookup } });
    expect(direct.result).toBe('valid');
    const loop = await verifyCredential('huggingface.token', token, { env: { HTTPS_PROXY: proxyUrl, HF_ENDPOINT: `https://127.0.0.1:${port}/hf` }, connect: { ca: pki.ca } });
    expect(loop.result).toBe('valid');
    expect(proxy.connects).toEqual([]);
  });

  it('a proxy variable that is not a URL is "unreachable: proxy" and nothing is sent', async () => {
    const r = await verifyCredential('huggingface.token', token, { env: { HTTPS_PROXY: 'not a proxy url', HF_ENDPOINT: 'https://hub.example' } });
    expect(r).toMatchObject({ result: 'unreachable', checks: [{ reason: 'proxy' }] });
    expect(r.fix).toMatch(/HTTPS_PROXY/);
  });

  it('a proxy that refuses the tunnel is "unreachable: proxy", naming the proxy', async () => {
    proxy.refuseWith = 407;
    try {
      const r = await verifyCredential('huggingface.token', token, { env: { HTTPS_PROXY: proxyUrl, HF_ENDPOINT: `https://huggingface.co:${port}` }, connect: { ca: pki.ca } });
      expect(r).toMatchObject({ result: 'unreachable', checks: [{ reason: 'proxy' }] });
      expect(r.message).toMatch(/407/);
      expect(r.fix).toMatch(/HTTPS_PROXY/);
    } finally {
      proxy.refuseWith = undefined;
    }
  });
});
