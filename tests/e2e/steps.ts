// What the e2e scenarios share: a session (handler process + served renderer +
// page), typing key by key, the accessibility check in every mode, focus
// checks, screenshots (only under `npm run screenshots`) and timings.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { BIN } from '../helpers/cli';
import type { TempHome } from '../helpers/temp';
import { LARGE, SCREENSHOTS, SMALL, axeViolations, errorsOf, firstScreenMs, keyringDaemon, openApp, serveRenderer, startMain, type MainProcess } from './harness';

/** How long a poll waits for a condition: generous, because CI is a loaded 2-core machine (a pass returns as soon as it holds). */
export const WAIT = { timeout: 15_000, interval: 50 };
/** Waits that include scrypt or starting the agent (a node process): generous, as the machine may be loaded. */
export const SLOW = { timeout: 60_000 };

/**
 * How long one scenario may take: a whole user journey with axe in four modes per screen. At load 19 on
 * the 2-core machine some took 50-60 s, against vitest's 60 s default; the speed figures are the
 * printed timings (and bench/), never this bound.
 */
export const E2E_TIMEOUT = 240_000;

export interface Session {
  main: MainProcess;
  page: Page;
  close(): Promise<void>;
}

/** Starts the handler process over `t`, serves the renderer and opens it; records the first-screen time. */
export async function session(browser: Browser, t: TempHome, options: Parameters<typeof startMain>[1] = {}, colorScheme: 'light' | 'dark' = 'light'): Promise<Session> {
  const main = startMain(t, options);
  await main.ready;
  const { server, origin } = await serveRenderer(t);
  const page = await openApp(browser, origin, main, colorScheme);
  timing('first screen (navigation to the first title)', firstScreenMs(page));
  return { main, page, close: async () => { await page.close(); server.close(); main.stop(); } };
}

/**
 * A session with a keyring of its own (a test may stop its daemon: the pid is `daemon`) for a user named `name`,
 * with TMDB's Add form open on the Credentials screen and `key` typed into its value field, key by key.
 */
export async function tmdbTyped(browser: Browser, t: TempHome, name: string, key: string): Promise<Session & { daemon: number; field: Locator }> {
  const setup = `'${process.execPath}' '${BIN}' profile set name=${name} >/dev/null 2>&1`;
  const s = await session(browser, t, { own: true, setup });
  const daemon = keyringDaemon(t);
  await goTo(s.page, 'Credentials');
  await s.page.getByRole('button', { name: /^TMDB API key/ }).click();
  await s.page.getByRole('button', { name: 'Add', exact: true }).click();
  const field = s.page.getByLabel('TMDB API key (hidden)');
  await typeInto(field, key);
  return { ...s, daemon, field };
}

/** Types text the way a person does: one key at a time (never fill(), which pastes and hides focus thieves). */
export async function typeInto(field: Locator, text: string): Promise<void> {
  await field.click();
  await field.pressSequentially(text);
}

/** Empties a field with the keyboard, then types `text` key by key. */
export async function retype(field: Locator, text: string): Promise<void> {
  await field.click();
  await field.press('ControlOrMeta+a');
  await field.press('Backspace');
  if (text) await field.pressSequentially(text);
}

/** What has the focus: tag, id, text, data-credential; "BODY" when focus fell to the page. */
export async function focused(page: Page): Promise<{ tag: string; id: string; text: string; credential: string | null; label: string | null; ring: string }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    const fieldLabel = el instanceof HTMLInputElement ? (el.labels?.[0]?.textContent ?? null) : null;
    return {
      tag: el?.tagName ?? 'NONE', id: el?.id ?? '', text: (el?.textContent ?? '').trim(), credential: el?.getAttribute('data-credential') ?? null,
      label: el?.getAttribute('aria-label') ?? fieldLabel, ring: el ? getComputedStyle(el).outlineStyle : 'none',
    };
  });
}

/** Presses Tab until `match` has the focus (at most `max` presses); fails otherwise. */
export async function tabTo(page: Page, match: (f: Awaited<ReturnType<typeof focused>>) => boolean, max = 40, key = 'Tab'): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (match(await focused(page))) return;
    await page.keyboard.press(key);
  }
  throw new Error(`focus never reached the target; it is on ${JSON.stringify(await focused(page))}`);
}

/**
 * axe-core finds no violation of any impact at 1280x800 and 800x600, light
 * and dark; no page error so far. Under `npm run screenshots`, `name` is
 * also saved as docs/screenshots/<name>.png (at 1280x800, in the page's scheme).
 */
export async function check(page: Page, name?: string, scheme: 'light' | 'dark' = 'light'): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    for (const size of [LARGE, SMALL]) {
      await page.setViewportSize(size);
      expect(await axeViolations(page), `${name ?? 'screen'}: ${colorScheme} at ${size.width}x${size.height}`).toEqual([]);
    }
  }
  await page.emulateMedia({ colorScheme: scheme });
  await page.setViewportSize(LARGE);
  if (SCREENSHOTS && name) await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
  expect(errorsOf(page)).toEqual([]);
}

/** Clicks a main navigation entry and waits for the screen's title; returns how long the switch took. */
export async function goTo(page: Page, screen: string): Promise<number> {
  const started = performance.now();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: screen, exact: true }).click();
  await page.locator('#screen-title', { hasText: screen }).waitFor();
  const ms = performance.now() - started;
  timing(`screen switch to ${screen}`, ms);
  return ms;
}

const timings: Array<[string, number]> = [];

/** Records a timing; printed by printTimings (afterAll of each file). */
export function timing(label: string, ms: number): void {
  timings.push([label, ms]);
}

/** Prints the timings of this file: the e2e run's first-screen and screen-switch figures. */
export function printTimings(file: string): void {
  const by = new Map<string, number[]>();
  for (const [label, ms] of timings) by.set(label, [...(by.get(label) ?? []), ms]);
  const lines = [...by].map(([label, list]) => {
    const sorted = [...list].sort((a, b) => a - b);
    return `  ${label}: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms (${list.length}x)`;
  });
  console.log(`[e2e timings: ${file}]\n${lines.join('\n')}`);
}

/** The keychain item for `account` in this test's throwaway keyring ("" when absent). */
export function lookup(t: TempHome, account: string): string {
  return spawnSync('secret-tool', ['lookup', 'service', t.service, 'account', account], { encoding: 'utf8' }).stdout;
}

/** Types the vault file's passphrase key by key into the unlock form `unlock`, presses Enter, and waits until the form is gone (unlocked). */
export async function unlockWith(page: Page, unlock: Locator, passphrase: string): Promise<void> {
  await typeInto(unlock.getByLabel('Vault passphrase', { exact: true }), passphrase);
  await page.keyboard.press('Enter');
  await unlock.waitFor({ state: 'detached', ...SLOW });
}
