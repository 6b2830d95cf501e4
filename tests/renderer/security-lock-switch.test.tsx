// @vitest-environment jsdom
import { cleanup, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Security } from '../../renderer/screens/Security';
import { initialState, useVault } from '../../renderer/store';
import type { FakeApi } from '../fakes/fake-api';
import { withFakeApi } from './setup';

const NEXT = 'a brand new vault passphrase';
/** Main's answer to Lock now while a switch runs (lock-during-switch.ts), the profile still on the keychain. */
const LOCKED_WHILE_SWITCHING = { backend: 'keychain', ok: false, code: 'BACKEND_SWITCHING', message: 'Locked: every unlock agent of the vault file that listened was stopped. A switch of where your secrets live is still under way.', fix: 'Wait for the switch to end, then unlock the vault file to use it again.', offerFile: false };
/** Main's words when Lock's second round, as the switch ended, could not stop the agent the switch started. */
const SECOND_ROUND_FAILED = { code: 'VAULT_AGENT_UNSAFE' as const, message: "Lock now, pressed during the switch of where your secrets live, was done again as the switch ended, and that failed: The unlock agent's folder /run/user/1000/cpw-vault is writable by other users.", fix: 'Fix its mode: chmod 700 /run/user/1000/cpw-vault' };

afterEach(() => {
  cleanup();
  useVault.setState(initialState());
});

/**
 * The Security screen on the keychain, a switch to a vault file typed (key by key) and pressed, held by main until the
 * returned function is called. `onEnd` changes what main finds as the switch ends (the fake's state), before it answers.
 */
async function switchingToFile(api: FakeApi, user: ReturnType<typeof withFakeApi>['user'], onEnd: () => void) {
  api.values.set('huggingface.token', 'hf_x');
  const move = api.securityUseBackend;
  api.securityUseBackend = async (r) => {
    const out = await move(r);
    onEnd();
    return { ...out, status: await api.securityStatus() };
  };
  const form = await screen.findByRole('form', { name: 'Where your secrets live' });
  const moving = api.hold('securityUseBackend');
  await user.type(within(form).getByLabelText('Vault passphrase', { selector: 'input' }), NEXT);
  await user.type(within(form).getByLabelText('Confirm the vault passphrase', { selector: 'input' }), NEXT);
  await user.click(within(form).getByRole('button', { name: 'Use a vault file' }));
  await within(form).findByRole('button', { name: 'Moving…' });
  return { form, moving };
}

describe('Security screen: Lock now during a switch to the vault file', () => {
  // The profile still says keychain while the switch runs, so the screen showed no Lock now: main took a Lock then (the
  // switch leaves the vault file locked), but only a page calling the channel could ask for it.
  it('offers Lock now while the switch runs; pressed, it says so at once, and the switch leaves the vault file locked', async () => {
    const { api, user, show } = withFakeApi();
    show(<Security />);
    let lockPressed = false;
    const { form, moving } = await switchingToFile(api, user, () => void (api.security = { ...api.security, unlocked: !lockPressed }));
    api.securityLock = async () => {
      lockPressed = true;
      api.calls.push({ method: 'securityLock', args: [] });
      return LOCKED_WHILE_SWITCHING;
    };
    await user.click(await screen.findByRole('button', { name: 'Lock now' }));
    expect(api.calls.some((c) => c.method === 'securityLock')).toBe(true);
    expect(within(form).getByRole('status').textContent).toContain('A switch of where your secrets live is still under way.');
    moving();
    // Locked as the switch ends: the unlock form, no Lock now (nothing to lock), no error.
    await screen.findByRole('form', { name: 'Unlock the vault file' });
    expect(screen.queryByRole('button', { name: 'Lock now' })).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  // Lock's second round (main, as the switch ended) failing was said only by the card: "unlocked until ...", the
  // agent still there, and not a word that the Lock the user pressed did not happen.
  it('its second round failing as the switch ends: said under Lock now, as Lock\'s own errors are; pressed again, it locks and the note goes', async () => {
    const { api, user, show } = withFakeApi();
    show(<Security />);
    const { moving } = await switchingToFile(api, user, () => void (api.security = { ...api.security, unlocked: true, lockFailed: SECOND_ROUND_FAILED }));
    const lock = api.securityLock;
    api.securityLock = async () => LOCKED_WHILE_SWITCHING;
    await user.click(await screen.findByRole('button', { name: 'Lock now' }));
    moving();
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain("Lock now, pressed during the switch of where your secrets live, was done again as the switch ended, and that failed: The unlock agent's folder");
    expect(alert.textContent).toContain('VAULT_AGENT_UNSAFE');
    expect(alert.textContent).toContain('Fix: Fix its mode: chmod 700 /run/user/1000/cpw-vault');
    const button = screen.getByRole('button', { name: 'Lock now' });
    expect(button.getAttribute('aria-describedby')).toBe(alert.id);
    // The user presses Lock now again (the keyboard, as the focus is there): locked, and the failure is no longer said.
    api.securityLock = lock;
    button.focus();
    await user.keyboard('{Enter}');
    await screen.findByRole('form', { name: 'Unlock the vault file' });
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
