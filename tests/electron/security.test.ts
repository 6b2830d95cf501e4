import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY, START_URL, denyAllPermissions, hardenContents, windowOptions } from '../../electron/main/window';
import { EXTERNAL_HOSTS, isAllowedExternal, isAppUrl } from '../../electron/main/url-policy';

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
  it('the CSP is strict', () => {
    for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' https: data:", "object-src 'none'", "frame-ancestors 'none'"]) {
      expect(CONTENT_SECURITY_POLICY).toContain(d);
    }
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)/);
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
    ['https://huggingface.co/settings/tokens', true], ['https://www.themoviedb.org/settings/api', true],
    ['https://platform.openai.com/api-keys', true], ['https://console.anthropic.com/settings/keys', true],
    ['https://aistudio.google.com/app/apikey', true], ['https://console.cloud.google.com/apis/credentials', true], ['https://developer.vimeo.com/apps', true],
    ['http://huggingface.co/', false], ['https://huggingface.co.evil.example/', false], ['https://evilhuggingface.co/', false],
    ['https://evil.example/https://huggingface.co/', false], ['https://huggingface.co@evil.example/', false], ['https://user:pw@huggingface.co/', false],
    ['https://huggingface.co:8443/', false], ['file:///etc/passwd', false], ['javascript:alert(1)', false], ['data:text/html,hi', false],
  ])('openExternal %s allowed: %s', (url, ok) => {
    expect(isAllowedExternal(url)).toBe(ok);
  });
  it('the allowlist is the catalog "get it at" hosts', () => {
    expect([...EXTERNAL_HOSTS].sort()).toEqual(['aistudio.google.com', 'console.anthropic.com', 'console.cloud.google.com', 'developer.vimeo.com', 'huggingface.co', 'platform.openai.com', 'www.themoviedb.org']);
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
    expect(f.open('https://evil.example/')).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://huggingface.co/settings/tokens']);
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
