import { lookup as systemLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { isLoopbackHost } from './endpoints';
import { classifyNetworkError, type Unreachable } from './network-errors';

type Env = Readonly<Record<string, string | undefined>>;

/** What a provider answered: status, headers, and (when asked) the first 64 KB of the body. */
export interface Answer {
  status: number;
  headers: Readonly<Record<string, string | undefined>>;
  body?: string;
  /** Host of a redirect to another origin, which was not followed. */
  redirectHost?: string;
}

/** An answer, or why there was none. */
export type Outcome = { ok: true; answer: Answer } | ({ ok: false } & Unreachable);

/** One request: the URL (already checked against its base), method and headers (holding the key). */
export interface Call {
  url: URL;
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  readBody: boolean;
}

/** Connection options: a private CA to trust (a mirror's), a resolver (default: the system's). */
export interface ConnectOptions {
  ca?: string;
  lookup?: LookupFunction;
}

/** Largest part of a body ever read. */
export const MAX_BODY_BYTES = 64 * 1024;
const MAX_SAME_ORIGIN_REDIRECTS = 3;

/**
 * The HTTP side of verification, on undici: HTTPS_PROXY / HTTP_PROXY /
 * NO_PROXY honoured (loopback is never proxied), one deadline per call
 * covering connect, headers, redirects and body, and redirects followed only
 * within the same origin — the key never travels to another host.
 */
export class HttpClient {
  private direct: Agent | undefined;
  private proxied: Dispatcher | undefined;

  constructor(private readonly env: Env, readonly timeoutMs: number, private readonly connect: ConnectOptions = {}) {}

  /** Sends `call`; never throws. */
  async send(call: Call): Promise<Outcome> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const proxy = isLoopbackHost(call.url.hostname) ? undefined : this.proxyHostFor(call.url);
    // undici does not give the request's signal to a proxy's CONNECT, which then waited its own 300 s on a proxy that
    // accepted the connection and never answered: the deadline ends the call whatever step it is at.
    let expired: () => void = () => {};
    const timedOut = new Promise<never>((_, reject) => (expired = () => reject(deadline.reason)));
    deadline.addEventListener('abort', expired, { once: true });
    try {
      let url = call.url;
      for (let hop = 0; ; hop++) {
        const answer = await Promise.race([this.once(url, call, deadline), timedOut]);
        const location = answer.status >= 300 && answer.status < 400 ? answer.headers['location'] : undefined;
        if (!location) return { ok: true, answer };
        const next = parseUrl(location, url);
        // Never the Location itself in words: it may carry the key (an echoed ?key=).
        if (!next) return { ok: false, reason: 'redirect', message: `${url.host} answered with a redirect to an address that is not a URL; it was not followed`, fix: 'Check the endpoint variable if you set one.' };
        if (next.origin !== call.url.origin) return { ok: true, answer: { ...answer, redirectHost: next.host } };
        if (hop >= MAX_SAME_ORIGIN_REDIRECTS) return { ok: false, reason: 'redirect', message: `${url.host} redirected more than ${MAX_SAME_ORIGIN_REDIRECTS} times`, fix: 'Check the endpoint variable if you set one.' };
        url = next;
      }
    } catch (err) {
      // A tunnel still waiting is left to close(): its pool is shared by the calls running beside this one (destroying
      // it here failed them all as UND_ERR_DESTROYED, "check the network", each with time left).
      return { ok: false, ...classifyNetworkError(err, { host: call.url.host, timeoutMs: this.timeoutMs, ...(proxy ? { proxy } : {}) }) };
    } finally {
      deadline.removeEventListener('abort', expired);
    }
  }

  /** Closes the connection pools. */
  async close(): Promise<void> {
    await Promise.all([this.direct?.destroy(), this.proxied?.destroy()]);
  }

  private async once(url: URL, call: Call, signal: AbortSignal): Promise<Answer> {
    const res = await request(url, { method: call.method, headers: { 'user-agent': 'cpw-vault', ...call.headers }, signal, dispatcher: this.dispatcherFor(url) });
    // Dropping the rest of a body aborts it; that is expected, not an error to report.
    res.body.on('error', () => {});
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(res.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    const body = call.readBody && call.method !== 'HEAD' ? await readLimited(res.body) : (res.body.destroy(), undefined);
    return { status: res.statusCode, headers, ...(body !== undefined ? { body } : {}) };
  }

  private dispatcherFor(url: URL): Dispatcher {
    const tls = { ...(this.connect.ca ? { ca: this.connect.ca } : {}), ...(this.connect.lookup ? { lookup: this.connect.lookup } : {}) };
    // `connect` is for direct connections; through a proxy the provider's TLS is `requestTls`.
    const options = { connect: { timeout: this.timeoutMs, ...tls }, requestTls: tls, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs };
    if (isLoopbackHost(url.hostname)) return (this.direct ??= new Agent({ ...options, connect: { ...options.connect, lookup: loopbackOnly(this.connect.lookup ?? systemLookup) } }));
    // Explicit values (never undici's own read of process.env), so the caller's environment decides.
    const e = this.env;
    try {
      return (this.proxied ??= new EnvHttpProxyAgent({
        ...options,
        httpProxy: e['http_proxy'] ?? e['HTTP_PROXY'] ?? '',
        httpsProxy: e['https_proxy'] ?? e['HTTPS_PROXY'] ?? '',
        noProxy: e['no_proxy'] ?? e['NO_PROXY'] ?? '',
      }));
    } catch {
      throw Object.assign(new Error('Proxy response (bad proxy URL)'), { code: 'CPW_BAD_PROXY' });
    }
  }

  /** The proxy host a request to `url` would go through, for messages (never its credentials). */
  private proxyHostFor(url: URL): string | undefined {
    const e = this.env;
    const raw = url.protocol === 'https:' ? e['https_proxy'] ?? e['HTTPS_PROXY'] ?? e['http_proxy'] ?? e['HTTP_PROXY'] : e['http_proxy'] ?? e['HTTP_PROXY'];
    if (!raw) return undefined;
    const noProxy = (e['no_proxy'] ?? e['NO_PROXY'] ?? '').split(/[,\s]+/).filter(Boolean);
    if (noProxy.includes('*') || noProxy.some((n) => { const h = n.replace(/^\*?\./, '').replace(/:\d+$/, '').toLowerCase(); return url.hostname === h || url.hostname.endsWith(`.${h}`); })) return undefined;
    try {
      return new URL(raw).host;
    } catch {
      return 'from HTTPS_PROXY';
    }
  }
}

function parseUrl(text: string, base: URL): URL | undefined {
  try {
    return new URL(text, base);
  } catch {
    return undefined;
  }
}

/**
 * A resolver for the names taken as loopback (localhost, *.localhost), which may use plain http and skip the proxy:
 * such a name missing from /etc/hosts goes to DNS, which may answer with any address, and the key would then travel
 * unencrypted to it. An address that is not loopback fails the connection (CPW_NOT_LOOPBACK) before a byte is sent.
 */
function loopbackOnly(lookup: LookupFunction): LookupFunction {
  return (hostname, options, callback) =>
    lookup(hostname, options, (err, address, family) => {
      const found = typeof address === 'string' ? [address] : (address ?? []).map((a) => a.address);
      const stray = err ? undefined : found.find((a) => !isLoopbackHost(a));
      if (!stray) return callback(err, address, family);
      callback(Object.assign(new Error(`${hostname} resolved to ${stray}`), { code: 'CPW_NOT_LOOPBACK' }), '');
    });
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_BODY_BYTES) break;
  }
  body.destroy();
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
}
