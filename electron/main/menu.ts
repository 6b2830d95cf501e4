/**
 * The application menu. Without one, the packaged macOS app has no Edit
 * menu and so no working Cmd+C / Cmd+V in any field: the standard Edit roles
 * are what make copy and paste work. Pure: returns a template for
 * Menu.buildFromTemplate, so tests check it without Electron.
 */
import type { AboutPanelOptionsOptions, MenuItemConstructorOptions } from 'electron';

export interface MenuOptions {
  name: string;
  version: string;
  isMac: boolean;
  /** Opens the documentation (the README shipped with the app). */
  openDocs(): void;
}

/** The About panel's contents (app.setAboutPanelOptions). */
export function aboutPanel(o: Pick<MenuOptions, 'name' | 'version'>): AboutPanelOptionsOptions {
  return {
    applicationName: o.name,
    applicationVersion: o.version,
    version: o.version,
    copyright: 'cpw-vault contributors · MIT licence',
    credits: 'Secrets in the OS keychain; a non-secret profile; a CLI and a library for pipeline stages.',
  };
}

/** The menu template: app (macOS), File, Edit with the standard roles, View, Window, Help with the docs and About. */
export function menuTemplate(o: MenuOptions): MenuItemConstructorOptions[] {
  const edit: MenuItemConstructorOptions = {
    label: 'Edit',
    submenu: [
      { role: 'undo' }, { role: 'redo' }, { type: 'separator' },
      { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'pasteAndMatchStyle' }, { role: 'delete' },
      { type: 'separator' }, { role: 'selectAll' },
    ],
  };
  const help: MenuItemConstructorOptions = {
    role: 'help',
    submenu: [
      { label: `${o.name} documentation`, click: () => o.openDocs() },
      ...(o.isMac ? [] : [{ type: 'separator' as const }, { role: 'about' as const, label: `About ${o.name} ${o.version}` }]),
    ],
  };
  return [
    ...(o.isMac ? [{ label: o.name, submenu: [{ role: 'about' as const, label: `About ${o.name} ${o.version}` }, { type: 'separator' as const }, { role: 'hide' as const }, { role: 'hideOthers' as const }, { role: 'unhide' as const }, { type: 'separator' as const }, { role: 'quit' as const }] }] : []),
    { label: 'File', submenu: [o.isMac ? { role: 'close' } : { role: 'quit' }] },
    edit,
    { label: 'View', submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
    { role: 'windowMenu' },
    help,
  ];
}
