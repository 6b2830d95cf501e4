import { isIP } from 'node:net';

type Env = Readonly<Record<string, string | undefined>>;

/** A provider API whose base URL can be configured. */
export type EndpointName = 'huggingface' | 'openai' | 'anthropic' | 'google' | 'tmdb' | 'youtube' | 'vimeo';

/**
 * Default base URLs, and the providers' own variables that move them (read
 * after `CPW_VAULT_ENDPOINT_<SERVICE>`). Paths in the provider table are
 * relative to these.
 */
export const ENDPOINTS: Readonly<Record<EndpointName, { url: string; envVars: readonly string[] }>> = {
  huggingface: { url: 'https://huggingface.co', envVars: ['HF_ENDPOINT'] },
  openai: { url: 'https://api.openai.com/v1', envVars: ['OPENAI_BASE_URL'] },
  anthropic: { url: 'https://api.anthropic.com', envVars: ['ANTHROPIC_BASE_URL'] },
  google: { url: 'https://generativelanguage.googleapis.com', envVars: [] },
  tmdb: { url: 'https://api.themoviedb.org', envVars: [] },
  youtube: { url: 'https://www.googleapis.com', envVars: [] },
  vimeo: { url: 'https://api.vimeo.com', envVars: [] },
};

/** A base URL the key may be sent to, or why it may not. */
export type ResolvedEndpoint =
  | { ok: true; base: URL; from: string }
  | { ok: false; from: string; message: string; fix: string };

/** `CPW_VAULT_ENDPOINT_<SERVICE>` for a service name (`pyannote` → `CPW_VAULT_ENDPOINT_PYANNOTE`). */
export function endpointVar(service: string): string {
  return `CPW_VAULT_ENDPOINT_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** True for localhost, 127.0.0.0/8 and ::1: the only hosts plain http is allowed to. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/**
 * The base URL for `endpoint`, as seen by a credential of `service`:
 * `CPW_VAULT_ENDPOINT_<SERVICE>` (the credential's own service first, then
 * the endpoint's), then the provider's variable (HF_ENDPOINT, ...), then the
 * default. Refused: anything but https (plain http only for loopback), user
 * info, a query or a fragment.
 */
export function resolveEndpoint(endpoint: EndpointName, service: string, env: Env): ResolvedEndpoint {
  const vars = [...new Set([endpointVar(service), endpointVar(endpoint), ...ENDPOINTS[endpoint].envVars])];
  const from = vars.find((v) => env[v]?.trim());
  if (!from) return { ok: true, base: new URL(ENDPOINTS[endpoint].url), from: 'default' };
  return checkBase(env[from]!.trim(), from);
}

function checkBase(text: string, from: string): ResolvedEndpoint {
  const refuse = (why: string) => ({ ok: false as const, from, message: `${from} is not a usable base URL: ${why}.`, fix: `Set ${from} to an https:// URL such as https://mirror.example (plain http:// only for localhost / 127.0.0.1), or unset it.` });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse('it does not parse as a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse(`${url.protocol} is not http(s)`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return refuse('plain http:// is allowed only to a loopback address, since the key would travel unencrypted');
  if (url.username || url.password) return refuse('it holds a user name or password');
  if (url.search || url.hash) return refuse('it holds a query or fragment');
  return { ok: true, base: url, from };
}

/** `base` + `path` (the base may carry a path prefix, e.g. https://mirror.example/hf). */
export function joinUrl(base: URL, path: string): URL {
  const prefix = base.pathname.replace(/\/+$/, '');
  const url = new URL(base.href);
  const [pathname, query] = path.split('?', 2) as [string, string | undefined];
  url.pathname = `${prefix}${pathname}`;
  if (query) url.search = `?${query}`;
  return url;
}
