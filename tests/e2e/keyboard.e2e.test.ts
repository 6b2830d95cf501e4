import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SECRET_LENGTH } from '../../shared/core/credential';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { launchChromium } from './harness';
import { E2E_TIMEOUT, WAIT, check, focused, lookup, printTimings, session, tabTo } from './steps';

const HF = `hf_${'Keys'.repeat(9)}`;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  printTimings('keyboard');
});

/** Focus is on something, never <body>, and its ring is visible. */
async function expectFocus(page: Page, want: Partial<Awaited<ReturnType<typeof focused>>>): Promise<void> {
  await expect.poll(async () => {
    const f = await focused(page);
    return { ...Object.fromEntries(Object.keys(want).map((k) => [k, f[k as keyof typeof f]])), body: f.tag === 'BODY' };
  }, WAIT).toEqual({ ...want, body: false });
}

type Ipc = { ok: boolean; value?: unknown; error?: { code: string; message: string } };
const raw = (page: Page, method: string, args: unknown[]) => page.evaluate(([m, a]) => (window as unknown as { __cpwCall: (m: string, a: unknown[]) => Promise<Ipc> }).__cpwCall(m as string, a as unknown[]), [method, args] as const);
const viaBridge = (page: Page, method: string, args: unknown[]) => page.evaluate(([m, a]) => (window as unknown as { vault: Record<string, (...x: unknown[]) => Promise<Ipc>> }).vault[m as string]!(...(a as unknown[])), [method, args] as const);

describe('keyboard only, and a renderer that lies', { timeout: E2E_TIMEOUT }, () => {
  it('add, edit and delete a credential with the keyboard alone; focus is checked after every step and never falls to <body>', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const { page, close } = await session(browser, t);
    await tabTo(page, (f) => f.tag === 'BUTTON' && f.text === 'Credentials');
    expect((await focused(page)).ring).toBe('solid');
    await page.keyboard.press('Enter');
    await expectFocus(page, { id: 'screen-title', text: 'Credentials' });
    await tabTo(page, (f) => f.text === 'Add a custom credential');
    await page.keyboard.press('Enter');
    await expectFocus(page, { tag: 'INPUT', label: 'Service' });
    // Escape closes the form and gives the focus back to the button that opened it (it went to a list item).
    await page.keyboard.press('Escape');
    await expectFocus(page, { tag: 'BUTTON', text: 'Add a custom credential' });
    await page.keyboard.press('Enter');
    await expectFocus(page, { tag: 'INPUT', label: 'Service' });
    await page.keyboard.type('deepl');
    await page.keyboard.press('Tab');
    await expectFocus(page, { label: 'Key' });
    await page.keyboard.type('api_key');
    await page.keyboard.press('Tab');
    await page.keyboard.type('DeepL');
    await page.keyboard.press('Tab');
    await expectFocus(page, { label: 'Environment variable' });
    await page.keyboard.press('Tab');
    await expectFocus(page, { label: 'Value (hidden)' });
    await page.keyboard.type('dk-first-value');
    await check(page);
    await page.keyboard.press('Enter');
    await expectFocus(page, { credential: 'deepl.api_key' });
    expect(lookup(t, 'deepl.api_key')).toBe('dk-first-value');
    // The copy shortcut on the selected item, with the countdown to main's clear.
    await page.keyboard.press('ControlOrMeta+c');
    await page.getByRole('status').getByText(/^Copied .*DeepL.*\. The clipboard is cleared in (20|19|18) s\.$/).waitFor();
    await expectFocus(page, { credential: 'deepl.api_key' });
    await page.keyboard.press('Tab');
    await expectFocus(page, { text: 'Edit' });
    await page.keyboard.press('Enter');
    await expectFocus(page, { label: 'Value (hidden)' });
    await page.keyboard.type('dk-second-value');
    await page.keyboard.press('Enter');
    await expectFocus(page, { text: 'Edit' });
    await expect.poll(() => lookup(t, 'deepl.api_key'), WAIT).toBe('dk-second-value');
    await page.keyboard.press('Enter');
    await expectFocus(page, { label: 'Value (hidden)' });
    await page.keyboard.press('Escape');
    await expectFocus(page, { text: 'Edit' });
    expect(await page.getByRole('form').count()).toBe(0);
    await tabTo(page, (f) => f.text === 'Delete');
    await page.keyboard.press('Enter');
    await expectFocus(page, { text: 'Cancel' });
    await check(page, '3-credentials-delete');
    await page.keyboard.press('Escape');
    await expectFocus(page, { text: 'Delete' });
    expect(await page.getByRole('alertdialog').count()).toBe(0);
    await page.keyboard.press('Enter');
    await expectFocus(page, { text: 'Cancel' });
    await page.keyboard.press('Tab');
    await expectFocus(page, { text: 'Delete' });
    await page.keyboard.press('Enter');
    await page.getByText('Deleted DeepL.').waitFor();
    await expectFocus(page, { credential: 'google.api_key' }); // the next one in the list
    expect(lookup(t, 'deepl.api_key')).toBe('');
    await close();
  });

  it('a forged renderer call with a path is refused: nothing read, revealed or deleted; a dropped path is confirmed in main\'s own dialog', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Target']);
    const other = join(t.root, 'other-project');
    mkdirSync(other);
    const envFile = join(other, '.env');
    const canary = `sk-proj-${'C4n4ry'.repeat(6)}`;
    writeFileSync(envFile, `OPENAI_API_KEY=${canary}\n`);
    symlinkSync(envFile, join(other, 'linked.env'));
    const { page, main, close } = await session(browser, t);
    const answers: unknown[] = [];
    for (const request of [{ path: envFile }, { source: envFile }, { source: '0'.repeat(32) }, { source: '../../.env' }] as Array<{ path?: string; source?: string }>) {
      answers.push(await viaBridge(page, 'migrationPlan', [request]), await viaBridge(page, 'migrationApply', [request]), await viaBridge(page, 'migrationRemovePlaintext', [{ source: request.source ?? request.path }]));
    }
    for (const a of answers) expect(a).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    // A compromised page skipping the preload: main asks the user, who says no.
    main.answerDialogs({ confirmSource: false });
    expect(await raw(page, 'migrationDrop', [envFile])).toEqual({ ok: true, value: null });
    expect(main.dialogs).toEqual([{ kind: 'confirmSource', paths: [envFile] }]);
    for (const path of [t.profile, join(other, 'linked.env'), 'relative/.env', '']) {
      expect(await raw(page, 'migrationDrop', [path])).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    }
    expect(main.dialogs).toHaveLength(1); // refused before any dialog
    for (const url of [' https://huggingface.co/settings/tokens', 'https://%68uggingface.co/settings/tokens', 'https://huggingface.co/settings/tokens?next=https://evil.example', 'https://huggingface.co/', 'https://user@huggingface.co/settings/tokens']) {
      expect(await viaBridge(page, 'openExternal', [url])).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    }
    expect(readFileSync(envFile, 'utf8')).toBe(`OPENAI_API_KEY=${canary}\n`);
    expect(lookup(t, 'openai.api_key')).toBe('');
    expect(JSON.stringify(answers)).not.toContain(canary);
    // The real path: a file dropped on the Migration screen, resolved by the "preload", confirmed in main's dialog.
    main.answerDialogs({ confirmSource: true });
    await page.getByRole('button', { name: 'Migration', exact: true }).click();
    await page.evaluate((path) => {
      (window as unknown as { __cpwDropped: Record<string, string> }).__cpwDropped = { '.env': path };
      const data = new DataTransfer();
      data.items.add(new File(['ignored: main reads the file itself'], '.env'));
      document.querySelector('.dropzone')!.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }, envFile);
    await page.getByRole('table', { name: 'Migration plan' }).getByRole('row', { name: /OPENAI_API_KEY openai.api_key Import Yes/ }).waitFor();
    expect(main.dialogs.at(-1)).toEqual({ kind: 'confirmSource', paths: [envFile] });
    expect(await page.content()).not.toContain(canary);
    await close();
  });

  it('a pasted value over the limit gets the same clear message at every size, in the form and from main', async () => {
    const t = makeTempHome();
    await cli(t, ['profile', 'set', 'name=Paster']);
    const { page, close } = await session(browser, t);
    await page.getByRole('button', { name: 'Credentials', exact: true }).click();
    await page.getByRole('button', { name: /^TMDB API key/ }).click();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const field = page.getByLabel('TMDB API key (hidden)');
    for (const size of [MAX_SECRET_LENGTH + 1, 16 * 1024 + 1, 1024 * 1024]) {
      await field.press('ControlOrMeta+a');
      await field.press('Backspace');
      await page.keyboard.insertText('a'.repeat(size)); // one paste-like insertion, not key presses
      await page.getByText(`The value for tmdb.api_key is ${size} characters, over the ${MAX_SECRET_LENGTH} limit. Check that you pasted only the key.`).waitFor();
      expect(await page.getByRole('button', { name: 'Save to keychain' }).isDisabled()).toBe(true);
      const fromMain = await viaBridge(page, 'credentialsSet', [{ service: 'tmdb', key: 'api_key', value: 'a'.repeat(size) }]);
      expect(fromMain).toMatchObject({ ok: false, error: { code: 'CREDENTIAL_INVALID', message: `The value for tmdb.api_key is ${size} characters, over the ${MAX_SECRET_LENGTH} limit.` } });
    }
    expect(lookup(t, 'tmdb.api_key')).toBe('');
    await close();
  });
});
