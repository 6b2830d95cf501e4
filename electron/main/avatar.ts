/**
 * The profile's avatar, fetched by main so the page's CSP can refuse every
 * remote image (img-src has no https:). https only, no credentials, no
 * literal IP or localhost, redirects followed by hand (each hop checked, at
 * most 3), 10 s, at most 512 KiB, and only PNG, JPEG, GIF or WebP whose
 * bytes match the type the server declared. SVG (which can carry script) is
 * never accepted. The result is a data: URL the page shows as it is.
 */
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
