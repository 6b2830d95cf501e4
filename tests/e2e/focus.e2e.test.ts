import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../helpers/children';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { axeViolations, launchChromium } from './harness';
import { E2E_TIMEOUT, WAIT, check, focused, goTo, printTimings, retype, session, tabTo } from './steps';

const HF = `hf_${'Focu'.repeat(9)}`;
const OPENAI = `sk-proj-${'f'.repeat(40)}`;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  printTimings('focus');
});

/** Focus is on something matching `want`, never <body>. */
async function expectFocus(page: Page, want: Partial<Awaited<ReturnType<typeof focused>>>): Promise<void> {
  await expect.poll(async () => {
    const f = await focused(page);
    return { ...Object.fromEntries(Object.keys(want).map((k) => [k, f[k as keyof typeof f]])), body: f.tag === 'BODY' };
  }, WAIT).toEqual({ ...want, body: false });
}

/**
 * Starts recording where the focus is: at every focus change and every 5 ms (a button turning `disabled` drops the
 * focus to <body> without a focus event). The returned function gives the distinct places in order, "BODY" for <body>.
 */
async function recordFocus(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const w = window as unknown as { __focus: string[] };
    w.__focus = [];
    const note = () => {
      const el = document.activeElement;
      const where = !el || el === document.body ? 'BODY' : `${el.tagName}:${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}`;
      if (w.__focus.at(-1) !== where) w.__focus.push(where);
    };
    note();
    document.addEventListener('focusin', note, true);
    document.addEventListener('focusout', () => setTimeout(note, 0), true);
    setInterval(note, 5);
  });
  return () => page.evaluate(() => (window as unknown as { __focus: string[] }).__focus);
}

describe('focus never falls to <body> when the button pressed goes away or turns off', { timeout: E2E_TIMEOUT }, () => {
  it('credential form: "Save anyway" pressed from the keyboard keeps the focus while it saves; then Edit has it', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Warn']);
    const { page, close } = await session(browser, t);
    await goTo(page, 'Credentials');
    await page.getByRole('button', { name: /^HuggingFace token/ }).click();
    await page.locator('.credential-detail').getByRole('button', { name: 'Add' }).click();
    await expect.poll(async () => (await focused(page)).label, WAIT).toBe('HuggingFace token (hidden)');
    await page.keyboard.type('not-a-hf-token-value');
    await page.keyboard.press('Enter');
    await page.getByText(/does not look like a HuggingFace token/).waitFor();
    await tabTo(page, (f) => f.text === 'Save anyway', 40, 'Shift+Tab');
    const places = await recordFocus(page);
    await page.keyboard.press('Enter');
    await page.getByText('Saved HuggingFace token to the keychain.').waitFor();
    await expectFocus(page, { text: 'Edit' });
    expect(await places()).toEqual(['BUTTON:Save anyway', 'BUTTON:Edit']);
    await close();
  });

  it('credential Test from the keyboard: Test keeps the focus while it asks (aria-disabled, busy), ignores presses, and is on again after', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'openai', 'api_key'], { input: OPENAI });
    // OpenAI's endpoint: a loopback server that answers (401) only when the test says so.
    const held: ServerResponse[] = [];
    const provider = createServer((_req, res) => void held.push(res));
    await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
    const port = (provider.address() as { port: number }).port;
    const { page, close } = await session(browser, t, { env: { CPW_VAULT_ENDPOINT_OPENAI: `http://127.0.0.1:${port}` } });
    try {
      await goTo(page, 'Credentials');
      await page.getByRole('button', { name: /^OpenAI API key/ }).click();
      const detail = page.getByRole('region', { name: 'OpenAI API key' });
      const status = detail.getByRole('status', { name: 'OpenAI API key: provider check' });
      await detail.getByRole('button', { name: 'Test', exact: true }).focus();
      const places = await recordFocus(page);
      await page.keyboard.press('Enter');
      await status.getByText('Asking the provider…').waitFor();
      await expect.poll(() => held.length, WAIT).toBe(1);
      const busy = detail.getByRole('button', { name: 'Testing…' });
      await expectFocus(page, { text: 'Testing…' });
      expect(await busy.evaluate((b) => (b as HTMLButtonElement).disabled)).toBe(false); // (Playwright's isDisabled counts aria-disabled)
      expect([await busy.getAttribute('aria-disabled'), await busy.getAttribute('aria-busy')]).toEqual(['true', 'true']);
      // One axe scan, not check()'s four: the provider's answer is held, and main's request gives up after its timeout.
      expect(await axeViolations(page)).toEqual([]);
      // Pressed again, by key and by mouse, while it asks: no second request reaches the provider.
      await page.keyboard.press('Enter');
      await page.keyboard.press('Space');
      await busy.click({ force: true }); // (force: Playwright waits for an aria-disabled button to turn on)
      held[0]!.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"Incorrect API key provided"}}');
      await status.getByText(/^✗ invalid, just now/).waitFor();
      await expectFocus(page, { text: 'Test' });
      expect(await detail.getByRole('button', { name: 'Test', exact: true }).getAttribute('aria-disabled')).toBeNull();
      expect(held).toHaveLength(1);
      expect(await places()).toEqual(['BUTTON:Test', 'BUTTON:Testing…', 'BUTTON:Test']);
    } finally {
      await close();
      provider.closeAllConnections();
      provider.close();
    }
  });

  it('profile: Save and Discard pressed from the keyboard keep the focus; an error toast dismissed from the keyboard hands it back', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Focus']);
    const { page, close } = await session(browser, t);
    await goTo(page, 'Profile');
    await tabTo(page, (f) => f.label === 'Name');
    await page.keyboard.type(' Keeper');
    await tabTo(page, (f) => f.text === 'Save profile');
    await page.keyboard.press('Enter');
    await page.getByText('All changes saved').waitFor();
    await page.getByText('Profile saved.').waitFor();
    await expectFocus(page, { text: 'Save profile' });
    // Discard: the changes go, the focus stays on the button.
    await tabTo(page, (f) => f.label === 'Job title', 40, 'Shift+Tab');
    await page.keyboard.type('Temp');
    await page.getByText('● Unsaved changes').waitFor();
    await tabTo(page, (f) => f.text === 'Discard changes');
    await page.keyboard.press('Enter');
    await page.getByText('All changes saved').waitFor();
    expect(await page.getByLabel('Job title').inputValue()).toBe('');
    await expectFocus(page, { text: 'Discard changes' });
    // Main refuses a 161-character job title: an error toast that stays, with its fix.
    await tabTo(page, (f) => f.label === 'Job title', 40, 'Shift+Tab');
    await page.keyboard.type('j'.repeat(161));
    await tabTo(page, (f) => f.text === 'Save profile');
    await page.keyboard.press('Enter');
    const toast = page.getByRole('region', { name: 'Notifications' }).getByRole('alert');
    await toast.getByText(/^Profile not saved: /).waitFor();
    await toast.getByText(/^Fix: /).waitFor();
    await check(page); // an error toast and a field error on screen: axe in every mode
    await tabTo(page, (f) => (f.label ?? '').startsWith('Dismiss: Profile not saved'));
    await page.keyboard.press('Enter');
    await expect.poll(() => toast.getByText(/^Profile not saved: /).count(), WAIT).toBe(0);
    await expectFocus(page, { id: 'screen-title' });
    // Migration with nothing found: the empty state, checked too.
    await goTo(page, 'Migration');
    await page.getByText(/^No plaintext secrets found/).waitFor();
    await check(page);
    await close();
  });

  it('migration: "Remove the plaintext files…" answered "no" in main\'s dialog keeps the focus on the button', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Remover']);
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    mkdirSync(join(t.cwd, 'config'));
    writeFileSync(join(t.cwd, 'config', 'secrets.json'), JSON.stringify({ hf_token: HF }));
    const { page, main, close } = await session(browser, t);
    await goTo(page, 'Migration');
    await page.getByText('Nothing to write: every usable entry is already in the vault.').waitFor();
    main.answerDialogs({ confirmRemove: false });
    await tabTo(page, (f) => f.text === 'Remove the plaintext files…');
    await page.keyboard.press('Enter');
    await page.getByText('Nothing was removed.').waitFor();
    await expectFocus(page, { text: 'Remove the plaintext files…' });
    await close();
  });
});

/** Another process holding the profile lock (the real lock code), until killed. */
function holdLock(profile: string): Promise<{ kill: () => Promise<void> }> {
  const child = spawn(process.execPath, [fixture('lock-holder'), profile], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stdout.once('data', () => resolve({ kill: () => new Promise((r) => (child.kill('SIGKILL'), child.once('close', () => r()))) }));
  });
}

describe('errors a person can act on, over the real handlers', { timeout: E2E_TIMEOUT }, () => {
  it('a held profile lock: "Another cpw-vault is saving; retrying…", never the .lock path; saved once the other one lets go', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Locked']);
    const { page, close } = await session(browser, t);
    await goTo(page, 'Profile');
    const other = await holdLock(t.profile);
    await retype(page.getByLabel('Name'), 'Patient');
    await page.getByRole('button', { name: 'Save profile' }).click();
    // Main waits 30 s for the lock, then the app says why it is retrying.
    await page.getByText('Another cpw-vault is saving; retrying…').waitFor({ timeout: 120_000 });
    expect(await page.content()).not.toContain(`${t.profile}.lock`);
    await other.kill();
    await page.getByText('Profile saved.').waitFor({ timeout: 60_000 });
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).user.name).toBe('Patient');
    await close();
  });
});
