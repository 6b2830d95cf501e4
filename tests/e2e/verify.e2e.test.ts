import { createServer, type Socket } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectProxy } from '../fakes/connect-proxy';
import { FakeProviders, PROVIDER_HOSTS } from '../fakes/fake-providers';
import { filesContaining } from '../helpers/canary';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { makeTestPki } from '../helpers/tls';
import { launchChromium } from './harness';
import { WAIT, check, focused, goTo, printTimings, session, tabTo, timing, typeInto } from './steps';

const GATED = `hf_${'E2eG'.repeat(9)}`;
const OPENAI = `sk-proj-${'r'.repeat(40)}`;
const ANTHROPIC = `sk-ant-api03-${'u'.repeat(40)}`;
const GATED_PAGE = 'https://huggingface.co/pyannote/speaker-diarization-3.1';

type Ipc = { ok: boolean; error?: { code: string } };
const viaBridge = (page: Page, method: string, args: unknown[]) => page.evaluate(([m, a]) => (window as unknown as { vault: Record<string, (...x: unknown[]) => Promise<Ipc>> }).vault[m as string]!(...(a as unknown[])), [method, args] as const);

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  printTimings('verify');
});

describe('asking the providers from the app, in real Chromium, over the real handlers and keychain', () => {
  it('Test and Verify all against fake providers reached through an HTTPS proxy: valid with the account, no access with its page, rate-limited, unreachable; never a value', async () => {
    // The providers at their real host names (a throwaway CA), reached only through a loopback CONNECT proxy.
    const pki = makeTestPki(PROVIDER_HOSTS);
    const fake = new FakeProviders({ key: pki.key, cert: pki.cert });
    fake.tokens.set(GATED, 'gated-denied');
    fake.tokens.set(OPENAI, 'rate-limited');
    const proxy = new ConnectProxy(Number(new URL(await fake.start()).port));
    const proxyUrl = await proxy.start();
    const t = makeTempHome();
    await cli(t, ['set', 'openai', 'api_key'], { input: OPENAI });
    await cli(t, ['set', 'anthropic', 'api_key'], { input: ANTHROPIC });
    // Anthropic's endpoint is a loopback port nothing listens on (never proxied): unreachable.
    const { page, main, close } = await session(browser, t, { env: { HTTPS_PROXY: proxyUrl, NODE_EXTRA_CA_CERTS: pki.caFile, CPW_VAULT_ENDPOINT_ANTHROPIC: 'http://127.0.0.1:9' } });
    try {
      await goTo(page, 'Credentials');
      await page.getByRole('button', { name: /^HuggingFace token/ }).click();
      const detail = page.getByRole('region', { name: 'HuggingFace token' });
      expect(await detail.getByRole('button', { name: 'Test', exact: true }).count()).toBe(0); // nothing to test yet
      await detail.getByRole('button', { name: 'Add' }).click();
      const field = page.getByLabel('HuggingFace token (hidden)');
      await typeInto(field, GATED);
      expect(await field.inputValue()).toBe(GATED);
      await page.getByRole('button', { name: 'Save to keychain' }).click();
      await page.getByText('Saved HuggingFace token to the keychain.').waitFor();
      await detail.getByText('Not tested with its provider yet.').waitFor();
      let started = performance.now();
      await detail.getByRole('button', { name: 'Test', exact: true }).click();
      const status = detail.getByRole('status', { name: 'HuggingFace token: provider check' });
      await expect.poll(() => status.textContent(), WAIT).toBe('✓ valid, just now · account ada-lovelace (read token)');
      timing('Test (one provider call through the proxy)', performance.now() - started);
      await check(page, '3-credentials-tested');

      await goTo(page, 'Workflows');
      const results = page.getByRole('list', { name: 'Provider check results' });
      const row = (label: string) => results.getByRole('listitem').filter({ hasText: label });
      await row('OpenAI API key').getByText('Not tested yet.').waitFor();
      started = performance.now();
      await page.getByRole('button', { name: 'Verify all' }).click();
      await page.getByText('3 keys checked.').waitFor(WAIT);
      timing('Verify all (3 keys, 4 calls)', performance.now() - started);
      await row('HuggingFace token').getByText('✗ no access, just now').waitFor();
      await row('HuggingFace token').getByText(/has not accepted the conditions of the gated model pyannote\/speaker-diarization-3\.1/).waitFor();
      await row('OpenAI API key').getByText('! rate-limited, just now').waitFor();
      await row('Anthropic API key').getByText('! unreachable, just now').waitFor();
      await row('Anthropic API key').getByText(/127\.0\.0\.1:9 refused the connection/).waitFor();
      await check(page, '2-workflows-verified');
      await row('HuggingFace token').getByRole('button', { name: 'Open huggingface.co/pyannote/speaker-diarization-3.1' }).click();
      await expect.poll(() => main.opened, WAIT).toEqual([GATED_PAGE]);

      // The keys went only to their providers' hosts, inside TLS tunnels; the loopback endpoint was not proxied.
      expect([...new Set(proxy.connects)].sort()).toEqual(['api.openai.com:443', 'huggingface.co:443']);
      const tunnelled = Buffer.concat(proxy.bytes);
      for (const key of [GATED, OPENAI, ANTHROPIC]) expect(tunnelled.includes(key)).toBe(false);
      expect(proxy.plain).toEqual([]);
      // A page that forges the call cannot pick the value, the endpoint or the deadline.
      const seen = fake.seen.length;
      for (const forged of [{ kind: 'credential', service: 'huggingface', key: 'token', value: 'hf_forged' }, { kind: 'all', endpoint: 'http://127.0.0.1:1' }, { kind: 'workflow', workflow: 'diarize' }]) {
        expect(await viaBridge(page, 'credentialsVerify', [forged])).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
      }
      expect(fake.seen.length).toBe(seen);
      const text = await page.content();
      for (const key of [GATED, OPENAI, ANTHROPIC]) {
        expect(text).not.toContain(key);
        expect(filesContaining(t.home, key)).toEqual([]);
      }
    } finally {
      await close();
      await proxy.stop();
      await fake.stop();
    }
  });

  it('keyboard only: Verify all pressed with Enter keeps the focus on it while the providers are asked and after (it was `disabled` meanwhile, which sent the focus to <body>)', async () => {
    // A provider that accepts the connection and answers only when the test says: the check stays busy until then.
    const held: Socket[] = [];
    const slow = createServer((socket) => void held.push(socket));
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const port = (slow.address() as { port: number }).port;
    const t = makeTempHome();
    await cli(t, ['set', 'anthropic', 'api_key'], { input: ANTHROPIC });
    const { page, close } = await session(browser, t, { env: { CPW_VAULT_ENDPOINT_ANTHROPIC: `http://127.0.0.1:${port}` } });
    try {
      await goTo(page, 'Workflows');
      await tabTo(page, (f) => f.tag === 'BUTTON' && f.text === 'Verify all', 80);
      await page.keyboard.press('Enter');
      await page.getByText('Asking 1 provider…').waitFor(WAIT);
      await expect.poll(() => held.length, WAIT).toBeGreaterThan(0);
      expect((await focused(page)).text).toBe('Verifying…');
      held.forEach((socket) => socket.destroy());
      await page.getByText('1 key checked.').waitFor(WAIT);
      expect((await focused(page)).text).toBe('Verify all');
      // Pressed again from the keyboard, it asks again.
      await page.keyboard.press('Enter');
      await page.getByText('Asking 1 provider…').waitFor(WAIT);
    } finally {
      held.forEach((socket) => socket.destroy());
      slow.close();
      await close();
    }
  });
});

