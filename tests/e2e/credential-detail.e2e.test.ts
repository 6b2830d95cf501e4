// The credential pane over the real handlers and keychain: what a revealed value, a delete and its confirmation
// do when the value underneath them changes (saved here, deleted here or by the CLI); what the form says about
// what it cannot keep.
import { readFileSync } from 'node:fs';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { launchChromium } from './harness';
import { E2E_TIMEOUT, WAIT, focused, goTo, lookup, printTimings, session, typeInto } from './steps';

const HF = `hf_${'Rev1'.repeat(9)}`;
const HF2 = `hf_${'Rev2'.repeat(9)}`;
const OPENAI = `sk-proj-${'d'.repeat(40)}`;

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

/** A stored HuggingFace token, its detail open on the Credentials screen, its value revealed. */
async function revealedToken() {
  const t = makeTempHome();
  await cli(t, ['set', 'huggingface', 'token'], { input: HF });
  const { page, close } = await session(browser, t);
  await goTo(page, 'Credentials');
  await page.getByRole('button', { name: /^HuggingFace token/ }).click();
  const detail = page.getByRole('region', { name: 'HuggingFace token' });
  await reveal(detail, 'HuggingFace token', HF);
  return { t, page, close, detail };
}

describe('a revealed value never outlives the value it showed', { timeout: E2E_TIMEOUT }, () => {
  it('Reveal, then Edit and Save a new token: the old one is gone at once; Reveal, then Delete: the deleted one is gone, nothing left to hide', async () => {
    const { t, page, close, detail } = await revealedToken();
    await detail.getByRole('button', { name: 'Edit' }).click();
    // The form takes the place of the buttons (Hide among them): the value goes with them.
    await expect.poll(() => onPage(page, HF), WAIT).toBe(false);
    await typeInto(page.getByLabel('HuggingFace token (hidden)'), HF2);
    await page.getByRole('button', { name: 'Save to keychain' }).click();
    await page.getByText('Saved HuggingFace token to the keychain.').waitFor();
    expect(lookup(t, 'huggingface.token')).toBe(HF2);
    await detail.getByRole('button', { name: 'Reveal' }).waitFor();
    expect(await onPage(page, HF)).toBe(false);
    expect(await onPage(page, HF2)).toBe(false);
    expect(await detail.getByText(/Hides in/).count()).toBe(0);
    // Reveal the new one, then delete it: the deleted value leaves the screen with the credential.
    await reveal(detail, 'HuggingFace token', HF2);
    await detail.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted HuggingFace token.').waitFor();
    await page.getByRole('list', { name: 'Credentials' }).getByRole('button', { name: /^HuggingFace token.*missing/ }).waitFor();
    await expect.poll(() => onPage(page, HF2), WAIT).toBe(false);
    expect(await detail.getByText(/Hides in/).count()).toBe(0);
    expect(lookup(t, 'huggingface.token')).toBe('');
    await close();
  });

  it('Reveal, then the CLI deletes the value: it leaves the screen; Reveal again, then the CLI replaces it: the old one leaves the screen', async () => {
    const { t, page, close, detail } = await revealedToken();
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

/** Counts the page's calls of `credentialsDelete` (each still goes to the real main). */
async function countDeletes(page: Page): Promise<() => Promise<number>> {
  await page.evaluate(() => {
    const w = window as unknown as { vault: Record<string, (...a: unknown[]) => Promise<unknown>>; __deletes: number };
    const real = w.vault['credentialsDelete']!;
    w.__deletes = 0;
    w.vault['credentialsDelete'] = (...a) => (w.__deletes++, real(...a));
  });
  return () => page.evaluate(() => (window as unknown as { __deletes: number }).__deletes);
}

/** The toasts' texts (successes and infos, then errors). */
const toasts = (page: Page) => page.getByRole('region', { name: 'Notifications' }).locator('.toast p:first-child').allInnerTexts();

describe('the delete confirmation asks once and is answered once', { timeout: E2E_TIMEOUT }, () => {
  it('a catalog credential deleted from the keyboard: one delete, the box closes, the focus goes to its row (now missing)', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'openai', 'api_key'], { input: OPENAI });
    const { page, close } = await session(browser, t);
    await goTo(page, 'Credentials');
    await page.getByRole('button', { name: /^OpenAI API key/ }).click();
    const deletes = await countDeletes(page);
    await page.locator('.credential-detail').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(async () => (await focused(page)).text, WAIT).toBe('Cancel');
    await page.keyboard.press('Tab');
    expect((await focused(page)).text).toBe('Delete');
    await page.keyboard.press('Enter');
    await page.getByText('Deleted OpenAI API key.').waitFor();
    await expect.poll(() => page.getByRole('alertdialog').count(), WAIT).toBe(0);
    await expect.poll(async () => (await focused(page)).credential, WAIT).toBe('openai.api_key');
    await page.getByRole('list', { name: 'Credentials' }).getByRole('button', { name: /^OpenAI API key.*missing/ }).waitFor();
    expect(await deletes()).toBe(1);
    expect(lookup(t, 'openai.api_key')).toBe('');
    await close();
  });

  it('Delete double-clicked in the box: one call, one toast, the focus on the next row', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'openai', 'api_key'], { input: OPENAI });
    await cli(t, ['set', 'deepl', 'api_key', '--env-var', 'DEEPL_API_KEY'], { input: 'dk-123456789' });
    const { page, close } = await session(browser, t);
    await goTo(page, 'Credentials');
    await page.getByRole('button', { name: /deepl\.api_key/ }).first().click();
    const deletes = await countDeletes(page);
    await page.locator('.credential-detail').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).dblclick();
    await page.getByText('Deleted deepl.api_key.').first().waitFor();
    await expect.poll(() => page.getByRole('list', { name: 'Credentials' }).getByRole('button', { name: /deepl\.api_key/ }).count(), WAIT).toBe(0);
    // The focus went on to a row: nothing is left to answer.
    await expect.poll(async () => (await focused(page)).credential !== null, WAIT).toBe(true);
    expect(await deletes()).toBe(1);
    expect((await toasts(page)).filter((x) => /deepl\.api_key/.test(x))).toEqual(['Deleted deepl.api_key.']);
    await close();
  });

  it('the CLI deletes the value while the box is open: Delete says nothing was stored (never "Deleted"), and the box closes', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'openai', 'api_key'], { input: OPENAI });
    const { page, close } = await session(browser, t);
    await goTo(page, 'Credentials');
    await page.getByRole('button', { name: /^OpenAI API key/ }).click();
    await page.locator('.credential-detail').getByRole('button', { name: 'Delete' }).click();
    const box = page.getByRole('alertdialog');
    await box.waitFor();
    expect((await cli(t, ['delete', 'openai', 'api_key', '--yes'])).code).toBe(0);
    await page.getByRole('list', { name: 'Credentials' }).getByRole('button', { name: /^OpenAI API key.*missing/ }).waitFor();
    await box.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Nothing deleted: OpenAI API key was not stored (removed meanwhile, perhaps by the CLI).').waitFor();
    await expect.poll(() => box.count(), WAIT).toBe(0);
    await expect.poll(async () => (await focused(page)).credential, WAIT).toBe('openai.api_key');
    expect(await page.getByText('Deleted OpenAI API key.').count()).toBe(0);
    await close();
  });
});

describe('the custom credential form never drops what was typed without a word', { timeout: E2E_TIMEOUT }, () => {
  /** A new home in the app, its custom credential form open with deepl.api_key typed in. */
  async function customForm() {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Labeller']);
    const { page, close } = await session(browser, t);
    await goTo(page, 'Credentials');
    await page.getByRole('button', { name: 'Add a custom credential' }).click();
    const form = page.getByRole('form', { name: 'Set a custom credential' });
    await typeInto(form.getByLabel('Service'), 'deepl');
    await typeInto(form.getByLabel('Key', { exact: true }), 'api_key');
    return { t, page, close, form };
  }

  it('a 90-character label is kept in the field and said to be too long (Save off); shortened to 80, it is saved whole', async () => {
    const { t, page, close, form } = await customForm();
    const label = form.getByLabel('Label');
    const long = `${'Label '.repeat(14)}ABCDEF`; // 90 characters
    expect(long).toHaveLength(90);
    await typeInto(label, long);
    expect(await label.inputValue()).toBe(long);
    await form.getByText('At most 80 characters: this one has 90. Shorten it to save.').waitFor();
    expect(await label.getAttribute('aria-invalid')).toBe('true');
    await typeInto(form.getByLabel('Value (hidden)'), 'dk-123456789');
    expect(await form.getByRole('button', { name: 'Save to keychain' }).isDisabled()).toBe(true);
    await label.click();
    await page.keyboard.press('End');
    for (let i = 0; i < 10; i++) await page.keyboard.press('Backspace');
    await expect.poll(() => form.getByText(/^At most 80 characters/).count(), WAIT).toBe(0);
    await form.getByRole('button', { name: 'Save to keychain' }).click();
    await page.getByText(`Saved ${long.slice(0, 80)} to the keychain.`).waitFor();
    await page.getByRole('list', { name: 'Credentials' }).getByRole('button', { name: new RegExp(`^${long.slice(0, 80)} `) }).waitFor();
    expect(lookup(t, 'deepl.api_key')).toBe('dk-123456789');
    await close();
  });

  it('another credential clicked with the form typed in: asked first; Keep editing keeps every key typed (saved whole), Discard shows that credential; an untouched form just gives way', async () => {
    const { t, page, close, form } = await customForm();
    const value = form.getByLabel('Value (hidden)');
    await typeInto(value, 'dk-1234');
    const hfRow = page.getByRole('list', { name: 'Credentials' }).getByRole('button', { name: /^HuggingFace token/ });
    await hfRow.click();
    const box = page.getByRole('alertdialog', { name: 'Discard the custom credential you were adding?' });
    await box.waitFor(WAIT);
    await expect.poll(async () => (await focused(page)).text, WAIT).toBe('Keep editing');
    expect(await page.getByRole('region', { name: 'HuggingFace token' }).count()).toBe(0);
    await box.getByRole('button', { name: 'Keep editing' }).click();
    await expect.poll(() => box.count(), WAIT).toBe(0);
    expect([await form.getByLabel('Service').inputValue(), await form.getByLabel('Key', { exact: true }).inputValue(), await value.inputValue()]).toEqual(['deepl', 'api_key', 'dk-1234']);
    await value.click();
    await value.press('End');
    await value.pressSequentially('56789');
    // Asked again, Escape: the same as Keep editing.
    await hfRow.click();
    await box.waitFor(WAIT);
    await page.keyboard.press('Escape');
    await expect.poll(() => box.count(), WAIT).toBe(0);
    expect(await value.inputValue()).toBe('dk-123456789');
    await form.getByRole('button', { name: 'Save to keychain' }).click();
    await page.getByText('Saved deepl.api_key to the keychain.').first().waitFor(WAIT);
    expect(lookup(t, 'deepl.api_key')).toBe('dk-123456789');
    // Typed again, then Discard: the clicked credential is shown; nothing was stored, and the form opens empty.
    await page.getByRole('button', { name: 'Add a custom credential' }).click();
    await typeInto(form.getByLabel('Service'), 'lingva');
    await hfRow.click();
    await box.getByRole('button', { name: 'Discard' }).click();
    await page.getByRole('region', { name: 'HuggingFace token' }).waitFor(WAIT);
    expect(await form.count()).toBe(0);
    expect(lookup(t, 'lingva.api_key')).toBe('');
    await page.getByRole('button', { name: 'Add a custom credential' }).click();
    expect(await form.getByLabel('Service').inputValue()).toBe('');
    // Nothing typed: no question.
    await page.getByRole('list', { name: 'Credentials' }).getByRole('button', { name: /^TMDB API key/ }).click();
    await page.getByRole('region', { name: 'TMDB API key' }).waitFor(WAIT);
    expect(await box.count()).toBe(0);
    await close();
  });

  it("a credential's value half typed, then another credential clicked, Add a custom credential pressed or Home pressed in the list: asked first; Keep editing keeps the key typed, Discard moves on", async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Typist']);
    const { page, close } = await session(browser, t);
    await goTo(page, 'Credentials');
    const list = page.getByRole('list', { name: 'Credentials' });
    await list.getByRole('button', { name: /^TMDB API key/ }).click();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const field = page.getByLabel('TMDB API key (hidden)');
    await typeInto(field, '0123456789abcdef');
    const box = page.getByRole('alertdialog', { name: 'Discard the value typed for TMDB API key?' });
    const home = async () => (await list.locator('[data-credential="tmdb.api_key"]').focus(), await page.keyboard.press('Home'));
    for (const leave of [() => list.getByRole('button', { name: /^HuggingFace token/ }).click(), () => page.getByRole('button', { name: 'Add a custom credential' }).click(), home]) {
      await leave();
      await box.waitFor(WAIT);
      await box.getByRole('button', { name: 'Keep editing' }).click();
      await expect.poll(() => box.count(), WAIT).toBe(0);
      expect(await field.inputValue()).toBe('0123456789abcdef');
    }
    await field.click();
    await field.press('End');
    await field.pressSequentially('0123456789abcdef');
    await field.press('Enter');
    await page.getByText('Saved TMDB API key to the keychain.').first().waitFor(WAIT);
    expect(lookup(t, 'tmdb.api_key')).toBe('0123456789abcdef0123456789abcdef');
    // Typed again, Discard: the custom credential form opens; nothing more was stored.
    await page.getByRole('region', { name: 'TMDB API key' }).getByRole('button', { name: 'Edit' }).click();
    await typeInto(page.getByLabel('TMDB API key (hidden)'), 'ffff');
    await page.getByRole('button', { name: 'Add a custom credential' }).click();
    await box.getByRole('button', { name: 'Discard' }).click();
    await page.getByRole('form', { name: 'Set a custom credential' }).waitFor(WAIT);
    expect(lookup(t, 'tmdb.api_key')).toBe('0123456789abcdef0123456789abcdef');
    await close();
  });

  it('a label of 41 emoji is 41 characters, not 82: no error, saved whole (main counts as the form does)', async () => {
    const { t, page, close, form } = await customForm();
    const emoji = '🎬'.repeat(41);
    await typeInto(form.getByLabel('Label'), emoji);
    await typeInto(form.getByLabel('Value (hidden)'), 'dk-123456789');
    expect(await form.getByLabel('Label').inputValue()).toBe(emoji);
    expect(await form.getByText(/^At most 80 characters/).count()).toBe(0);
    await form.getByRole('button', { name: 'Save to keychain' }).click();
    await page.getByText(`Saved ${emoji} to the keychain.`).waitFor();
    expect(lookup(t, 'deepl.api_key')).toBe('dk-123456789');
    expect((JSON.parse(readFileSync(t.profile, 'utf8')) as { credential_metadata: Record<string, { label?: string }> }).credential_metadata['deepl.api_key']?.label).toBe(emoji);
    await close();
  });
});

describe('the OpenAI organization ID is not a secret, and the pane says so', { timeout: E2E_TIMEOUT }, () => {
  it('saved from the app: shown in full (not cut to 16 characters); its delete question names the profile, not the keychain', async () => {
    const ORG = 'org-abcdefghijklmnopqrstuvwx';
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Org']);
    const { page, close } = await session(browser, t);
    await goTo(page, 'Credentials');
    await page.getByRole('button', { name: /^OpenAI organization ID/ }).click();
    const detail = page.getByRole('region', { name: 'OpenAI organization ID' });
    await detail.getByRole('button', { name: 'Add' }).click();
    await typeInto(page.getByRole('textbox', { name: 'OpenAI organization ID', exact: true }), ORG);
    await page.getByRole('button', { name: 'Save to profile' }).click();
    await page.getByText('Saved OpenAI organization ID to your profile (not a secret).').waitFor();
    await detail.getByRole('definition').filter({ hasText: ORG }).waitFor();
    expect(await detail.getByText('org-abcdefghijkl', { exact: true }).count()).toBe(0);
    // Changed by the CLI: the pane follows.
    expect((await cli(t, ['set', 'openai', 'organization_id'], { input: 'org-Zyxwvutsrqponmlk' })).code).toBe(0);
    await detail.getByRole('definition').filter({ hasText: 'org-Zyxwvutsrqponmlk' }).waitFor();
    await detail.getByRole('button', { name: 'Delete' }).click();
    const box = page.getByRole('alertdialog', { name: 'Delete OpenAI organization ID?' });
    expect(await box.textContent()).toContain('It is removed from your profile (it is not a secret, so it was never in the keychain).');
    expect(await box.textContent()).not.toContain('keychain.');
    await box.getByRole('button', { name: 'Cancel' }).click();
    await close();
  });
});
