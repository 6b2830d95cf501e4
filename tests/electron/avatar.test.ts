import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LookupFunction } from 'node:net';
import { AVATAR_MAX_BYTES, avatarFetchPort, publicAddressesOnly } from '../../electron/main/avatar';
import { AVATAR_MEMO } from '../../electron/main/handlers';
import type { FetchPort } from '../../electron/main/ports';
import { setupMain } from './main-setup';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 2)]);
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

/** A fake web: URL -> response. Records every request main makes. */
function web(pages: Record<string, () => Response>) {
  const requested: string[] = [];
  const fetch: FetchPort = async (url, init) => {
    requested.push(url);
    expect(init.redirect).toBe('manual');
    const page = pages[url];
    if (!page) throw new TypeError('fetch failed');
    return page();
  };
  return { fetch, requested };
}
const image = (body: Buffer, type: string, headers: Record<string, string> = {}) => () => new Response(new Uint8Array(body), { status: 200, headers: { 'content-type': type, ...headers } });
const redirect = (to: string) => () => new Response(null, { status: 302, headers: { location: to } });

async function avatarFor(url: string, pages: Record<string, () => Response>) {
  const w = web(pages);
  const s = await setupMain({ fetch: w.fetch });
  if (!(await s.call('profileUpdate', { user: { avatar_url: url } })).ok) {
    // One a save now refuses (an IP address, localhost, a port): there by a hand edit or an older version.
    await s.value('profileUpdate', { user: { name: 'Ada' } });
    const doc = JSON.parse(readFileSync(s.t.profile, 'utf8')) as { user: Record<string, unknown> };
    doc.user['avatar_url'] = url;
    writeFileSync(s.t.profile, JSON.stringify(doc), { mode: 0o600 });
  }
  return { result: await s.call('profileAvatar'), requested: w.requested, s };
}

describe('the avatar is fetched by main and handed to the page as a data: URL', () => {
  it('a PNG over https becomes a data URL, fetched once per URL', async () => {
    const { result, requested, s } = await avatarFor('https://img.example/a.png', { 'https://img.example/a.png': image(PNG, 'image/png') });
    expect(result).toEqual({ ok: true, value: `data:image/png;base64,${PNG.toString('base64')}` });
    await s.call('profileAvatar');
    expect(requested).toEqual(['https://img.example/a.png']);
  });

  it('a page asking 50 times at once still makes one request (the avatar server is not used as a target)', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const requested: string[] = [];
    const s = await setupMain({ fetch: async (url) => (requested.push(url), await slow, new Response(new Uint8Array(PNG), { status: 200, headers: { 'content-type': 'image/png' } })) });
    await s.value('profileUpdate', { user: { avatar_url: 'https://img.example/slow.png' } });
    const calls = Array.from({ length: 50 }, () => s.call('profileAvatar'));
    await expect.poll(() => requested.length).toBe(1);
    release();
    const results = await Promise.all(calls);
    expect(new Set(results.map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify({ ok: true, value: `data:image/png;base64,${PNG.toString('base64')}` })]));
    expect(requested).toEqual(['https://img.example/slow.png']);
  });

  it('a page saving avatar URL after URL leaves main holding the last few answers, not every one (each may be 512 KiB)', async () => {
    const requested: string[] = [];
    const s = await setupMain({ fetch: async (url) => (requested.push(url), new Response(new Uint8Array(PNG), { status: 200, headers: { 'content-type': 'image/png' } })) });
    const urls = Array.from({ length: 40 }, (_, i) => `https://img${i}.example/a.png`);
    for (const url of urls) {
      await s.value('profileUpdate', { user: { avatar_url: url } });
      expect(await s.value('profileAvatar')).toBe(`data:image/png;base64,${PNG.toString('base64')}`);
    }
    expect(requested).toEqual(urls);
    // The last few are still held (asked again, no request); the first was let go, so asking again fetches it again.
    for (const url of urls.slice(-AVATAR_MEMO)) {
      await s.value('profileUpdate', { user: { avatar_url: url } });
      await s.value('profileAvatar');
    }
    expect(requested).toHaveLength(urls.length);
    await s.value('profileUpdate', { user: { avatar_url: urls[0] } });
    expect(await s.value('profileAvatar')).toBe(`data:image/png;base64,${PNG.toString('base64')}`);
    expect(requested).toEqual([...urls, urls[0]]);
  });

  it('follows an https redirect, checking each hop', async () => {
    const { result, requested } = await avatarFor('https://img.example/me', { 'https://img.example/me': redirect('/avatars/me.jpg'), 'https://img.example/avatars/me.jpg': image(JPEG, 'image/jpeg; charset=binary') });
    expect(result).toMatchObject({ ok: true, value: expect.stringMatching(/^data:image\/jpeg;base64,/) });
    expect(requested).toEqual(['https://img.example/me', 'https://img.example/avatars/me.jpg']);
  });

  it.each([
    ['SVG (it can carry script)', { 'https://img.example/a.png': image(SVG, 'image/svg+xml') }],
    ['HTML', { 'https://img.example/a.png': image(Buffer.from('<html>'), 'text/html') }],
    ['bytes that are not the declared type', { 'https://img.example/a.png': image(JPEG, 'image/png') }],
    ['a declared size over the limit', { 'https://img.example/a.png': image(PNG, 'image/png', { 'content-length': String(AVATAR_MAX_BYTES + 1) }) }],
    ['a body over the limit', { 'https://img.example/a.png': image(Buffer.concat([PNG, Buffer.alloc(AVATAR_MAX_BYTES)]), 'image/png') }],
    ['a redirect to http', { 'https://img.example/a.png': redirect('http://img.example/a.png') }],
    ['a redirect to a credentialed URL', { 'https://img.example/a.png': redirect('https://u:p@img.example/a.png') }],
    ['endless redirects', { 'https://img.example/a.png': redirect('https://img.example/a.png') }],
    ['a 404', { 'https://img.example/a.png': () => new Response('no', { status: 404, headers: { 'content-type': 'image/png' } }) }],
    ['a network failure', {}],
  ])('%s: null (the page shows initials)', async (_what, pages) => {
    const { result, requested } = await avatarFor('https://img.example/a.png', pages);
    expect(result).toEqual({ ok: true, value: null });
    expect(requested.length).toBeLessThanOrEqual(4);
  });

  it.each(['https://127.0.0.1/a.png', 'https://[::1]/a.png', 'https://localhost/a.png', 'https://img.example:8443/a.png', 'https://intranet/a.png', 'https://localhost./a.png', 'https://x.localhost./a.png', 'https://127.0.0.1./a.png', 'https://intranet./a.png'])('%s is never requested', async (url) => {
    const { result, requested } = await avatarFor(url, { [url]: image(PNG, 'image/png') });
    expect(result).toEqual({ ok: true, value: null });
    expect(requested).toEqual([]);
  });

  it('no avatar: null without a request; the page cannot name a URL of its own', async () => {
    const w = web({});
    const s = await setupMain({ fetch: w.fetch });
    expect(await s.call('profileAvatar')).toEqual({ ok: true, value: null });
    expect(await s.call('profileAvatar', 'https://evil.example/?k=secret')).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(w.requested).toEqual([]);
  });
});

describe('main connects only to a public address for the avatar, whatever the name resolves to', () => {
  type Answer = { address: string; family: number };
  /** A resolver that answers `addresses` for every name (no network) and records the names asked. */
  function resolver(...addresses: string[]) {
    const asked: string[] = [];
    const answers: Answer[] = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    const lookup = ((hostname: string, options: { all?: boolean }, callback: (err: Error | null, address: string | Answer[], family?: number) => void) => {
      asked.push(hostname);
      if (options.all) callback(null, answers);
      else callback(null, answers[0]!.address, answers[0]!.family);
    }) as unknown as LookupFunction;
    return { lookup, asked };
  }
  const refusal = async (promise: Promise<unknown>) => {
    const err = await promise.then(() => undefined, (e: unknown) => e);
    const chain: unknown[] = [];
    for (let e = err; e; e = (e as { cause?: unknown }).cause) chain.push((e as { code?: unknown }).code);
    return chain;
  };
  const init = () => ({ redirect: 'manual' as const, signal: AbortSignal.timeout(5000), headers: {} });

  it.each([
    ['127.0.0.1'], ['127.8.9.10'], ['10.1.2.3'], ['172.16.0.1'], ['172.31.255.254'], ['192.168.1.1'], ['169.254.169.254'], ['100.100.100.200'], ['0.0.0.0'],
    ['::1'], ['::'], ['fd00:ec2::254'], ['fc00::1'], ['fe80::1'], ['::ffff:127.0.0.1'], ['::ffff:a9fe:a9fe'], ['224.0.0.1'], ['255.255.255.255'],
  ])('a name resolving to %s is refused before a connection is made', async (address) => {
    const dns = resolver(address);
    const fetch = avatarFetchPort(dns.lookup);
    expect(await refusal(fetch('https://metadata.google.internal/computeMetadata/v1/a.png', init()))).toContain('CPW_AVATAR_ADDRESS');
    expect(dns.asked).toEqual(['metadata.google.internal']);
  });

  it('one internal address among public ones is enough to refuse (the socket may pick it)', async () => {
    const dns = resolver('93.184.215.14', '169.254.169.254');
    expect(await refusal(avatarFetchPort(dns.lookup)('https://img.example/a.png', init()))).toContain('CPW_AVATAR_ADDRESS');
  });

  it('the profile avatar at a name resolving to the metadata address: null, and the name was checked at connect time', async () => {
    const dns = resolver('169.254.169.254');
    const s = await setupMain({ fetch: avatarFetchPort(dns.lookup) });
    await s.value('profileUpdate', { user: { avatar_url: 'https://metadata.google.internal/a.png' } });
    expect(await s.call('profileAvatar')).toEqual({ ok: true, value: null });
    expect(dns.asked).toEqual(['metadata.google.internal']);
  });

  it('public addresses are handed to the socket unchanged', async () => {
    for (const all of [false, true]) {
      const dns = resolver('93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c');
      const got = await new Promise<unknown[]>((done) => publicAddressesOnly(dns.lookup)('img.example', { all }, (...args: unknown[]) => done(args)));
      expect(got.slice(0, all ? 2 : 3)).toEqual(all ? [null, [{ address: '93.184.215.14', family: 4 }, { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 }]] : [null, '93.184.215.14', 4]);
    }
  });
});
