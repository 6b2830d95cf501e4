// The credential detail pane over the real handlers and keychain: what a revealed value, a delete and its
// confirmation do when the value underneath them changes (saved here, deleted here or by the CLI).
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { launchChromium } from './harness';
import { E2E_TIMEOUT, WAIT, goTo, lookup, printTimings, session, typeInto } from './steps';

const HF = `hf_${'Rev1'.repeat(9)}`;
const HF2 = `hf_${'Rev2'.repeat(9)}`;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  printTimings('credential-detail');
});

/** Whether `value` is anywhere in the page's HTML or its visible text (inputs' values are never in the HTML). */
async function onPage(page: Page, value: string): Promise<boolean> {
  return (await page.content()).includes(value) || (await page.locator('body').innerText()).includes(value);
}

/** Reveal pressed; resolves once the value is on screen with its countdown. */
async function reveal(detail: Locator, label: string, value: string): Promise<void> {
  await detail.getByRole('button', { name: 'Reveal' }).click();
  await detail.getByLabel(`${label} value`).getByText(value).waitFor();
  await detail.getByText(/Hides in \d+ s/).waitFor();
}

describe('a revealed value never outlives the value it showed', { timeout: E2E_TIMEOUT }, () => {
  it('Reveal, then Edit and Save a new token: the old one is gone at once; Reveal, then Delete: the deleted one is gone, nothing left to hide', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const { page, close } = await session(browser, t);
    await goTo(page, 'Credentials');
    await page.getByRole('button', { name: /^HuggingFace token/ }).click();
    const detail = page.getByRole('region', { name: 'HuggingFace token' });
    await reveal(detail, 'HuggingFace token', HF);
    await detail.getByRole('button', { name: 'Edit' }).click();
    // The form takes the place of the buttons (Hide among them): the value goes with them.
    await expect.poll(() => onPage(page, HF), WAIT).toBe(false);
    await typeInto(page.getByLabel('HuggingFace token (hidden)'), HF2);
    await page.getByRole('button', { name: 'Save to keychain' }).click();
    await page.getByText('Saved huggingface.token to the keychain.').waitFor();
    expect(lookup(t, 'huggingface.token')).toBe(HF2);
    await detail.getByRole('button', { name: 'Reveal' }).waitFor();
    expect(await onPage(page, HF)).toBe(false);
    expect(await onPage(page, HF2)).toBe(false);
    expect(await detail.getByText(/Hides in/).count()).toBe(0);
    // Reveal the new one, then delete it: the deleted value leaves the screen with the credential.
    await reveal(detail, 'HuggingFace token', HF2);
    await detail.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted huggingface.token.').waitFor();
    await page.getByRole('list', { name: 'Credentials' }).getByRole('button', { name: /^HuggingFace token.*missing/ }).waitFor();
    await expect.poll(() => onPage(page, HF2), WAIT).toBe(false);
    expect(await detail.getByText(/Hides in/).count()).toBe(0);
    expect(lookup(t, 'huggingface.token')).toBe('');
    await close();
  });

  it('Reveal, then the CLI deletes the value: it leaves the screen; Reveal again, then the CLI replaces it: the old one leaves the screen', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const { page, close } = await session(browser, t);
    await goTo(page, 'Credentials');
    await page.getByRole('button', { name: /^HuggingFace token/ }).click();
    const detail = page.getByRole('region', { name: 'HuggingFace token' });
    await reveal(detail, 'HuggingFace token', HF);
    expect((await cli(t, ['delete', 'huggingface', 'token', '--yes'])).code).toBe(0);
    await page.getByRole('list', { name: 'Credentials' }).getByRole('button', { name: /^HuggingFace token.*missing/ }).waitFor();
    await expect.poll(() => onPage(page, HF), WAIT).toBe(false);
    expect(await detail.getByText(/Hides in/).count()).toBe(0);
    // Stored again, revealed, then replaced by the CLI: the value shown was the old one.
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    await reveal(detail, 'HuggingFace token', HF);
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF2 })).code).toBe(0);
    await expect.poll(() => onPage(page, HF), WAIT).toBe(false);
    await detail.getByRole('button', { name: 'Reveal' }).waitFor();
    expect(await onPage(page, HF2)).toBe(false);
    await close();
  });
});
