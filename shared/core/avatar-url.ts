/**
 * The one rule for where an avatar may come from: main fetches only such a
 * URL (electron/main/avatar.ts), and a profile write refuses any other, so
 * the screen never shows "saved" for an avatar that can never load.
 */

/** What the rule reads of a WHATWG URL (core is compiled without Node's or the DOM's types; both runtimes have URL). */
interface ParsedUrl {
  protocol: string;
  hostname: string;
  port: string;
  username: string;
  password: string;
}
declare const URL: new (input: string) => ParsedUrl;

/** Whether main may fetch an avatar at `url`: https, default port, no credentials, a host name (not an IP literal, not localhost). */
export function fetchableAvatar(url: ParsedUrl): boolean {
  // A fully qualified name's final dot (localhost., x.localhost.) names the same host: it passed the checks below.
  const host = url.hostname.replace(/\.+$/, '');
  const ipLiteral = /^[\d.]+$/.test(host) || host.startsWith('[');
  return !(url.protocol !== 'https:' || url.port || url.username || url.password || ipLiteral || host === 'localhost' || host.endsWith('.localhost') || !host.includes('.'));
}

/** {@link fetchableAvatar} of text; false when it is no URL. */
export function isFetchableAvatarUrl(raw: string): boolean {
  try {
    return fetchableAvatar(new URL(raw));
  } catch {
    return false;
  }
}
