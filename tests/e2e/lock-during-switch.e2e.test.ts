import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../helpers/children';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { launchChromium } from './harness';
import { SLOW, WAIT, goTo, printTimings, session, typeInto } from './steps';

const HF = `hf_${'E2eLoCkSwItCh'.repeat(3)}`;
const PASS = 'lock during the switch passphrase';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  printTimings('lock-during-switch');
});

/** Another process holding the profile lock (the real lock code), until killed: the switch waits for it (up to 30 s). */
function holdLock(profile: string): Promise<{ kill: () => Promise<void> }> {
  const child = spawn(process.execPath, [fixture('lock-holder'), profile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stdout.once('data', () => resolve({ kill: () => (child.kill('SIGKILL'), closed) }));
  });
}

describe('Lock now during a switch to the vault file, in real Chromium over the real handlers', () => {
  // The profile still said keychain while the switch ran, so the screen offered no Lock now (main took one only from a
  // page calling the channel). Held here by another cpw-vault holding the profile, as a long save does.
  it('is offered while the switch waits; pressed, it says so at once, and the switch leaves the vault file locked', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const runtime = mkdtempSync(join(t.root, 'run-'));
    chmodSync(runtime, 0o700);
    // Calls answered as they arrive, as Electron does (as in every e2e test): the Lock is answered while the switch runs.
    const env = { CPW_E2E_AGENT: resolve(import.meta.dirname, '../../dist/agent.cjs'), XDG_RUNTIME_DIR: runtime };
    const s = await session(browser, t, { env });
    const other = await holdLock(t.profile);
    try {
      const { page } = s;
      await goTo(page, 'Security');
      const form = page.getByRole('form', { name: 'Where your secrets live' });
      await typeInto(form.getByLabel('Vault passphrase', { exact: true }), PASS);
      await typeInto(form.getByLabel('Confirm the vault passphrase', { exact: true }), PASS);
      await form.getByRole('button', { name: 'Use a vault file' }).click();
      await form.getByRole('button', { name: 'Moving…' }).waitFor(WAIT);
      await page.getByRole('button', { name: 'Lock now' }).click();
      await form.getByText('A switch of where your secrets live is still under way').waitFor(WAIT);
      await other.kill();
      await page.getByRole('form', { name: 'Unlock the vault file' }).waitFor(SLOW);
      expect(await page.getByRole('button', { name: 'Lock now' }).count()).toBe(0);
      // Locked for the CLI too (exit 4), never unlocked on the way (audit), and the passphrase chosen opens it.
      expect((await cli(t, ['get', 'huggingface', 'token'], { env: { XDG_RUNTIME_DIR: runtime } })).code).toBe(4);
      expect(readFileSync(join(dirname(t.profile), 'audit.log'), 'utf8')).not.toContain('"vault_unlocked"');
    } finally {
      await other.kill();
      await cli(t, ['lock'], { env: { XDG_RUNTIME_DIR: runtime } });
      await s.close();
    }
  }, 400_000);
});
