// A new user's pass over the app, for what the other scenarios do not try:
// leaving a screen with unsaved typing, pasting text of several lines.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { launchChromium } from './harness';
import { E2E_TIMEOUT, WAIT, check, focused, goTo, lookup, printTimings, session, tabTo, tmdbTyped, typeInto } from './steps';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  printTimings('ux');
});

/** A real paste: the text on the page's clipboard, then Ctrl/Cmd+V into the focused field. */
async function paste(page: Page, text: string): Promise<void> {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await page.keyboard.press('ControlOrMeta+v');
}

describe('what a new user types is never lost or changed unseen', { timeout: E2E_TIMEOUT }, () => {
  it('Profile: typing, going to another screen and back keeps the unsaved changes (marked), and Save then saves them', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Ada Lovelace']);
    const { page, close } = await session(browser, t);
    await goTo(page, 'Profile');
    await typeInto(page.getByLabel('Job title'), 'Analyst');
    await page.getByLabel('Track AI costs (CPW_COST_TRACKING)').press('Space');
    await page.getByText('● Unsaved changes').waitFor();
    await goTo(page, 'Credentials');
    await goTo(page, 'Profile');
    expect(await page.getByLabel('Job title').inputValue()).toBe('Analyst');
    expect(await page.getByLabel('Track AI costs (CPW_COST_TRACKING)').isChecked()).toBe(false);
    await page.getByText('● Unsaved changes').waitFor();
    // The CLI changes another field meanwhile: the screen shows it, what was typed stays, and Save does not undo it.
    await cli(t, ['profile', 'set', 'email=ada@example.com']);
    await expect.poll(() => page.getByLabel('Email').inputValue(), WAIT).toBe('ada@example.com');
    expect(await page.getByLabel('Job title').inputValue()).toBe('Analyst');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('All changes saved').waitFor();
    const shown = (await cli(t, ['profile', 'show', '--json'])).stdout;
    expect(JSON.parse(shown)).toMatchObject({ profile: { user: { name: 'Ada Lovelace', email: 'ada@example.com', job_title: 'Analyst' }, preferences: { enable_cost_tracking: false } } });
    // Discard forgets the draft for good, also across screens.
    await typeInto(page.getByLabel('Job title'), ' (draft)');
    await page.getByRole('button', { name: 'Discard changes' }).click();
    await goTo(page, 'Workflows');
    await goTo(page, 'Profile');
    expect(await page.getByLabel('Job title').inputValue()).toBe('Analyst');
    await check(page);
    await close();
  });

  it('Profile: a refused save says why once, naming the field as the form labels it, and its error leaves once a save succeeds', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Ada Lovelace']);
    const { page, close } = await session(browser, t);
    await goTo(page, 'Profile');
    await typeInto(page.getByLabel('Avatar URL'), 'https://127.0.0.1/a.png');
    await page.getByRole('button', { name: 'Save profile' }).click();
    const alerts = page.getByRole('alert').filter({ hasText: 'Profile not saved' });
    await alerts.first().waitFor(WAIT);
    const said = await alerts.first().innerText();
    // The field by its label, as the form shows it; main's message names it user.avatar_url (the CLI's word).
    expect(said).toContain('Avatar URL must be at a host name (not an IP address or localhost)');
    expect(said).not.toContain('avatar_url');
    expect(said).not.toContain('Not saved: Profile not saved');
    // Fixed: the field emptied key by key, then Save. The error does not stay beside "Profile saved.".
    // The field by its role: the toast's dismiss button is labelled with the toast's text, which now says Avatar URL too.
    await page.getByRole('textbox', { name: 'Avatar URL' }).focus();
    for (let i = 0; i < 'https://127.0.0.1/a.png'.length; i++) await page.keyboard.press('Backspace');
    await typeInto(page.getByLabel('Job title'), 'Analyst');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Profile saved.').waitFor(WAIT);
    await expect.poll(() => alerts.count(), WAIT).toBe(0);
    expect(JSON.parse((await cli(t, ['profile', 'show', '--json'])).stdout).profile.user).toMatchObject({ avatar_url: '', job_title: 'Analyst' });
    await close();
  });

  it('Profile: a refused field\'s error leaves the form once that field is changed (the other refused field keeps its own), and all leave on Discard', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Ada Lovelace']);
    const { page, close } = await session(browser, t);
    await goTo(page, 'Profile');
    const form = page.getByRole('form', { name: 'Profile' });
    const name = page.getByRole('textbox', { name: 'Name' });
    await name.click();
    await name.press('End');
    await name.pressSequentially('y'.repeat(161));
    await typeInto(page.getByRole('textbox', { name: 'Avatar URL' }), 'https://127.0.0.1/a.png');
    await page.getByRole('button', { name: 'Save profile' }).click();
    const tooLong = form.getByText('must be at most 160 characters');
    const host = form.getByText('must be at a host name', { exact: false });
    await tooLong.waitFor(WAIT);
    await host.waitFor(WAIT);
    // The name shortened key by key: its refusal no longer describes it (it said "at most 160" under "Ada Lovelace").
    await name.click();
    await name.press('End');
    for (let i = 0; i < 161; i++) await page.keyboard.press('Backspace');
    expect(await name.inputValue()).toBe('Ada Lovelace');
    await expect.poll(() => tooLong.count(), WAIT).toBe(0);
    expect(await host.count()).toBe(1);
    await page.getByRole('button', { name: 'Discard changes' }).click();
    expect(await page.getByRole('textbox', { name: 'Avatar URL' }).inputValue()).toBe('');
    await expect.poll(() => host.count(), WAIT).toBe(0);
    await goTo(page, 'Workflows');
    await goTo(page, 'Profile');
    expect(await form.getByText('must be', { exact: false }).count()).toBe(0);
    await close();
  });

  it('Profile on a narrow window: the error toast of a refused save leaves Save profile and Discard changes in sight and clickable', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Ada Lovelace']);
    const { page, close } = await session(browser, t);
    await goTo(page, 'Profile');
    const name = page.getByRole('textbox', { name: 'Name' });
    await name.click();
    await name.press('End');
    await name.pressSequentially('y'.repeat(161)); // past the schema's 160: main refuses it, with a toast that stays
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('alert').getByText(/Profile not saved/).waitFor(WAIT);
    // What sits at each save-bar button's centre: the button, not the toast (which covered both at 320 and 480 wide).
    const covered = () => page.evaluate(() => [...document.querySelectorAll<HTMLElement>('.save-bar button')].flatMap((b) => {
      const r = b.getBoundingClientRect();
      return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === b ? [] : [b.textContent];
    }));
    for (const size of [{ width: 480, height: 600 }, { width: 320, height: 400 }]) {
      await page.setViewportSize(size);
      await expect.poll(covered, WAIT).toEqual([]);
    }
    // The fix the toast asks for, done on the small window: the name shortened and saved with a click.
    await name.press('ControlOrMeta+a');
    await name.pressSequentially('Ada');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('All changes saved').waitFor(WAIT);
    expect(JSON.parse((await cli(t, ['profile', 'show', '--json'])).stdout).profile.user.name).toBe('Ada');
    await close();
  });

  it('a key pasted with a line break inside is refused and said (the field would have joined the lines with a space); one line with a trailing break pastes', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Paster']);
    const { page, close } = await session(browser, t);
    await goTo(page, 'Credentials');
    await page.getByRole('button', { name: 'Add a custom credential' }).click();
    await typeInto(page.getByLabel('Service'), 'deepl');
    await typeInto(page.getByLabel('Key', { exact: true }), 'api_key');
    const value = page.getByLabel('Value (hidden)');
    await typeInto(value, 'dk-');
    await paste(page, 'first-half\nsecond-half');
    const refusal = page.getByRole('alert').filter({ hasText: 'Not pasted: the copied text has more than one line' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('Copy only the key itself, on one line, and paste again.');
    expect(await value.inputValue()).toBe('dk-'); // what was typed stays, nothing joined
    expect(await value.getAttribute('aria-invalid')).toBe('true');
    await check(page);
    await paste(page, 'one-line-key\n');
    await refusal.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Save to keychain' }).click();
    await page.getByRole('button', { name: /^deepl\.api_key|^DeepL/ }).first().waitFor();
    await expect.poll(() => lookup(t, 'deepl.api_key'), WAIT).toBe('dk-one-line-key');
    expect(await page.content()).not.toContain('one-line-key');
    await close();
  });

  it('the keychain stops answering mid-save (SIGSTOP), then answers again: a specific error with its fix, the typed value kept, and "Check again" finds it back without a restart', async () => {
    const t = makeTempHome();
    const KEY = '0123456789abcdef0123456789abcdef';
    const { page, main, close, daemon, field } = await tmdbTyped(browser, t, 'Stopped', KEY);
    process.kill(daemon, 'SIGSTOP');
    try {
      await page.getByRole('button', { name: 'Save to keychain' }).click();
      const error = page.locator('.credential-form').getByRole('alert');
      await error.getByText('KEYCHAIN_TIMEOUT').waitFor({ timeout: 60_000 });
      expect(await error.textContent()).toMatch(/did not answer in time.*Fix: .*retry/);
      await page.getByRole('alert', { name: 'Keychain problem' }).getByText('KEYCHAIN_TIMEOUT').waitFor();
      expect(await field.inputValue()).toBe(KEY);
    } finally {
      process.kill(daemon, 'SIGCONT');
    }
    expect(await page.locator('main').textContent()).not.toContain(KEY);
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.getByRole('alert', { name: 'Keychain problem' }).waitFor({ state: 'detached', ...WAIT });
    await page.getByRole('button', { name: 'Save to keychain' }).click();
    await page.getByRole('button', { name: 'Reveal' }).waitFor(WAIT);
    expect(await main.call('credentialsReveal', [{ service: 'tmdb', key: 'api_key' }])).toEqual({ ok: true, value: KEY });
    expect(await page.locator('main').textContent()).not.toContain(KEY);
    await close();
  });

  it('keyboard only on Security: pressing Export… with Enter keeps the focus on the button while main works and after (it was `disabled` meanwhile, which sent the focus to <body>)', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Keys Only']);
    const { page, main, close } = await session(browser, t);
    await goTo(page, 'Security');
    const form = page.getByRole('form', { name: 'Export' });
    await typeInto(form.getByLabel('Export passphrase', { exact: true }), 'an export passphrase');
    await page.keyboard.press('Tab');
    await tabTo(page, (f) => f.label === 'Confirm the export passphrase');
    await page.keyboard.type('an export passphrase');
    await tabTo(page, (f) => f.text === 'Export…');
    await page.keyboard.press('Enter');
    // Main's save dialog (answered "cancel" here) was asked; the focus never left the button for <body>.
    await expect.poll(() => main.dialogs.map((d) => d.kind), WAIT).toEqual(['chooseExportTarget']);
    await expect.poll(async () => (await focused(page)).text, WAIT).toBe('Export…');
    await close();
  });
});
