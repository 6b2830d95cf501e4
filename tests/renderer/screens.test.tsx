// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../renderer/api';
import { REVEAL_MS } from '../../renderer/components/CredentialDetail';
import { envVarError, nameError } from '../../renderer/components/CredentialForm';
import { Credentials } from '../../renderer/screens/Credentials';
import { Migration } from '../../renderer/screens/Migration';
import { Workflows } from '../../renderer/screens/Workflows';
import { initialState, useVault } from '../../renderer/store';
import { visibleCredentials } from '../../renderer/store/credentials-slice';
import { MAX_SECRET_LENGTH } from '../../shared/core/credential';
import { parseJsonSource } from '../../shared/core/migration-sources';
import { planMigration } from '../../shared/core/migration-plan';
import type { CredentialView } from '../../shared/core/views';
import { withFakeApi } from './setup';

const HF = `hf_${'Comp'.repeat(9)}`;
const locked = { ok: false as const, backend: 'fake', code: 'KEYCHAIN_LOCKED' as const, message: 'The keychain is locked.', fix: 'Unlock it.' };
const doctorWith = (keychain: typeof locked) => ({ ok: false, profile: { path: '/p', kind: 'profile' as const, mode: '0600', dir_mode: '0700', version: '2.0', problems: [] }, storage: 'keychain', keychain, workflows: [] });

afterEach(() => {
  cleanup();
  useVault.setState(initialState());
  vi.useRealTimers();
});

describe('Workflows screen', () => {
  it('loading, then a card per workflow; Fix opens the credential form', async () => {
    const { api, show } = withFakeApi();
    const release = api.hold('workflowsValidate');
    show(<Workflows />);
    expect(screen.getByRole('status')).toHaveProperty('textContent', 'Loading workflows…');
    release();
    const subtitle = (await screen.findByRole('heading', { name: 'Subtitle' })).closest('li')!;
    expect(within(subtitle as HTMLElement).getByText('✗ Missing credentials')).toBeTruthy();
    fireEvent.click(within(subtitle as HTMLElement).getAllByRole('button', { name: /Fix Subtitle/ })[0]!);
    expect(useVault.getState()).toMatchObject({ screen: 'credentials', focusCredential: 'huggingface.token' });
  });

  it('error: the message and the fix, with a retry that works', async () => {
    const { api, show } = withFakeApi();
    api.fail('workflowsValidate', { code: 'KEYCHAIN_LOCKED', message: 'The keychain is locked.', fix: 'Unlock it.' });
    show(<Workflows />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The keychain is locked.');
    expect(alert.textContent).toContain('Fix: Unlock it.');
  });

  it('ready when the key is there; "unknown" (never a false ready) while the keychain cannot be read', async () => {
    const { api, show } = withFakeApi();
    api.values.set('huggingface.token', HF);
    show(<Workflows />);
    const transcribe = (await screen.findByRole('heading', { name: 'Transcribe' })).closest('li') as HTMLElement;
    await within(transcribe).findByText('✓ Ready');
    act(() => useVault.setState({ doctor: doctorWith(locked) }));
    expect(within(transcribe).getByText('? Unknown')).toBeTruthy();
    expect(within(transcribe).getByText(/cannot be checked: the keychain is locked \(KEYCHAIN_LOCKED\)/)).toBeTruthy();
    expect(screen.queryByText('✓ Ready')).toBeNull();
  });
});

describe('Credentials screen', () => {
  it('loading, then a list and the selected one\'s details, without values', async () => {
    const { api, show } = withFakeApi();
    api.values.set('huggingface.token', HF);
    const release = api.hold('credentialsList');
    show(<Credentials />);
    expect(screen.getByRole('status', { name: '' }).textContent).toBe('Loading credentials…');
    release();
    const list = await screen.findByRole('list', { name: 'Credentials' });
    expect(within(list).getAllByRole('button')).toHaveLength(9);
    expect(screen.getByText('9 of 9 shown · ↑ ↓ move · Ctrl+C copies the selected credential')).toBeTruthy();
    expect(document.body.textContent).not.toContain(HF);
  });

  it('the Source line and the Delete question say "vault file" for a value in the age vault file (they said "keychain" on hosts with none)', async () => {
    const meta = { created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', hint: '••••Comp', storage: 'keychain' as const };
    for (const [source, shown] of [[{ kind: 'keychain', store: 'file' }, 'vault file'], [{ kind: 'keychain' }, 'keychain']] as const) {
      const { api, user, show } = withFakeApi();
      const view: CredentialView = { id: 'huggingface.token', service: 'huggingface', key: 'token', label: 'Hugging Face token', secret: true, custom: false, envVars: ['HF_TOKEN'], stored: true, source, meta };
      api.credentialsList = async () => [view];
      show(<Credentials />);
      await screen.findByRole('list', { name: 'Credentials' });
      const details = (await screen.findByText('Source')).closest('dl') as HTMLElement;
      expect(within(details).getByText('Source').nextElementSibling?.textContent).toBe(shown);
      await user.click(screen.getByRole('button', { name: 'Delete' }));
      expect(screen.getByRole('alertdialog', { name: 'Delete Hugging Face token?' }).textContent).toContain(`Its value is removed from the ${shown}.`);
      cleanup();
      useVault.setState(initialState());
    }
  });

  it('empty and error', async () => {
    const { api, show } = withFakeApi();
    api.credentialsList = async () => [];
    show(<Credentials />);
    expect(await screen.findByText('No credentials yet.')).toBeTruthy();
    const failing = withFakeApi();
    failing.api.fail('credentialsList');
    failing.show(<Credentials />);
    expect((await screen.findByRole('alert')).textContent).toContain('credentialsList failed');
  });

  it('add with a format warning: Save anyway; the hidden value is cleared on cancel; Escape cancels too', async () => {
    const { api, user, show } = withFakeApi();
    show(<Credentials />);
    await user.click(await screen.findByRole('button', { name: /^TMDB API key/ }));
    await user.click(screen.getByRole('button', { name: 'Add' }));
    const input = screen.getByLabelText('TMDB API key (hidden)') as HTMLInputElement;
    expect([input.type, document.activeElement]).toEqual(['password', input]);
    await user.click(screen.getByRole('button', { name: 'Show' }));
    expect(input.type).toBe('text');
    await user.type(input, 'abc');
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(document.activeElement?.textContent).toBe('Add');
    await user.click(screen.getByRole('button', { name: 'Add' }));
    expect((screen.getByLabelText('TMDB API key (hidden)') as HTMLInputElement).value).toBe('');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('form')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Add' }));
    await user.type(screen.getByLabelText('TMDB API key (hidden)'), 'not-a-key');
    await user.click(screen.getByRole('button', { name: 'Save to keychain' }));
    await user.click(await screen.findByRole('button', { name: 'Save anyway' }));
    await waitFor(() => expect(api.values.get('tmdb.api_key')).toBe('not-a-key'));
    expect(api.calls.filter((c) => c.method === 'credentialsSet').map((c) => (c.args[0] as { acceptFormatWarning: boolean }).acceptFormatWarning)).toEqual([false, true]);
    expect(document.body.textContent).not.toContain('not-a-key');
  });

  it('"Get a key at" that main cannot open says so with the address to copy, keeps what was typed, and a second press tries again', async () => {
    const { api, user, show } = withFakeApi();
    api.fail('openExternal', { code: 'IO_ERROR', message: 'The system browser did not open (xdg-open: no method available for opening the address).', fix: 'Copy the address into a browser.' });
    show(<Credentials />);
    await user.click(await screen.findByRole('button', { name: /^TMDB API key/ }));
    await user.click(screen.getByRole('button', { name: 'Add' }));
    await user.type(screen.getByLabelText('TMDB API key (hidden)'), '0123456789abcdef');
    const link = screen.getByRole('button', { name: 'Get a key at www.themoviedb.org' });
    await user.click(link);
    const alert = await within(screen.getByRole('form')).findByRole('alert');
    expect(alert.textContent).toBe('Could not open the browser: The system browser did not open (xdg-open: no method available for opening the address). The address is https://www.themoviedb.org/settings/api: copy it into a browser.');
    expect(link.getAttribute('aria-describedby')).toBe(alert.id);
    expect((screen.getByLabelText('TMDB API key (hidden)') as HTMLInputElement).value).toBe('0123456789abcdef');
    api.recover('openExternal');
    await user.click(link);
    await waitFor(() => expect(within(screen.getByRole('form')).queryByRole('alert')).toBeNull());
    expect(api.calls.filter((c) => c.method === 'openExternal').map((c) => c.args)).toEqual([['https://www.themoviedb.org/settings/api'], ['https://www.themoviedb.org/settings/api']]);
  });

  it('a format warning is about the value it was given: typing on takes "Save anyway" away, and Save checks the new value', async () => {
    const { api, user, show } = withFakeApi();
    show(<Credentials />);
    await user.click(await screen.findByRole('button', { name: /^TMDB API key/ }));
    await user.click(screen.getByRole('button', { name: 'Add' }));
    const input = screen.getByLabelText('TMDB API key (hidden)');
    await user.type(input, 'not-a-key');
    await user.click(screen.getByRole('button', { name: 'Save to keychain' }));
    await screen.findByRole('button', { name: 'Save anyway' });
    // The user sees the warning and types more (or pastes another value): the warning was about the old value.
    await user.type(input, '-typo');
    expect(screen.queryByRole('button', { name: 'Save anyway' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Save to keychain' }));
    await screen.findByRole('button', { name: 'Save anyway' });
    expect(api.values.get('tmdb.api_key')).toBeUndefined();
    expect(api.calls.filter((c) => c.method === 'credentialsSet').map((c) => (c.args[0] as { acceptFormatWarning: boolean }).acceptFormatWarning)).toEqual([false, false]);
  });

  it('a value over the limit is refused in the form, with the value rule\'s own words, before anything is sent', async () => {
    const { api, user, show } = withFakeApi();
    show(<Credentials />);
    await user.click(await screen.findByRole('button', { name: /^TMDB API key/ }));
    await user.click(screen.getByRole('button', { name: 'Add' }));
    fireEvent.change(screen.getByLabelText('TMDB API key (hidden)'), { target: { value: 'a'.repeat(MAX_SECRET_LENGTH + 1) } }); // a paste
    expect(screen.getByText(`The value for tmdb.api_key is ${MAX_SECRET_LENGTH + 1} characters, over the ${MAX_SECRET_LENGTH} limit. Check that you pasted only the key.`)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Save to keychain' }).hasAttribute('disabled')).toBe(true);
    expect(api.calls.some((c) => c.method === 'credentialsSet')).toBe(false);
  });

  it('a pasted value holding half of an emoji is refused in the form with the value rule\'s words, before anything is sent', async () => {
    const { api, user, show } = withFakeApi();
    show(<Credentials />);
    await user.click(await screen.findByRole('button', { name: /^TMDB API key/ }));
    await user.click(screen.getByRole('button', { name: 'Add' }));
    fireEvent.change(screen.getByLabelText('TMDB API key (hidden)'), { target: { value: 'abcdef0123456789\uD83D' } }); // a paste cut mid-emoji
    expect(screen.getByText('The value for tmdb.api_key contains a broken character (half of an emoji or other UTF-16 pair). Copy the key again from its provider\'s page and paste it.')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Save to keychain' }).hasAttribute('disabled')).toBe(true);
    expect(api.calls.some((c) => c.method === 'credentialsSet')).toBe(false);
  });

  it('a Reveal that fails says what happened, its code and the fix', async () => {
    const { api, show } = withFakeApi();
    api.values.set('huggingface.token', HF);
    show(<Credentials />);
    fireEvent.click(await screen.findByRole('button', { name: /^HuggingFace token/ }));
    api.fail('credentialsReveal', { code: 'KEYCHAIN_TIMEOUT', message: 'The keychain did not answer in time.', fix: 'Answer the dialog waiting on screen, or restart the keyring daemon, and retry.' });
    fireEvent.click(screen.getByRole('button', { name: 'Reveal' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The keychain did not answer in time.');
    expect(alert.textContent).toContain('KEYCHAIN_TIMEOUT');
    expect(alert.textContent).toContain('Fix: Answer the dialog waiting on screen, or restart the keyring daemon, and retry.');
  });

  it('a Reveal that met an unlock agent that did not answer (stopped, busy, hung): its fix is Lock now, not the unlock form\'s passphrase', async () => {
    const { api, show } = withFakeApi();
    api.values.set('huggingface.token', HF);
    show(<Credentials />);
    fireEvent.click(await screen.findByRole('button', { name: /^HuggingFace token/ }));
    // Main's words for it (client.ts, vault-errors.ts).
    api.fail('credentialsReveal', { code: 'VAULT_LOCKED', message: 'The vault file cannot be read: the unlock agent did not answer within 5 s. Only a cpw-vault command run from a terminal asks for the passphrase; the Node library and commands with no terminal (a stage, cron, CI) never do.', fix: 'Start the unlock again: cpw-vault lock, then cpw-vault unlock' });
    fireEvent.click(screen.getByRole('button', { name: 'Reveal' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('the unlock agent did not answer within 5 s');
    // Before: "Fix: Unlock the vault file on the Security screen: its passphrase, then Unlock.", past the agent holding the key.
    expect(alert.textContent).toContain('Fix: Lock now (on the Security screen, or on the card shown in place of this screen) ends the unlock agent that did not answer, its key with it; then unlock again.');
    expect(alert.textContent).not.toContain('its passphrase, then Unlock');
  });

  it('one keychain read per Reveal, a visible 30 s countdown, then hidden', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { api, show } = withFakeApi();
    api.values.set('huggingface.token', HF);
    show(<Credentials />);
    fireEvent.click(await screen.findByRole('button', { name: /^HuggingFace token/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Reveal' }));
    expect((await screen.findByLabelText('HuggingFace token value')).textContent).toBe(HF);
    expect(screen.getByText('Hides in 30 s')).toBeTruthy();
    await act(async () => void vi.advanceTimersByTime(10_000));
    expect(screen.getByText('Hides in 20 s')).toBeTruthy();
    await act(async () => void vi.advanceTimersByTime(REVEAL_MS - 10_000 + 10));
    expect(screen.queryByLabelText('HuggingFace token value')).toBeNull();
    expect(document.body.textContent).not.toContain(HF);
    expect(api.calls.filter((c) => c.method === 'credentialsReveal')).toHaveLength(1);
  });

  it('copy: a countdown to the clear, then "clipboard cleared" when main says so (or left alone)', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { api, show } = withFakeApi();
    api.values.set('huggingface.token', HF);
    show(<Credentials />);
    fireEvent.click(await screen.findByRole('button', { name: /^HuggingFace token/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Copy' }));
    expect(await screen.findByText('Copied HuggingFace token. The clipboard is cleared in 20 s.')).toBeTruthy();
    await act(async () => void vi.advanceTimersByTime(5_000));
    expect(screen.getByText('Copied HuggingFace token. The clipboard is cleared in 15 s.')).toBeTruthy();
    act(() => useVault.getState().clipboardCleared(true));
    expect(screen.getByText('Clipboard cleared (it held HuggingFace token).')).toBeTruthy();
    act(() => useVault.getState().clipboardCleared(false));
    expect(screen.getByText('The clipboard holds something else now; cpw-vault left it alone.')).toBeTruthy();
  });

  it('Ctrl+C on the selected item copies it; arrow keys move the selection and the focus', async () => {
    const { api, user, show } = withFakeApi();
    api.values.set('huggingface.token', HF);
    show(<Credentials />);
    const hf = await screen.findByRole('button', { name: /^HuggingFace token/ });
    await user.click(hf);
    await user.keyboard('{Control>}c{/Control}');
    await waitFor(() => expect(api.calls.filter((c) => c.method === 'credentialsCopy')).toHaveLength(1));
    await user.keyboard('{ArrowDown}');
    expect(document.activeElement?.getAttribute('data-credential')).toBe('openai.api_key');
    expect(screen.getByRole('heading', { name: 'OpenAI API key' })).toBeTruthy();
  });

  it('delete asks first with Cancel focused; Escape keeps it; confirming deletes', async () => {
    const { api, user, show } = withFakeApi();
    api.values.set('huggingface.token', HF);
    show(<Credentials />);
    await user.click(await screen.findByRole('button', { name: /^HuggingFace token/ }));
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    const confirm = screen.getByRole('alertdialog', { name: 'Delete HuggingFace token?' });
    expect(document.activeElement?.textContent).toBe('Cancel');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(document.activeElement?.textContent).toBe('Delete');
    expect(api.values.has('huggingface.token')).toBe(true);
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    await user.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(api.values.has('huggingface.token')).toBe(false));
    expect(confirm.isConnected).toBe(false);
  });

  it('a Fix from the workflows opens that credential\'s form once, focused, not each time it is selected again', async () => {
    const { user, show } = withFakeApi();
    useVault.setState({ focusCredential: 'tmdb.api_key', screen: 'credentials' });
    show(<Credentials />);
    const field = await screen.findByLabelText('TMDB API key (hidden)');
    expect(document.activeElement).toBe(field);
    await user.keyboard('{Escape}');
    await user.click(screen.getByRole('button', { name: /^Anthropic API key/ }));
    await user.click(screen.getByRole('button', { name: /^TMDB API key/ }));
    expect(screen.queryByLabelText('TMDB API key (hidden)')).toBeNull();
  });

  it('while the keychain is locked, Edit, Reveal, Copy, Test and Delete are disabled and say why', async () => {
    const { api, user, show } = withFakeApi();
    api.values.set('huggingface.token', HF);
    useVault.setState({ doctor: doctorWith(locked) });
    show(<Credentials />);
    await user.click(await screen.findByRole('button', { name: /^HuggingFace token/ }));
    for (const name of ['Edit', 'Reveal', 'Copy', 'Test', 'Delete']) expect(screen.getByRole('button', { name }).hasAttribute('disabled')).toBe(true);
    expect(screen.getByRole('button', { name: 'Reveal' }).getAttribute('aria-describedby')).toBeTruthy();
    expect(screen.getByText(/Edit, Reveal, Copy, Test and Delete are unavailable: the keychain is locked \(KEYCHAIN_LOCKED\)/)).toBeTruthy();
  });
});

describe('a custom credential\'s names', () => {
  it('each field says its own problem: too long, a first character that is not a letter, a character not allowed', () => {
    expect(nameError('service', 'x'.repeat(41))).toBe('At most 40 characters: this one has 41. Shorten it to save.');
    expect(nameError('service', '1password')).toBe('Start with a lower-case letter, e.g. deepl.');
    expect(nameError('key', 'API_KEY')).toBe('Start with a lower-case letter, e.g. api_key.');
    expect(nameError('key', 'api-key')).toBe('Lower-case letters, digits and _, e.g. api_key.');
    expect([nameError('service', 'x'.repeat(40)), nameError('service', 'deep-l'), nameError('key', 'api_key'), nameError('key', '')]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('the environment variable says its own problem too: too long, a digit first, a character not allowed', async () => {
    expect(envVarError('A'.repeat(65))).toBe('At most 64 characters: this one has 65. Shorten it to save.');
    expect(envVarError('1PASSWORD_TOKEN')).toBe('Start with an upper-case letter or _, e.g. DEEPL_API_KEY.');
    expect(envVarError('deepl_key')).toBe('Upper-case letters, digits and _, e.g. DEEPL_API_KEY.');
    expect([envVarError('A'.repeat(64)), envVarError('_X1'), envVarError('')]).toEqual([undefined, undefined, undefined]);
    // Typed key by key, a 65-letter name was told to use upper-case letters, which it did.
    const { user, show } = withFakeApi();
    show(<Credentials />);
    await user.click(await screen.findByRole('button', { name: 'Add a custom credential' }));
    await user.type(screen.getByLabelText('Environment variable'), 'A'.repeat(65));
    const field = screen.getByLabelText('Environment variable');
    expect(document.getElementById(field.getAttribute('aria-describedby')!.split(' ').at(-1)!)?.textContent).toBe('At most 64 characters: this one has 65. Shorten it to save.');
  });

  it('a 41-letter lower-case service is refused for its length under Service, a bad key under Key, typed key by key', async () => {
    const { user, show } = withFakeApi();
    show(<Credentials />);
    await user.click(await screen.findByRole('button', { name: 'Add a custom credential' }));
    await user.type(screen.getByLabelText('Service'), 'x'.repeat(41));
    await user.type(screen.getByLabelText('Key'), 'api-key');
    expect(screen.getByLabelText('Service').getAttribute('aria-describedby')).toBeTruthy();
    const said = (label: string) => document.getElementById(screen.getByLabelText(label).getAttribute('aria-describedby')!.split(' ').at(-1)!)?.textContent;
    expect(said('Service')).toBe('At most 40 characters: this one has 41. Shorten it to save.');
    expect(said('Key')).toBe('Lower-case letters, digits and _, e.g. api_key.');
    expect(screen.queryByText(/Use lower-case names/)).toBeNull();
  });
});

describe('a key pasted into the custom form\'s Label', () => {
  it('is said under Label (not echoed), Save stays off and Enter sends nothing; a label with a year or a model name is fine', async () => {
    const key = `sk-proj-${'Ab3dE6gH9jK2mN5pQ8sT1vW4'.repeat(2)}`;
    const { user, show, api } = withFakeApi();
    show(<Credentials />);
    await user.click(await screen.findByRole('button', { name: 'Add a custom credential' }));
    await user.type(screen.getByLabelText('Service'), 'deepl');
    await user.type(screen.getByLabelText('Key'), 'api_key');
    await user.type(screen.getByLabelText('Label'), key);
    await user.type(screen.getByLabelText('Value (hidden)'), `${key}{Enter}`);
    const said = document.getElementById(screen.getByLabelText('Label').getAttribute('aria-describedby')!.split(' ').at(-1)!)?.textContent;
    expect(said).toBe('This looks like a key, not a label: a label is kept in plaintext. Put the key in the value field below.');
    expect(screen.getByRole('button', { name: 'Save to keychain' }).hasAttribute('disabled')).toBe(true);
    expect(api.calls.filter((c) => c.method === 'credentialsSet')).toEqual([]);
    await user.clear(screen.getByLabelText('Label'));
    await user.type(screen.getByLabelText('Label'), 'DeepL gpt4o (work, 2024)');
    expect(screen.getByLabelText('Label').getAttribute('aria-invalid')).toBeNull();
    expect(screen.getByRole('button', { name: 'Save to keychain' }).hasAttribute('disabled')).toBe(false);
  });
});

describe('finding credentials', () => {
  const cred = (id: string, extra: Partial<CredentialView> = {}): CredentialView => ({
    id, service: id.split('.')[0]!, key: id.split('.')[1]!, label: id, secret: true, custom: false, envVars: [id.toUpperCase().replace('.', '_')], stored: false, source: null, ...extra,
  });
  const list = [
    cred('b.key', { stored: true, source: { kind: 'keychain' }, meta: { created_at: '2026-01-01T00:00:00Z', updated_at: '2026-03-01T00:00:00Z', last_used_at: '2026-02-01T00:00:00Z', hint: '', storage: 'keychain' } }),
    cred('a.key', { stored: true, source: { kind: 'keychain' }, custom: true, meta: { created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', last_used_at: '2026-04-01T00:00:00Z', hint: '', storage: 'keychain' } }),
    cred('c.key', { source: { kind: 'env', name: 'C_KEY' } }),
    cred('d.token', { label: 'Delta' }),
  ];
  const ids = (...args: Parameters<typeof visibleCredentials>) => visibleCredentials(...args).map((c) => c.id);

  it('search matches label, id and env var, case-insensitively', () => {
    expect(ids(list, 'DELTA', 'all', 'name')).toEqual(['d.token']);
    expect(ids(list, 'c_k', 'all', 'name')).toEqual(['c.key']);
    expect(ids(list, '  key ', 'all', 'name')).toEqual(['a.key', 'b.key', 'c.key']);
  });
  it('filters: stored, missing, custom, from env', () => {
    expect([ids(list, '', 'stored', 'name'), ids(list, '', 'missing', 'name'), ids(list, '', 'custom', 'name'), ids(list, '', 'env', 'name')]).toEqual([['a.key', 'b.key'], ['d.token'], ['a.key'], ['c.key']]);
  });
  it('sorts by name, last used or updated (most recent first, never-used last)', () => {
    expect(ids(list, '', 'all', 'name')).toEqual(['a.key', 'b.key', 'c.key', 'd.token']);
    expect(ids(list, '', 'all', 'last-used')).toEqual(['a.key', 'b.key', 'c.key', 'd.token']);
    expect(ids(list, '', 'all', 'updated')).toEqual(['b.key', 'a.key', 'c.key', 'd.token']);
  });
});

describe('Migration screen', () => {
  const withPlan = (api: ReturnType<typeof withFakeApi>['api']) => {
    const source = parseJsonSource('/x/secrets.json', JSON.stringify({ hf_token: HF, tmdb_api_key: '0123456789abcdef0123456789abcdef' }));
    api.plan = { source: { handle: 'a'.repeat(32), path: '/x/secrets.json', origin: 'found' }, plan: planMigration(source, (id) => (id === 'tmdb.api_key' ? 'different' : 'absent')) };
  };

  // It said "Migrate 1 credential(s)", "Migrated 1 credential(s)", "Removed 2 plaintext file(s)" and "2 conflict".
  it('counts and results read in real singular and plural, never "(s)": Migrate 1 credential, Removed 2 plaintext files', async () => {
    const { api, user, show } = withFakeApi();
    withPlan(api);
    useVault.setState({ screen: 'migration' });
    show(<Migration />);
    await screen.findByRole('table', { name: 'Migration plan' });
    expect(screen.getByText(/to write ·/).textContent).toBe('1 to write · 0 already stored · 1 conflict · 0 invalid');
    await user.click(screen.getByRole('button', { name: 'Migrate 1 credential' }));
    expect(await screen.findByRole('heading', { name: 'Migrated 1 credential' })).toBeTruthy();
    api.removeAnswer = true;
    await user.click(screen.getByRole('button', { name: 'Remove the plaintext files…' }));
    await screen.findByText(/Removed: \/x\/secrets.json/);
    expect(useVault.getState().toasts.map((t) => t.text)).toEqual(['Migrated 1 credential.', 'Removed 2 plaintext files.']);
    expect(document.body.textContent).not.toContain('(s)');
  });

  it('two conflicts are "2 conflicts"', async () => {
    const { api, show } = withFakeApi();
    const source = parseJsonSource('/x/secrets.json', JSON.stringify({ hf_token: HF, tmdb_api_key: '0123456789abcdef0123456789abcdef' }));
    api.plan = { source: { handle: 'a'.repeat(32), path: '/x/secrets.json', origin: 'found' }, plan: planMigration(source, () => 'different') };
    show(<Migration />);
    await screen.findByRole('table', { name: 'Migration plan' });
    expect(screen.getByText(/to write ·/).textContent).toBe('0 to write · 0 already stored · 2 conflicts · 0 invalid');
  });

  it('a 10,000-key file: the first 250 rows, then more on request; the counts and the Migrate button cover the whole plan', async () => {
    for (const keys of [10_000, 1_300]) {
      const { api, user, show } = withFakeApi();
      const doc = Object.fromEntries(Array.from({ length: keys }, (_, i) => [`KEY_${i}`, `value-number-${i}-of-the-big-file`]));
      const source = parseJsonSource('/x/secrets.json', JSON.stringify({ ...doc, tmdb_api_key: '0123456789abcdef0123456789abcdef' }));
      api.plan = { source: { handle: 'a'.repeat(32), path: '/x/secrets.json', origin: 'found' }, plan: planMigration(source, () => 'absent', { includeUnknown: true }) };
      show(<Migration />);
      const table = await screen.findByRole('table', { name: 'Migration plan' });
      const bodyRows = () => within(table).getAllByRole('row').length - 1;
      expect(bodyRows()).toBe(250);
      expect(screen.getByText(`Rows 1 to 250 of ${keys + 1} shown`, { exact: false })).toBeTruthy();
      expect(screen.getByRole('button', { name: `Migrate ${keys + 1} credentials` })).toBeTruthy();
      if (keys === 1_300) {
        await user.click(screen.getByRole('button', { name: 'Show 1000 more' }));
        expect(bodyRows()).toBe(1250);
        expect(within(table).getByText('KEY_1249')).toBeTruthy();
        await user.click(screen.getByRole('button', { name: 'Show 51 more' }));
        expect(bodyRows()).toBe(1301);
        expect(screen.queryByRole('button', { name: /^Show \d+ more$/ })).toBeNull();
      } else expect(screen.getByRole('button', { name: 'Show 1000 more' })).toBeTruthy();
      cleanup();
      useVault.setState(initialState());
    }
  });

  it('the last "Show N more" pressed from the keyboard leaves the focus on the plan, not on <body> (the button is gone)', async () => {
    const { api, user, show } = withFakeApi();
    const doc = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`KEY_${i}`, `value-number-${i}-of-the-file`]));
    api.plan = { source: { handle: 'a'.repeat(32), path: '/x/secrets.json', origin: 'found' }, plan: planMigration(parseJsonSource('/x/secrets.json', JSON.stringify(doc)), () => 'absent', { includeUnknown: true }) };
    show(<Migration />);
    const table = await screen.findByRole('table', { name: 'Migration plan' });
    screen.getByRole('button', { name: 'Show 50 more' }).focus();
    await user.keyboard('{Enter}');
    expect(within(table).getAllByRole('row')).toHaveLength(301);
    expect(document.activeElement).toBe(table);
  });

  it('loading, then empty: nothing found', async () => {
    const { api, show } = withFakeApi();
    const release = api.hold('migrationSources');
    show(<Migration />);
    expect(screen.getByRole('status').textContent).toBe('Loading the plan…');
    release();
    expect(await screen.findByText(/No plaintext secrets found/)).toBeTruthy();
  });

  it('error from the plan', async () => {
    const { api, show } = withFakeApi();
    withPlan(api);
    api.fail('migrationPlan', { code: 'INVALID_ARGUMENT', message: 'secrets.json is not valid JSON: comma expected at line 3, column 1.', fix: 'Fix the JSON.' });
    show(<Migration />);
    expect((await screen.findByRole('alert')).textContent).toContain('line 3, column 1');
  });

  it('a row whose write failed names its code and what to do', async () => {
    const { api, user, show } = withFakeApi();
    withPlan(api);
    api.migrationApply = async () => ({ ok: false, rows: [{ sourceKey: 'hf_token', target: 'huggingface.token', status: 'failed', error: 'The keychain is locked.', code: 'KEYCHAIN_LOCKED', fix: 'Unlock it, then migrate again.' }], imported: 0, plaintextLeft: ['/x/secrets.json'], removed: [] });
    show(<Migration />);
    await screen.findByRole('table', { name: 'Migration plan' });
    await user.click(screen.getByRole('button', { name: /Migrate 1 credential/ }));
    const row = await screen.findByText(/hf_token → huggingface\.token: KEYCHAIN_LOCKED The keychain is locked\./);
    expect(row.textContent).toContain('Fix: Unlock it, then migrate again.');
    expect(screen.getByRole('heading', { name: 'Migration failed — every change was undone' })).toBeTruthy();
  });

  it('a failure whose undo the keychain cut short: the heading names what may keep the new value, never "nothing was changed"', async () => {
    const { api, user, show } = withFakeApi();
    withPlan(api);
    api.migrationApply = async () => ({ ok: false, rows: [{ sourceKey: 'hf_token', target: 'huggingface.token', status: 'not_undone', error: 'The keychain did not answer in time.', code: 'KEYCHAIN_TIMEOUT', fix: 'Restart it.' }], imported: 0, plaintextLeft: ['/x/secrets.json'], removed: [], notUndone: ['huggingface.token'], backup: '/x/secrets.json.backup-20261205T000000Z-abcdef' });
    show(<Migration />);
    await screen.findByRole('table', { name: 'Migration plan' });
    await user.click(screen.getByRole('button', { name: /Migrate 1 credential/ }));
    const heading = await screen.findByRole('heading', { name: /^Migration failed — the undo did not finish/ });
    expect(heading.textContent).toContain('huggingface.token may keep the new value');
    expect(heading.textContent).not.toContain('nothing was changed');
    expect((await screen.findByText(/hf_token → huggingface\.token: KEYCHAIN_TIMEOUT/)).textContent).toContain('Fix: Restart it.');
    // The backup that undo left is named with what becomes of it (a bare "Backup:" read as one to keep).
    expect(screen.getByText(/^Backup:/).textContent).toBe("Backup: /x/secrets.json.backup-20261205T000000Z-abcdef: a plaintext copy of the source that the unfinished undo left. The app's next start, once the keychain answers, finishes the undo and deletes it.");
  });

  it.each([['onboarding', 0], ['migration', 2]] as const)('on the %s screen a migration and its plaintext removal raise %i toasts (none mid-wizard: the step shows the result)', async (where, toasts) => {
    const { api, user, show } = withFakeApi();
    withPlan(api);
    useVault.setState({ screen: where });
    show(<Migration />);
    await screen.findByRole('table', { name: 'Migration plan' });
    await user.click(screen.getByRole('button', { name: /Migrate 1 credential/ }));
    expect(await screen.findByRole('heading', { name: 'Migrated 1 credential' })).toBeTruthy();
    api.removeAnswer = true;
    await user.click(screen.getByRole('button', { name: 'Remove the plaintext files…' }));
    expect(await screen.findByText(/Removed: \/x\/secrets.json/)).toBeTruthy();
    expect(useVault.getState().toasts).toHaveLength(toasts);
  });

  it('leaving the Migration screen drops its plan and ticks: back later, the plan is asked again as the vault is then', async () => {
    const { api, user, show } = withFakeApi();
    withPlan(api);
    act(() => useVault.getState().go('migration'));
    const first = show(<Migration />);
    const table = await screen.findByRole('table', { name: 'Migration plan' });
    await user.click(within(table).getByRole('checkbox', { name: 'Overwrite tmdb.api_key' }));
    await waitFor(() => expect(api.calls.at(-1)).toMatchObject({ method: 'migrationPlan', args: [{ overwrite: ['tmdb.api_key'] }] }));
    act(() => useVault.getState().go('credentials'));
    first.unmount();
    // Meanwhile the file's TMDB key was stored on the Credentials screen: no conflict to overwrite any more.
    const source = parseJsonSource('/x/secrets.json', JSON.stringify({ hf_token: HF, tmdb_api_key: '0123456789abcdef0123456789abcdef' }));
    api.plan = { ...api.plan!, plan: planMigration(source, (id) => (id === 'tmdb.api_key' ? 'same' : 'absent')) };
    act(() => useVault.getState().go('migration'));
    show(<Migration />);
    await waitFor(() => expect(api.calls.at(-1)).toMatchObject({ method: 'migrationPlan', args: [{ overwrite: [] }] }));
    const again = await screen.findByRole('table', { name: 'Migration plan' });
    await waitFor(() => expect(within(again).queryByRole('checkbox', { name: 'Overwrite tmdb.api_key' })).toBeNull());
    expect(again.textContent).toContain('Already stored');
  });

  it('the found files arriving while a ticked plan is still on its way leave Migrate off until that plan is shown', async () => {
    const { api, user, show } = withFakeApi();
    withPlan(api);
    api.picked = api.plan!.source;
    const releaseSources = api.hold('migrationSources');
    show(<Migration />);
    await user.click(screen.getByRole('button', { name: 'Choose a file…' }));
    const table = await screen.findByRole('table', { name: 'Migration plan' });
    const releasePlan = api.hold('migrationPlan');
    await user.click(within(table).getByRole('checkbox', { name: 'Overwrite tmdb.api_key' }));
    const migrate = screen.getByRole('button', { name: /^Migrate/ });
    expect(migrate.getAttribute('aria-disabled')).toBe('true');
    releaseSources();
    await waitFor(() => expect(useVault.getState().sourcesLoaded).toBe(true));
    // The plan shown is still the one without the tick: Migrate (which sends the tick) waits for the plan that has it.
    expect(migrate.getAttribute('aria-disabled')).toBe('true');
    releasePlan();
    await waitFor(() => expect(migrate.getAttribute('aria-disabled')).toBeNull());
  });

  it('another file dropped while a migration runs: its plan is shown alone, never under the other file\'s result, whose Remove would have acted on the new file', async () => {
    const { api, user, show } = withFakeApi();
    withPlan(api);
    const first = api.plan!;
    const dropped = parseJsonSource('/dropped/.env.json', JSON.stringify({ hf_token: HF }));
    const second = { source: { handle: 'd'.repeat(32), path: '/dropped/.env.json', origin: 'dropped' as const }, plan: planMigration(dropped, () => 'absent') };
    const realPlan = api.migrationPlan;
    api.migrationPlan = (r) => (r.source === second.source.handle ? Promise.resolve({ ...second, reviewed: 'second-tag' }) : realPlan(r));
    api.migrationDrop = async () => second.source;
    show(<Migration />);
    await screen.findByRole('table', { name: 'Migration plan' });
    const release = api.hold('migrationApply');
    await user.click(screen.getByRole('button', { name: /Migrate 1 credential/ }));
    await screen.findByRole('button', { name: 'Migrating…' });
    fireEvent.drop(document.querySelector('.dropzone')!, { dataTransfer: { files: [{ name: '.env.json' }] } });
    await screen.findByText('/dropped/.env.json');
    release();
    await waitFor(() => expect(useVault.getState().migrating).toBe(false));
    await screen.findByRole('button', { name: /Migrate 1 credential/ });
    // The plan shown is the dropped file's; the first file's result (and its plaintext) is not said over it.
    expect(useVault.getState().source?.handle).toBe(second.source.handle);
    expect(screen.queryByRole('heading', { name: /Migrated/ })).toBeNull();
    expect(screen.queryByText(/Plaintext is still on disk/)).toBeNull();
    expect(screen.queryByText(first.source.path, { exact: false })).toBeNull();
  });

  it('plan by handle, overwrite, migrate, the plan refreshed (no stale "will be replaced"), then remove the plaintext after main asks', async () => {
    const { api, user, show } = withFakeApi();
    withPlan(api);
    show(<Migration />);
    const table = await screen.findByRole('table', { name: 'Migration plan' });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(table.textContent).not.toContain(HF);
    await user.click(within(table).getByRole('checkbox', { name: 'Overwrite tmdb.api_key' }));
    await waitFor(() => expect(api.calls.at(-1)).toMatchObject({ method: 'migrationPlan', args: [{ source: 'a'.repeat(32), overwrite: ['tmdb.api_key'] }] }));
    await user.click(screen.getByRole('button', { name: /Migrate 1 credential/ }));
    expect(await screen.findByRole('heading', { name: 'Migrated 1 credential' })).toBeTruthy();
    await screen.findByText(/Nothing to write yet|Nothing to write:/);
    expect(screen.queryByRole('button', { name: /^Migrate/ })).toBeNull();
    expect(screen.getByText(/Backup:/).textContent).toContain('/x/secrets.json.backup-1');
    api.removeAnswer = false;
    await user.click(screen.getByRole('button', { name: 'Remove the plaintext files…' }));
    expect(await screen.findByText('Nothing was removed.')).toBeTruthy();
    api.removeAnswer = true;
    await user.click(screen.getByRole('button', { name: 'Remove the plaintext files…' }));
    expect(await screen.findByText(/Removed: \/x\/secrets.json/)).toBeTruthy();
  });

  /** Two files main found: config/secrets.json (all in the vault) and the HuggingFace token file; removing one deletes it from `disk`. */
  const twoSources = (api: ReturnType<typeof withFakeApi>['api']) => {
    const secrets = { handle: 'a'.repeat(32), path: '/x/config/secrets.json', origin: 'found' as const };
    const token = { handle: 'b'.repeat(32), path: '/h/.cache/huggingface/token', origin: 'found' as const };
    const plans = new Map([
      [secrets.handle, planMigration(parseJsonSource(secrets.path, JSON.stringify({ hf_token: HF })), () => 'same')],
      [token.handle, planMigration({ kind: 'hf-token-file', path: token.path, entries: [{ sourceKey: 'token', target: 'huggingface.token', value: `${HF}2` }], duplicateKeys: [] }, () => 'different')],
    ]);
    const disk = [secrets, token];
    api.migrationSources = async () => [...disk];
    api.migrationPlan = async (r) => {
      const source = disk.find((x) => x.handle === r.source);
      if (!source) throw new ApiError({ code: 'INVALID_ARGUMENT', message: '/x/config/secrets.json is no longer there', fix: 'Choose another file with "Choose a file…", or drop one on this window.' });
      return { source, plan: plans.get(source.handle)!, reviewed: 'tag' };
    };
    api.migrationRemovePlaintext = async (r) => {
      const i = disk.findIndex((x) => x.handle === r.source);
      const [gone] = disk.splice(i, 1);
      return { cancelled: false, removed: [gone!.path], left: [] };
    };
    return { secrets, token, disk };
  };

  it('after "Remove the plaintext files…" the sources come from disk again: the removed file is no longer offered, the next one is planned, and no line says nothing was found', async () => {
    const { api, user, show } = withFakeApi();
    const { token } = twoSources(api);
    show(<Migration />);
    await screen.findByRole('radio', { name: /secrets\.json/ });
    await user.click(await screen.findByRole('button', { name: 'Remove the plaintext files…' }));
    expect(await screen.findByText('Removed: /x/config/secrets.json')).toBeTruthy();
    await screen.findByText((_, el) => el?.tagName === 'P' && el.textContent === `Source: ${token.path} (hf-token-file)`);
    expect(screen.queryByRole('radio', { name: /secrets\.json/ })).toBeNull();
    expect(screen.queryByText(/No plaintext secrets found/)).toBeNull();
    expect(screen.queryByText(/secrets\.json does not exist|--from/)).toBeNull();
  });

  it('a found file removed by hand: "Try again" lists the sources from disk again and plans the one still there, never the missing file again', async () => {
    const { api, user, show } = withFakeApi();
    const { secrets, token, disk } = twoSources(api);
    show(<Migration />);
    await screen.findByRole('table', { name: 'Migration plan' });
    disk.splice(0, 1);
    await user.click(screen.getByRole('radio', { name: new RegExp(token.path) }));
    await screen.findByText((_, el) => el?.tagName === 'P' && el.textContent === `Source: ${token.path} (hf-token-file)`);
    await user.click(screen.getByRole('radio', { name: new RegExp(secrets.path) }));
    expect((await screen.findByRole('alert')).textContent).toContain('Fix: Choose another file');
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    await screen.findByText((_, el) => el?.tagName === 'P' && el.textContent === `Source: ${token.path} (hf-token-file)`);
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.queryByRole('radio', { name: new RegExp(secrets.path) })).toBeNull();
  });

  it('rows say the plan\'s real reason: a ticked unknown key that looks like a setting says so (never "when ticked"), a key nested too deep says why, all in the app\'s words', async () => {
    const { api, user, show } = withFakeApi();
    const doc = `{"hf_token": "${HF}", "constructor": "abc-${'c'.repeat(30)}", "nested": {"deep": {"tmdb_api_key": "0123456789abcdef0123456789abcdef"}}, "PORT": "3000", "x_KEY": "zzz-${'z'.repeat(30)}"}`;
    const source = { handle: 'a'.repeat(32), path: '/x/secrets.json', origin: 'found' as const };
    api.migrationSources = async () => [source];
    api.migrationPlan = async (r) => ({ source, plan: planMigration(parseJsonSource(source.path, doc), () => 'absent', { includeUnknown: !!r.includeUnknown }), reviewed: 'tag' });
    show(<Migration />);
    const table = await screen.findByRole('table', { name: 'Migration plan' });
    const note = (key: string) => within(table).getByText(key, { selector: 'code' }).closest('tr')!.lastElementChild!.textContent;
    // Unticked too: the row never promises an import the tick would then refuse.
    expect(note('PORT')).toMatch(/^looks like a setting, not a secret; not imported/);
    expect(note('PORT')).not.toMatch(/when .*ticked/);
    await user.click(screen.getByRole('checkbox', { name: 'Import unknown keys as custom credentials' }));
    await waitFor(() => expect(note('x_KEY')).toMatch(/imported as custom x\.key/));
    for (const key of ['PORT', 'constructor']) {
      expect(note(key)).toMatch(/^looks like a setting, not a secret; not imported \(if it is one, add it on the Credentials screen/);
      expect(note(key)).not.toMatch(/when .*ticked|cpw-vault set|--env-var/);
    }
    expect(note('nested.deep')).toMatch(/^nested more than one level deep: .*not imported; move them up a level in the file, or add them on the Credentials screen/);
    expect(table.textContent).not.toMatch(/\ba object|--[a-z]/);
  });

  it('"Remove the plaintext files…" refused while entries are not in the vault: the reason and a fix line', async () => {
    const { api, user, show } = withFakeApi();
    withPlan(api);
    api.plan!.plan = planMigration(parseJsonSource('/x/secrets.json', JSON.stringify({ hf_token: HF })), () => 'same');
    api.migrationRemovePlaintext = async () => ({ cancelled: false, removed: [], left: ['/x/secrets.json'], kept: '1 entry is not in the vault (PORT); the plaintext files were kept so nothing is lost.', fix: 'Store each of them first.' });
    show(<Migration />);
    await user.click(await screen.findByRole('button', { name: 'Remove the plaintext files…' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('1 entry is not in the vault (PORT)');
    expect(within(alert).getByText('Fix: Store each of them first.')).toBeTruthy();
  });

  it('choose a file: main\'s dialog gives a handle, and the plan asks for that handle', async () => {
    const { api, user, show } = withFakeApi();
    withPlan(api);
    api.plan!.source.handle = 'f'.repeat(32);
    api.migrationSources = async () => [];
    show(<Migration />);
    await user.click(await screen.findByRole('button', { name: 'Choose a file…' }));
    await screen.findByRole('table', { name: 'Migration plan' });
    expect(api.calls.find((c) => c.method === 'migrationPlan')!.args).toEqual([{ source: 'f'.repeat(32), overwrite: [], includeUnknown: false }]);
  });
});
