import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { filesContaining } from '../helpers/canary';
import { makeTempHome, type TempHome } from '../helpers/temp';
import { SCREENSHOTS, axeViolations, errorsOf, launchChromium, openApp, serveRenderer, startMain } from './harness';

const HF = `hf_${'E2e1'.repeat(9)}`;
const TMDB = 'e2e0123456789abcdef0123456789ab'.padEnd(32, 'c').slice(0, 32).replace(/[^0-9a-f]/g, 'a');
const OPENAI = `sk-proj-${'w'.repeat(40)}`;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const lookup = (t: TempHome, account: string) => spawnSync('secret-tool', ['lookup', 'service', t.service, 'account', account], { encoding: 'utf8' }).stdout;

async function session(t: TempHome, options: Parameters<typeof startMain>[1] = {}, colorScheme: 'light' | 'dark' = 'light') {
  const main = startMain(t, options);
  await main.ready;
  const { server, origin } = await serveRenderer(t);
  const page = await openApp(browser, origin, main, colorScheme);
  return { main, page, close: async () => { await page.close(); server.close(); main.stop(); } };
}

async function snap(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  expect(await axeViolations(page)).toEqual([]);
  expect(errorsOf(page)).toEqual([]);
}

describe('the desktop UI in real Chromium, over the real handlers, vault and keychain', () => {
  it('full onboarding from an empty HOME', async () => {
    const t = makeTempHome();
    const { page, close } = await session(t);
    await page.getByRole('heading', { name: 'Welcome to cpw-vault' }).waitFor();
    await snap(page, '1-onboarding-welcome');
    await page.getByRole('button', { name: 'Get started' }).click();
    await page.getByLabel('Name').fill('Grace Hopper');
    await page.getByLabel('Email (optional)').fill('grace@example.com');
    await page.getByLabel('Time zone').selectOption('America/New_York');
    await page.getByLabel(/Subtitle/).check();
    await snap(page, '1-onboarding-basics');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Add HuggingFace token' }).click();
    const secret = page.getByLabel('HuggingFace token (hidden)');
    expect(await secret.getAttribute('type')).toBe('password');
    await secret.fill(HF);
    await page.getByRole('button', { name: 'Save to keychain' }).click();
    await page.getByText('HuggingFace token (required) — ✓ stored').waitFor();
    await snap(page, '1-onboarding-keys');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Review' }).waitFor();
    await page.getByRole('button', { name: 'Finish' }).click();
    await page.getByRole('heading', { name: 'You are set up' }).waitFor();
    await page.getByText('✓ Transcribe: ready').waitFor();
    await page.getByText(/✗ Subtitle: missing TMDB API key/).waitFor();
    await snap(page, '1-onboarding-done');
    expect(lookup(t, 'huggingface.token')).toBe(HF);
    const profile = JSON.parse(readFileSync(t.profile, 'utf8'));
    expect(profile.user).toMatchObject({ name: 'Grace Hopper', email: 'grace@example.com', timezone: 'America/New_York' });
    expect(filesContaining(t.home, HF)).toEqual([]);
    await page.getByRole('button', { name: 'Open the workflows' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await close();
  });

  it('a workflow turns ready after adding its missing key (Fix opens the right form); credentials and activity', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    await cli(t, ['exec', '--workflow', 'transcribe', '--', 'true']);
    await cli(t, ['exec', '--workflow', 'transcribe', '--', 'false']);
    const { page, close } = await session(t);
    const subtitle = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Subtitle' }) });
    await subtitle.getByText('✗ Missing credentials').waitFor();
    await snap(page, '2-workflows');
    await subtitle.getByRole('button', { name: /Fix Subtitle/ }).click();
    const form = page.getByRole('form', { name: 'Set TMDB API key' });
    await form.getByLabel('TMDB API key (hidden)').fill('not-a-tmdb-key');
    await form.getByRole('button', { name: 'Save to keychain' }).click();
    await form.getByText(/does not look like a TMDB API key/).waitFor();
    await form.getByLabel('TMDB API key (hidden)').fill(TMDB);
    await form.getByRole('button', { name: 'Save to keychain' }).click();
    await page.getByText('Saved tmdb.api_key to the keychain.').waitFor();
    expect(lookup(t, 'tmdb.api_key')).toBe(TMDB);
    const hf = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'HuggingFace token' }) });
    await hf.getByRole('button', { name: 'Reveal' }).click();
    await hf.getByLabel('HuggingFace token value').getByText(HF).waitFor();
    await hf.getByRole('button', { name: 'Hide' }).click();
    await hf.getByRole('button', { name: 'Copy' }).click();
    await page.getByText(/The clipboard is cleared in 20 s/).waitFor();
    await snap(page, '3-credentials');
    await page.getByRole('button', { name: 'Workflows' }).click();
    await subtitle.getByText('✓ Ready').waitFor();
    await page.getByRole('button', { name: 'Activity' }).click();
    await page.getByText(/2 runs · 1 succeeded · 1 failed/).waitFor();
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('cell', { name: 'false' }).waitFor();
    await snap(page, '6-activity');
    await close();
  });

  it('migrating a fixture secrets.json: the keychain then holds the values, the profile file none', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Migrator']);
    mkdirSync(join(t.cwd, 'config'));
    writeFileSync(join(t.cwd, 'config', 'secrets.json'), JSON.stringify({ hf_token: HF, tmdb_api_key: TMDB, openai_api_key: OPENAI, deepl_api_key: 'dk-e2e-1' }));
    const { page, close } = await session(t);
    await page.getByRole('button', { name: 'Migration' }).click();
    const plan = page.getByRole('table', { name: 'Migration plan' });
    await plan.getByRole('row', { name: /hf_token huggingface.token Import Yes/ }).waitFor();
    await plan.getByRole('row', { name: /deepl_api_key deepl.api_key Unknown key No/ }).waitFor();
    expect(await page.content()).not.toContain(HF);
    await snap(page, '4-migration-plan');
    await page.getByRole('button', { name: 'Migrate 3 credential(s)' }).click();
    await page.getByRole('heading', { name: 'Migrated 3 credential(s)' }).waitFor();
    await page.getByText(/Backup: .*secrets\.json\.backup-/).waitFor();
    await snap(page, '4-migration-result');
    expect([lookup(t, 'huggingface.token'), lookup(t, 'tmdb.api_key'), lookup(t, 'openai.api_key')]).toEqual([HF, TMDB, OPENAI]);
    const profileText = readFileSync(t.profile, 'utf8');
    for (const v of [HF, TMDB, OPENAI]) expect(profileText).not.toContain(v);
    await close();
  });

  it('a profile edit is written to the file and survives a reload; the CLI editing the file updates the screen', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const { page, close } = await session(t, {}, 'dark');
    // Keyboard only: Tab through the navigation to Profile, with a visible focus ring, and press Enter.
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Profile');
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Save profile' }).waitFor();
    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('Job title').fill('Analyst');
    await page.getByLabel('Time zone').selectOption('Europe/London');
    await page.getByLabel('Avatar URL').fill('http://insecure.example/a.png');
    await page.getByText('must be an https:// URL').waitFor();
    expect(await page.getByRole('button', { name: 'Save profile' }).isDisabled()).toBe(true);
    await page.getByLabel('Avatar URL').fill('');
    await page.getByLabel('AI provider').selectOption('anthropic');
    await page.getByLabel('Notify when a run fails').uncheck();
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Profile saved.').waitFor();
    const saved = JSON.parse(readFileSync(t.profile, 'utf8'));
    expect(saved.user).toMatchObject({ name: 'Ada Lovelace', job_title: 'Analyst', timezone: 'Europe/London' });
    expect(saved.preferences).toMatchObject({ ai_provider: 'anthropic', notifications: { run_failed: false } });
    await snap(page, '5-profile-dark');
    await page.reload();
    await page.getByRole('button', { name: 'Profile' }).click();
    expect(await page.getByLabel('Name').inputValue()).toBe('Ada Lovelace');
    expect(await page.getByLabel('Time zone').inputValue()).toBe('Europe/London');
    await cli(t, ['profile', 'set', 'name=Changed by the CLI']);
    await page.waitForFunction(() => (document.getElementById(document.querySelector('label')?.htmlFor ?? '') as HTMLInputElement | null)?.value === 'Changed by the CLI', undefined, { timeout: 10_000 });
    await close();
  });

  it('a locked keychain: the banner shows the reason and the fix', async () => {
    const t = makeTempHome();
    const { page, close } = await session(t, { locked: true });
    const banner = page.getByRole('alert', { name: 'Keychain problem' });
    await banner.getByText('KEYCHAIN_LOCKED').waitFor();
    await banner.getByText(/Fix: Unlock it/).waitFor();
    await snap(page, '7-keychain-locked');
    await close();
  });
});
