import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'Vrfy'.repeat(9)}`;
const OPENAI = `sk-proj-${'v'.repeat(40)}`;
const VIMEO = 'fedcba9876543210fedcba9876543210';
const NO_PROXY_ENV = { HTTPS_PROXY: undefined, https_proxy: undefined, HTTP_PROXY: undefined, http_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined, HF_ENDPOINT: undefined, OPENAI_BASE_URL: undefined, ANTHROPIC_BASE_URL: undefined };

const swapCase = (s: string) => [...s].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');

/**
 * A broken gateway or a hostile mirror: the token comes back, changed by `echoed`, as the account, the role, an error
 * code, and the host of a redirect (lower-cased there, as a URL's host is).
 */
async function echoServer(echoed: (key: string) => string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const key = echoed(String(req.headers['authorization'] ?? '').replace(/^Bearer /, ''));
    if (req.url?.includes('whoami')) return res.end(JSON.stringify({ name: key, auth: { accessToken: { role: key } } }));
    if (req.url?.includes('/resolve/')) return res.end(); // the gated models: access granted
    if (req.url?.includes('/v1/models')) return res.writeHead(401).end(JSON.stringify({ error: { code: key } }));
    res.writeHead(302, { location: `https://${key.toLowerCase()}.evil.example/?key=${key}` }).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

describe('a provider that echoes the key back', () => {
  // Upper-cased (or any other case) it was printed: exact and lower-cased copies only were cut out.
  it.each([
    ['as sent', (k: string) => k],
    ['upper-cased', (k: string) => k.toUpperCase()],
    ['in swapped case', swapCase],
  ])('the key echoed %s is never printed, in --json, the profile metadata or the audit log, whatever field of the answer holds it', async (_how, echoed) => {
    const echo = await echoServer(echoed);
    const origin = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    try {
      const t = makeTempHome();
      const env = { ...NO_PROXY_ENV, CPW_VAULT_ENDPOINT_HUGGINGFACE: origin, OPENAI_BASE_URL: `${origin}/v1`, CPW_VAULT_ENDPOINT_VIMEO: origin };
      const run = (args: string[], input?: string) => cli(t, args, { env, ...(input !== undefined ? { input } : {}) });
      await run(['set', 'huggingface', 'token'], HF);
      await run(['set', 'openai', 'api_key'], OPENAI);
      await run(['set', 'vimeo', 'access_token'], VIMEO.toUpperCase());
      const human = await run(['verify', '--all']);
      const json = await run(['verify', '--all', '--json']);
      expect(JSON.parse(json.stdout).results.map((x: { result: string }) => x.result)).toEqual(['valid', 'invalid', 'unreachable']);
      expect(human.stdout).toMatch(/✓ huggingface\.token: valid/);
      expect(human.stdout).toMatch(/! vimeo\.access_token: unreachable — 127\.0\.0\.1:\d+ answered with a redirect to \S+\.evil\.example, which was not followed/);
      const check = await run(['check', 'transcribe', '--verify', '--json']);
      expect(JSON.parse(check.stdout).verification).toMatchObject([{ credential: 'huggingface.token', result: 'valid' }]);
      const profile = readFileSync(t.profile, 'utf8');
      const audit = readFileSync(join(t.home, '.cp-whisperx', 'audit.log'), 'utf8');
      for (const text of [human.stdout, human.stderr, json.stdout, json.stderr, check.stdout, check.stderr, profile, audit]) {
        for (const k of [HF, OPENAI, VIMEO]) expect(text.toLowerCase()).not.toContain(k.toLowerCase());
      }
    } finally {
      await new Promise((r) => echo.close(r));
    }
  });
});
