import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG } from '../../shared/core/catalog';
import { AUDIT_EVENTS, type RunRecord } from '../../shared/core/records';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { launchChromium } from './harness';
import { E2E_TIMEOUT, WAIT, check, focused, goTo, printTimings, session, timing } from './steps';

const DEEPL = 'dk-scale-5f1e';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  printTimings('scale');
});

/** Adds custom credentials' metadata to the profile (values are not needed to list, search and sort them). */
function addCustomCredentials(profilePath: string, count: number): void {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8'));
  for (let i = 0; i < count; i++) {
    const stamp = new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
    profile.credential_metadata[`svc${String(i).padStart(3, '0')}.api_key`] = {
      created_at: stamp, updated_at: stamp, last_used_at: i % 7 ? null : stamp, hint: '••••', storage: 'keychain', custom: true, env_var: `SVC${i}_API_KEY`,
    };
  }
  writeFileSync(profilePath, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
}

const WORKFLOWS = ['transcribe', 'translate', 'subtitle', 'diarize', 'summarize'];
const STATUSES = ['succeeded', 'succeeded', 'succeeded', 'failed', 'refused'] as const;

/** 10,000 runs, oldest first as the history stores them; every one 9 min 16 s long. */
function runs(count: number): RunRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const start = Date.UTC(2026, 0, 1) + i * 60_000;
    const status = STATUSES[i % STATUSES.length]!;
    return {
      id: i.toString(16).padStart(12, '0'), workflow: WORKFLOWS[i % WORKFLOWS.length]!, program: `stage${i % 13}`, credentials: ['huggingface.token'], status,
      exit_code: status === 'refused' ? 3 : status === 'failed' ? 1 : 0, signal: null, started_at: new Date(start).toISOString(),
      finished_at: new Date(start + 556_000).toISOString(), duration_ms: status === 'refused' ? 0 : 556_000,
    };
  });
}

describe('the app at scale, over the real handlers', { timeout: E2E_TIMEOUT }, () => {
  it('500 credentials: "/" and Ctrl+F search, typed key by key, filter and sort; the list stays one Tab stop', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Scale']);
    addCustomCredentials(t.profile, 500 - CATALOG.length - 1);
    await cli(t, ['set', 'deepl', 'api_key', '--env-var', 'DEEPL_API_KEY'], { input: DEEPL });
    const { page, close } = await session(browser, t);
    timing('screen switch to Credentials (500 credentials)', await goTo(page, 'Credentials'));
    await page.getByText('500 of 500 shown').waitFor();
    await page.keyboard.press('/');
    await expect.poll(async () => (await focused(page)).tag, WAIT).toBe('INPUT');
    const started = performance.now();
    await page.keyboard.type('deepl');
    await page.getByText('1 of 500 shown').waitFor();
    timing('search at 500 credentials (5 keys typed to the list updated)', performance.now() - started);
    await page.getByRole('region', { name: 'deepl.api_key' }).waitFor();
    await page.getByRole('button', { name: 'Reveal' }).click();
    await page.getByLabel('deepl.api_key value').getByText(DEEPL).waitFor();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('ControlOrMeta+f');
    await expect.poll(async () => (await focused(page)).tag, WAIT).toBe('INPUT');
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('svc12');
    await page.getByText('11 of 500 shown').waitFor(); // svc120..svc129 by id, and svc012 by its env var SVC12_API_KEY
    await page.getByLabel('Show').selectOption('missing');
    await page.getByText(/^0 of 500 shown/).waitFor();
    await page.getByLabel('Show').selectOption('all');
    await page.getByLabel('Sort by').selectOption('last-used');
    // Into the list: one Tab stop; arrow keys move the selection and the focus.
    await page.getByRole('list', { name: 'Credentials' }).getByRole('button').first().focus();
    const first = (await focused(page)).credential;
    await page.keyboard.press('ArrowDown');
    await expect.poll(async () => (await focused(page)).credential, WAIT).not.toBe(first);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('.detail-pane') !== null)).toBe(true);
    await close();
  });

  it('10,000 credentials: the list holds the first 500 and says so, search finds any of them key by key, and the selected one keeps its row (the Tab stop)', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Huge']);
    addCustomCredentials(t.profile, 10_000);
    const { page, close } = await session(browser, t);
    const started = performance.now();
    await goTo(page, 'Credentials');
    // Generous: the test bridge (JSON lines and a page binding) carries the 3.7 MB list slowly; Electron's IPC does not.
    await page.getByText(`${10_000 + CATALOG.length} of ${10_000 + CATALOG.length} shown`).waitFor({ timeout: 180_000 });
    timing('Credentials at 10,000 credentials (list fetched and shown)', performance.now() - started);
    const list = page.getByRole('list', { name: 'Credentials' });
    expect(await list.getByRole('button').count()).toBe(500);
    await page.getByText(`The list holds the first 500 of ${10_000 + CATALOG.length}: type in Search to find the others.`).waitFor();
    await page.keyboard.press('/');
    await expect.poll(async () => (await focused(page)).tag, WAIT).toBe('INPUT');
    const typed = performance.now();
    await page.keyboard.type('svc9876');
    await page.getByText(`1 of ${10_000 + CATALOG.length} shown`).waitFor(WAIT);
    timing('search at 10,000 credentials (7 keys typed to the list updated)', performance.now() - typed);
    await list.getByRole('button', { name: /svc9876\.api_key/ }).click();
    await page.getByRole('region', { name: 'svc9876.api_key' }).waitFor();
    await page.getByLabel('Search').press('ControlOrMeta+a');
    await page.getByLabel('Search').press('Backspace');
    await page.getByText(`${10_000 + CATALOG.length} of ${10_000 + CATALOG.length} shown`).waitFor(WAIT);
    expect(await list.getByRole('button').count()).toBe(501);
    expect(await list.locator('[tabindex="0"]').getAttribute('data-credential')).toBe('svc9876.api_key');
    await page.getByRole('region', { name: 'svc9876.api_key' }).waitFor();
    await close();
  });

  it('Activity with 10,000 runs and 10,000 audit events: paged, filtered, durations as "9 min 16 s", times in the profile\'s zone', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Busy', 'timezone=Asia/Tokyo']);
    const dir = dirname(t.profile);
    writeFileSync(join(dir, 'runs.json'), `${JSON.stringify(runs(10_000))}\n`, { mode: 0o600 });
    const events = Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ ts: new Date(Date.UTC(2026, 1, 1) + i * 1000).toISOString(), event: AUDIT_EVENTS[i % 4], caller: 'cli', credential: 'huggingface.token' }));
    writeFileSync(join(dir, 'audit.log'), `${events.join('\n')}\n`, { mode: 0o600 });
    const { page, close } = await session(browser, t);
    timing('screen switch to Activity (10,000 runs)', await goTo(page, 'Activity'));
    await page.getByText('1–100 of 10,000 runs').waitFor();
    await page.getByText(/^10,000 runs · 6,000 succeeded · 2,000 failed · 2,000 refused/).waitFor();
    const table = page.getByRole('table', { name: 'Runs' });
    // Newest first: run 9999 started 2026-01-07T22:39Z, 07:39 the next day in Tokyo.
    await table.getByRole('row').nth(1).getByRole('cell', { name: '8 Jan 2026, 07:39:00' }).waitFor();
    expect(await table.getByRole('cell', { name: '9 min 16 s' }).count()).toBeGreaterThan(50);
    expect(await page.getByRole('columnheader', { name: 'Started (Asia/Tokyo)' }).count()).toBe(1);
    let started = performance.now();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('101–200 of 10,000 runs').waitFor();
    timing('next page of 10,000 runs', performance.now() - started);
    await page.getByLabel('Status').selectOption('refused');
    await page.getByText('1–100 of 2,000 runs').waitFor();
    started = performance.now();
    await page.getByRole('tab', { name: 'Audit log' }).click();
    await page.getByText('1–100 of 10,000 events').waitFor();
    timing('tab to 10,000 audit events', performance.now() - started);
    await page.getByRole('tab', { name: 'Audit log' }).press('ArrowLeft');
    expect(await page.getByRole('tab', { name: 'Pipeline runs' }).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowRight');
    await page.getByLabel('Event', { exact: true }).selectOption('credential_deleted');
    await page.getByText('1–100 of 2,500 events').waitFor();
    started = performance.now();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('101–200 of 2,500 events').waitFor();
    timing('next page of 10,000 audit events (filtered)', performance.now() - started);
    await check(page, '6-activity-audit');
    await close();
  });
});
