import type { BrowserWindowConstructorOptions, Session, Shell, WebContents } from 'electron';
import { APP_ORIGIN, isAllowedExternal, isAppUrl } from './url-policy';

/** The Content-Security-Policy of every app page (also sent as a header by the app:// handler). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** The page the window loads. */
export const START_URL = `${APP_ORIGIN}/index.html`;

/**
 * Options of the one window, per the Electron security checklist: context
 * isolation, sandbox, no Node in the page or its workers/frames, web
 * security, no insecure content, no experimental features, no <webview>.
 */
export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1100,
    height: 760,
    minWidth: 760,
    minHeight: 560,
    show: false,
    title: 'cpw-vault',
    backgroundColor: '#111318',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      enableBlinkFeatures: '',
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  };
}

/** Refuses every permission request (camera, notifications, geolocation, ...): the app needs none. */
export function denyAllPermissions(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/**
 * Navigation and window hardening for a webContents: navigation only within
 * the app's own origin (parsed, never prefix-tested); new windows denied
 * (allowlisted https links go to the browser instead); <webview> never attached.
 */
export function hardenContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>, openExternal: (url: string) => void): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url)) openExternal(url);
    return { action: 'deny' };
  });
}

/**
 * Opens `url` in the user's browser when the allowlist has it (a link the window asked to open). Nothing awaits it,
 * so a failure (no browser, xdg-open missing or failing) goes to `onError`: left alone it was an unhandled rejection
 * in main. Every shell.openExternal call checks the allowlist on the same line (tests/electron/security.test.ts).
 */
export function openAllowedExternal(shell: Pick<Shell, 'openExternal'>, url: string, onError: (err: unknown) => void): void {
  void (isAllowedExternal(url) && shell.openExternal(url).catch(onError));
}
