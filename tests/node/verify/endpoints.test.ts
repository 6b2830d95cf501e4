import { describe, expect, it } from 'vitest';
import { classifyNetworkError } from '../../../shared/node/verify/network-errors';
import { isLoopbackHost, joinUrl, resolveEndpoint } from '../../../shared/node/verify/endpoints';

describe('endpoint configuration', () => {
  it('CPW_VAULT_ENDPOINT_<SERVICE> wins over the provider variable, which wins over the default', () => {
    expect(resolveEndpoint('huggingface', 'huggingface', {})).toMatchObject({ ok: true, from: 'default' });
    const hf = resolveEndpoint('huggingface', 'huggingface', { HF_ENDPOINT: 'https://hf-mirror.example', CPW_VAULT_ENDPOINT_HUGGINGFACE: 'https://vault-mirror.example/hub' });
    expect(hf.ok && [hf.base.href, hf.from]).toEqual(['https://vault-mirror.example/hub', 'CPW_VAULT_ENDPOINT_HUGGINGFACE']);
    const openai = resolveEndpoint('openai', 'openai', { OPENAI_BASE_URL: 'https://gateway.example/v1' });
    expect(openai.ok && openai.from).toBe('OPENAI_BASE_URL');
    // pyannote's own variable first, then the Hub's.
    const pa = resolveEndpoint('huggingface', 'pyannote', { CPW_VAULT_ENDPOINT_PYANNOTE: 'https://pa.example', HF_ENDPOINT: 'https://hf.example' });
    expect(pa.ok && pa.from).toBe('CPW_VAULT_ENDPOINT_PYANNOTE');
    const anthropic = resolveEndpoint('anthropic', 'anthropic', { ANTHROPIC_BASE_URL: 'http://127.0.0.1:8080' });
    expect(anthropic.ok).toBe(true);
  });

  it.each([
    ['http://hf-mirror.example', /plain http:\/\/ is allowed only to a loopback address/],
    ['ftp://example.com', /is not http\(s\)/],
    ['https://user:pw@mirror.example', /user name or password/],
    ['https://mirror.example/?token=x', /query or fragment/],
    ['not a url', /does not parse/],
  ])('refuses %s, naming the variable and the fix', (value, why) => {
    const r = resolveEndpoint('huggingface', 'huggingface', { HF_ENDPOINT: value });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toMatch(why);
      expect(r.message).toContain('HF_ENDPOINT');
      expect(r.fix).toMatch(/https:\/\//);
    }
  });

  it('loopback is localhost, 127.0.0.0/8 and ::1, nothing else', () => {
    for (const h of ['localhost', '127.0.0.1', '127.8.9.10', '[::1]', '::1', 'api.localhost']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['128.0.0.1', '10.0.0.1', 'localhost.example.com', '127.0.0.1.nip.io', '[::2]', '0.0.0.0']) expect(isLoopbackHost(h)).toBe(false);
  });

  it('joins a base with a path prefix and the call path, keeping the query', () => {
    expect(joinUrl(new URL('https://gw.example/openai/v1/'), '/models').href).toBe('https://gw.example/openai/v1/models');
    expect(joinUrl(new URL('https://huggingface.co'), '/pyannote/segmentation-3.0/resolve/main/config.yaml').href).toBe('https://huggingface.co/pyannote/segmentation-3.0/resolve/main/config.yaml');
    expect(joinUrl(new URL('https://www.googleapis.com'), '/youtube/v3/videoCategories?part=snippet&id=1').search).toBe('?part=snippet&id=1');
  });
});

describe('network error classification', () => {
  const ctx = { host: 'huggingface.co', timeoutMs: 10_000 };
  const err = (code: string, message = code) => Object.assign(new Error(message), { code });
  it.each([
    [err('ENOTFOUND'), 'dns'],
    [err('EAI_AGAIN'), 'dns'],
    [new AggregateError([err('ECONNREFUSED'), err('ECONNREFUSED')]), 'refused'],
    [err('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'tls'],
    [err('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls'],
    [err('UND_ERR_CONNECT_TIMEOUT'), 'timeout'],
    [Object.assign(new Error('signal timed out'), { name: 'TimeoutError' }), 'timeout'],
    [err('UND_ERR_ABORTED', 'Proxy response (407) !== 200 when HTTP Tunneling'), 'proxy'],
    [err('ECONNRESET'), 'network'],
    ['a string was thrown', 'network'],
  ])('%s is %s, with a fix', (thrown, reason) => {
    const r = classifyNetworkError(thrown, ctx);
    expect(r.reason).toBe(reason);
    expect(r.message).toContain('huggingface.co');
    expect(r.fix.length).toBeGreaterThan(10);
  });
});
