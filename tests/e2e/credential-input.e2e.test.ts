// Adding a credential as a person does, key by key, and as a hurried one: spaces around a pasted-looking value, an
// emoji, a value past the length limit, Escape halfway, Save pressed twice, another screen chosen while main is still saving.
// Nothing typed may be lost, stored twice, or stored without the user's Save.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SECRET_LENGTH } from '../../shared/core/credential';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { launchChromium } from './harness';
import { E2E_TIMEOUT, WAIT, focused, goTo, lookup, printTimings, session, tabTo, tmdbTyped, typeInto } from './steps';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  printTimings('credential-input');
});

/** Counts the page's credentialsSet calls from now on (every save the renderer sends main). */
async function countSaves(page: Page): Promise<() => Promise<number>> {
  await page.evaluate(() => {
    const w = window as unknown as { vault: Record<string, (...a: unknown[]) => Promise<unknown>>; __saves: number };
    const real = w.vault['credentialsSet']!;
    w.__saves = 0;
    w.vault['credentialsSet'] = (...a) => (w.__saves++, real(...a));
  });
  return () => page.evaluate(() => (window as unknown as { __saves: number }).__saves);
}

const toasts = (page: Page) => page.locator('.toast').allInnerTexts();

/** The custom credential form, opened from the Credentials screen, its names typed key by key. */
async function customForm(page: Page, service: string, key: string): Promise<void> {
  await goTo(page, 'Credentials');
  await page.getByRole('button', { name: 'Add a custom credential' }).click();
  await typeInto(page.getByLabel('Service'), service);
  await typeInto(page.getByLabel('Key', { exact: true }), key);
}

describe('a credential typed key by key is stored as confirmed, once', { timeout: E2E_TIMEOUT }, () => {
  it('spaces around, an emoji and accents, then Save double-clicked: one save, stored whole without the spaces, one toast', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Typist']);
    const { page, close } = await session(browser, t);
    await customForm(page, 'deepl', 'api_key');
    const value = 'dk-🔑-välue-42';
    await typeInto(page.getByLabel('Value (hidden)'), `  ${value}  `);
    const saves = await countSaves(page);
    await page.getByRole('button', { name: 'Save to keychain' }).dblclick();
    await page.getByText('Saved deepl.api_key to the keychain.').first().waitFor(WAIT);
    await expect.poll(() => page.locator('.credential-form').count(), WAIT).toBe(0);
    expect(lookup(t, 'deepl.api_key')).toBe(value);
    expect(await saves()).toBe(1);
    expect((await toasts(page)).filter((x) => x.includes('deepl.api_key'))).toHaveLength(1);
    await close();
  });

  it('Escape halfway through the value: nothing stored, and the form opened again starts empty', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Typist']);
    const { page, close } = await session(browser, t);
    await goTo(page, 'Credentials');
    await page.getByRole('button', { name: /^TMDB API key/ }).click();
    const saves = await countSaves(page);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const field = page.getByLabel('TMDB API key (hidden)');
    await typeInto(field, '0123456789abcdef');
    await field.press('Escape');
    await expect.poll(() => page.locator('.credential-form').count(), WAIT).toBe(0);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    expect(await page.getByLabel('TMDB API key (hidden)').inputValue()).toBe('');
    expect(await saves()).toBe(0);
    expect(lookup(t, 'tmdb.api_key')).toBe('');
    await close();
  });

  it('the CLI adds a credential that sorts first while a key is typed into the first one shown (none picked): the form, the focus and the typing stay; Enter stores the whole key there', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Typist']);
    const { page, close } = await session(browser, t);
    await goTo(page, 'Credentials');
    // Keyboard only, no row picked: the pane shows the first credential by name, Anthropic's.
    await tabTo(page, (f) => f.tag === 'BUTTON' && f.text === 'Add');
    await page.keyboard.press('Enter');
    const field = page.getByLabel('Anthropic API key (hidden)');
    await field.waitFor(WAIT);
    const key = `sk-ant-${'a1B2'.repeat(6)}`;
    await page.keyboard.type(key.slice(0, 12));
    expect((await cli(t, ['set', 'aaa', 'token', '--label', 'AAA tool'], { input: 'aaa-value-123456' })).code).toBe(0);
    await page.locator('[data-credential="aaa.token"]').waitFor(WAIT);
    expect(await page.locator('.credential-form').count()).toBe(1);
    expect((await focused(page)).label).toBe('Anthropic API key (hidden)');
    await page.keyboard.type(key.slice(12));
    await page.keyboard.press('Enter');
    await page.getByText('Saved Anthropic API key to the keychain.').first().waitFor(WAIT);
    expect(lookup(t, 'anthropic.api_key')).toBe(key);
    await close();
  });

  it('a search typed while a key is half typed into a form: the form, its credential and the typed key stay (its row too); Enter stores the whole key there', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Typist']);
    const { page, close } = await session(browser, t);
    await goTo(page, 'Credentials');
    await page.getByRole('button', { name: /^TMDB API key/ }).click();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const field = page.getByLabel('TMDB API key (hidden)');
    await typeInto(field, '0123456789abcdef');
    // A search that hides TMDB's row, then one that matches nothing at all, then Escape out of the search.
    await page.keyboard.press('Control+f');
    await page.keyboard.type('hugg');
    await page.getByText('1 of', { exact: false }).waitFor(WAIT);
    expect(await page.locator('.credential-form').count()).toBe(1);
    expect(await field.inputValue()).toBe('0123456789abcdef');
    await page.keyboard.type('zzz');
    await page.getByText('0 of', { exact: false }).waitFor(WAIT);
    expect(await field.inputValue()).toBe('0123456789abcdef');
    expect(await page.locator('[data-credential="tmdb.api_key"]').count()).toBe(1);
    await field.click();
    await field.press('End');
    await field.pressSequentially('0123456789abcdef');
    await field.press('Enter');
    await page.getByText('Saved TMDB API key to the keychain.').first().waitFor(WAIT);
    expect(lookup(t, 'tmdb.api_key')).toBe('0123456789abcdef0123456789abcdef');
    // Saved: the pane keeps TMDB (no jump to another credential) and its Edit button has the focus, not <body>.
    const detail = page.getByRole('region', { name: 'TMDB API key' });
    await expect.poll(async () => (await focused(page)).text, WAIT).toBe('Edit');
    expect(await detail.count()).toBe(1);
    // Edit again and Escape: the same. The next key typed in Search lets the pane follow the search again.
    await page.keyboard.press('Enter');
    await page.getByLabel('TMDB API key (hidden)').press('Escape');
    await expect.poll(async () => (await focused(page)).text, WAIT).toBe('Edit');
    await page.keyboard.press('Control+f');
    await page.keyboard.type('hugg');
    await page.getByRole('region', { name: 'HuggingFace token' }).waitFor(WAIT);
    expect(await detail.count()).toBe(0);
    await close();
  });

  it('a value pasted just under the limit, then typed past it key by key: said to be over the limit as it happens, Save off, Enter sends nothing; Backspace brings Save back', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Typist']);
    const { page, close } = await session(browser, t);
    await customForm(page, 'longtool', 'api_key');
    const field = page.getByLabel('Value (hidden)');
    const save = page.getByRole('button', { name: 'Save to keychain' });
    const saves = await countSaves(page);
    await field.click();
    // A paste (one input event) of all but the last few characters: 8,000 key presses took ~50 s and tested nothing
    // more; the keys that cross the limit are typed one by one.
    await page.keyboard.insertText('k'.repeat(MAX_SECRET_LENGTH - 3));
    await field.pressSequentially('k'.repeat(3));
    expect(await field.inputValue()).toHaveLength(MAX_SECRET_LENGTH);
    expect(await save.isDisabled()).toBe(false);
    await field.pressSequentially('kk');
    expect(await field.inputValue()).toHaveLength(MAX_SECRET_LENGTH + 2);
    await page.getByText(`The value for longtool.api_key is ${MAX_SECRET_LENGTH + 2} characters, over the ${MAX_SECRET_LENGTH} limit. Check that you pasted only the key.`).waitFor(WAIT);
    expect(await save.isDisabled()).toBe(true);
    await field.press('Enter');
    expect(await saves()).toBe(0);
    expect(lookup(t, 'longtool.api_key')).toBe('');
    await field.press('Backspace');
    await field.press('Backspace');
    await page.getByText(`over the ${MAX_SECRET_LENGTH} limit`, { exact: false }).waitFor({ ...WAIT, state: 'detached' });
    expect(await save.isDisabled()).toBe(false);
    await close();
  });

  it('another screen chosen while main is still saving (the keychain stopped): the save lands once, said in a toast, and only the value confirmed', async () => {
    const t = makeTempHome();
    const KEY = '0123456789abcdef0123456789abcdef';
    const { page, main, close, daemon } = await tmdbTyped(browser, t, 'Leaver', KEY);
    const saves = await countSaves(page);
    process.kill(daemon, 'SIGSTOP');
    try {
      await page.getByRole('button', { name: 'Save to keychain' }).click();
      await page.getByRole('button', { name: 'Saving…' }).waitFor(WAIT);
      await goTo(page, 'Profile');
      // Kept, hidden, while its save is on its way (its typing holds the Credentials screen: see heldScreen); not shown.
      expect(await page.locator('.credential-form').isVisible()).toBe(false);
    } finally {
      process.kill(daemon, 'SIGCONT');
    }
    await page.getByText('Saved TMDB API key to the keychain.').first().waitFor({ timeout: 60_000 });
    // In the session's own keyring, which only main reaches.
    expect(await main.call('credentialsReveal', [{ service: 'tmdb', key: 'api_key' }])).toEqual({ ok: true, value: KEY });
    expect(await saves()).toBe(1);
    await goTo(page, 'Credentials');
    await page.getByRole('button', { name: /^TMDB API key/ }).click();
    await page.getByRole('button', { name: 'Reveal' }).waitFor(WAIT);
    expect(await page.locator('.credential-form').count()).toBe(0);
    await close();
  });
});
