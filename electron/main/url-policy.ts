import { CATALOG } from '../../shared/core/catalog';

/** The app's own origin: pages are served from app://vault/ (a standard, secure custom scheme). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'vault';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** Hosts the app may open in the browser: the catalog's "get it at" pages. */
export const EXTERNAL_HOSTS: ReadonlySet<string> = new Set(CATALOG.flatMap((e) => (e.url ? [new URL(e.url).hostname] : [])));

function parse(raw: unknown): URL | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

/**
 * True for a URL of the app itself: parsed, scheme app:, host exactly
 * "vault", no credentials, no port. Never a prefix test (app://vault.evil
 * and app://vault@evil are not the app).
 */
export function isAppUrl(raw: unknown): boolean {
  const url = parse(raw);
  return !!url && url.protocol === `${APP_SCHEME}:` && url.hostname === APP_HOST && !url.port && !url.username && !url.password;
}

/**
 * True for a page the app may open externally: https only, host exactly on
 * the allowlist, default port, no credentials in the URL.
 */
export function isAllowedExternal(raw: unknown): boolean {
  const url = parse(raw);
  return !!url && url.protocol === 'https:' && EXTERNAL_HOSTS.has(url.hostname) && !url.port && !url.username && !url.password;
}
