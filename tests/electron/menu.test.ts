import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { aboutPanel, menuTemplate } from '../../electron/main/menu';

const roles = (items: MenuItemConstructorOptions[]): string[] => items.flatMap((i) => [...(i.role ? [i.role] : []), ...(Array.isArray(i.submenu) ? roles(i.submenu) : [])]);
const find = (items: MenuItemConstructorOptions[], label: string) => items.find((i) => i.label === label);

describe('the application menu', () => {
  it.each([true, false])('has the standard Edit roles, so copy and paste work in the packaged app (macOS: %s)', (isMac) => {
    const menu = menuTemplate({ name: 'cpw-vault', version: '1.2.3', isMac, openDocs: () => {} });
    expect(roles(find(menu, 'Edit')!.submenu as MenuItemConstructorOptions[])).toEqual(['undo', 'redo', 'cut', 'copy', 'paste', 'pasteAndMatchStyle', 'delete', 'selectAll']);
  });

  it.each([true, false])('has an About naming the version, and no developer tools (macOS: %s)', (isMac) => {
    const menu = menuTemplate({ name: 'cpw-vault', version: '1.2.3', isMac, openDocs: () => {} });
    const about = JSON.stringify(menu).match(/"role":"about","label":"([^"]+)"/);
    expect(about![1]).toBe('About cpw-vault 1.2.3');
    expect(roles(menu)).not.toContain('toggleDevTools');
    expect(aboutPanel({ name: 'cpw-vault', version: '1.2.3' })).toMatchObject({ applicationName: 'cpw-vault', applicationVersion: '1.2.3' });
  });

  it('Help opens the documentation', () => {
    const openDocs = vi.fn();
    const menu = menuTemplate({ name: 'cpw-vault', version: '1.2.3', isMac: false, openDocs });
    const help = menu.find((i) => i.role === 'help')!.submenu as MenuItemConstructorOptions[];
    (help[0]!.click as () => void)();
    expect([help[0]!.label, openDocs.mock.calls.length]).toEqual(['cpw-vault documentation', 1]);
  });
});
