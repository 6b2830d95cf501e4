import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY, START_URL, denyAllPermissions, hardenContents, openAllowedExternal, windowOptions } from '../../electron/main/window';
import { EXTERNAL_PAGES, isAllowedExternal, isAppUrl } from '../../electron/main/url-policy';
import { FIX_PAGES } from '../../shared/node/verify/providers';
import { CATALOG } from '../../shared/core/catalog';

describe('the BrowserWindow options', () => {
  const prefs = windowOptions('/app/preload.cjs').webPreferences!;
  it.each([
    ['contextIsolation', true], ['sandbox', true], ['nodeIntegration', false], ['nodeIntegrationInWorker', false],
    ['nodeIntegrationInSubFrames', false], ['webSecurity', true], ['allowRunningInsecureContent', false],
    ['experimentalFeatures', false], ['webviewTag', false], ['navigateOnDragDrop', false],
  ])('%s is %s', (flag, value) => {
    expect(prefs[flag as keyof typeof prefs]).toBe(value);
  });
  it('has no remote module, no extra blink features, and the preload it was given', () => {
    expect(prefs).not.toHaveProperty('enableRemoteModule');
    expect(prefs.enableBlinkFeatures).toBe('');
    expect(prefs.preload).toBe('/app/preload.cjs');
    expect(START_URL).toBe('app://vault/index.html');
  });
  it('the CSP is strict: no remote image (the avatar comes from main as a data: URL), no inline or eval', () => {
    for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'none'", "object-src 'none'", "frame-ancestors 'none'"]) {
      expect(CONTENT_SECURITY_POLICY).toContain(d);
    }
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)|https:|\*/);
    const meta = /content="([^"]+)"/.exec(readFileSync(resolve(import.meta.dirname, '../../renderer/index.html'), 'utf8'))![1]!;
    expect(meta).toContain("img-src 'self' data:");
    expect(meta).not.toMatch(/https:/);
  });
});

describe('URL allowlists', () => {
  it.each([
    ['app://vault/index.html', true], ['app://vault/assets/app.js', true],
    ['app://vault.evil/index.html', false], ['app://evil@vault/', false], ['app://vault:1/', false], ['https://vault/', false],
    ['file:///etc/passwd', false], ['javascript:alert(1)', false], ['', false], ['not a url', false],
  ])('navigation to %s allowed: %s', (url, ok) => {
    expect(isAppUrl(url)).toBe(ok);
  });
  it.each([
    ...CATALOG.flatMap((e) => (e.url ? [[e.url, true] as const] : [])),
    ['https://huggingface.co/', false], ['https://huggingface.co/settings/tokens/', false], ['https://huggingface.co/settings/tokens?x=1', false], ['https://huggingface.co/settings/tokens#x', false],
    [' https://huggingface.co/settings/tokens', false], ['https://huggingface.co/settings/tokens ', false], ['https://%68uggingface.co/settings/tokens', false], ['https://huggingface.co/settings/%74okens', false],
    ['HTTPS://huggingface.co/settings/tokens', false], ['https://huggingface.co:443/settings/tokens', false], ['https://huggingface.co./settings/tokens', false],
    ['http://huggingface.co/settings/tokens', false], ['https://huggingface.co.evil.example/settings/tokens', false], ['https://evil.example/https://huggingface.co/settings/tokens', false],
    ['https://huggingface.co/pyannote/speaker-diarization-3.1', true], ['https://huggingface.co/pyannote/speaker-diarization-3.1/', false], ['https://huggingface.co/pyannote/other-model', false],
    ['https://huggingface.co@evil.example/', false], ['https://user:pw@huggingface.co/settings/tokens', false], ['file:///etc/passwd', false], ['javascript:alert(1)', false], ['data:text/html,hi', false],
  ] as Array<readonly [string, boolean]>)('openExternal %j allowed: %s', (url, ok) => {
    expect(isAllowedExternal(url)).toBe(ok);
  });
  it('the allowlist is the catalog\'s "get it at" pages and the verification fix pages, each exactly as the URL parser writes it', () => {
    expect([...EXTERNAL_PAGES].sort()).toEqual([...new Set([...CATALOG.flatMap((e) => (e.url ? [e.url] : [])), ...FIX_PAGES])].sort());
    expect(FIX_PAGES).toEqual(['https://huggingface.co/pyannote/speaker-diarization-3.1', 'https://huggingface.co/pyannote/segmentation-3.0', 'https://console.cloud.google.com/apis/library/generativelanguage.googleapis.com', 'https://console.cloud.google.com/apis/library/youtube.googleapis.com', 'https://huggingface.co/settings/tokens']);
    for (const page of EXTERNAL_PAGES) expect(new URL(page).href).toBe(page);
  });
});

describe('webContents hardening', () => {
  function fakeContents() {
    const listeners: Record<string, (event: { preventDefault: () => void }, url?: string) => void> = {};
    let openHandler: ((d: { url: string }) => { action: string }) | undefined;
    const contents = {
      on: (name: string, fn: never) => ((listeners[name] = fn), contents),
      setWindowOpenHandler: (fn: never) => void (openHandler = fn),
    };
    return { contents, listeners, open: (url: string) => openHandler!({ url }) };
  }
  const fire = (fn: (event: { preventDefault: () => void }, url?: string) => void, url?: string) => {
    const preventDefault = vi.fn();
    fn({ preventDefault }, url);
    return preventDefault.mock.calls.length > 0;
  };

  it('blocks navigation and redirects away from the app, webviews, and every new window', () => {
    const f = fakeContents();
    const opened: string[] = [];
    hardenContents(f.contents as never, (u) => opened.push(u));
    expect(fire(f.listeners['will-navigate']!, 'https://evil.example/')).toBe(true);
    expect(fire(f.listeners['will-navigate']!, 'app://vault/index.html#/profile')).toBe(false);
    expect(fire(f.listeners['will-redirect']!, 'file:///etc/passwd')).toBe(true);
    expect(fire(f.listeners['will-attach-webview']!)).toBe(true);
    expect(f.open('https://huggingface.co/settings/tokens')).toEqual({ action: 'deny' });
    expect(f.open('https://huggingface.co/settings/tokens?x')).toEqual({ action: 'deny' });
    expect(f.open('https://evil.example/')).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://huggingface.co/settings/tokens']);
  });

  it('a link the browser cannot be opened for (shell.openExternal rejects) is reported, not an unhandled rejection in main', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const errors: unknown[] = [];
      const failing = { openExternal: vi.fn(() => Promise.reject(new Error('xdg-open: no method available'))) };
      openAllowedExternal(failing, 'https://huggingface.co/settings/tokens', (err) => errors.push(err));
      openAllowedExternal(failing, 'https://evil.example/', (err) => errors.push(err));
      await vi.waitFor(() => expect(errors).toHaveLength(1));
      expect(failing.openExternal.mock.calls).toEqual([['https://huggingface.co/settings/tokens']]);
      expect(String(errors[0])).toContain('xdg-open: no method available');
      // An unhandled rejection is reported after the microtask queue drains: one macrotask later it would be here.
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('denies every permission request and check', () => {
    let request: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;
    let check: (() => boolean) | undefined;
    denyAllPermissions({ setPermissionRequestHandler: (fn: never) => void (request = fn), setPermissionCheckHandler: (fn: never) => void (check = fn) } as never);
    const cb = vi.fn();
    request!(null, 'media', cb);
    expect(cb).toHaveBeenCalledWith(false);
    expect(check!()).toBe(false);
  });
});

describe('shell.openExternal call sites', () => {
  it('every one in electron/ checks the allowlist on the same line (the reviewed Electronegativity suppression relies on it)', () => {
    const dir = resolve(import.meta.dirname, '../../electron');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const sites = files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l.includes('shell.openExternal(')).map((l) => [f, l.trim()]));
    expect(sites.length).toBeGreaterThan(0);
    for (const [file, line] of sites) expect(`${file}: ${line}`).toMatch(/isAllowedExternal\(url\) && .*shell\.openExternal\(url\)/);
  });
});
