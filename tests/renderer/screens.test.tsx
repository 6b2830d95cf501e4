// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../renderer/App';
import { Activity } from '../../renderer/screens/Activity';
import { Credentials, REVEAL_MS } from '../../renderer/screens/Credentials';
import { Migration } from '../../renderer/screens/Migration';
import { Profile } from '../../renderer/screens/Profile';
import { Workflows } from '../../renderer/screens/Workflows';
import { initialState, useVault } from '../../renderer/store';
import { parseJsonSource } from '../../shared/core/migration-sources';
import { planMigration } from '../../shared/core/migration-plan';
import { withFakeApi } from './setup';

const HF = `hf_${'Comp'.repeat(9)}`;

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

  it('empty: says so', async () => {
    const { api, show } = withFakeApi();
    api.workflowsValidate = async () => [];
    show(<Workflows />);
    expect(await screen.findByText('No workflows to show.')).toBeTruthy();
  });

  it('ready when the key is there', async () => {
    const { api, show } = withFakeApi();
    api.values.set('huggingface.token', HF);
    show(<Workflows />);
    const transcribe = (await screen.findByRole('heading', { name: 'Transcribe' })).closest('li') as HTMLElement;
    expect(within(transcribe).getByText('✓ Ready')).toBeTruthy();
  });
});

describe('Credentials screen', () => {
  it('loading, then the list grouped by service, without values', async () => {
    const { api, show } = withFakeApi();
    api.values.set('huggingface.token', HF);
    const release = api.hold('credentialsList');
    show(<Credentials />);
    expect(screen.getByRole('status').textContent).toBe('Loading credentials…');
    release();
    expect(await screen.findByRole('region', { name: 'huggingface' })).toBeTruthy();
    expect(screen.getByRole('region', { name: 'vimeo' })).toBeTruthy();
    expect(document.body.textContent).not.toContain(HF);
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

  it('add with a format warning: Save anyway; the hidden value is cleared on cancel', async () => {
    const { api, show } = withFakeApi();
    show(<Credentials />);
    const tmdb = (await screen.findByRole('heading', { name: 'TMDB API key' })).closest('li') as HTMLElement;
    fireEvent.click(within(tmdb).getByRole('button', { name: 'Add' }));
    const input = within(tmdb).getByLabelText('TMDB API key (hidden)') as HTMLInputElement;
    expect(input.type).toBe('password');
    fireEvent.click(within(tmdb).getByRole('button', { name: 'Show' }));
    expect(input.type).toBe('text');
    fireEvent.change(input, { target: { value: 'abc' } });
    fireEvent.click(within(tmdb).getByRole('button', { name: 'Cancel' }));
    fireEvent.click(within(tmdb).getByRole('button', { name: 'Add' }));
    expect((within(tmdb).getByLabelText('TMDB API key (hidden)') as HTMLInputElement).value).toBe('');
    fireEvent.change(within(tmdb).getByLabelText('TMDB API key (hidden)'), { target: { value: 'not-a-key' } });
    fireEvent.click(within(tmdb).getByRole('button', { name: 'Save to keychain' }));
    fireEvent.click(await within(tmdb).findByRole('button', { name: 'Save anyway' }));
    await waitFor(() => expect(api.values.get('tmdb.api_key')).toBe('not-a-key'));
    expect(api.calls.filter((c) => c.method === 'credentialsSet').map((c) => (c.args[0] as { acceptFormatWarning: boolean }).acceptFormatWarning)).toEqual([false, true]);
    expect(document.body.textContent).not.toContain('not-a-key');
  });

  it('reveal hides again after 30 s; delete asks first', async () => {
    const { api, show } = withFakeApi();
    api.values.set('huggingface.token', HF);
    show(<Credentials />);
    const hf = (await screen.findByRole('heading', { name: 'HuggingFace token' })).closest('li') as HTMLElement;
    vi.useFakeTimers({ shouldAdvanceTime: true });
    fireEvent.click(within(hf).getByRole('button', { name: 'Reveal' }));
    expect((await within(hf).findByLabelText('HuggingFace token value')).textContent).toBe(HF);
    await act(async () => void vi.advanceTimersByTime(REVEAL_MS + 10));
    expect(within(hf).queryByLabelText('HuggingFace token value')).toBeNull();
    expect(document.body.textContent).not.toContain(HF);
    vi.useRealTimers();
    fireEvent.click(within(hf).getByRole('button', { name: 'Delete' }));
    const confirm = within(hf).getByRole('alertdialog');
    expect(api.values.has('huggingface.token')).toBe(true);
    fireEvent.click(within(confirm).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(api.values.has('huggingface.token')).toBe(false));
  });
});

describe('Migration screen', () => {
  it('loading, then empty: nothing found', async () => {
    const { api, show } = withFakeApi();
    const release = api.hold('migrationPlan');
    show(<Migration />);
    expect(screen.getByRole('status').textContent).toBe('Loading the plan…');
    release();
    expect(await screen.findByText(/No plaintext secrets found/)).toBeTruthy();
  });

  it('error from the plan', async () => {
    const { api, show } = withFakeApi();
    api.fail('migrationPlan', { code: 'INVALID_ARGUMENT', message: 'secrets.json is not valid JSON: comma expected at line 3, column 1.', fix: 'Fix the JSON.' });
    show(<Migration />);
    expect((await screen.findByRole('alert')).textContent).toContain('line 3, column 1');
  });

  it('plan table, migrate, result with backup and a remove-plaintext action', async () => {
    const { api, show } = withFakeApi();
    const source = parseJsonSource('/x/secrets.json', JSON.stringify({ hf_token: HF, tmdb_api_key: '0123456789abcdef0123456789abcdef' }));
    api.plan = { path: '/x/secrets.json', plan: planMigration(source, (id) => (id === 'tmdb.api_key' ? 'different' : 'absent')) };
    show(<Migration />);
    const table = await screen.findByRole('table', { name: 'Migration plan' });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(table.textContent).not.toContain(HF);
    fireEvent.click(within(table).getByRole('checkbox', { name: 'Overwrite' }));
    await waitFor(() => expect(api.calls.at(-1)).toMatchObject({ method: 'migrationPlan', args: [{ overwrite: ['tmdb.api_key'] }] }));
    fireEvent.click(screen.getByRole('button', { name: /Migrate 1 credential/ }));
    expect(await screen.findByRole('heading', { name: 'Migrated 1 credential(s)' })).toBeTruthy();
    expect(screen.getByText(/Backup:/).textContent).toContain('/x/secrets.json.backup-1');
    fireEvent.click(screen.getByRole('button', { name: 'Remove the plaintext files' }));
    expect(await screen.findByText(/Removed: \/x\/secrets.json/)).toBeTruthy();
  });
});

describe('Profile screen', () => {
  it('loading, then fields; save disabled while saving; a toast on success', async () => {
    const { api, show } = withFakeApi();
    const release = api.hold('profileGet');
    show(<Profile />);
    expect(screen.getByRole('status').textContent).toBe('Loading your profile…');
    release();
    fireEvent.change(await screen.findByLabelText('Name'), { target: { value: 'Ada' } });
    const releaseSave = api.hold('profileUpdate');
    fireEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    expect((await screen.findByRole('button', { name: 'Saving…' })).hasAttribute('disabled')).toBe(true);
    releaseSave();
    await waitFor(() => expect(useVault.getState().toasts.map((t) => t.text)).toContain('Profile saved.'));
    expect(api.profile.user.name).toBe('Ada');
  });

  it('field errors inline: local (https avatar) and from main (email)', async () => {
    const { api, show } = withFakeApi();
    show(<Profile />);
    fireEvent.change(await screen.findByLabelText('Avatar URL'), { target: { value: 'http://x.example/a.png' } });
    expect(screen.getByText('must be an https:// URL')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Save profile' }).hasAttribute('disabled')).toBe(true);
    fireEvent.change(screen.getByLabelText('Avatar URL'), { target: { value: 'https://x.example/a.png' } });
    expect(screen.getByRole('img', { name: 'Avatar preview' }).getAttribute('src')).toBe('https://x.example/a.png');
    api.fail('profileUpdate', { code: 'INVALID_ARGUMENT', message: 'Profile not saved.', fix: 'Correct the fields.', fields: [{ path: 'user.name', message: 'must be at most 160 characters' }] });
    fireEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    expect(await screen.findByText('must be at most 160 characters')).toBeTruthy();
    expect(useVault.getState().toasts.map((t) => t.text)).toContain('Not saved: Profile not saved.');
  });

  it('error loading', async () => {
    const { api, show } = withFakeApi();
    api.fail('profileGet', { code: 'PROFILE_PERMISSIONS', message: 'The profile can be modified by other users.', fix: 'Run: chmod 600 …' });
    show(<Profile />);
    expect((await screen.findByRole('alert')).textContent).toContain('chmod 600');
  });
});

describe('Activity screen', () => {
  it('empty, then runs and events with filters and the stats summary', async () => {
    const { api, show } = withFakeApi();
    show(<Activity />);
    expect(await screen.findByText(/No runs yet/)).toBeTruthy();
    expect(screen.getByText('No events yet.')).toBeTruthy();
    cleanup();
    api.runs = [
      { id: 'a1', workflow: 'transcribe', program: 'python3', credentials: ['huggingface.token'], status: 'succeeded', exit_code: 0, signal: null, started_at: '2026-01-01T10:00:00Z', finished_at: '2026-01-01T10:01:00Z', duration_ms: 60000 },
      { id: 'b2', workflow: 'subtitle', program: 'stage02', credentials: [], status: 'failed', exit_code: 3, signal: null, started_at: '2026-01-01T11:00:00Z', finished_at: '2026-01-01T11:00:01Z', duration_ms: 1000 },
    ];
    api.audit = [{ ts: '2026-01-01T10:00:00Z', event: 'credential_read', caller: 'cli', credential: 'huggingface.token' }];
    useVault.setState(initialState());
    show(<Activity />);
    expect(await screen.findByText(/2 runs · 1 succeeded · 1 failed · 0 running · success rate 50%/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'failed' } });
    await waitFor(() => expect(screen.queryByText('python3')).toBeNull());
    expect(screen.getByText('stage02')).toBeTruthy();
    const auditTable = screen.getByRole('table', { name: 'Audit events' });
    expect(within(auditTable).getByText('credential_read')).toBeTruthy();
  });

  it('loading and error', async () => {
    const { api, show } = withFakeApi();
    const release = api.hold('runsStats');
    show(<Activity />);
    expect(screen.getByRole('status').textContent).toBe('Loading activity…');
    release();
    await screen.findByText(/No runs yet/);
    cleanup();
    useVault.setState(initialState());
    api.fail('runsStats');
    show(<Activity />);
    expect((await screen.findByRole('alert')).textContent).toContain('runsStats failed');
  });
});

describe('the app shell', () => {
  it('first run opens onboarding; a locked keychain shows the banner with its fix', async () => {
    const { api, show } = withFakeApi();
    api.profileKind = 'none';
    api.keychainOk = false;
    show(<App />);
    expect(await screen.findByRole('heading', { name: 'Welcome to cpw-vault' })).toBeTruthy();
    const banner = screen.getByRole('alert', { name: 'Keychain problem' });
    expect(banner.textContent).toContain('KEYCHAIN_LOCKED');
    expect(banner.textContent).toContain('Fix: Unlock it in Passwords and Keys.');
    expect(screen.queryByRole('navigation')).toBeNull();
  });

  it('onboarding walks basics, keys, review and done', async () => {
    const { api, show } = withFakeApi();
    api.profileKind = 'none';
    show(<App />);
    fireEvent.click(await screen.findByRole('button', { name: 'Get started' }));
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Grace' } });
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Add HuggingFace token' }));
    expect(screen.getByRole('button', { name: 'Continue' }).hasAttribute('disabled')).toBe(true);
    fireEvent.change(screen.getByLabelText('HuggingFace token (hidden)'), { target: { value: HF } });
    fireEvent.click(screen.getByRole('button', { name: 'Save to keychain' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Continue' }).hasAttribute('disabled')).toBe(false));
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Finish' }));
    expect(await screen.findByText('✓ Transcribe: ready')).toBeTruthy();
    expect(api.profile.user.name).toBe('Grace');
  });

  it('a boot failure is shown with its fix', async () => {
    const { api, show } = withFakeApi();
    api.fail('doctor', { code: 'INTERNAL', message: 'The app bridge is missing.', fix: 'Start cpw-vault from its launcher.' });
    show(<App />);
    expect((await screen.findByRole('alert')).textContent).toContain('Start cpw-vault from its launcher.');
  });
});
