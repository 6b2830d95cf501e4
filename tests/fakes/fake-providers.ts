import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * Loopback servers that answer like the providers cpw-vault verifies
 * against: the documented paths, status codes, headers and bodies. One
 * server serves them all, told apart by Host (when reached through a proxy
 * under the real names) or by a path prefix (/hf, /openai, ... when a test
 * points CPW_VAULT_ENDPOINT_<SERVICE> at it). What a token does is set per
 * token; an unknown token is rejected the way each provider rejects one.
 */

export type Behaviour = 'valid' | 'held' | 'huge-body' | 'garbage-body' | 'gated-denied' | 'gated-forbidden' | 'rate-limited' | 'insufficient-quota' | 'disabled' | 'org-mismatch' | 'slow' | 'redirect-away' | 'redirect-same' | 'server-error';

export type Provider = 'hf' | 'openai' | 'anthropic' | 'google' | 'tmdb' | 'youtube' | 'vimeo';

/** One request as the fake saw it. */
export interface SeenRequest {
  provider: Provider | 'unknown';
  method: string;
  host: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The credential presented (Bearer, x-api-key, x-goog-api-key or api_key query). */
  key: string | undefined;
}

const BY_HOST: Record<string, Provider> = {
  'huggingface.co': 'hf', 'api.openai.com': 'openai', 'api.anthropic.com': 'anthropic', 'generativelanguage.googleapis.com': 'google',
  'www.googleapis.com': 'youtube', 'api.themoviedb.org': 'tmdb', 'api.vimeo.com': 'vimeo',
};

/** The real host names, for certificates and the proxy test. */
export const PROVIDER_HOSTS = Object.keys(BY_HOST);

type Reply = { status: number; headers?: Record<string, string>; body?: unknown };

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({ status, body, headers: { 'content-type': 'application/json', ...headers } });

function keyOf(req: IncomingMessage, query: URLSearchParams): string | undefined {
  const auth = req.headers['authorization'];
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7);
  const header = req.headers['x-api-key'] ?? req.headers['x-goog-api-key'];
  return typeof header === 'string' ? header : query.get('api_key') ?? undefined;
}

function hf(path: string, method: string, b: Behaviour | undefined): Reply {
  if (path === '/api/whoami-v2') {
    if (!b) return json(401, { error: 'Invalid credentials in Authorization header' }, { 'x-error-message': 'Invalid credentials in Authorization header' });
    return json(200, { type: 'user', id: '64f0c0ffee', name: 'ada-lovelace', fullname: 'Ada Lovelace', auth: { type: 'access_token', accessToken: { displayName: 'pipeline', role: b === 'gated-forbidden' ? 'fineGrained' : 'read' } } });
  }
  const gated = /^\/(pyannote\/[\w.-]+)\/resolve\/main\/config\.yaml$/.exec(path);
  if (gated && method === 'HEAD') {
    if (!b) return { status: 401, headers: { 'x-error-message': 'Invalid credentials in Authorization header' } };
    if (b === 'gated-denied') return { status: 403, headers: { 'x-error-code': 'GatedRepo', 'x-error-message': `Access to model ${gated[1]} is restricted and you are not in the authorized list. Visit https://huggingface.co/${gated[1]} to ask for access.` } };
    if (b === 'gated-forbidden') return { status: 403, headers: { 'x-error-message': 'This fine-grained token does not have access to public gated repositories.' } };
    return { status: 200, headers: { 'x-repo-commit': 'a1b2c3d4e5f6', etag: '"cafe"', 'content-length': '469' } };
  }
  return json(404, { error: 'Not found' }, { 'x-error-code': 'EntryNotFound' });
}

function openai(b: Behaviour | undefined): Reply {
  if (!b) return json(401, { error: { message: 'Incorrect API key provided: sk-****. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
  if (b === 'insufficient-quota') return json(429, { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } });
  if (b === 'org-mismatch') return json(401, { error: { message: 'OpenAI-Organization header should match organization for API key', type: 'invalid_request_error', param: null, code: 'mismatched_organization' } });
  return json(200, { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' }] });
}

function anthropic(req: IncomingMessage, b: Behaviour | undefined): Reply {
  if (!req.headers['anthropic-version']) return json(400, { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' } });
  if (!b) return json(401, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
  return json(200, { data: [{ type: 'model', id: 'claude-sonnet-4-20250514', display_name: 'Claude Sonnet 4', created_at: '2025-05-22T00:00:00Z' }], has_more: true, first_id: 'claude-sonnet-4-20250514', last_id: 'claude-sonnet-4-20250514' });
}

function google(b: Behaviour | undefined, youtube: boolean): Reply {
  const invalidInfo = { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: youtube ? 'youtube.googleapis.com' : 'generativelanguage.googleapis.com' } };
  if (!b) return json(400, { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', ...(youtube ? { errors: [{ message: 'API key not valid. Please pass a valid API key.', domain: 'global', reason: 'badRequest' }] } : {}), status: 'INVALID_ARGUMENT', details: [invalidInfo] } });
  if (b === 'disabled') return json(403, { error: { code: 403, message: 'API has not been used in project 123 before or it is disabled.', status: 'PERMISSION_DENIED', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED', domain: 'googleapis.com' }] } });
  if (b === 'rate-limited' && youtube) return json(403, { error: { code: 403, message: 'The request cannot be completed because you have exceeded your quota.', errors: [{ message: 'quota', domain: 'youtube.quota', reason: 'quotaExceeded' }] } });
  if (youtube) return json(200, { kind: 'youtube#videoCategoryListResponse', etag: 'x', items: [{ kind: 'youtube#videoCategory', id: '1', snippet: { title: 'Film & Animation', assignable: true, channelId: 'UCBR8-60-B28hp2BmDPdntcQ' } }] });
  return json(200, { models: [{ name: 'models/gemini-2.0-flash', displayName: 'Gemini 2.0 Flash' }], nextPageToken: 'x' });
}

function route(provider: Provider | 'unknown', req: IncomingMessage, path: string, b: Behaviour | undefined, key: string | undefined): Reply {
  if (b === 'rate-limited' && provider !== 'youtube') return json(429, { error: 'Too Many Requests' }, { 'retry-after': '30' });
  if (b === 'server-error') return json(503, { error: 'upstream unavailable' });
  switch (provider) {
    case 'hf': return hf(path, req.method ?? 'GET', b);
    case 'openai': return path === '/v1/models' ? openai(b) : json(404, {});
    case 'anthropic': return path === '/v1/models' ? anthropic(req, b) : json(404, {});
    case 'google': return path === '/v1beta/models' ? google(b, false) : json(404, {});
    case 'youtube': return path === '/youtube/v3/videoCategories' ? google(b, true) : json(404, {});
    case 'tmdb': return path !== '/3/authentication' ? json(404, {}) : b ? json(200, { success: true, status_code: 1, status_message: 'Success.' }) : json(401, { status_code: 7, status_message: 'Invalid API key: You must be granted a valid key.', success: false });
    case 'vimeo': return path !== '/oauth/verify' ? json(404, {}) : b ? json(200, { access_token: key, token_type: 'bearer', scope: 'public private', user: { name: 'Ada' } }) : json(401, { error: 'A valid user token must be passed.' });
    default: return json(404, {});
  }
}

/** A running fake provider server. */
export class FakeProviders {
  readonly tokens = new Map<string, Behaviour>();
  readonly seen: SeenRequest[] = [];
  /** Where `redirect-away` tokens are sent (another origin). */
  redirectTo = 'http://127.0.0.1:9/elsewhere';
  private readonly server: http.Server;
  private readonly held = new Set<ServerResponse>();
  /** Answers of `held` tokens, waiting for {@link release}. */
  private readonly waiting: Array<() => void> = [];

  constructor(tls?: { key: string; cert: string }) {
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    this.server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  }

  /** Starts listening on 127.0.0.1; resolves to the origin, e.g. http://127.0.0.1:40123. */
  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const { port } = this.server.address() as AddressInfo;
    return `${this.server instanceof https.Server ? 'https' : 'http'}://127.0.0.1:${port}`;
  }

  /** Sends the answers held so far (a `held` token is answered as a valid one). */
  release(): void {
    for (const answer of this.waiting.splice(0)) answer();
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    let provider: Provider | 'unknown' = BY_HOST[host] ?? 'unknown';
    let path = url.pathname;
    const prefix = /^\/(hf|openai|anthropic|google|tmdb|youtube|vimeo)(\/.*)$/.exec(path);
    if (provider === 'unknown' && prefix) [provider, path] = [prefix[1] as Provider, prefix[2]!];
    const key = keyOf(req, url.searchParams);
    this.seen.push({ provider, method: req.method ?? '', host: req.headers.host ?? '', path, query: url.searchParams, headers: req.headers, key });
    const b = key === undefined ? undefined : this.tokens.get(key);
    if (b === 'slow') {
      this.held.add(res); // never answers: the client's deadline must end it
      return;
    }
    if (b === 'held') {
      this.held.add(res);
      this.waiting.push(() => {
        this.held.delete(res);
        const reply = route(provider, req, path, 'valid', key);
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(reply.body === undefined || req.method === 'HEAD' ? undefined : JSON.stringify(reply.body));
      });
      return;
    }
    if (b === 'redirect-away') return void res.writeHead(302, { location: this.redirectTo }).end();
    if (b === 'redirect-same' && !url.searchParams.has('moved')) return void res.writeHead(307, { location: `${url.pathname}?moved=1` }).end();
    if (b === 'huge-body') return void res.writeHead(200, { 'content-type': 'application/json' }).end(`{"name":"ada-lovelace","padding":"${'x'.repeat(5 * 1024 * 1024)}"}`);
    if (b === 'garbage-body') return void res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x22]));
    const reply = route(provider, req, path, b, key);
    res.writeHead(reply.status, reply.headers ?? {});
    res.end(reply.body === undefined || req.method === 'HEAD' ? undefined : JSON.stringify(reply.body));
  }
}

/** A server on another origin that records whatever reaches it (it must receive no key). */
export async function recordingServer(): Promise<{ origin: string; seen: IncomingMessage['headers'][]; stop: () => Promise<void> }> {
  const seen: IncomingMessage['headers'][] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, stop: () => new Promise((r) => server.close(() => r())) };
}
