import { CATALOG } from '../../shared/core/catalog';
import { FIX_PAGES } from '../../shared/node/verify/providers';

/** The app's own origin: pages are served from app://vault/ (a standard, secure custom scheme). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'vault';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** The pages the app may open in the browser, exactly: the catalog's "get it at" pages, and the fix pages a verification result links to. */
export const EXTERNAL_PAGES: ReadonlySet<string> = new Set([...CATALOG.flatMap((e) => (e.url ? [e.url] : [])), ...FIX_PAGES]);

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
 * True only for one of the catalog's pages, character for character, that
 * is also exactly what the URL parser makes of it (https, no credentials,
 * no port). So " https://huggingface.co/...", "https://%68uggingface.co/...",
 * another path, a query or a fragment are all refused.
 */
export function isAllowedExternal(raw: unknown): boolean {
  if (typeof raw !== 'string' || !EXTERNAL_PAGES.has(raw)) return false;
  const url = parse(raw);
  return !!url && url.href === raw && url.protocol === 'https:' && !url.port && !url.username && !url.password;
}
