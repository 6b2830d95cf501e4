// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../renderer/App';
import { ApiError, ipcApi, onApiError } from '../../renderer/api';
import { KEYCHAIN_RECHECK_MS } from '../../renderer/components/Chrome';
import { Activity } from '../../renderer/screens/Activity';
import { Profile } from '../../renderer/screens/Profile';
import { initialState, useVault } from '../../renderer/store';
import type { VaultError } from '../../shared/core/errors';
import { applyProfileUpdate } from '../../shared/core/profile-parse';
import type { AuditEvent, RunRecord } from '../../shared/core/records';
import { withFakeApi } from './setup';

const HF = `hf_${'Comp'.repeat(9)}`;

afterEach(() => {
  cleanup();
  useVault.setState(initialState());
  vi.useRealTimers();
});

/** The app on a profile, at the Credentials screen, with the Add form of the credential `name` open. */
async function openAddForm(name: RegExp) {
  const { api, user, show } = withFakeApi();
  api.profileKind = 'profile';
  show(<App />);
  await user.click(await screen.findByRole('button', { name: 'Credentials' }));
  await user.click(await screen.findByRole('button', { name }));
  await user.click(screen.getByRole('button', { name: 'Add' }));
  return { api, user };
}

describe('credential forms', () => {
  it('a secret being typed is never in the page\'s HTML (no value attribute), shown or hidden, and is saved as typed', async () => {
    const { api, user } = await openAddForm(/^TMDB API key/);
    const field = screen.getByLabelText('TMDB API key (hidden)') as HTMLInputElement;
    const key = 'fedcba9876543210fedcba9876543210';
    await user.type(field, key);
    expect(field.value).toBe(key);
    expect(field.hasAttribute('value') && field.getAttribute('value') !== '').toBe(false);
    expect(document.documentElement.outerHTML).not.toContain(key);
    await user.click(screen.getByRole('button', { name: 'Show' }));
    expect(field.type).toBe('text');
    expect(document.documentElement.outerHTML).not.toContain(key);
    await user.click(screen.getByRole('button', { name: 'Save to keychain' }));
    await waitFor(() => expect(api.values.get('tmdb.api_key')).toBe(key));
  });

  // Another screen chosen in the navigation unmounted Credentials, and the form with the key half typed into it went
  // without a word (the screen asks before a pane replaces it; the Profile screen keeps its draft across screens).
  it('a key half typed, another screen and back: the key is still there and saves as typed; a Fix meanwhile asks first', async () => {
    const { api, user } = await openAddForm(/^TMDB API key/);
    const key = 'fedcba9876543210fedcba9876543210';
    await user.type(screen.getByLabelText('TMDB API key (hidden)'), key.slice(0, 12));
    await user.click(screen.getByRole('button', { name: 'Profile' }));
    await screen.findByRole('heading', { name: 'Profile', level: 2 });
    // Hidden meanwhile: no shortcut of the Credentials screen takes the keys typed on this one.
    expect(screen.queryByRole('button', { name: 'Save to keychain' })).toBeNull();
    (document.activeElement as HTMLElement | null)?.blur();
    await user.keyboard('/');
    expect(document.activeElement?.getAttribute('type')).not.toBe('search');
    await user.click(screen.getByRole('button', { name: 'Credentials' }));
    const field = screen.getByLabelText('TMDB API key (hidden)') as HTMLInputElement;
    expect(field.value).toBe(key.slice(0, 12));
    // A Fix of another credential from the Workflows screen would put that one's form in place of this one: asked first.
    await user.click(screen.getByRole('button', { name: 'Workflows' }));
    await user.click(await screen.findByRole('button', { name: /^Fix Transcribe: add / }));
    const ask = await screen.findByRole('alertdialog', { name: 'Discard the value typed for TMDB API key?' });
    await user.click(within(ask).getByRole('button', { name: 'Keep editing' }));
    expect((screen.getByLabelText('TMDB API key (hidden)') as HTMLInputElement).value).toBe(key.slice(0, 12));
    await user.type(screen.getByLabelText('TMDB API key (hidden)'), key.slice(12));
    await user.click(screen.getByRole('button', { name: 'Save to keychain' }));
    await waitFor(() => expect(api.values.get('tmdb.api_key')).toBe(key));
    // Saved: nothing holds the screen any more; another screen unmounts it as before.
    await user.click(screen.getByRole('button', { name: 'Profile' }));
    await screen.findByRole('heading', { name: 'Profile', level: 2 });
    expect(screen.queryByLabelText('TMDB API key (hidden)')).toBeNull();
    expect(useVault.getState().heldScreen).toBeNull();
  });

  it('the OpenAI organization ID (not a secret) is a plain field saved to the profile, and the toast says so', async () => {
    const { user } = await openAddForm(/^OpenAI organization ID/);
    expect(screen.queryByLabelText('OpenAI organization ID (hidden)')).toBeNull();
    const field = screen.getByLabelText('OpenAI organization ID', { selector: 'input' }) as HTMLInputElement;
    expect(field.type).toBe('text');
    expect(screen.getByText(/Not a secret: kept in your profile and shown in full; a key typed here is refused\./)).toBeTruthy();
    await user.type(field, 'org-AbC123dEf456');
    await user.click(screen.getByRole('button', { name: 'Save to profile' }));
    await waitFor(() => expect(useVault.getState().toasts).toMatchObject([{ kind: 'success', text: 'Saved OpenAI organization ID to your profile (not a secret).' }]));
  });

  it('the toast after a save names the credential by its label, as the list and the form do, never by its id', async () => {
    const { user } = await openAddForm(/^HuggingFace token/);
    await user.type(screen.getByLabelText('HuggingFace token (hidden)'), HF);
    await user.click(screen.getByRole('button', { name: 'Save to keychain' }));
    // It said "Saved huggingface.token to the keychain." under a list that reads "HuggingFace token".
    await waitFor(() => expect(useVault.getState().toasts).toMatchObject([{ kind: 'success', text: 'Saved HuggingFace token to the keychain.' }]));
  });

  it('the delete toasts name it by its label too ("Deleted huggingface.token." under "Delete HuggingFace token?")', async () => {
    const { api } = withFakeApi();
    api.values.set('huggingface.token', HF);
    await useVault.getState().loadCredentials();
    expect(await useVault.getState().deleteCredential({ service: 'huggingface', key: 'token' })).toBe('deleted');
    expect(await useVault.getState().deleteCredential({ service: 'huggingface', key: 'token' })).toBe('absent');
    expect(useVault.getState().toasts.map((t) => t.text)).toEqual(['Deleted HuggingFace token.', 'Nothing deleted: HuggingFace token was not stored (removed meanwhile, perhaps by the CLI).']);
  });
});

describe('credential forms on the age vault file', () => {
  /** The app on a profile whose backend is the vault file (unlocked), with the add form of `credential` open. */
  const addFormOnFile = async (credential: RegExp) => {
    const { api, user, show } = withFakeApi();
    api.profileKind = 'profile';
    api.security = { backend: 'file', unlocked: true, passphrase: 'the current vault passphrase', offerFile: false };
    show(<App />);
    await user.click(await screen.findByRole('button', { name: 'Credentials' }));
    await user.click(await screen.findByRole('button', { name: credential }));
    await user.click(screen.getByRole('button', { name: 'Add' }));
    return { api, user };
  };

  it('the save button and its toast name the vault file, not the keychain, and say the keychain again after a switch back', async () => {
    const { user } = await addFormOnFile(/^TMDB API key/);
    await user.type(screen.getByLabelText('TMDB API key (hidden)'), 'fedcba9876543210fedcba9876543210');
    expect(screen.queryByRole('button', { name: 'Save to keychain' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Save to vault file' }));
    await waitFor(() => expect(useVault.getState().toasts).toMatchObject([{ kind: 'success', text: 'Saved TMDB API key to the vault file.' }]));
    expect(document.body.textContent).not.toMatch(/keychain/i);
    // The Security section moves the values back: the form follows (doctor is read again).
    await user.click(screen.getByRole('button', { name: 'Security' }));
    await user.click(await screen.findByRole('button', { name: 'Use the keychain' }));
    await waitFor(() => expect(useVault.getState().doctor?.storage).toBe('keychain'));
    await user.click(screen.getByRole('button', { name: 'Credentials' }));
    await user.click(await screen.findByRole('button', { name: /^HuggingFace token/ }));
    await user.click(screen.getByRole('button', { name: 'Add' }));
    expect(screen.getByRole('button', { name: 'Save to keychain' })).toBeTruthy();
  });

  it("deleting a value that is no secret says it was never in the vault file (it said 'the keychain')", async () => {
    const { api, user } = await addFormOnFile(/^OpenAI organization ID/);
    await user.type(screen.getByLabelText('OpenAI organization ID', { selector: 'input' }), 'org-AbC123dEf456');
    await user.click(screen.getByRole('button', { name: 'Save to profile' }));
    await waitFor(() => expect(api.values.get('openai.organization_id')).toBe('org-AbC123dEf456'));
    await user.click(await screen.findByRole('button', { name: 'Delete' }));
    const question = await screen.findByRole('alertdialog');
    expect(question.textContent).toContain('It is removed from your profile (it is not a secret, so it was never in the vault file).');
    expect(document.body.textContent).not.toMatch(/keychain/i);
  });
});

describe('leaving a screen mid-save', () => {
  it('a credential save that fails after the user went to another screen is said in an error toast with its fix (not lost with the form)', async () => {
    const { api, user } = await openAddForm(/^TMDB API key/);
    await user.type(screen.getByLabelText('TMDB API key (hidden)'), '0123456789abcdef0123456789abcdef');
    const release = api.hold('credentialsSet');
    await user.click(screen.getByRole('button', { name: 'Save to keychain' }));
    await user.click(screen.getByRole('button', { name: 'Workflows' }));
    await screen.findByRole('heading', { name: 'Transcribe' });
    api.fail('credentialsSet', { code: 'KEYCHAIN_TIMEOUT', message: 'The keychain did not answer in time.', fix: 'Answer the dialog on screen and retry.' });
    release();
    await waitFor(() => expect(useVault.getState().toasts).toMatchObject([{ kind: 'error', text: 'Not saved: TMDB API key: The keychain did not answer in time.', fix: 'Answer the dialog on screen and retry.' }]));
    expect(document.body.textContent).not.toContain('0123456789abcdef0123456789abcdef');
    // Back on Credentials, the form still holds the key (its screen was kept), and says why it was not saved: once the
    // keychain answers again, Save is all it takes.
    await user.click(screen.getByRole('button', { name: 'Credentials' }));
    expect(screen.getByText(/The keychain did not answer in time\./, { selector: '.credential-form *' })).toBeTruthy();
    api.recover('credentialsSet');
    expect((screen.getByLabelText('TMDB API key (hidden)') as HTMLInputElement).value).toBe('0123456789abcdef0123456789abcdef');
    await user.click(screen.getByRole('button', { name: 'Save to keychain' }));
    await waitFor(() => expect(api.values.get('tmdb.api_key')).toBe('0123456789abcdef0123456789abcdef'));
  });

  it('a passphrase change that fails after the user went to another screen is said in an error toast with its fix', async () => {
    const { api, user, show } = withFakeApi();
    api.profileKind = 'profile';
    api.security = { backend: 'file', unlocked: true, passphrase: 'the current passphrase', offerFile: false };
    show(<App />);
    await user.click(await screen.findByRole('button', { name: 'Security' }));
    const form = await screen.findByRole('form', { name: 'Change the vault passphrase' });
    await user.type(within(form).getByLabelText('Current passphrase', { selector: 'input' }), 'the current passphrase');
    await user.type(within(form).getByLabelText('New passphrase', { selector: 'input' }), 'a brand new passphrase');
    await user.type(within(form).getByLabelText('Confirm the new passphrase', { selector: 'input' }), 'a brand new passphrase');
    const release = api.hold('securityChangePassphrase');
    await user.click(within(form).getByRole('button', { name: 'Change passphrase' }));
    await user.click(screen.getByRole('button', { name: 'Workflows' }));
    await screen.findByRole('heading', { name: 'Transcribe' });
    api.fail('securityChangePassphrase', { code: 'IO_ERROR', message: 'Could not write the vault file.', fix: 'Free some disk space and try again.' });
    release();
    await waitFor(() => expect(useVault.getState().toasts).toMatchObject([{ kind: 'error', text: 'Security: Could not write the vault file.', fix: 'Free some disk space and try again.' }]));
  });
});

describe('Profile screen', () => {
  it('loading, then fields; Save only with changes, an unsaved mark, disabled-looking while saving, a toast on success', async () => {
    const { api, user, show } = withFakeApi();
    const release = api.hold('profileGet');
    show(<Profile />);
    expect(screen.getByRole('status').textContent).toBe('Loading your profile…');
    release();
    const save = await screen.findByRole('button', { name: 'Save profile' });
    expect(screen.getByText('All changes saved')).toBeTruthy();
    // Off, but focusable (aria-disabled): pressing it from the keyboard must not drop the focus to <body>.
    expect([save.getAttribute('aria-disabled'), save.hasAttribute('disabled')]).toEqual(['true', false]);
    await user.type(screen.getByLabelText('Name'), 'Ada');
    expect(screen.getByText('● Unsaved changes')).toBeTruthy();
    const releaseSave = api.hold('profileUpdate');
    await user.click(save);
    expect((await screen.findByRole('button', { name: 'Saving…' })).getAttribute('aria-disabled')).toBe('true');
    releaseSave();
    await waitFor(() => expect(useVault.getState().toasts.map((t) => t.text)).toContain('Profile saved.'));
    expect(api.profile.user.name).toBe('Ada');
    expect(await screen.findByText('All changes saved')).toBeTruthy();
  });

  it('field errors inline: local (https avatar, time zone) and from main (name); the error toast keeps its fix', async () => {
    const { api, user, show } = withFakeApi();
    show(<Profile />);
    await user.type(await screen.findByLabelText('Avatar URL'), 'http://x.example/a.png');
    expect(screen.getByText('must be an https:// URL')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Save profile' }).getAttribute('aria-disabled')).toBe('true');
    await user.clear(screen.getByLabelText('Avatar URL'));
    const zone = screen.getByLabelText(/^Time zone/);
    await user.clear(zone);
    await user.type(zone, 'Europe/Pari');
    expect(screen.getByText('must be an IANA time zone such as Europe/Paris or UTC')).toBeTruthy();
    await user.type(zone, 's');
    expect(screen.queryByText('must be an IANA time zone such as Europe/Paris or UTC')).toBeNull();
    api.fail('profileUpdate', { code: 'INVALID_ARGUMENT', message: 'Profile not saved.', fix: 'Correct the fields.', fields: [{ path: 'user.name', message: 'must be at most 160 characters' }] });
    await user.click(screen.getByRole('button', { name: 'Save profile' }));
    expect(await screen.findByText('must be at most 160 characters')).toBeTruthy();
    expect(useVault.getState().toasts).toMatchObject([{ kind: 'error', text: 'Profile not saved.', fix: 'Correct the fields.' }]);
  });

  it('a time zone typed or pasted with a space before or after it says so, not "must be an IANA time zone" beside "Europe/Paris"', async () => {
    const { user, show } = withFakeApi();
    show(<Profile />);
    const zone = await screen.findByLabelText(/^Time zone/);
    await user.clear(zone);
    await user.type(zone, 'Europe/Paris ');
    expect(screen.getByText('has a space before or after it: remove it (a zone name has none)')).toBeTruthy();
    expect(screen.queryByText('must be an IANA time zone such as Europe/Paris or UTC')).toBeNull();
    expect(screen.getByRole('button', { name: 'Save profile' }).getAttribute('aria-disabled')).toBe('true');
    await user.type(zone, '{Backspace}');
    expect(screen.queryByText(/has a space before or after/)).toBeNull();
  });

  it('a refused save\'s toast names the fields as the form labels them (Name, Avatar URL), not by main\'s paths (user.name)', async () => {
    const { api, user, show } = withFakeApi();
    // Main's own check and wording: the fields and the message built from them, as profileUpdate refuses them.
    api.profileUpdate = async (update) => {
      try {
        applyProfileUpdate(api.profile, update, new Date());
      } catch (err) {
        throw new ApiError((err as VaultError).toJSON());
      }
      throw new Error('main would have saved this update: the test needs one it refuses');
    };
    show(<Profile />);
    await user.type(await screen.findByLabelText('Avatar URL'), 'https://127.0.0.1/a.png');
    await user.click(screen.getByLabelText('Name'));
    await user.paste('y'.repeat(161));
    await user.click(screen.getByRole('button', { name: 'Save profile' }));
    await waitFor(() => expect(useVault.getState().toasts).toHaveLength(1));
    const [toast] = useVault.getState().toasts;
    expect(toast).toMatchObject({ kind: 'error', fix: 'Correct the fields named above and save again.' });
    expect(toast!.text).toMatch(/^Profile not saved: /);
    expect(toast!.text).toContain('Avatar URL must be at a host name (not an IP address or localhost)');
    expect(toast!.text).toMatch(/Name must \S/);
    expect(toast!.text).not.toMatch(/user\.|avatar_url/);
  });

  it('the avatar: initials without one (or when it failed), the image main fetched otherwise', async () => {
    const { api, show } = withFakeApi();
    api.profile = { ...api.profile, user: { ...api.profile.user, name: 'Grace Hopper', avatar_url: 'https://img.example/g.png' } };
    show(<Profile />);
    expect(await screen.findByRole('img', { name: 'Avatar: initials GH' })).toBeTruthy();
    cleanup();
    api.avatar = 'data:image/png;base64,iVBORw0KGgo=';
    useVault.setState(initialState());
    show(<Profile />);
    expect((await screen.findByRole('img', { name: 'Your avatar' })).getAttribute('src')).toBe('data:image/png;base64,iVBORw0KGgo=');
  });

  it('says which preferences reach pipeline stages and how', async () => {
    const { show } = withFakeApi();
    show(<Profile />);
    const prefs = (await screen.findByRole('group', { name: 'Pipeline preferences' })).textContent!;
    for (const v of ['CPW_SOURCE_LANGUAGE', 'CPW_AI_PROVIDER', 'CPW_COST_TRACKING', 'cpw-vault exec']) expect(prefs).toContain(v);
    expect(screen.getByLabelText('Notify when a run is refused for a missing credential')).toBeTruthy();
  });

  it('error loading', async () => {
    const { api, show } = withFakeApi();
    api.fail('profileGet', { code: 'PROFILE_PERMISSIONS', message: 'The profile can be modified by other users.', fix: 'Run: chmod 600 …' });
    show(<Profile />);
    expect((await screen.findByRole('alert')).textContent).toContain('chmod 600');
  });
});

describe('Activity screen', () => {
  const runs = (n: number): RunRecord[] => Array.from({ length: n }, (_, i) => ({
    id: `r${i}`, workflow: i % 2 ? 'subtitle' : 'transcribe', program: `stage${i}`, credentials: [], status: i % 5 === 4 ? 'refused' : i % 2 ? 'failed' : 'succeeded',
    exit_code: 0, signal: null, started_at: '2026-01-01T10:00:00Z', finished_at: null, duration_ms: 556_000,
  }));

  it('empty runs and events', async () => {
    const { user, show } = withFakeApi();
    show(<Activity />);
    expect(await screen.findByText(/No runs yet/)).toBeTruthy();
    await user.click(screen.getByRole('tab', { name: 'Audit log' }));
    expect(await screen.findByText('No events yet.')).toBeTruthy();
  });

  it('runs in pages with stats (refused counted), durations for people, filters back to page one', async () => {
    const { api, user, show } = withFakeApi();
    api.runs = runs(250);
    show(<Activity />);
    expect(await screen.findByText('1–100 of 250 runs')).toBeTruthy();
    expect(screen.getByText(/250 runs · 100 succeeded · 100 failed · 50 refused/)).toBeTruthy();
    expect(screen.getAllByText('9 min 16 s').length).toBe(100);
    await user.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('101–200 of 250 runs')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'refused' } });
    expect(await screen.findByText('1–50 of 50 runs')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Next' }).getAttribute('aria-disabled')).toBe('true');
  });

  it('on the last page when runs are deleted elsewhere (cpw-vault runs delete): the last page there is now is shown, never "201–200 of 150" over an empty table', async () => {
    const { api, user, show } = withFakeApi();
    api.runs = runs(250);
    show(<Activity />);
    await screen.findByText('1–100 of 250 runs');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await user.click(await screen.findByRole('button', { name: 'Next' }));
    expect(await screen.findByText('201–250 of 250 runs')).toBeTruthy();
    api.runs = runs(150);
    await useVault.getState().loadRuns(); // what main's runsChanged event does
    expect(await screen.findByText('101–150 of 150 runs')).toBeTruthy();
    expect(screen.getAllByText('9 min 16 s').length).toBe(50);
  });

  it('interrupted runs (their exec gone before it recorded the end) are counted and filterable, apart from failed', async () => {
    const { api, show } = withFakeApi();
    api.runs = [...runs(4), { ...runs(1)[0]!, id: 'gone', status: 'interrupted' }];
    show(<Activity />);
    expect(await screen.findByText(/5 runs · 2 succeeded · 2 failed · 0 refused · 0 running · 1 interrupted/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'interrupted' } });
    expect(await screen.findByText('1–1 of 1 runs')).toBeTruthy();
  });

  it('the Exit column shows the signal a run ended by (never "0" beside failed), else its exit code', async () => {
    const { api, show } = withFakeApi();
    const [base] = runs(1);
    api.runs = [
      { ...base!, id: 'ok', program: 'ok-stage', status: 'succeeded', exit_code: 0, signal: null },
      { ...base!, id: 'died', program: 'died-stage', status: 'failed', exit_code: 143, signal: 'SIGTERM' },
      // exec ended by a signal its stage never got (answered with exit 0 as it started): failed, the stage's 0 kept.
      { ...base!, id: 'missed', program: 'missed-stage', status: 'failed', exit_code: 0, signal: 'SIGHUP' },
      { ...base!, id: 'refused', program: 'refused-stage', status: 'refused', exit_code: null, signal: null },
    ];
    show(<Activity />);
    const exitOf = async (program: string) => (await screen.findByText(program)).closest('tr')!.querySelectorAll('td')[4]!.textContent;
    expect(await exitOf('ok-stage')).toBe('0');
    expect(await exitOf('died-stage')).toBe('SIGTERM');
    expect(await exitOf('missed-stage')).toBe('SIGHUP');
    expect(await exitOf('refused-stage')).toBe('—');
  });

  it('a run from a hand-edited line whose program or status is no text shows "—" there, and the other runs still show', async () => {
    const { api, show } = withFakeApi();
    const [base] = runs(1);
    // The history keeps any start line with an id, a workflow and a start time (as the CLI's `runs` does): React
    // rendering an object as text threw, and the whole window went blank.
    const damaged = { ...base!, id: 'odd', program: { x: 1 }, status: ['failed'] } as unknown as RunRecord;
    api.runs = [damaged, { ...base!, id: 'fine', program: 'fine-stage' }];
    show(<Activity />);
    const row = (await screen.findByText('fine-stage')).closest('tr')!;
    const odd = row.parentElement!.querySelectorAll('tr')[0]!.querySelectorAll('td');
    expect([odd[2]!.textContent, odd[3]!.textContent]).toEqual(['—', '—']);
  });

  it('an audit event from a hand-edited line whose caller or credential is no text shows "—" there, and the others still show', async () => {
    const { api, user, show } = withFakeApi();
    // The log keeps any line with a time and a known event name: an object as its caller blanked the window.
    api.audit = [
      { ts: '2026-01-01T10:00:00Z', event: 'credential_read', caller: { x: 1 }, credential: ['a'] } as unknown as AuditEvent,
      { ts: '2026-01-01T09:00:00Z', event: 'profile_updated', caller: 'app' },
    ];
    show(<Activity />);
    await user.click(await screen.findByRole('tab', { name: 'Audit log' }));
    const table = await screen.findByRole('table', { name: 'Audit events' });
    const cells = within(table).getByText('credential_read').closest('tr')!.querySelectorAll('td');
    expect([cells[2]!.textContent, cells[3]!.textContent]).toEqual(['—', '—']);
    expect(within(table).getByText('profile_updated')).toBeTruthy();
  });

  it('tabs follow the arrow keys; audit events with their filter', async () => {
    const { api, user, show } = withFakeApi();
    api.audit = [{ ts: '2026-01-01T10:00:00Z', event: 'credential_read', caller: 'cli', credential: 'huggingface.token' }, { ts: '2026-01-01T09:00:00Z', event: 'profile_updated', caller: 'app' }];
    show(<Activity />);
    const runsTab = await screen.findByRole('tab', { name: 'Pipeline runs' });
    runsTab.focus();
    await user.keyboard('{ArrowRight}');
    expect(document.activeElement?.textContent).toBe('Audit log');
    const table = await screen.findByRole('table', { name: 'Audit events' });
    expect(within(table).getByText('credential_read')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Event'), { target: { value: 'profile_updated' } });
    await waitFor(() => expect(within(screen.getByRole('table', { name: 'Audit events' })).queryByText('credential_read')).toBeNull());
  });

  it('an audit filter changed again while the first answer was on its way shows the newer filter\'s rows, not the late older answer', async () => {
    const { api, show } = withFakeApi();
    api.audit = [{ ts: '2026-01-01T10:00:00Z', event: 'credential_read', caller: 'cli', credential: 'huggingface.token' }, { ts: '2026-01-01T09:00:00Z', event: 'profile_updated', caller: 'app' }];
    show(<Activity />);
    await act(async () => useVault.getState().setActivityTab('audit'));
    await screen.findByRole('table', { name: 'Audit events' });
    // The credential_read answer is held back until after the profile_updated one arrived.
    const answer = api.auditList;
    let letOlderIn!: () => void;
    const older = new Promise<void>((r) => (letOlderIn = r));
    api.auditList = async (f) => {
      const page = await answer(f);
      if (f.event === 'credential_read') await older;
      return page;
    };
    let first!: Promise<void>;
    act(() => void (first = useVault.getState().setAuditFilters({ auditFilter: 'credential_read' })));
    fireEvent.change(screen.getByLabelText('Event'), { target: { value: 'profile_updated' } });
    await waitFor(() => expect(within(screen.getByRole('table', { name: 'Audit events' })).queryByText('credential_read')).toBeNull());
    await act(async () => (letOlderIn(), await first));
    expect((screen.getByLabelText('Event') as HTMLSelectElement).value).toBe('profile_updated');
    const table = within(screen.getByRole('table', { name: 'Audit events' }));
    expect(table.getByText('profile_updated')).toBeTruthy();
    expect(table.queryByText('credential_read')).toBeNull();
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

  it('the runs answer arriving while the audit log is still on its way leaves the audit tab loading', async () => {
    const { api, user, show } = withFakeApi();
    const releaseRuns = api.hold('runsStats');
    show(<Activity />);
    const releaseAudit = api.hold('auditList');
    await user.click(screen.getByRole('tab', { name: 'Audit log' }));
    releaseRuns();
    await waitFor(() => expect(useVault.getState().runStats).not.toBeNull());
    // The runs are in, the events are not: the audit tab still says it is loading (it showed nothing at all).
    expect(screen.getByRole('status').textContent).toBe('Loading activity…');
    releaseAudit();
    expect(await screen.findByText('No events yet.')).toBeTruthy();
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('a runs error stays with the runs: the events landing later keep it on the runs tab, the audit tab does not show it', async () => {
    const { api, user, show } = withFakeApi();
    api.fail('runsStats');
    show(<Activity />);
    expect((await screen.findByRole('alert')).textContent).toContain('runsStats failed');
    // To the audit log and back before its events arrive: the runs fail again, then the events land.
    const releaseAudit = api.hold('auditList');
    await user.click(screen.getByRole('tab', { name: 'Audit log' }));
    await user.click(screen.getByRole('tab', { name: 'Pipeline runs' }));
    expect((await screen.findByRole('alert')).textContent).toContain('runsStats failed');
    releaseAudit();
    await waitFor(() => expect(useVault.getState().audit).not.toBeNull());
    expect(screen.getByRole('alert').textContent).toContain('runsStats failed');
    // A run ended (main's runsChanged) and the runs are asked again; the user goes to the audit log before they fail.
    const releaseRuns = api.hold('runsStats');
    let runs!: Promise<void>;
    act(() => void (runs = useVault.getState().loadRuns()));
    await user.click(screen.getByRole('tab', { name: 'Audit log' }));
    expect(await screen.findByText('No events yet.')).toBeTruthy();
    releaseRuns();
    await act(async () => runs);
    // The audit tab shows the events, not the runs' error (whose Try again there reloaded the events).
    expect(screen.getByText('No events yet.')).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('the app shell', () => {
  it('first run opens onboarding; a locked keychain shows the banner with its fix', async () => {
    const { api, show } = withFakeApi();
    api.profileKind = 'none';
    api.keychainOk = false;
    show(<App />);
    expect(await screen.findByRole('heading', { name: 'Welcome to cpw-vault' })).toBeTruthy();
    // The first step's heading has the focus from the start (it was left on <body>).
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Welcome to cpw-vault'));
    const banner = screen.getByRole('alert', { name: 'Keychain problem' });
    expect(banner.textContent).toContain('KEYCHAIN_LOCKED');
    expect(banner.textContent).toContain('Fix: Unlock it in Passwords and Keys.');
    expect(screen.queryByRole('navigation')).toBeNull();
  });

  it('onboarding: typed key by key, a step indicator, no toast mid-wizard, Continue once the default workflow is ready', async () => {
    const { api, user, show } = withFakeApi();
    api.profileKind = 'none';
    show(<App />);
    await user.click(await screen.findByRole('button', { name: 'Get started' }));
    await user.type(screen.getByLabelText('Name'), 'Grace');
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('Grace');
    expect(within(screen.getByRole('list', { name: 'Progress' })).getByText('2. About you').getAttribute('aria-current')).toBe('step');
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    await user.click(await screen.findByRole('button', { name: 'Add HuggingFace token' }));
    expect(screen.getByRole('button', { name: 'Continue' }).hasAttribute('disabled')).toBe(true);
    await user.type(screen.getByLabelText('HuggingFace token (hidden)'), HF);
    await user.click(screen.getByRole('button', { name: 'Save to keychain' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Continue' }).hasAttribute('disabled')).toBe(false));
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    await user.click(await screen.findByRole('button', { name: 'Finish' }));
    expect(await screen.findByText('✓ Transcribe: ready')).toBeTruthy();
    expect(api.profile.user.name).toBe('Grace');
    expect(useVault.getState().toasts.map((t) => t.text)).not.toContain('Profile saved.');
  });

  it('onboarding: a refused email\'s error leaves the field once the email is changed, as on the Profile screen (it stayed, saying the corrected address was wrong)', async () => {
    const { api, user, show } = withFakeApi();
    api.profileKind = 'none';
    show(<App />);
    await user.click(await screen.findByRole('button', { name: 'Get started' }));
    await user.type(screen.getByLabelText('Name'), 'Grace');
    await user.type(screen.getByLabelText('Email (optional)'), 'grace@example');
    api.fail('profileUpdate', { code: 'INVALID_ARGUMENT', message: 'user.email must be an email address', fix: 'Correct the fields named above and save again.', fields: [{ path: 'user.email', message: 'must be an email address' }] });
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    await screen.findByText('must be an email address');
    expect(screen.getByLabelText('Email (optional)').getAttribute('aria-invalid')).toBe('true');
    await user.type(screen.getByLabelText('Email (optional)'), '.com');
    expect(screen.queryByText('must be an email address')).toBeNull();
    expect(screen.getByLabelText('Email (optional)').getAttribute('aria-invalid')).toBeNull();
    // Typed back to what was refused, it is said again.
    await user.type(screen.getByLabelText('Email (optional)'), '{Backspace}{Backspace}{Backspace}{Backspace}');
    expect(screen.getByText('must be an email address')).toBeTruthy();
  });

  it('onboarding: a key half typed in the keys step is not dropped by opening another key\'s form, nor by Continue or Back', async () => {
    const { api, user, show } = withFakeApi();
    api.profileKind = 'none';
    api.values.set('huggingface.token', HF);
    show(<App />);
    await user.click(await screen.findByRole('button', { name: 'Get started' }));
    await user.click(screen.getByRole('checkbox', { name: /Subtitle/ }));
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    await user.click(await screen.findByRole('button', { name: 'Add TMDB API key' }));
    await user.type(screen.getByLabelText('TMDB API key (hidden)'), 'half-typed');
    // Another key's form opens beside it: the one typed into stays, with what was typed.
    await user.click(screen.getByRole('button', { name: 'Replace HuggingFace token' }));
    expect(screen.getByLabelText('HuggingFace token (hidden)')).toBeTruthy();
    expect((screen.getByLabelText('TMDB API key (hidden)') as HTMLInputElement).value).toBe('half-typed');
    // Leaving the step would drop it: Continue and Back wait for Save or Cancel, and say so.
    expect(screen.getByRole('button', { name: 'Continue' }).hasAttribute('disabled')).toBe(true);
    expect(screen.getByRole('button', { name: 'Back' }).hasAttribute('disabled')).toBe(true);
    expect(screen.getByText(/Save or cancel the key you typed \(TMDB API key\) first/)).toBeTruthy();
    await user.type(screen.getByLabelText('TMDB API key (hidden)'), '{Escape}');
    await waitFor(() => expect(screen.getByRole('button', { name: 'Continue' }).hasAttribute('disabled')).toBe(false));
    expect(api.values.has('tmdb.api_key')).toBe(false);
  });

  it('onboarding: a failure in the last step is shown, and Finish can be tried again', async () => {
    const { api, user, show } = withFakeApi();
    api.profileKind = 'none';
    api.values.set('huggingface.token', HF);
    show(<App />);
    await user.click(await screen.findByRole('button', { name: 'Get started' }));
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    await user.click(await screen.findByRole('button', { name: 'Continue' }));
    api.fail('doctor', { code: 'KEYCHAIN_TIMEOUT', message: 'The keychain did not answer in time.', fix: 'Answer the prompt.' });
    await user.click(await screen.findByRole('button', { name: 'Finish' }));
    expect(await screen.findByText('Fix: Answer the prompt.')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Review' })).toBeTruthy();
  });

  it('a damaged profile: the problem screen (never onboarding); Fix it makes it private and the app starts', async () => {
    const { api, user, show } = withFakeApi();
    api.problems = [{ code: 'PROFILE_PERMISSIONS', message: '/home/u/.cp-whisperx/user.profile can be modified by other users (mode 0666); refusing to trust it.', fix: 'Run: chmod 600 /home/u/.cp-whisperx/user.profile' }];
    show(<App />);
    expect(await screen.findByRole('heading', { name: 'Your profile needs attention' })).toBeTruthy();
    expect(screen.queryByText('Welcome to cpw-vault')).toBeNull();
    expect(screen.getByText('PROFILE_PERMISSIONS')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: /Fix it/ }));
    expect(await screen.findByRole('navigation', { name: 'Main' })).toBeTruthy();
  });

  it('a held profile lock: "another cpw-vault is saving; retrying", then saved', async () => {
    const { api, user, show } = withFakeApi();
    let attempts = 0;
    const update = api.profileUpdate;
    api.profileUpdate = async (u) => {
      if (++attempts === 1) throw new (await import('../../renderer/api')).ApiError({ code: 'PROFILE_LOCKED', message: 'Timed out after 10 s waiting for /home/u/.cp-whisperx/user.profile.lock.', fix: 'Retry.' });
      return update(u);
    };
    show(<Profile />);
    await user.type(await screen.findByLabelText('Name'), 'Ada');
    await user.click(screen.getByRole('button', { name: 'Save profile' }));
    await waitFor(() => expect(useVault.getState().toasts.map((t) => t.text)).toEqual(['Another cpw-vault is saving; retrying…', 'Profile saved.']));
    expect(document.body.textContent).not.toContain('.lock');
  });

  it('error toasts stay until dismissed; success toasts go after a few seconds', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { show } = withFakeApi();
    show(<App />);
    act(() => {
      useVault.getState().toast('success', 'Saved.');
      useVault.getState().toast('error', 'Not saved.', 'Try again.');
    });
    await act(async () => void vi.advanceTimersByTime(60_000));
    expect(useVault.getState().toasts.map((t) => t.text)).toEqual(['Not saved.']);
    expect(screen.getByRole('alert', { name: '' }).textContent).toContain('Fix: Try again.');
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss: Not saved.' }));
    expect(useVault.getState().toasts).toEqual([]);
  });

  it('a locked keychain is checked again every 10 s: unlocking it elsewhere clears the banner by itself', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { api, show } = withFakeApi();
    api.keychainOk = false;
    show(<App />);
    expect(await screen.findByRole('alert', { name: 'Keychain problem' })).toBeTruthy();
    api.keychainOk = true;
    await act(async () => void vi.advanceTimersByTime(KEYCHAIN_RECHECK_MS + 10));
    await waitFor(() => expect(screen.queryByRole('alert', { name: 'Keychain problem' })).toBeNull());
  });

  it('"Check again" finding the keychain unlocked: the banner goes and the focus lands on the screen title, not <body>', async () => {
    const { api, show } = withFakeApi();
    api.keychainOk = false;
    show(<App />);
    const banner = await screen.findByRole('alert', { name: 'Keychain problem' });
    await screen.findByRole('heading', { name: 'Workflows', level: 2 });
    const again = within(banner).getByRole('button', { name: 'Check again' });
    again.focus();
    api.keychainOk = true;
    fireEvent.click(again);
    await waitFor(() => expect(screen.queryByRole('alert', { name: 'Keychain problem' })).toBeNull());
    await waitFor(() => expect(document.activeElement?.id).toBe('screen-title'));
  });

  it('every failure from main reaches the error listener (the app re-checks the keychain on KEYCHAIN_*)', async () => {
    const heard: string[] = [];
    onApiError((e) => void heard.push(e.code));
    window.vault = { doctor: async () => ({ ok: false, error: { code: 'KEYCHAIN_LOCKED', message: 'locked', fix: 'unlock' } }) } as never;
    await expect(ipcApi.doctor()).rejects.toMatchObject({ code: 'KEYCHAIN_LOCKED', fix: 'unlock' });
    expect(heard).toEqual(['KEYCHAIN_LOCKED']);
    delete window.vault;
    onApiError(() => {});
  });

  it('a boot failure is shown with its fix', async () => {
    const { api, show } = withFakeApi();
    api.fail('doctor', { code: 'INTERNAL', message: 'The app bridge is missing.', fix: 'Start cpw-vault from its launcher.' });
    show(<App />);
    expect(await screen.findByText('Fix: Start cpw-vault from its launcher.')).toBeTruthy();
  });
});
