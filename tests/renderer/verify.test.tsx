// @vitest-environment jsdom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ago } from '../../renderer/components/VerifyStatus';
import { Credentials } from '../../renderer/screens/Credentials';
import { Workflows } from '../../renderer/screens/Workflows';
import { initialState, useVault } from '../../renderer/store';
import { withFakeApi } from './setup';

const HF = `hf_${'Badg'.repeat(9)}`;
const TMDB = '0123456789abcdef0123456789abcdef';
const GATED_PAGE = 'https://huggingface.co/pyannote/speaker-diarization-3.1';
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

afterEach(() => {
  cleanup();
  useVault.setState(initialState());
});

async function openHf() {
  const env = withFakeApi();
  env.api.values.set('huggingface.token', HF);
  env.show(<Credentials />);
  await env.user.click(await screen.findByRole('button', { name: /^HuggingFace token/ }));
  return { ...env, detail: screen.getByRole('region', { name: 'HuggingFace token' }) };
}

describe('Test button', () => {
  it('asks main about this credential only, says it is busy, then shows the badge with its age and the account', async () => {
    const { api, user, detail } = await openHf();
    api.verdicts.set('huggingface.token', { account: 'ada-lovelace', role: 'read' });
    expect(within(detail).getByText('Not tested with its provider yet.')).toBeTruthy();
    const release = api.hold('credentialsVerify');
    await user.click(within(detail).getByRole('button', { name: 'Test' }));
    expect(within(detail).getByText('Asking the provider…')).toBeTruthy();
    release();
    const status = await within(detail).findByRole('status', { name: 'HuggingFace token: provider check' });
    await waitFor(() => expect(status.textContent).toBe('✓ valid, just now · account ada-lovelace (read token)'));
    expect(api.calls.filter((c) => c.method === 'credentialsVerify').map((c) => c.args)).toEqual([[{ kind: 'credential', service: 'huggingface', key: 'token' }]]);
    expect(detail.textContent).not.toContain(HF);
  });

  it('while it tests, Test stays focusable and keeps the focus, says it is off and busy, and ignores presses; then it is on again', async () => {
    const { api, user, detail } = await openHf();
    const release = api.hold('credentialsVerify');
    await user.click(within(detail).getByRole('button', { name: 'Test' }));
    const busy = within(detail).getByRole('button', { name: 'Testing…' });
    expect(busy.hasAttribute('disabled')).toBe(false);
    expect(busy.getAttribute('aria-disabled')).toBe('true');
    expect(busy.getAttribute('aria-busy')).toBe('true');
    expect(document.activeElement).toBe(busy);
    await user.click(busy);
    await user.keyboard('{Enter}');
    await user.keyboard(' ');
    expect(api.calls.filter((c) => c.method === 'credentialsVerify')).toHaveLength(1);
    release();
    await within(detail).findByText('✓ valid, just now');
    const test = within(detail).getByRole('button', { name: 'Test' });
    expect(test.hasAttribute('aria-disabled')).toBe(false);
    expect(test.hasAttribute('aria-busy')).toBe(false);
    expect(document.activeElement).toBe(test);
    expect(api.calls.filter((c) => c.method === 'credentialsVerify')).toHaveLength(1);
  });

  it('no access: the provider\'s verdict, the fix, and a link that asks main to open the model page', async () => {
    const { api, user, detail } = await openHf();
    api.verdicts.set('huggingface.token', { result: 'no-access', message: 'the token\'s account has not accepted the conditions of the gated model pyannote/speaker-diarization-3.1', fix: `Open ${GATED_PAGE}, log in and accept the conditions.`, fixUrl: GATED_PAGE });
    await user.click(within(detail).getByRole('button', { name: 'Test' }));
    await within(detail).findByText('✗ no access, just now');
    expect(within(detail).getByText(/has not accepted the conditions of the gated model/)).toBeTruthy();
    await user.click(within(detail).getByRole('button', { name: 'Open huggingface.co/pyannote/speaker-diarization-3.1' }));
    expect(api.calls.filter((c) => c.method === 'openExternal').map((c) => c.args)).toEqual([[GATED_PAGE]]);
  });

  it('a fix page main refuses to open is said under its link, with the address to copy (the refusal was dropped without a word)', async () => {
    const { api, user, detail } = await openHf();
    api.verdicts.set('huggingface.token', { result: 'no-access', message: 'the token\'s account has not accepted the conditions of the gated model pyannote/speaker-diarization-3.1', fix: `Open ${GATED_PAGE}, log in and accept the conditions.`, fixUrl: GATED_PAGE });
    api.fail('openExternal', { code: 'INVALID_ARGUMENT', message: 'Only the credential providers\' own key pages (and the fix pages of a verification) can be opened from the app.', fix: 'Open the page yourself in a browser.' });
    await user.click(within(detail).getByRole('button', { name: 'Test' }));
    await within(detail).findByText('✗ no access, just now');
    await user.click(within(detail).getByRole('button', { name: 'Open huggingface.co/pyannote/speaker-diarization-3.1' }));
    const alert = await within(detail).findByRole('alert');
    expect(alert.textContent).toBe(`Could not open the browser: Only the credential providers' own key pages (and the fix pages of a verification) can be opened from the app. The address is ${GATED_PAGE}: copy it into a browser.`);
  });

  it('a double press or Enter held on the link opens one browser tab; once main answered (even with a failure), a press opens it again', async () => {
    const { api, user, detail } = await openHf();
    api.verdicts.set('huggingface.token', { result: 'no-access', message: 'the token\'s account has not accepted the conditions of the gated model pyannote/speaker-diarization-3.1', fix: `Open ${GATED_PAGE}, log in and accept the conditions.`, fixUrl: GATED_PAGE });
    await user.click(within(detail).getByRole('button', { name: 'Test' }));
    await within(detail).findByText('✗ no access, just now');
    // Its name has no arrow: the "↗" is drawn, not read out as "north east arrow".
    const link = within(detail).getByRole('button', { name: 'Open huggingface.co/pyannote/speaker-diarization-3.1' });
    const opens = () => api.calls.filter((c) => c.method === 'openExternal').length;
    api.fail('openExternal', { code: 'IO_ERROR', message: 'The system browser did not open (xdg-open: no method available for opening the address).', fix: 'Copy the address into a browser.' });
    let release = api.hold('openExternal');
    await user.dblClick(link);
    link.focus();
    await user.keyboard('{Enter>4}{/Enter}');
    expect(opens()).toBe(1);
    release();
    await within(detail).findByRole('alert');
    api.recover('openExternal');
    release = api.hold('openExternal');
    await user.dblClick(link);
    expect(opens()).toBe(2);
    release();
    await waitFor(() => expect(within(detail).queryByRole('alert')).toBeNull());
    expect(document.activeElement).toBe(link);
    await user.click(link);
    expect(opens()).toBe(3);
  });

  it.each([
    ['unreachable', '! unreachable, just now'],
    ['rate-limited', '! rate-limited, just now'],
    ['invalid', '✗ invalid, just now'],
  ] as const)('%s is shown as such', async (result, badge) => {
    const { api, user, detail } = await openHf();
    api.verdicts.set('huggingface.token', { result, message: `said ${result}` });
    await user.click(within(detail).getByRole('button', { name: 'Test' }));
    await within(detail).findByText(badge);
    expect(within(detail).getByText(`said ${result}`)).toBeTruthy();
  });

  it('when main cannot ask (the key vanished, the keychain locked), says so instead of a verdict', async () => {
    const { api, user, detail } = await openHf();
    api.fail('credentialsVerify', { code: 'KEYCHAIN_LOCKED', message: 'The keychain is locked.', fix: 'Unlock it.' });
    await user.click(within(detail).getByRole('button', { name: 'Test' }));
    await within(detail).findByText('Not tested: The keychain is locked. Unlock it.');
    expect(within(detail).queryByText(/valid/)).toBeNull();
  });

  it('a recorded result (from the CLI, say) shows with its age; one older than the value says the value changed since', async () => {
    const env = withFakeApi();
    env.api.values.set('huggingface.token', HF);
    env.api.metaOverrides.set('huggingface.token', { updated_at: minutesAgo(600), last_validation: { result: 'invalid', at: minutesAgo(3), checks: ['whoami'] } });
    env.show(<Credentials />);
    await env.user.click(await screen.findByRole('button', { name: /^HuggingFace token/ }));
    await screen.findByText('✗ invalid, 3 min ago');
    expect(screen.queryByText(/The value changed since this test/)).toBeNull();
    cleanup();
    env.api.metaOverrides.set('huggingface.token', { updated_at: minutesAgo(1), last_validation: { result: 'valid', at: minutesAgo(120), checks: ['whoami'], account: 'ada-lovelace' } });
    useVault.setState(initialState());
    env.show(<Credentials />);
    await env.user.click(await screen.findByRole('button', { name: /^HuggingFace token/ }));
    await screen.findByText('✓ valid, 2 h ago');
    expect(screen.getByText('The value changed since this test. Test it again.')).toBeTruthy();
  });

  it('no Test button where there is nothing to ask: a missing key, a non-secret, a custom credential', async () => {
    const { api, user, show } = withFakeApi();
    api.values.set('openai.organization_id', 'org-AbC123xyz456');
    show(<Credentials />);
    for (const name of [/^TMDB API key/, /^OpenAI organization/]) {
      await user.click(await screen.findByRole('button', { name }));
      expect(screen.queryByRole('button', { name: 'Test' })).toBeNull();
    }
  });
});

describe('Verify all (workflows screen)', () => {
  it('asks about every credential at once, then a row per key with its badge; busy while it runs', async () => {
    const { api, user, show } = withFakeApi();
    api.values.set('huggingface.token', HF);
    api.values.set('tmdb.api_key', TMDB);
    api.verdicts.set('huggingface.token', { account: 'ada-lovelace' });
    api.verdicts.set('tmdb.api_key', { result: 'invalid', message: 'the provider rejected the key (HTTP 401)' });
    show(<Workflows />);
    const results = await screen.findByRole('list', { name: 'Provider check results' });
    expect(within(results).getAllByText('Not tested yet.')).toHaveLength(2);
    const release = api.hold('credentialsVerify');
    await user.click(screen.getByRole('button', { name: 'Verify all' }));
    expect(screen.getByRole('button', { name: 'Verifying…' }).getAttribute('aria-disabled')).toBe('true');
    await user.click(screen.getByRole('button', { name: 'Verifying…' })); // off: no second request
    release();
    await screen.findByText('2 keys checked.');
    expect(api.calls.filter((c) => c.method === 'credentialsVerify').map((c) => c.args)).toEqual([[{ kind: 'all' }]]);
    const row = (label: string) => within(results).getByText(label).closest('li')!;
    expect(row('HuggingFace token').textContent).toContain('✓ valid, just now · account ada-lovelace');
    expect(row('TMDB API key').textContent).toContain('✗ invalid, just now');
    expect(row('TMDB API key').textContent).toContain('the provider rejected the key (HTTP 401)');
  });

  it('while the keychain is locked, Verify all is off and says why', async () => {
    const { api, show } = withFakeApi();
    api.values.set('huggingface.token', HF);
    useVault.setState({ doctor: { ok: false, profile: { path: '/p', kind: 'profile', mode: '0600', dir_mode: '0700', version: '2.0', problems: [] }, storage: 'keychain', keychain: { ok: false, backend: 'fake', code: 'KEYCHAIN_LOCKED', message: 'The keychain is locked.', fix: 'Unlock it.' }, workflows: [] } });
    show(<Workflows />);
    await screen.findByRole('list', { name: 'Provider check results' });
    expect(screen.getByRole('button', { name: 'Verify all' }).hasAttribute('disabled')).toBe(true);
    expect(screen.getByText('Unavailable: the keychain is locked (KEYCHAIN_LOCKED).')).toBeTruthy();
  });

  it('with no key stored, Verify all is off and says why', async () => {
    const { show } = withFakeApi();
    show(<Workflows />);
    expect((await screen.findByRole('button', { name: 'Verify all' })).hasAttribute('disabled')).toBe(true);
    expect(screen.getByText('No key to test yet: add one on the Credentials screen.')).toBeTruthy();
  });
});

describe('ago', () => {
  const now = Date.parse('2026-06-01T12:00:00Z');
  it.each([
    ['2026-06-01T12:00:00Z', 'just now'], ['2026-06-01T11:59:20Z', 'just now'], ['2026-06-01T11:57:00Z', '3 min ago'], ['2026-06-01T11:00:00Z', '1 h ago'],
    ['2026-05-31T12:00:00Z', '1 day ago'], ['2026-05-25T12:00:00Z', '7 days ago'], ['2026-06-01T12:05:00Z', 'just now'], ['not a date', 'just now'],
  ])('%s -> %s', (iso, text) => expect(ago(iso, now)).toBe(text));
});
