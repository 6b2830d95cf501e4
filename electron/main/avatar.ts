/**
 * The profile's avatar, fetched by main so the page's CSP can refuse every
 * remote image (img-src has no https:). https only, no credentials, no
 * literal IP or localhost, no name resolving to a loopback, private,
 * link-local (cloud metadata) or other internal address (checked on the
 * address the socket connects to, every hop), redirects followed by hand
 * (each hop checked, at most 3), 10 s, at most 512 KiB, and only PNG, JPEG,
 * GIF or WebP whose bytes match the type the server declared. SVG (which
 * can carry script) is never accepted. The result is a data: URL the page shows as it is.
 */
import { lookup as systemLookup } from 'node:dns';
import { BlockList, type LookupFunction } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { fetchableAvatar } from '../../shared/core/avatar-url';
import type { FetchPort } from './ports';

export const AVATAR_MAX_BYTES = 512 * 1024;
export const AVATAR_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;

/** Image types accepted, with the first bytes each one starts with. */
const SIGNATURES: Record<string, (b: Uint8Array) => boolean> = {
  'image/png': (b) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((x, i) => b[i] === x),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/gif': (b) => String.fromCharCode(...b.slice(0, 6)) === 'GIF87a' || String.fromCharCode(...b.slice(0, 6)) === 'GIF89a',
  'image/webp': (b) => String.fromCharCode(...b.slice(0, 4)) === 'RIFF' && String.fromCharCode(...b.slice(8, 12)) === 'WEBP',
};

/** The URL when main may fetch it (shared/core/avatar-url.ts: the rule a profile write checks too). */
export function avatarUrl(raw: string, base?: URL): URL | undefined {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return undefined;
  }
  return fetchableAvatar(url) ? url : undefined;
}

/** Addresses an avatar is never fetched from: this machine, private networks, link-local (cloud metadata), multicast, reserved. */
const INTERNAL = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3]] as const) INTERNAL.addSubnet(net, bits, 'ipv4');
// IPv4-mapped (::ffff:a.b.c.d) is checked against the IPv4 ranges by BlockList itself; ::/96 holds ::, ::1 and the old
// IPv4-compatible form; NAT64 prefixes carry an IPv4 address too.
for (const [net, bits] of [['::', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8]] as const) INTERNAL.addSubnet(net, bits, 'ipv6');

/**
 * `lookup`, failing (CPW_AVATAR_ADDRESS) when the name resolves to any internal address: the check is on the
 * address the socket is about to use, so a DNS answer that changes after the profile's host-name check (a name
 * pointed at 169.254.169.254, 127.0.0.1, 10.x) does not reach it.
 */
export function publicAddressesOnly(lookup: LookupFunction): LookupFunction {
  return (hostname, options, callback) =>
    lookup(hostname, options, (err, address, family) => {
      const found = typeof address === 'string' ? [{ address, family: family ?? 4 }] : address ?? [];
      const internal = err ? undefined : found.find((a) => INTERNAL.check(a.address, a.family === 6 || a.address.includes(':') ? 'ipv6' : 'ipv4'));
      if (!internal) return callback(err, address, family);
      callback(Object.assign(new Error(`${hostname} resolved to an internal address`), { code: 'CPW_AVATAR_ADDRESS' }), '');
    });
}

/** The avatar's HTTP: undici's fetch (no cookie jar), connecting only to public addresses ({@link publicAddressesOnly}). */
export function avatarFetchPort(lookup: LookupFunction = systemLookup): FetchPort {
  const dispatcher = new Agent({ connect: { lookup: publicAddressesOnly(lookup) } });
  return async (url, init) => (await undiciFetch(url, { ...init, dispatcher, cache: 'no-store' })) as unknown as Response;
}

async function readCapped(body: ReadableStream<Uint8Array> | null, max: number): Promise<Uint8Array | undefined> {
  if (!body) return undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Fetches the avatar at `raw` as a data: URL, or undefined when any check fails (the page then shows initials). Never throws. */
export async function fetchAvatar(raw: string, fetch: FetchPort): Promise<string | undefined> {
  let url = avatarUrl(raw);
  const signal = AbortSignal.timeout(AVATAR_TIMEOUT_MS);
  try {
    for (let hop = 0; url && hop <= MAX_REDIRECTS; hop++) {
      const res = await fetch(url.href, { redirect: 'manual', signal, headers: { accept: Object.keys(SIGNATURES).join(', ') } });
      if (res.status >= 300 && res.status < 400) {
        url = avatarUrl(res.headers.get('location') ?? '', url);
        continue;
      }
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      const sniff = SIGNATURES[type];
      if (!res.ok || !sniff || Number(res.headers.get('content-length') ?? 0) > AVATAR_MAX_BYTES) return undefined;
      const bytes = await readCapped(res.body, AVATAR_MAX_BYTES);
      if (!bytes || !sniff(bytes)) return undefined;
      return `data:${type};base64,${Buffer.from(bytes).toString('base64')}`;
    }
  } catch {
    // network, TLS, timeout: no avatar
  }
  return undefined;
}
