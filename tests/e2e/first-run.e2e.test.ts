// A first-time user's pass (h202): where the focus goes when onboarding refuses a field, and what the screen says
// when a key goes into the wrong provider's field.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { launchChromium } from './harness';
import { E2E_TIMEOUT, WAIT, focused, goTo, lookup, printTimings, session, typeInto } from './steps';

const HF = `hf_${'E2e1'.repeat(9)}`;
const OPENAI = `sk-proj-${'w'.repeat(40)}`;
const ANTHROPIC = `sk-ant-api03-${'y'.repeat(40)}`;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  printTimings('first-run');
});

describe('onboarding\'s About you, refused by main', { timeout: E2E_TIMEOUT }, () => {
  it('a refused Continue takes the focus to the first refused field (it stayed on Continue, the error unannounced), and typing there fixes it', async () => {
    const t = makeTempHome();
    const { page, close } = await session(browser, t);
    await page.getByRole('button', { name: 'Get started' }).click();
    const name = page.getByRole('textbox', { name: 'Name' });
    await typeInto(name, `Grace ${'y'.repeat(160)}`); // past the schema's 160
    await typeInto(page.getByLabel('Email (optional)'), 'grace@example');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('must be at most 160 characters').waitFor(WAIT);
    await page.getByText('must be an email address', { exact: false }).waitFor(WAIT);
    // The first refused field has the focus, marked invalid, its error read with it.
    await expect.poll(async () => (await focused(page)).label, WAIT).toBe('Name');
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    expect(await name.evaluate((el) => el.getAttribute('aria-describedby')?.split(' ').map((id) => document.getElementById(id)?.textContent).join(' '))).toContain('must be at most 160 characters');
    // Fixed where the focus is, with the keyboard only.
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('Grace Hopper');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await focused(page)).label, WAIT).toBe('Email (optional)');
    await page.keyboard.press('End');
    await page.keyboard.type('.com');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Your keys' }).waitFor(WAIT);
    expect((await cli(t, ['profile', 'show', '--json'])).stdout).toContain('"email": "grace@example.com"');
    await close();
  });
});

describe('a key typed into another provider\'s field', { timeout: E2E_TIMEOUT }, () => {
  it('onboarding: an OpenAI key in the TMDB field is said to be an OpenAI key (it was only "does not look like a TMDB API key"), and Escape stores nothing', async () => {
    const t = makeTempHome();
    const { page, close } = await session(browser, t);
    await page.getByRole('button', { name: 'Get started' }).click();
    await typeInto(page.getByLabel('Name'), 'Grace Hopper');
    await page.getByLabel(/Subtitle/).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Your keys' }).waitFor();
    await page.getByRole('button', { name: 'Add HuggingFace token' }).click();
    await typeInto(page.getByLabel('HuggingFace token (hidden)'), HF);
    await page.getByRole('button', { name: 'Save to keychain' }).click();
    await page.getByText(/HuggingFace token \(required\) — .* — ✓ stored/).waitFor(WAIT);
    await page.getByRole('button', { name: 'Add TMDB API key' }).click();
    await typeInto(page.getByLabel('TMDB API key (hidden)'), OPENAI);
    await page.getByRole('button', { name: 'Save to keychain' }).click();
    const warning = page.getByRole('form', { name: 'Set TMDB API key' }).getByRole('alert');
    await warning.getByText(/does not look like a TMDB API key/).waitFor(WAIT);
    expect(await warning.innerText()).toContain('It has the format of an OpenAI API key: if it is one, store it as OpenAI API key instead.');
    expect(await warning.innerText()).not.toContain(OPENAI);
    await page.keyboard.press('Escape');
    await expect.poll(async () => (await focused(page)).text, WAIT).toBe('Add TMDB API key');
    expect(lookup(t, 'tmdb.api_key')).toBe('');
    await close();
  });

  it('Credentials: an Anthropic key in the OpenAI field is not saved as OpenAI\'s without a word (it fits "sk-"): the warning names Anthropic', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Ada']);
    const { page, close } = await session(browser, t);
    await goTo(page, 'Credentials');
    await page.getByRole('button', { name: /^OpenAI API key/ }).click();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await typeInto(page.getByLabel('OpenAI API key (hidden)'), ANTHROPIC);
    await page.getByRole('button', { name: 'Save to keychain' }).click();
    const warning = page.getByRole('form', { name: 'Set OpenAI API key' }).getByRole('alert');
    await warning.getByText('This looks like an Anthropic API key, not an OpenAI API key: if it is one, store it as Anthropic API key instead.').waitFor(WAIT);
    expect(lookup(t, 'openai.api_key')).toBe('');
    // Still the user's call: Save anyway stores it.
    await warning.getByRole('button', { name: 'Save anyway' }).click();
    await expect.poll(() => lookup(t, 'openai.api_key'), WAIT).toBe(ANTHROPIC);
    await close();
  });
});

describe('the one-click migration of a secrets.json', { timeout: E2E_TIMEOUT }, () => {
  it('an entry with a control character in its value is said with which character and where (it was "a line break, a control character or a text-direction mark")', async () => {
    const t = makeTempHome();
    mkdirSync(join(t.cwd, 'config'));
    writeFileSync(join(t.cwd, 'config', 'secrets.json'), JSON.stringify({ hf_token: HF, tmdb_api_key: '0123456789abcdef\u00070123456789abcdef' }));
    const { page, close } = await session(browser, t);
    await page.getByRole('button', { name: 'Move them into the keychain' }).click();
    const plan = page.getByRole('table', { name: 'Migration plan' });
    await plan.getByRole('row', { name: /tmdb_api_key tmdb.api_key Invalid No contains a control character \(U\+0007\) at character 17/ }).waitFor(WAIT);
    expect(await page.content()).not.toContain('0123456789abcdef');
    await close();
  });
});
