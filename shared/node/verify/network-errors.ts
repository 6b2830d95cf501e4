import type { UnreachableReason } from '../../core/verification';

/** Why a provider could not be asked, in words a user can act on. Never a URL (a TMDB v3 key rides in the query). */
export interface Unreachable {
  reason: UnreachableReason;
  message: string;
  fix: string;
}

const TLS_CODE = /CERT|SSL|TLS|UNABLE_TO_(GET|VERIFY)|SELF_SIGNED|EPROTO|HOSTNAME_MISMATCH/;
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'ABORT_ERR']);

/** Every error in a chain of causes and aggregates (Happy Eyeballs throws an AggregateError). */
function flatten(err: unknown, depth = 0): Array<{ code?: string; name?: string; message: string }> {
  if (!(err instanceof Error) || depth > 5) return err === undefined ? [] : [{ message: String(err) }];
  const self = { code: (err as NodeJS.ErrnoException).code, name: err.name, message: err.message };
  const inner = err instanceof AggregateError ? err.errors.flatMap((e: unknown) => flatten(e, depth + 1)) : [];
  return [self, ...inner, ...flatten((err as { cause?: unknown }).cause, depth + 1)];
}

/**
 * Turns whatever a request threw into a reason: dns, refused, tls, timeout,
 * proxy or network. `host` is the provider host (never the full URL);
 * `proxy` the proxy's host when the request went through one.
 */
export function classifyNetworkError(err: unknown, ctx: { host: string; timeoutMs: number; proxy?: string }): Unreachable {
  const all = flatten(err);
  const codes = all.map((e) => e.code ?? '');
  const via = ctx.proxy ? ` (through the proxy ${ctx.proxy})` : '';
  if (codes.includes('CPW_BAD_PROXY')) {
    return { reason: 'proxy', message: `the proxy variable (HTTPS_PROXY / HTTP_PROXY) is not a usable URL, so ${ctx.host} was not asked`, fix: 'Set HTTPS_PROXY to a URL such as http://proxy.example:3128, or unset it.' };
  }
  const stray = all.find((e) => e.code === 'CPW_NOT_LOOPBACK');
  if (stray) {
    return { reason: 'dns', message: `${stray.message}, which is not a loopback address, so nothing was sent (a loopback name may use plain http:// and bypasses the proxy)`, fix: 'Map the name to 127.0.0.1 in /etc/hosts, or put http://127.0.0.1:PORT in the endpoint variable.' };
  }
  const proxyStatus = all.map((e) => /Proxy response \((\d+)\)/.exec(e.message)?.[1]).find(Boolean);
  if (proxyStatus) {
    return { reason: 'proxy', message: `the proxy ${ctx.proxy ?? ''} refused to open a tunnel to ${ctx.host} (HTTP ${proxyStatus})`.replace('  ', ' '), fix: 'Check HTTPS_PROXY (and its credentials) or add the host to NO_PROXY.' };
  }
  if (all.some((e) => e.name === 'TimeoutError' || TIMEOUT_CODES.has(e.code ?? ''))) {
    return { reason: 'timeout', message: `no answer from ${ctx.host} within ${Math.round(ctx.timeoutMs / 100) / 10} s${via}`, fix: 'Check the network (or the proxy) and try again; on a slow link, the command cpw-vault verify --timeout SECONDS waits longer.' };
  }
  if (codes.some((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'EAI_NODATA')) {
    return { reason: 'dns', message: `${ctx.proxy ?? ctx.host} could not be resolved (DNS)`, fix: 'Check the network connection and DNS, or the endpoint / proxy variable if you set one.' };
  }
  const tls = codes.find((c) => TLS_CODE.test(c));
  if (tls) {
    return { reason: 'tls', message: `the TLS connection to ${ctx.host} failed (${tls})${via}`, fix: 'Check the system clock and CA certificates; behind a TLS-inspecting proxy, point NODE_EXTRA_CA_CERTS at its CA certificate.' };
  }
  if (codes.includes('ECONNREFUSED')) {
    return { reason: 'refused', message: `${ctx.proxy ? `the proxy ${ctx.proxy}` : ctx.host} refused the connection`, fix: ctx.proxy ? 'Check that the proxy in HTTPS_PROXY is running.' : 'Check the endpoint variable if you set one, and the network.' };
  }
  const code = codes.find(Boolean);
  return { reason: 'network', message: `the connection to ${ctx.host} failed${code ? ` (${code})` : ''}${via}`, fix: 'Check the network connection and try again.' };
}
