// The Activity screen follows what the CLI does while it is open, over the real handlers and keychain.
import { statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { errorsOf, launchChromium } from './harness';
import { E2E_TIMEOUT, WAIT, focused, goTo, printTimings, session, tabTo } from './steps';

const HF = `hf_${'Actv'.repeat(9)}`;
const TMDB = '0123456789abcdef0123456789abcdef';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  printTimings('activity');
});

describe('Activity in real Chromium, over the real handlers', { timeout: E2E_TIMEOUT }, () => {
  it('the Audit log tab shows what the CLI sets and deletes while it is open (it stayed as first loaded)', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const { page, close } = await session(browser, t);
    await goTo(page, 'Activity');
    await page.getByRole('tab', { name: 'Audit log' }).click();
    const table = page.getByRole('table', { name: 'Audit events' });
    const rows = (credential: string, event: string) => table.getByRole('row').filter({ hasText: credential }).filter({ hasText: event });
    await rows('huggingface.token', 'credential_set').first().waitFor();
    expect(await rows('tmdb.api_key', 'credential_set').count()).toBe(0);
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
    await expect.poll(() => rows('tmdb.api_key', 'credential_set').count(), WAIT).toBe(1);
    expect((await cli(t, ['delete', 'tmdb', 'api_key', '--yes'])).code).toBe(0);
    await expect.poll(() => rows('tmdb.api_key', 'credential_deleted').count(), WAIT).toBe(1);
    expect(await page.content()).not.toContain(TMDB);
    await close();
  });

  it('the Audit log tab shows a `cpw-vault get` made elsewhere while it is open, though the get changes no profile', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const { page, close } = await session(browser, t);
    await goTo(page, 'Activity');
    const tab = page.getByRole('tab', { name: 'Audit log' });
    await tab.click();
    const table = page.getByRole('table', { name: 'Audit events' });
    const reads = table.getByRole('row').filter({ hasText: 'huggingface.token' }).filter({ hasText: 'credential_read' }).filter({ hasText: 'cli' });
    await table.getByRole('row').filter({ hasText: 'credential_set' }).first().waitFor();
    expect(await reads.count()).toBe(0);
    const profile = statSync(t.profile).mtimeMs;
    expect((await cli(t, ['get', 'huggingface', 'token'])).code).toBe(0);
    expect(statSync(t.profile).mtimeMs).toBe(profile);
    await expect.poll(() => reads.count(), WAIT).toBe(1);
    expect((await cli(t, ['get', 'huggingface', 'token'])).code).toBe(0);
    await expect.poll(() => reads.count(), WAIT).toBe(2);
    // Shown in place: the tab never left, and nothing on the page holds the value read.
    expect(await tab.getAttribute('aria-selected')).toBe('true');
    expect(await page.content()).not.toContain(HF);
    await close();
  });

  it('keyboard only: Next to the last page of runs and Previous back to the first keep the focus on the page (a pager button that turned off sent it to <body>)', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Pager']);
    const runs = Array.from({ length: 150 }, (_, i) => ({
      id: i.toString(16).padStart(12, '0'), workflow: 'transcribe', program: `stage${i}`, credentials: [], status: 'succeeded', exit_code: 0, signal: null,
      started_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(), finished_at: null, duration_ms: 1000,
    }));
    writeFileSync(join(dirname(t.profile), 'runs.json'), `${JSON.stringify(runs)}\n`, { mode: 0o600 });
    const { page, close } = await session(browser, t);
    await goTo(page, 'Activity');
    await page.getByText('1–100 of 150 runs').waitFor();
    await tabTo(page, (f) => f.tag === 'BUTTON' && f.text === 'Next');
    await page.keyboard.press('Enter');
    await page.getByText('101–150 of 150 runs').waitFor();
    await expect.poll(async () => (await focused(page)).tag, WAIT).not.toBe('BODY');
    // Still on the pager: Shift+Tab reaches Previous, and Enter goes back to the first page.
    await tabTo(page, (f) => f.tag === 'BUTTON' && f.text === 'Previous', 5, 'Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByText('1–100 of 150 runs').waitFor();
    await expect.poll(async () => (await focused(page)).tag, WAIT).not.toBe('BODY');
    await close();
  });

  it('a hand-edited history whose update line gives a run an object for its workflow: the run is listed with "—", the window stays (it went blank)', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Editor']);
    const started = new Date().toISOString();
    const lines = [
      { op: 'start', run: { id: 'aaaaaaaaaaaa', workflow: 'transcribe', program: 'hand-edited', credentials: [], status: 'running', started_at: started } },
      { op: 'update', id: 'aaaaaaaaaaaa', patch: { workflow: { nested: 1 }, status: 'succeeded', exit_code: 0, duration_ms: 1000 } },
    ];
    writeFileSync(join(dirname(t.profile), 'runs.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''), { mode: 0o600 });
    const { page, close } = await session(browser, t);
    await goTo(page, 'Activity');
    const row = page.getByRole('table', { name: 'Runs' }).getByRole('row').filter({ hasText: 'hand-edited' });
    await row.waitFor(WAIT);
    expect(await row.getByRole('cell').nth(1).innerText()).toBe('—');
    expect(errorsOf(page)).toEqual([]);
    await close();
  });

  it('the audit log filtered to a custom credential the CLI then deletes: the filter still names it (it showed "All" over that one credential\'s events), and All lists every event again', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'deepl', 'api_key'], { input: 'deepl-value-123456' });
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const { page, close } = await session(browser, t);
    await goTo(page, 'Activity');
    await page.getByRole('tab', { name: 'Audit log' }).click();
    const filter = page.getByLabel('Credential', { exact: true });
    await filter.selectOption('deepl.api_key');
    await page.getByText('1–1 of 1 events').waitFor(WAIT);
    expect((await cli(t, ['delete', 'deepl', 'api_key', '--yes'])).code).toBe(0);
    await page.getByText('1–2 of 2 events').waitFor(WAIT);
    await page.locator('option[value="tmdb.api_key"]').waitFor({ ...WAIT, state: 'attached' });
    await expect.poll(() => page.locator('option[value="deepl.api_key"]').count(), WAIT).toBe(1);
    const shown = () => filter.evaluate((s: HTMLSelectElement) => s.options[s.selectedIndex]?.text ?? '');
    expect(await shown()).toContain('deepl.api_key');
    await filter.selectOption('');
    await page.getByText('1–3 of 3 events').waitFor(WAIT);
    expect(await shown()).toBe('All');
    await close();
  });
});
