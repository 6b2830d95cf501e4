import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { filesContaining } from '../helpers/canary';
import { makeTempHome } from '../helpers/temp';
import { launchChromium } from './harness';
import { E2E_TIMEOUT, WAIT, check, focused, goTo, lookup, printTimings, retype, session, typeInto } from './steps';

const HF = `hf_${'E2e1'.repeat(9)}`;
const TMDB = '0123456789abcdef0123456789abcdef';
const TMDB_OLD = 'fedcba9876543210fedcba9876543210';
const OPENAI = `sk-proj-${'w'.repeat(40)}`;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  printTimings('app');
});

describe('the desktop UI in real Chromium, over the real handlers, vault and keychain', { timeout: E2E_TIMEOUT }, () => {
  it('onboarding from an empty HOME, every field typed key by key: focus stays in the field, Back works, no toast mid-wizard', async () => {
    const t = makeTempHome();
    const { page, close } = await session(browser, t);
    await page.getByRole('heading', { name: 'Welcome to cpw-vault' }).waitFor();
    await check(page, '1-onboarding-welcome');
    await page.getByRole('button', { name: 'Get started' }).click();
    await page.getByRole('heading', { name: 'About you' }).waitFor();
    await expect.poll(async () => (await focused(page)).text, WAIT).toBe('About you');
    expect(await page.getByRole('list', { name: 'Progress' }).locator('[aria-current="step"]').textContent()).toBe('2. About you');
    const name = page.getByLabel('Name');
    await typeInto(name, 'Grace Hopper');
    // The bug this guards: focus jumped to the heading after one key, leaving "G".
    expect(await name.inputValue()).toBe('Grace Hopper');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('autocomplete'))).toBe('name');
    await typeInto(page.getByLabel('Email (optional)'), 'grace@example.com');
    await retype(page.getByLabel('Time zone'), 'America/New_York');
    await page.getByLabel(/Subtitle/).check();
    await check(page, '1-onboarding-basics');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Your keys' }).waitFor();
    await expect.poll(async () => (await focused(page)).text, WAIT).toBe('Your keys');
    await page.getByText(/HuggingFace token \(required\) — for transcribe, subtitle — not set/).waitFor();
    await page.getByText(/TMDB API key \(optional\) — for subtitle — not set/).waitFor();
    expect(await page.getByRole('button', { name: 'Continue' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Add HuggingFace token' }).click();
    const secret = page.getByLabel('HuggingFace token (hidden)');
    expect(await secret.getAttribute('type')).toBe('password');
    await typeInto(secret, HF);
    expect(await secret.inputValue()).toBe(HF);
    await check(page, '1-onboarding-key-form');
    await page.getByRole('button', { name: 'Save to keychain' }).click();
    await page.getByText(/HuggingFace token \(required\) — .* — ✓ stored/).waitFor();
    await expect.poll(async () => (await focused(page)).text, WAIT).toBe('Replace HuggingFace token');
    await check(page, '1-onboarding-keys');
    await page.getByRole('button', { name: 'Back' }).click();
    expect(await page.getByLabel('Name').inputValue()).toBe('Grace Hopper');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Review' }).waitFor();
    await check(page, '1-onboarding-review');
    await page.getByRole('button', { name: 'Finish' }).click();
    await page.getByRole('heading', { name: 'You are set up' }).waitFor();
    await page.getByText('✓ Transcribe: ready').waitFor();
    await page.getByText(/✗ Subtitle: missing TMDB API key/).waitFor();
    await check(page, '1-onboarding-done');
    expect(await page.getByRole('region', { name: 'Notifications' }).textContent()).not.toContain('Profile saved');
    expect(lookup(t, 'huggingface.token')).toBe(HF);
    const profile = JSON.parse(readFileSync(t.profile, 'utf8'));
    expect(profile.user).toMatchObject({ name: 'Grace Hopper', email: 'grace@example.com', timezone: 'America/New_York' });
    expect(filesContaining(t.home, HF)).toEqual([]);
    await page.getByRole('button', { name: 'Open the workflows' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await expect.poll(async () => (await focused(page)).id, WAIT).toBe('screen-title');
    await close();
  });

  it('a workflow turns ready after adding its missing key (Fix opens the right form); reveal, copy, activity, a desktop notification', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    await cli(t, ['exec', '--workflow', 'transcribe', '--', 'true']);
    await cli(t, ['exec', '--workflow', 'transcribe', '--', 'false']);
    const { page, main, close } = await session(browser, t);
    const subtitle = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Subtitle' }) });
    await subtitle.getByText('✗ Missing credentials').waitFor();
    await check(page, '2-workflows');
    await subtitle.getByRole('button', { name: /Fix Subtitle/ }).press('Enter');
    const form = page.getByRole('form', { name: 'Set TMDB API key' });
    const field = form.getByLabel('TMDB API key (hidden)');
    // Fix lands in the field it opened (the screen title does not take the focus back).
    await expect.poll(async () => (await focused(page)).label, WAIT).toBe('TMDB API key (hidden)');
    await typeInto(field, 'not-a-tmdb-key');
    await form.getByRole('button', { name: 'Save to keychain' }).click();
    await form.getByText(/does not look like a TMDB API key/).waitFor();
    await retype(field, TMDB);
    await form.getByRole('button', { name: 'Save to keychain' }).click();
    await page.getByText('Saved TMDB API key to the keychain.').waitFor();
    await expect.poll(async () => (await focused(page)).text, WAIT).toBe('Edit');
    expect(lookup(t, 'tmdb.api_key')).toBe(TMDB);
    await page.getByRole('button', { name: /HuggingFace token/ }).click();
    const detail = page.getByRole('region', { name: 'HuggingFace token' });
    await detail.getByRole('button', { name: 'Reveal' }).click();
    await detail.getByLabel('HuggingFace token value').getByText(HF).waitFor();
    await detail.getByText(/Hides in (30|29|28) s/).waitFor();
    // While it is shown, the CLI stores another key: the app reloads the list and re-renders the detail (still one read).
    await cli(t, ['set', 'openai', 'api_key'], { input: OPENAI });
    await page.getByRole('list', { name: 'Credentials' }).getByRole('button', { name: /OpenAI.*stored/ }).waitFor();
    await detail.getByLabel('HuggingFace token value').getByText(HF).waitFor();
    await detail.getByRole('button', { name: 'Hide' }).click();
    await detail.getByRole('button', { name: 'Copy' }).click();
    await page.getByText(/Copied HuggingFace token\. The clipboard is cleared in (20|19|18) s\./).waitFor();
    // One keychain read per Reveal and per Copy, as the audit log records them (the app once read 4 times per Reveal).
    const appReads = () => readFileSync(join(dirname(t.profile), 'audit.log'), 'utf8').split('\n').filter((l) => l.includes('"credential_read"') && l.includes('"app"'));
    expect(appReads()).toHaveLength(2);
    await check(page, '3-credentials');
    await goTo(page, 'Workflows');
    await subtitle.getByText('✓ Ready').waitFor();
    await goTo(page, 'Activity');
    await page.getByText(/2 runs · 1 succeeded · 1 failed · 0 refused/).waitFor();
    // A run ending while the app is open: the real run watcher raises a desktop notification and the list refreshes.
    await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'exit 7']);
    await page.getByText(/3 runs · 1 succeeded · 2 failed/).waitFor();
    await expect.poll(() => main.notifications, WAIT).toContainEqual({ title: 'transcribe: run failed', body: expect.stringMatching(/^sh failed with exit code 7 in .+\.$/) });
    await page.getByLabel('Status').selectOption('failed');
    await page.getByText('1–2 of 2 runs').waitFor();
    await check(page, '6-activity');
    await page.getByRole('tab', { name: 'Audit log' }).click();
    await page.getByRole('table', { name: 'Audit events' }).getByRole('cell', { name: 'credential_set' }).first().waitFor();
    // Main's 20 s timer cleared the clipboard meanwhile and told the window, which says so.
    await goTo(page, 'Credentials');
    await page.getByText('Clipboard cleared (it held HuggingFace token).').waitFor({ timeout: 30_000 });
    await close();
  });

  it('migrating a secrets.json: conflict with its label, plan refreshed after Migrate, plaintext removed after main\'s own dialog (one entry empty)', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Migrator']);
    await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB_OLD });
    mkdirSync(join(t.cwd, 'config'));
    const source = join(t.cwd, 'config', 'secrets.json');
    writeFileSync(source, JSON.stringify({ hf_token: HF, tmdb_api_key: TMDB, openai_api_key: OPENAI, deepl_api_key: 'dk-e2e-1', pyannote_token: '' }));
    const { page, main, close } = await session(browser, t);
    expect(((await main.call('migrationSources', [])) as { value: Array<{ path: string }> }).value.map((s) => s.path)).toEqual([source]);
    await goTo(page, 'Migration');
    const plan = page.getByRole('table', { name: 'Migration plan' });
    await plan.getByRole('row', { name: /hf_token huggingface.token Import Yes/ }).waitFor();
    await plan.getByRole('row', { name: /pyannote_token pyannote.token Invalid No empty/ }).waitFor();
    const overwrite = plan.getByRole('checkbox', { name: 'Overwrite tmdb.api_key' });
    const [box, label] = [await overwrite.boundingBox(), await plan.getByText('Overwrite', { exact: true }).boundingBox()];
    expect(Math.abs(box!.y + box!.height / 2 - (label!.y + label!.height / 2))).toBeLessThan(6); // on one line with its label
    expect(label!.x - (box!.x + box!.width)).toBeLessThan(16);
    expect(await page.content()).not.toContain(HF);
    await overwrite.check();
    await page.getByLabel('Import unknown keys as custom credentials').check();
    await page.getByRole('button', { name: 'Migrate 4 credentials' }).waitFor();
    await check(page, '4-migration-plan');
    await page.getByRole('button', { name: 'Migrate 4 credentials' }).click();
    await page.getByRole('heading', { name: 'Migrated 4 credentials' }).waitFor();
    await expect.poll(async () => (await focused(page)).text, WAIT).toBe('Migrated 4 credentials'); // not <body>: the Migrate button is gone
    await plan.getByRole('row', { name: /tmdb_api_key tmdb.api_key Already stored No/ }).waitFor();
    await page.getByText('Nothing to write: every usable entry is already in the vault.').waitFor();
    expect(await page.getByRole('button', { name: /^Migrate/ }).count()).toBe(0);
    expect([lookup(t, 'huggingface.token'), lookup(t, 'tmdb.api_key'), lookup(t, 'openai.api_key'), lookup(t, 'deepl.api_key')]).toEqual([HF, TMDB, OPENAI, 'dk-e2e-1']);
    await check(page, '4-migration-result');
    main.answerDialogs({ confirmRemove: false });
    await page.getByRole('button', { name: 'Remove the plaintext files…' }).click();
    await page.getByText('Nothing was removed.').waitFor();
    expect(existsSync(source)).toBe(true);
    main.answerDialogs({ confirmRemove: true });
    await page.getByRole('button', { name: 'Remove the plaintext files…' }).click();
    await page.getByText(/^Removed: /).waitFor();
    await expect.poll(async () => (await focused(page)).text, WAIT).toMatch(/^Removed: /);
    expect(main.dialogs.map((d) => d.kind)).toEqual(['confirmRemovePlaintext', 'confirmRemovePlaintext']);
    expect(main.dialogs[1]!.paths[0]).toBe(source);
    expect(main.dialogs[1]!.paths[1]).toMatch(/secrets\.json\.backup-/);
    for (const p of main.dialogs[1]!.paths) expect(existsSync(p)).toBe(false);
    const profileText = readFileSync(t.profile, 'utf8');
    for (const v of [HF, TMDB, OPENAI]) expect(profileText).not.toContain(v);
    await close();
  });

  it('profile: typed key by key, a searchable time zone, unsaved mark, Save in view at 1280x800, avatar initials; survives a reload; the CLI editing the file updates the screen', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const { page, main, close } = await session(browser, t, {}, 'dark');
    await goTo(page, 'Profile');
    await page.getByText('All changes saved').waitFor();
    await typeInto(page.getByLabel('Name'), 'Ada Lovelace');
    await page.getByText('● Unsaved changes').waitFor();
    await typeInto(page.getByLabel('Job title'), 'Analyst');
    await retype(page.getByLabel(/^Time zone/), 'Europe/Lond');
    await page.getByText('must be an IANA time zone such as Europe/Paris or UTC').waitFor();
    await page.getByLabel(/^Time zone/).pressSequentially('on');
    await typeInto(page.getByLabel('Avatar URL'), 'http://insecure.example/a.png');
    await page.getByText('must be an https:// URL').waitFor();
    expect(await page.getByRole('button', { name: 'Save profile' }).isDisabled()).toBe(true);
    await retype(page.getByLabel('Avatar URL'), 'https://avatar.invalid/ada.png');
    await page.getByLabel('AI provider').selectOption('anthropic');
    await page.getByLabel('Notify when a run fails').uncheck();
    const save = page.getByRole('button', { name: 'Save profile' });
    const box = await save.boundingBox();
    expect(box!.y + box!.height).toBeLessThanOrEqual(800); // reachable without scrolling
    await save.click();
    await page.getByText('Profile saved.').waitFor();
    await page.getByText('All changes saved').waitFor();
    await page.getByRole('img', { name: 'Avatar: initials AL' }).waitFor(); // the unreachable avatar falls back to initials
    const saved = JSON.parse(readFileSync(t.profile, 'utf8'));
    expect(saved.user).toMatchObject({ name: 'Ada Lovelace', job_title: 'Analyst', timezone: 'Europe/London', avatar_url: 'https://avatar.invalid/ada.png' });
    expect(saved.preferences).toMatchObject({ ai_provider: 'anthropic', notifications: { run_failed: false } });
    // The toggle has its effect in the running app: a failed run is silent now, a refused one (still on) is announced.
    await cli(t, ['exec', '--workflow', 'transcribe', '--', 'false']);
    await cli(t, ['exec', '--workflow', 'subtitle', '--', 'true']);
    await expect.poll(() => main.notifications.map((n) => n.title), WAIT).toContain('subtitle: run refused');
    expect(main.notifications.map((n) => n.title)).toEqual(['subtitle: run refused']);
    await check(page, '5-profile-dark', 'dark');
    await page.reload();
    await goTo(page, 'Profile');
    expect(await page.getByLabel('Name').inputValue()).toBe('Ada Lovelace');
    expect(await page.getByLabel(/^Time zone/).inputValue()).toBe('Europe/London');
    await cli(t, ['profile', 'set', 'name=Changed by the CLI']);
    await expect.poll(() => page.getByLabel('Name').inputValue(), WAIT).toBe('Changed by the CLI');
    await close();
  });
});
