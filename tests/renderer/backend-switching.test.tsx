// @vitest-environment jsdom
import { cleanup, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../renderer/App';
import { initialState, useVault } from '../../renderer/store';
import type { VaultError } from '../../shared/core/errors';
import { SwitchGate } from '../../shared/node/vault/switch-gate';
import { withFakeApi } from './setup';

afterEach(() => {
  cleanup();
  useVault.setState(initialState());
});

/** The error main answers with for a call the backend switch's gate held past its cap (a real gate, its wait made short). */
async function heldPastTheSwitch() {
  const gate = new SwitchGate(20);
  let end!: () => void;
  const switching = gate.exclusive(() => new Promise<void>((resolve) => (end = resolve)));
  const err = await gate.run(async () => undefined).then(() => undefined, (e: VaultError) => e);
  end();
  await switching;
  if (!err) throw new Error('the gate let the call run during the switch');
  return err.toJSON();
}

describe('a call held past the backend switch\'s cap', () => {
  it('a Save says a switch of where the secrets live is under way, and to wait for it and try again; not "another cpw-vault kept the profile busy", not retried as one', async () => {
    const held = await heldPastTheSwitch();
    const { api, user, show } = withFakeApi();
    api.profileKind = 'profile';
    show(<App />);
    await user.click(await screen.findByRole('button', { name: 'Credentials' }));
    await user.click(await screen.findByRole('button', { name: /^TMDB API key/ }));
    await user.click(screen.getByRole('button', { name: 'Add' }));
    await user.type(screen.getByLabelText('TMDB API key (hidden)'), '0123456789abcdef0123456789abcdef');
    api.fail('credentialsSet', held);
    await user.click(screen.getByRole('button', { name: 'Save to keychain' }));
    // Before: "Another cpw-vault (the app or a command) kept the profile busy; nothing was saved." (PROFILE_LOCKED's
    // words for another process's lock), after two "Another cpw-vault is saving; retrying…" of 30 s each.
    const said = await screen.findByText(/is under way and has not finished after \d+ s; nothing was done\./, { selector: '.credential-form *' });
    expect(said.textContent).toContain('A switch of where this profile\'s secrets live (keychain or vault file) is under way');
    expect(document.body.textContent).toContain('Wait for the switch to finish, then try again.');
    expect(document.body.textContent).not.toContain('kept the profile busy');
    expect(useVault.getState().toasts.map((t) => t.text)).not.toContain('Another cpw-vault is saving; retrying…');
    expect(api.calls.filter((c) => c.method === 'credentialsSet')).toHaveLength(1);
    api.recover('credentialsSet');
    await user.click(screen.getByRole('button', { name: 'Save to keychain' }));
    await waitFor(() => expect(api.values.get('tmdb.api_key')).toBe('0123456789abcdef0123456789abcdef'));
  });
});
