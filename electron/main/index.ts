/**
 * The Electron shell: lifecycle, the window, the menu, the app:// protocol,
 * IPC registration, native dialogs and notifications. Thin on purpose: every
 * decision lives in handlers.ts, window.ts, url-policy.ts, menu.ts,
 * file-watches.ts and run-notifications.ts, which tests run without Electron.
 */
import { app, BrowserWindow, clipboard, dialog, ipcMain, Menu, Notification, protocol, session, shell } from 'electron';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { CHANNELS, EVENTS, type VaultMethod } from '../../shared/core/ipc-contract';
import { openServices } from '../../shared/node/open';
import { avatarFetchPort } from './avatar';
import { createCopyGuard } from './copy-guard';
import { createHandlers, guardHandlers } from './handlers';
import { watchVaultFiles } from './file-watches';
import { aboutPanel, menuTemplate } from './menu';
import type { DialogPort } from './ports';
import { appKeychainDialogs } from './keychain-dialogs';
import { APP_HOST, APP_SCHEME, isAllowedExternal } from './url-policy';
import { CONTENT_SECURITY_POLICY, START_URL, denyAllPermissions, hardenContents, openAllowedExternal, windowOptions } from './window';

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

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/**
 * Serves the renderer from dist/app/renderer with the CSP header; nothing
 * outside that folder. Read with fs (which sees into app.asar), not fetched
 * over file://: the file protocol has no extra privileges (a fuse), and the
 * app needs none.
 */
function serveRenderer(root: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    let file: string;
    try {
      file = normalize(join(root, decodeURIComponent(url.pathname)));
    } catch {
      return new Response('bad request', { status: 400 }); // malformed percent-encoding
    }
    const type = TYPES[extname(file)];
    if (url.hostname !== APP_HOST || !file.startsWith(root + sep) || !type) return new Response('not found', { status: 404 });
    const body = await readFile(file).catch(() => undefined);
    if (!body) return new Response('not found', { status: 404 });
    return new Response(new Uint8Array(body), { status: 200, headers: { 'Content-Type': type, 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' } });
  });
}

/** Native dialogs, parented to the window so the page cannot hide or fake them. */
function nativeDialogs(): DialogPort {
  const ask = async (message: string, detail: string, yes: string) => {
    const options = { type: 'warning' as const, message, detail, buttons: ['Cancel', yes], defaultId: 0, cancelId: 0, noLink: true };
    const r = mainWindow ? await dialog.showMessageBox(mainWindow, options) : await dialog.showMessageBox(options);
    return r.response === 1;
  };
  return {
    chooseSecretsFile: async () => {
      const options = { title: 'Choose a secrets file', properties: ['openFile' as const, 'showHiddenFiles' as const], filters: [{ name: 'Secrets', extensions: ['json', 'env', 'profile', '*'] }] };
      const r = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    chooseTeamFile: async () => {
      const options = { title: 'Open a team file', properties: ['openFile' as const, 'showHiddenFiles' as const], filters: [{ name: 'Team file', extensions: ['age', '*'] }] };
      const r = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    confirmSource: (path) => ask('Migrate the secrets in this file?', `${path}\n\ncpw-vault will read it and show the plan first; nothing changes until you press Migrate.`, 'Read this file'),
    confirmRemovePlaintext: (paths) => ask('Delete these plaintext files?', `Every entry is in the vault. These files will be deleted:\n\n${paths.join('\n')}`, 'Delete them'),
    chooseExportTarget: async () => {
      // No overwrite confirmation: an export never replaces a file (its handler refuses one that is there), and a dialog
      // that asked "Replace?" and then refused said two things.
      const options = { title: 'Export the vault to an encrypted file', defaultPath: 'cpw-vault-export.age', properties: ['createDirectory' as const] };
      const r = mainWindow ? await dialog.showSaveDialog(mainWindow, options) : await dialog.showSaveDialog(options);
      return r.canceled || !r.filePath ? null : r.filePath;
    },
    chooseExportFile: async () => {
      const options = { title: 'Choose a cpw-vault export file', properties: ['openFile' as const, 'showHiddenFiles' as const], filters: [{ name: 'age export', extensions: ['age', '*'] }] };
      const r = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
  };
}

/** The README shipped with the app (extraResources when packaged; the repo when run from source). */
function docsPath(): string {
  return app.isPackaged ? join(process.resourcesPath, 'README.md') : join(app.getAppPath(), 'README.md');
}

async function start(): Promise<void> {
  const desktopNotifier = { notify: (n: { title: string; body: string }) => void (Notification.isSupported() && new Notification({ title: n.title, body: n.body, silent: false }).show()) };
  const { vault, history: runs } = await openServices({ caller: 'app', keychainDialogs: appKeychainDialogs(process.env, desktopNotifier) });
  const send = (channel: string, payload?: unknown) => mainWindow?.webContents.send(channel, payload);
  // A link the browser could not be opened for is said on main's stderr (the URL is an allowlisted public page).
  const openExternal = (url: string) => openAllowedExternal(shell, url, (err) => console.error(`Could not open ${url} in the browser: ${err instanceof Error ? err.message : String(err)}`));
  const scheduler = { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms) };
  const events = { send: (event: keyof typeof EVENTS, payload: unknown) => send(EVENTS[event], payload) };
  const copies = createCopyGuard({ clipboard, scheduler, events });
  // A secret copied in the last 20 s is not left on the clipboard by quitting (its timer dies with the app).
  app.on('before-quit', () => void copies.clearNow());
  const deps = {
    vault,
    runs,
    clipboard,
    copies,
    dialog: nativeDialogs(),
    external: { open: async (url: string) => void (isAllowedExternal(url) && (await shell.openExternal(url))) },
    scheduler,
    events,
    // undici's fetch, not net.fetch: no cookie jar, redirect: 'manual' hands back the 3xx so avatar.ts checks every hop
    // itself, and every connection's resolved address is checked (no loopback, private or metadata address).
    fetch: avatarFetchPort(),
    cwd: process.cwd(),
    env: process.env,
    // The CLI's unlock agent (dist/agent.cjs, beside dist/app/): the app and the CLI share one unlock.
    agentScript: join(__dirname, '..', 'agent.cjs'),
  };
  const handlers = guardHandlers(createHandlers(deps));
  for (const method of Object.keys(CHANNELS) as VaultMethod[]) ipcMain.handle(CHANNELS[method], handlers[method]);

  const name = app.getName();
  app.setAboutPanelOptions(aboutPanel({ name, version: app.getVersion() }));
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate({ name, version: app.getVersion(), isMac: process.platform === 'darwin', openDocs: () => void shell.openPath(docsPath()) })));

  denyAllPermissions(session.defaultSession);
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, openExternal));
  serveRenderer(join(__dirname, 'renderer'));

  mainWindow = new BrowserWindow(windowOptions(join(__dirname, 'preload.js')));
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => (mainWindow = undefined));
  await mainWindow.loadURL(START_URL);

  const stopWatching = watchVaultFiles({ ...deps, notifier: desktopNotifier });
  app.on('window-all-closed', () => {
    stopWatching();
    vault.close();
    app.quit();
  });
}
