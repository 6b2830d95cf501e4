// The Security screen left open while the vault file changes from a terminal, in real Chromium over the real handlers
// and the real CLI: it said "unlocked until ..." until the user left the screen and came back.
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileCli, makeFileVaultHome, type FileVaultHome } from '../helpers/file-vault';
import { launchChromium } from './harness';
import { SLOW, WAIT, focused, goTo, printTimings, session, typeInto, unlockWith } from './steps';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  printTimings('security-fresh');
});

const appEnv = (h: FileVaultHome) => ({ env: { CPW_E2E_AGENT: resolve(import.meta.dirname, '../../dist/agent.cjs'), XDG_RUNTIME_DIR: h.runtime } });

/**
 * Runs `meanwhile` while the page's window has lost the focus to another window, then gives it back: the window's real
 * blur and focus, as switching to a terminal and back does (Playwright otherwise tells every page it has the focus).
 */
async function awayAndBack(page: Page, meanwhile: () => Promise<void>): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false });
  const [other] = await Promise.all([page.waitForEvent('popup'), page.evaluate(() => void window.open('about:blank'))]);
  await other.bringToFront();
  await expect.poll(() => page.evaluate(() => document.hasFocus()), WAIT).toBe(false);
  await meanwhile();
  await other.close();
  await page.bringToFront();
  await expect.poll(() => page.evaluate(() => document.hasFocus()), WAIT).toBe(true);
}

describe('the Security screen says what is true when the user looks again', () => {
  it('unlocked in the app, locked by `cpw-vault lock` in a terminal: back in the window, the screen shows it locked; the passphrase being typed keeps the focus and its text', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const s = await session(browser, h, appEnv(h));
    const { page } = s;
    try {
      await goTo(page, 'Security');
      const unlock = page.getByRole('form', { name: 'Unlock the vault file' });
      await unlock.waitFor(SLOW);
      await unlockWith(page, unlock, h.passphrase);
      const open = page.getByText(/Available now, unlocked until/);
      await open.waitFor(WAIT);
      const field = page.getByRole('form', { name: 'Change the vault passphrase' }).getByLabel('New passphrase', { exact: true });
      await typeInto(field, 'half typed');
      await awayAndBack(page, async () => {
        expect((await fileCli(h, ['lock'])).code).toBe(0);
      });
      await unlock.waitFor(SLOW);
      expect(await open.count()).toBe(0);
      expect(await page.getByRole('form', { name: 'Where your secrets live' }).textContent()).toContain('VAULT_LOCKED');
      expect(await field.inputValue()).toBe('half typed');
      expect((await focused(page)).label).toBe('New passphrase');
      // Another screen agrees: the unlock form stands in for it.
      await goTo(page, 'Credentials');
      await unlock.waitFor(WAIT);
    } finally {
      await fileCli(h, ['lock']);
      await s.close();
    }
  }, 400_000);

  it('unlocked by `cpw-vault unlock --ttl 20s` in a terminal: the screen, left open and never left, shows it locked once the time to live has passed', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile, '--ttl', '20s'])).code).toBe(0);
    const s = await session(browser, h, appEnv(h));
    const { page } = s;
    try {
      await goTo(page, 'Security');
      await page.getByText(/Available now, unlocked until/).waitFor(WAIT);
      await page.getByRole('form', { name: 'Unlock the vault file' }).waitFor({ timeout: 120_000 });
      expect(await page.getByText(/Available now, unlocked until/).count()).toBe(0);
    } finally {
      await fileCli(h, ['lock']);
      await s.close();
    }
  }, 400_000);

  it('switched to the keychain by `cpw-vault backend use keychain` in a terminal: the screen, left open, says the keychain', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    expect((await fileCli(h, ['unlock', '--passphrase-file', h.passFile])).code).toBe(0);
    const s = await session(browser, h, appEnv(h));
    const { page } = s;
    try {
      await goTo(page, 'Security');
      const where = page.getByRole('form', { name: 'Where your secrets live' });
      await where.getByText(/Available now, unlocked until/).waitFor(WAIT);
      const use = await fileCli(h, ['backend', 'use', 'keychain'], { env: { DBUS_SESSION_BUS_ADDRESS: process.env['DBUS_SESSION_BUS_ADDRESS'] } });
      expect(use.code, use.stderr).toBe(0);
      await where.getByRole('button', { name: 'Use a vault file' }).waitFor(SLOW);
      expect(await where.textContent()).toContain('Keychain: The OS keychain');
      expect(await page.getByRole('button', { name: 'Lock now' }).count()).toBe(0);
    } finally {
      await fileCli(h, ['lock']);
      await s.close();
    }
  }, 400_000);
});
