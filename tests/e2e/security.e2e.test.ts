import { chmodSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSocketFor } from '../../shared/node/agent/socket-dir';
import { fileCli, makeFileVaultHome, unlockAgent } from '../helpers/file-vault';
import { launchChromium } from './harness';
import { SLOW, WAIT, check, focused, goTo, printTimings, session, typeInto, unlockWith } from './steps';

const NEXT = 'a new desktop vault passphrase';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  printTimings('security');
});

describe('the Security section in real Chromium, on the vault file backend', () => {
  it('the unlock screen stands in while the vault file is locked; unlock, passphrase change typed key by key, then locked again', async () => {
    // A low scrypt work factor: the flows, not age's cost (tests/cli covers interop at age's own).
    const h = await makeFileVaultHome({ logN: 10 });
    // The handler process inherits these: its agent program, and a runtime folder of this home.
    process.env['CPW_E2E_AGENT'] = resolve(import.meta.dirname, '../../dist/agent.cjs');
    process.env['XDG_RUNTIME_DIR'] = h.runtime;
    const s = await session(browser, h);
    const { page } = s;
    try {
      const unlock = page.getByRole('form', { name: 'Unlock the vault file' });
      await unlock.waitFor(SLOW);
      await check(page, '9-vault-locked');
      // A wrong passphrase is covered by tests/electron/security-handlers.test.ts (real main) and tests/renderer/security.test.tsx (the form);
      // here it showed no message in 2 of 8 loaded runs, not yet explained (see the filevault report).
      await typeInto(unlock.getByLabel('Vault passphrase', { exact: true }), h.passphrase);
      await unlock.getByRole('button', { name: 'Unlock' }).click();
      await unlock.waitFor({ state: 'detached', ...SLOW });
      await goTo(page, 'Security');
      const change = page.getByRole('form', { name: 'Change the vault passphrase' });
      await change.waitFor(WAIT);
      await typeInto(change.getByLabel('Current passphrase', { exact: true }), h.passphrase);
      await typeInto(change.getByLabel('New passphrase', { exact: true }), 'short');
      await change.getByText('At least 12 characters (5 so far).').waitFor(WAIT);
      expect(await change.getByRole('button', { name: 'Change passphrase' }).isDisabled()).toBe(true);
      await change.getByLabel('New passphrase', { exact: true }).press('ControlOrMeta+a');
      await change.getByLabel('New passphrase', { exact: true }).pressSequentially(NEXT);
      await typeInto(change.getByLabel('Confirm the new passphrase', { exact: true }), NEXT);
      await check(page, '9-security');
      await change.getByRole('button', { name: 'Change passphrase' }).click();
      await page.getByText(/Passphrase changed: only the new one opens/).waitFor(SLOW);
      expect(await change.getByLabel('New passphrase', { exact: true }).inputValue()).toBe('');
      // The agent was stopped: the vault is locked again, and only the new passphrase opens it (from the CLI too).
      await page.getByRole('form', { name: 'Unlock the vault file' }).waitFor(SLOW);
      expect((await fileCli(h, ['get', 'huggingface', 'token'])).code).toBe(4);
      const pass = `${h.root}/new-pass`;
      (await import('node:fs')).writeFileSync(pass, `${NEXT}\n`, { mode: 0o600 });
      expect((await fileCli(h, ['unlock', '--passphrase-file', pass])).code).toBe(0);
    } finally {
      await fileCli(h, ['lock']);
      await s.close();
    }
  }, 400_000);

  it('the vault file locked (its 8 hours over, cpw-vault lock in a terminal) while a key is typed: Save brings the unlock screen, and after the unlock the form is back with the key typed; Enter stores it', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const s = await session(browser, h, { env: { CPW_E2E_AGENT: resolve(import.meta.dirname, '../../dist/agent.cjs'), XDG_RUNTIME_DIR: h.runtime } });
    const { page } = s;
    const KEY = '0123456789abcdef0123456789abcdef';
    try {
      const unlock = page.getByRole('form', { name: 'Unlock the vault file' });
      await unlock.waitFor(SLOW);
      await unlockWith(page, unlock, h.passphrase);
      await goTo(page, 'Credentials');
      await page.getByRole('button', { name: /^TMDB API key/ }).click();
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await typeInto(page.getByLabel('TMDB API key (hidden)'), KEY);
      expect((await fileCli(h, ['lock'])).code).toBe(0);
      await page.keyboard.press('Enter');
      await unlock.waitFor(SLOW);
      await unlockWith(page, unlock, h.passphrase);
      const field = page.getByLabel('TMDB API key (hidden)');
      await field.waitFor(WAIT);
      expect(await field.inputValue()).toBe(KEY);
      await field.press('Enter');
      await page.getByText('Saved TMDB API key to the vault file.').first().waitFor(SLOW);
      expect((await fileCli(h, ['get', 'tmdb', 'api_key'])).stdout.trim()).toBe(KEY);
    } finally {
      await fileCli(h, ['lock']);
      await s.close();
    }
  }, 400_000);

  it('Lock now refused (the agent\'s folder made reachable by other users) says why under the button, which keeps the focus; Enter again locks once the folder is private', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const s = await session(browser, h, { env: { CPW_E2E_AGENT: resolve(import.meta.dirname, '../../dist/agent.cjs'), XDG_RUNTIME_DIR: h.runtime } });
    const { page } = s;
    const folder = agentSocketFor(h.files.identity, { XDG_RUNTIME_DIR: h.runtime }).dir;
    try {
      await goTo(page, 'Security');
      const unlock = page.getByRole('form', { name: 'Unlock the vault file' });
      await unlock.waitFor(SLOW);
      await unlockWith(page, unlock, h.passphrase);
      const lock = page.getByRole('button', { name: 'Lock now' });
      chmodSync(folder, 0o755);
      await lock.click();
      // The note the button is described by: the app's banner may say the same at once (a status read between the chmod
      // and the click finds the folder too: a CI run saw both alerts, and a locator by text alone matched two).
      await page.waitForFunction(() => [...document.querySelectorAll('button')].some((b) => b.textContent === 'Lock now' && b.getAttribute('aria-describedby')), undefined, WAIT);
      const alert = page.locator(`[id="${await lock.getAttribute('aria-describedby')}"]`).filter({ hasText: 'Refusing the unlock agent folder' });
      await alert.waitFor(WAIT);
      expect(await alert.getAttribute('role')).toBe('alert');
      expect(await alert.textContent()).toContain('other users can reach it');
      expect(await alert.textContent()).toContain('VAULT_AGENT_UNSAFE');
      expect((await focused(page)).text).toBe('Lock now');
      await check(page);
      chmodSync(folder, 0o700);
      await page.keyboard.press('Enter');
      await unlock.waitFor(SLOW);
      await alert.waitFor({ state: 'detached', ...WAIT });
      expect((await fileCli(h, ['get', 'huggingface', 'token'])).code).toBe(4);
    } finally {
      chmodSync(folder, 0o700);
      await fileCli(h, ['lock']);
      await s.close();
    }
  }, 400_000);

  // This test and the next run at once (it.concurrent): each has its own home, runtime folder, stopped agent, handler
  // process and page, and mostly waits (the agent's 5 s, the app's 10 s re-check); one after the other they took ~36 s on CI.
  it.concurrent('an unlock agent stopped (kill -STOP) while the app starts: every screen but Security says it is not answering (its pid) and offers Lock now, not the unlock form; Lock now ends it, then the unlock form opens the vault', async ({ expect, onTestFinished }) => {
    const h = await makeFileVaultHome({ logN: 10 });
    const pid = await unlockAgent(h, onTestFinished);
    process.kill(pid, 'SIGSTOP');
    const s = await session(browser, h, { env: { CPW_E2E_AGENT: resolve(import.meta.dirname, '../../dist/agent.cjs'), XDG_RUNTIME_DIR: h.runtime } });
    const { page } = s;
    try {
      const card = page.getByRole('region', { name: 'The unlock agent is not answering' });
      await card.waitFor(SLOW);
      expect(await card.textContent()).toContain(`Not answering: the vault file's unlock agent (pid ${pid})`);
      expect(await card.textContent()).toContain('Fix: Lock now ends it, its key with it; then unlock again.');
      // Before: "The vault file is locked" and its passphrase field, while the stopped process held the key.
      const unlock = page.getByRole('form', { name: 'Unlock the vault file' });
      expect(await unlock.count()).toBe(0);
      await check(page, '9-agent-not-answering');
      await card.getByRole('button', { name: 'Lock now' }).focus();
      await page.keyboard.press('Enter');
      await unlock.waitFor(SLOW);
      await expect.poll(() => existsSync(`/proc/${pid}`), { timeout: 10_000 }).toBe(false);
      expect(await card.count()).toBe(0);
      await unlockWith(page, unlock, h.passphrase);
    } finally {
      await fileCli(h, ['lock']);
      await s.close();
    }
  }, 400_000);

  it.concurrent('an unlock agent stopped (kill -STOP): the card also says how to resume it, as doctor says it (kill -CONT, its pid); resumed so, the card goes by itself and the screens are back, nothing asked', async ({ expect, onTestFinished }) => {
    const h = await makeFileVaultHome({ logN: 10 });
    const pid = await unlockAgent(h, onTestFinished);
    process.kill(pid, 'SIGSTOP');
    const resume = `resume it, unlocked as it was: kill -CONT ${pid}`;
    // doctor waits out the stopped agent's 5 s while the app starts (which waits on it too), not before it.
    const doctor = fileCli(h, ['doctor']);
    const s = await session(browser, h, { env: { CPW_E2E_AGENT: resolve(import.meta.dirname, '../../dist/agent.cjs'), XDG_RUNTIME_DIR: h.runtime } });
    const { page } = s;
    try {
      // The CLI's words for it, the same clause the app shows (one helper: resumeStopped).
      expect((await doctor).stderr).toContain(`its key with it; or ${resume}`);
      const card = page.getByRole('region', { name: 'The unlock agent is not answering' });
      await card.waitFor(SLOW);
      // Before: only "Lock now ends it, its key with it; then unlock again." (ending it and its key, a passphrase after).
      expect(await card.textContent()).toContain(`Fix: Lock now ends it, its key with it; then unlock again. Or, in a terminal, ${resume}.`);
      await goTo(page, 'Security');
      const where = page.getByRole('form', { name: 'Where your secrets live' });
      await where.waitFor(SLOW);
      expect(await where.textContent()).toContain(`Or, in a terminal, ${resume}.`);
      // Done as it says: the agent goes on, unlocked; the app sees it open again by itself (its 10 s re-check).
      process.kill(pid, 'SIGCONT');
      await goTo(page, 'Credentials');
      await page.getByRole('list', { name: 'Credentials' }).waitFor(SLOW);
      expect(await card.count()).toBe(0);
      expect(await page.getByRole('form', { name: 'Unlock the vault file' }).count()).toBe(0);
      expect(existsSync(`/proc/${pid}`)).toBe(true);
    } finally {
      await fileCli(h, ['lock']);
      await s.close();
    }
  }, 400_000);

  it('Enter in the unlock screen\'s passphrase field: once open, the focus goes to the title of the screen now shown (it fell to <body>)', async () => {
    const h = await makeFileVaultHome({ logN: 10 });
    const s = await session(browser, h, { env: { CPW_E2E_AGENT: resolve(import.meta.dirname, '../../dist/agent.cjs'), XDG_RUNTIME_DIR: h.runtime } });
    const { page } = s;
    try {
      await goTo(page, 'Credentials');
      const unlock = page.getByRole('form', { name: 'Unlock the vault file' });
      await unlock.waitFor(SLOW);
      await unlockWith(page, unlock, h.passphrase);
      await page.getByRole('list', { name: 'Credentials' }).waitFor(WAIT);
      await expect.poll(async () => (await focused(page)).id, WAIT).toBe('screen-title');
      expect((await focused(page)).text).toBe('Credentials');
    } finally {
      await fileCli(h, ['lock']);
      await s.close();
    }
  }, 400_000);
});
