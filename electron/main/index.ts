/**
 * The Electron shell: lifecycle, the window, the app:// protocol, IPC
 * registration. Thin on purpose — every decision lives in handlers.ts,
 * window.ts and url-policy.ts, which tests run without Electron.
 */
import { app, BrowserWindow, clipboard, dialog, ipcMain, net, protocol, session, shell } from 'electron';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHANNELS, EVENTS, type VaultMethod } from '../../shared/core/ipc-contract';
import { watchProfile } from '../../shared/node/profile/watch';
import { openServices } from '../../shared/node/open';
import { createHandlers, guardHandlers } from './handlers';
import { APP_HOST, APP_SCHEME, isAllowedExternal } from './url-policy';
import { CONTENT_SECURITY_POLICY, START_URL, denyAllPermissions, hardenContents, windowOptions } from './window';

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false } }]);

let mainWindow: BrowserWindow | undefined;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.whenReady().then(start, (err: unknown) => {
    dialog.showErrorBox('cpw-vault', `cpw-vault could not start: ${err instanceof Error ? err.message : String(err)}`);
    app.quit();
  });
}

/** Serves the renderer from dist/app/renderer with the CSP header; nothing outside that folder. */
function serveRenderer(root: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    let file: string;
    try {
      file = normalize(join(root, decodeURIComponent(url.pathname)));
    } catch {
      return new Response('bad request', { status: 400 }); // malformed percent-encoding
    }
    if (url.hostname !== APP_HOST || !file.startsWith(root + sep)) return new Response('not found', { status: 404 });
    const response = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}

async function start(): Promise<void> {
  const { vault, history: runs } = await openServices({ caller: 'app' });
  // Every shell.openExternal call checks the allowlist on the same line (tests/electron/security.test.ts holds us to it).
  const openExternal = (url: string) => void (isAllowedExternal(url) && shell.openExternal(url));
  const handlers = guardHandlers(
    createHandlers({
      vault,
      runs,
      clipboard,
      dialog: {
        chooseSecretsFile: async () => {
          const r = await dialog.showOpenDialog({ title: 'Choose a secrets file', properties: ['openFile', 'showHiddenFiles'], filters: [{ name: 'Secrets', extensions: ['json', 'env', 'profile', '*'] }] });
          return r.canceled ? null : (r.filePaths[0] ?? null);
        },
      },
      external: { open: async (url) => void (isAllowedExternal(url) && (await shell.openExternal(url))) },
      scheduler: { setTimeout: (fn, ms) => setTimeout(fn, ms) },
      cwd: process.cwd(),
      env: process.env,
    }),
  );
  for (const method of Object.keys(CHANNELS) as VaultMethod[]) ipcMain.handle(CHANNELS[method], handlers[method]);

  denyAllPermissions(session.defaultSession);
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, openExternal));
  serveRenderer(join(__dirname, 'renderer'));

  mainWindow = new BrowserWindow(windowOptions(join(__dirname, 'preload.js')));
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => (mainWindow = undefined));
  await mainWindow.loadURL(START_URL);

  const stopWatching = watchProfile(vault.profilePath, () => mainWindow?.webContents.send(EVENTS.profileChanged));
  app.on('window-all-closed', () => {
    stopWatching();
    vault.close();
    app.quit();
  });
}
