import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { launchChromium } from './harness';
import { E2E_TIMEOUT, WAIT, check, focused, goTo, lookup, printTimings, session, tabTo, typeInto } from './steps';

const HF = `hf_${'Start'.repeat(7)}x`;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  printTimings('starts');
});

describe('the states the app can start in, over the real handlers', { timeout: E2E_TIMEOUT }, () => {
  it('no profile and a config/secrets.json: says it is reading plaintext, never shows it as ready, and leads into onboarding with the migration first', async () => {
    const t = makeTempHome();
    mkdirSync(join(t.cwd, 'config'));
    const source = join(t.cwd, 'config', 'secrets.json');
    writeFileSync(source, JSON.stringify({ hf_token: HF }));
    const { page, close } = await session(browser, t);
    await page.getByRole('heading', { name: 'cpw-vault is reading plaintext secrets' }).waitFor();
    await page.getByText(source).first().waitFor();
    expect(await page.getByText('✓ Ready').count()).toBe(0);
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    await check(page, '1-onboarding-legacy');
    await page.getByRole('button', { name: 'Move them into the keychain' }).click();
    await page.getByRole('heading', { name: 'Move secrets.json into the keychain' }).waitFor();
    const cont = page.getByRole('button', { name: 'Continue' });
    expect(await cont.isDisabled()).toBe(true);
    await page.getByRole('table', { name: 'Migration plan' }).getByRole('row', { name: /hf_token huggingface.token Import Yes/ }).waitFor();
    await check(page);
    await page.getByRole('button', { name: 'Migrate 1 credential' }).click();
    await page.getByRole('heading', { name: 'Migrated 1 credential' }).waitFor();
    expect(lookup(t, 'huggingface.token')).toBe(HF);
    await cont.click();
    await typeInto(page.getByLabel('Name'), 'Linus');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText(/HuggingFace token \(required\) — .* — ✓ stored/).waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Finish' }).click();
    await page.getByText('✓ Transcribe: ready').waitFor();
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).user.name).toBe('Linus');
    await close();
  });

  it.each([
    ['invalid JSON', '{"hf_token": "hf_abc', /is not valid JSON: .* at line 1, column \d+/],
    ['1.1 MB', `{"hf_token": "${'h'.repeat(1100 * 1024)}"}`, /bytes/],
    ['a top-level array', '[1,2,3]', /must hold a JSON object at the top level/],
  ] as const)('no profile and a broken config/secrets.json (%s): named as the plaintext file, not the profile; a new user creates a profile by keyboard alone, and the file is no longer read', async (_what, text, message) => {
    const t = makeTempHome();
    mkdirSync(join(t.cwd, 'config'));
    const source = join(t.cwd, 'config', 'secrets.json');
    writeFileSync(source, text);
    const { page, close } = await session(browser, t);
    await page.getByRole('heading', { name: 'cpw-vault cannot read config/secrets.json' }).waitFor();
    await page.getByText(source).first().waitFor();
    await page.getByText(message).first().waitFor();
    await page.getByText(/It is not your profile/).waitFor();
    expect(await page.getByText('Your profile needs attention').count()).toBe(0);
    expect(await page.getByText(t.profile).count()).toBe(0); // no user.profile exists: none is named
    expect(await page.locator('main').innerText()).not.toMatch(/cpw-vault setup|cpw-vault migrate/);
    await check(page);
    await tabTo(page, (f) => f.text === 'Create a profile');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'About you' }).waitFor();
    await tabTo(page, (f) => f.label === 'Name');
    await page.keyboard.type('Nova');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Your keys' }).waitFor();
    await tabTo(page, (f) => f.text.startsWith('Add HuggingFace token'));
    await page.keyboard.press('Enter');
    await page.getByLabel('HuggingFace token (hidden)').waitFor();
    await tabTo(page, (f) => f.label === 'HuggingFace token (hidden)');
    await page.keyboard.type(HF);
    await page.keyboard.press('Enter');
    await page.getByText(/HuggingFace token \(required\) — .* — ✓ stored/).waitFor();
    await tabTo(page, (f) => f.text === 'Continue');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Review' }).waitFor();
    await tabTo(page, (f) => f.text === 'Finish');
    await page.keyboard.press('Enter');
    await page.getByText('✓ Transcribe: ready').waitFor(WAIT);
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).user.name).toBe('Nova');
    expect(lookup(t, 'huggingface.token')).toBe(HF);
    expect(readFileSync(source, 'utf8')).toBe(text); // left as it was
    const shown = await cli(t, ['profile', 'show', '--json']);
    expect([shown.code, JSON.parse(shown.stdout).profile.user.name]).toEqual([0, 'Nova']);
    await close();
  });

  it.each([
    ['invalid JSON', '{"version": "2.0", "user": {', 0o600, /is not valid JSON: .* at line 1, column \d+/, 'PROFILE_INVALID'],
    ['a bad time zone', null, 0o600, /user\.timezone/, 'PROFILE_INVALID'],
    ['mode 0666', null, 0o666, /can be modified by other users \(mode 0666\)/, 'PROFILE_PERMISSIONS'],
  ] as const)('a damaged or unsafe profile (%s): the problem screen with each code, the file and the fix, never a first run', async (_what, text, mode, message, code) => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Careful', 'timezone=Europe/Paris']);
    if (text !== null) writeFileSync(t.profile, text);
    if (_what === 'a bad time zone') writeFileSync(t.profile, readFileSync(t.profile, 'utf8').replace('Europe/Paris', 'Mars/Olympus_Mons'));
    chmodSync(t.profile, mode);
    const before = readFileSync(t.profile);
    const { page, close } = await session(browser, t);
    await page.locator('#screen-title', { hasText: 'Your profile needs attention' }).waitFor();
    expect(await page.getByText('Welcome to cpw-vault').count()).toBe(0);
    await page.getByText(t.profile).first().waitFor();
    await page.getByText(message).first().waitFor();
    await page.getByText(code).first().waitFor();
    expect(await page.getByText(/^Fix: /).count()).toBeGreaterThan(0);
    expect(readFileSync(t.profile)).toEqual(before); // nothing changed by looking
    await check(page, code === 'PROFILE_PERMISSIONS' ? '8-profile-problem' : undefined);
    if (code === 'PROFILE_PERMISSIONS') {
      await page.getByRole('button', { name: /Fix it/ }).click();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      expect(statSync(t.profile).mode & 0o777).toBe(0o600);
      expect(statSync(dirname(t.profile)).mode & 0o777).toBe(0o700);
      expect(readFileSync(t.profile)).toEqual(before);
    }
    await close();
  });

  it('a locked keychain: the banner, readiness "unknown" (never a false "✓ Ready"), and Reveal / Copy / Edit disabled with the reason', async () => {
    const t = makeTempHome();
    const setup = `printf '%s' '${HF}' | '${process.execPath}' '${BIN}' set huggingface token >/dev/null 2>&1`;
    const { page, close } = await session(browser, t, { locked: true, setup });
    const banner = page.getByRole('alert', { name: 'Keychain problem' });
    await banner.getByText('KEYCHAIN_LOCKED').waitFor();
    await banner.getByText(/Fix: Unlock it/).waitFor();
    const transcribe = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Transcribe' }) });
    await transcribe.getByText('? Unknown').waitFor();
    await transcribe.getByText(/cannot be checked: the keychain is locked \(KEYCHAIN_LOCKED\)/).waitFor();
    expect(await page.getByText('✓ Ready').count()).toBe(0);
    await check(page, '7-keychain-locked');
    await goTo(page, 'Credentials');
    await expect.poll(async () => (await focused(page)).id, WAIT).toBe('screen-title');
    await page.getByRole('button', { name: /^HuggingFace token/ }).click();
    const detail = page.getByRole('region', { name: 'HuggingFace token' });
    for (const name of ['Edit', 'Reveal', 'Copy', 'Test', 'Delete']) expect(await detail.getByRole('button', { name, exact: true }).isDisabled()).toBe(true);
    await detail.getByText(/Edit, Reveal, Copy, Test and Delete are unavailable: the keychain is locked \(KEYCHAIN_LOCKED\)/).waitFor();
    await check(page);
    await close();
  });

  it('an unreachable keychain (no D-Bus session bus): the banner says why, readiness "unknown", the actions disabled with the reason', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const { page, close } = await session(browser, t, { env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(t.root, 'no-bus')}` } });
    const banner = page.getByRole('alert', { name: 'Keychain problem' });
    await banner.getByText('KEYCHAIN_UNAVAILABLE').waitFor();
    await banner.getByText(/^Fix: /).waitFor();
    const transcribe = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Transcribe' }) });
    await transcribe.getByText('? Unknown').waitFor();
    await transcribe.getByText(/cannot be checked: the keychain cannot be reached \(KEYCHAIN_UNAVAILABLE\)/).waitFor();
    expect(await page.getByText('✓ Ready').count()).toBe(0);
    await goTo(page, 'Credentials');
    await page.getByRole('button', { name: /^HuggingFace token/ }).click();
    const detail = page.getByRole('region', { name: 'HuggingFace token' });
    for (const name of ['Edit', 'Reveal', 'Copy', 'Delete']) expect(await detail.getByRole('button', { name, exact: true }).isDisabled()).toBe(true);
    await detail.getByText(/are unavailable: the keychain cannot be reached \(KEYCHAIN_UNAVAILABLE\)/).waitFor();
    await check(page);
    await close();
  });
});
