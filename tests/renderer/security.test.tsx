// @vitest-environment jsdom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../renderer/App';
import { Security } from '../../renderer/screens/Security';
import { initialState, useVault } from '../../renderer/store';
import { parseJsonSource } from '../../shared/core/migration-sources';
import { planMigration } from '../../shared/core/migration-plan';
import { withFakeApi } from './setup';

const CURRENT = 'the current vault passphrase';
const NEXT = 'a brand new vault passphrase';

afterEach(() => {
  cleanup();
  useVault.setState(initialState());
});

/** Turned off the way that keeps the keyboard focus (aria-disabled, see SoftButton), not `disabled`. */
const off = (button: HTMLElement) => button.getAttribute('aria-disabled') === 'true' && !(button as HTMLButtonElement).disabled;

describe('Security section', () => {
  it('on the keychain without a Secret Service: explains the vault file and switches only once both passphrase entries agree', async () => {
    const { api, user, show } = withFakeApi();
    api.security.offerFile = true;
    api.values.set('huggingface.token', 'hf_x');
    show(<Security />);
    const form = await screen.findByRole('form', { name: 'Where your secrets live' });
    expect(form.textContent).toContain('No keychain on this computer?');
    const go = within(form).getByRole('button', { name: 'Use a vault file' }) as HTMLButtonElement;
    expect(off(go)).toBe(true);
    await user.click(within(form).getByLabelText('Vault passphrase', { selector: 'input' }));
    await user.keyboard('short');
    expect(form.textContent).toContain('At least 12 characters (5 so far)');
    await user.clear(within(form).getByLabelText('Vault passphrase', { selector: 'input' }));
    await user.type(within(form).getByLabelText('Vault passphrase', { selector: 'input' }), NEXT);
    await user.type(within(form).getByLabelText('Confirm the vault passphrase', { selector: 'input' }), `${NEXT}x`);
    expect(form.textContent).toContain('Does not match');
    expect(off(go)).toBe(true);
    await user.click(go); // turned off: a press does nothing
    expect(api.calls.some((c) => c.method === 'securityUseBackend')).toBe(false);
    await user.type(within(form).getByLabelText('Confirm the vault passphrase', { selector: 'input' }), '{Backspace}');
    expect(off(go)).toBe(false);
    await user.click(go);
    // Unlocked by the passphrase just chosen: it is not asked a third time.
    expect(await screen.findByText(/Available now, unlocked until/)).toBeTruthy();
    expect(screen.queryByRole('form', { name: 'Unlock the vault file' })).toBeNull();
    expect(api.calls.find((c) => c.method === 'securityUseBackend')?.args).toEqual([{ backend: 'file', passphrase: NEXT }]);
    expect(useVault.getState().toasts.at(-1)?.text).toContain('Moved 1 credential to the vault file');
  });

  it('a locked vault file: the status says the way out in the app (its Unlock form), not a CLI step', async () => {
    const { api, show } = withFakeApi();
    api.security = { ...api.security, backend: 'file', unlocked: false };
    show(<Security />);
    expect(await screen.findByRole('form', { name: 'Unlock the vault file' })).toBeTruthy();
    const status = screen.getByText(/VAULT_LOCKED/).closest('p')!;
    expect(status.textContent).toContain('Fix: Unlock the vault file on the Security screen: its passphrase, then Unlock.');
  });

  it('an unlock agent that does not answer (stopped, hung): the status says "not answering" with its pid and Lock now as the fix, not "locked"; Lock now ends it', async () => {
    const { api, user, show } = withFakeApi();
    api.security = { backend: 'file', unlocked: true, passphrase: CURRENT, offerFile: false, notAnswering: [4242] };
    show(<Security />);
    const form = await screen.findByRole('form', { name: 'Where your secrets live' });
    const status = within(form).getByRole('status');
    // Main could not tell stopped from busy here (no state): it claims neither (it said "stopped or hung" of a busy one).
    expect(status.textContent).toContain("Not answering: the vault file's unlock agent (pid 4242) did not answer (stopped, busy or hung). It may still hold the key in memory.");
    expect(status.textContent).toContain('Fix: Lock now ends it, its key with it; then unlock again.');
    // Not shown as locked (before: the "The vault file is locked" form, its fix "Unlock", and no Lock now button).
    expect(screen.queryByRole('form', { name: 'Unlock the vault file' })).toBeNull();
    expect(form.textContent).not.toContain('Unlock the vault file on the Security screen');
    const lock = screen.getByRole('button', { name: 'Lock now' });
    await user.click(lock);
    await screen.findByRole('form', { name: 'Unlock the vault file' });
    expect(screen.queryByText(/Not answering/)).toBeNull();
    expect(api.calls.filter((c) => c.method === 'securityLock')).toHaveLength(1);
  });

  // Lock now pressed while a switch back to the keychain ran: main answers at once, but the button said "Locking…" until
  // the screens' reloads, which wait for the switch (30 s, then BACKEND_SWITCHING), had answered.
  it('Lock now pressed while a switch runs: says at once that it locked and that the switch goes on; the card says what is once the switch ends', async () => {
    const { api, user, show } = withFakeApi();
    api.security = { backend: 'file', unlocked: true, passphrase: CURRENT, offerFile: false };
    api.values.set('huggingface.token', 'hf_x');
    show(<Security />);
    const form = await screen.findByRole('form', { name: 'Where your secrets live' });
    const moving = api.hold('securityUseBackend');
    api.fail('securityUseBackend', { code: 'VAULT_LOCKED', message: 'The switch to the keychain stopped: the vault file was locked (Lock now) before the switch had read your secrets from it. Nothing was moved: they stay in the vault file.', fix: 'Unlock the vault file, then switch again.' });
    await user.click(within(form).getByRole('button', { name: 'Use the keychain' }));
    await within(form).findByRole('button', { name: 'Moving…' });
    // Main's answer while a switch runs (security-handlers.ts, lockedWhileSwitching); the screens' reads wait for the switch.
    api.hold('credentialsList');
    api.hold('doctor');
    api.securityLock = async () => {
      api.security = { ...api.security, unlocked: false };
      return { backend: 'file', ok: false, code: 'BACKEND_SWITCHING', message: 'Locked: every unlock agent of the vault file that listened was stopped. A switch of where your secrets live is still under way.', fix: 'Wait for the switch to end, then unlock the vault file to use it again.', unlockedUntil: null, offerFile: false };
    };
    await user.click(screen.getByRole('button', { name: 'Lock now' }));
    expect(await screen.findByRole('button', { name: 'Lock now' })).toBeTruthy();
    const status = within(form).getByRole('status');
    expect(status.textContent).toContain('Locked: every unlock agent of the vault file that listened was stopped. A switch of where your secrets live is still under way.');
    expect(status.textContent).toContain('Fix: Wait for the switch to end, then unlock the vault file to use it again.');
    // The switch stops (it found the vault file locked): its error is said, and the card no longer says it runs.
    moving();
    expect(await within(form).findByText(/The switch to the keychain stopped/)).toBeTruthy();
    await screen.findByRole('form', { name: 'Unlock the vault file' });
    expect(document.body.textContent).not.toContain('still under way');
  });

  it('Lock now that fails (the unlock agent did not answer) says why under the button, keeps the focus there, and a second press locks', async () => {
    const { api, user, show } = withFakeApi();
    api.security = { backend: 'file', unlocked: true, passphrase: CURRENT, offerFile: false };
    api.fail('securityLock', { code: 'VAULT_LOCKED', message: 'The unlock agent did not answer within 5 s.', fix: 'Run cpw-vault lock in a terminal.' });
    show(<Security />);
    const lock = await screen.findByRole('button', { name: 'Lock now' });
    lock.focus();
    await user.keyboard('{Enter}');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The unlock agent did not answer within 5 s.');
    expect(alert.textContent).toContain('VAULT_LOCKED');
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Lock now' }));
    // Tied to the button: a screen reader on it hears why it failed.
    expect(lock.getAttribute('aria-describedby')).toBe(alert.id);
    expect(screen.getByRole('button', { name: 'Lock now', description: /The unlock agent did not answer within 5 s\./ })).toBe(lock);
    expect(screen.queryByRole('form', { name: 'Unlock the vault file' })).toBeNull();
    api.recover('securityLock');
    await user.click(screen.getByRole('button', { name: 'Lock now' }));
    await screen.findByRole('form', { name: 'Unlock the vault file' });
    expect(screen.queryByText('The unlock agent did not answer within 5 s.')).toBeNull();
    expect(api.calls.filter((c) => c.method === 'securityLock')).toHaveLength(2);
    // reloadAll ran after the lock: the credentials were read again.
    const methods = api.calls.map((c) => c.method);
    expect(methods.lastIndexOf('credentialsList')).toBeGreaterThan(methods.lastIndexOf('securityLock'));
  });

  it('passphrase change: inline validation, save disabled while working, a wrong current passphrase keeps the fields, success clears them', async () => {
    const { api, user, show } = withFakeApi();
    api.security = { backend: 'file', unlocked: true, passphrase: CURRENT, offerFile: false };
    show(<Security />);
    const form = await screen.findByRole('form', { name: 'Change the vault passphrase' });
    const save = within(form).getByRole('button', { name: 'Change passphrase' }) as HTMLButtonElement;
    const cur = within(form).getByLabelText('Current passphrase', { selector: 'input' }) as HTMLInputElement;
    const next = within(form).getByLabelText('New passphrase', { selector: 'input' }) as HTMLInputElement;
    const confirm = within(form).getByLabelText('Confirm the new passphrase', { selector: 'input' }) as HTMLInputElement;
    await user.type(cur, CURRENT);
    await user.type(next, CURRENT);
    expect(form.textContent).toContain('Must differ from the current passphrase');
    await user.clear(next);
    await user.type(next, NEXT);
    await user.type(confirm, NEXT);
    expect(off(save)).toBe(false);
    // Wrong current: the error shows, nothing is cleared.
    await user.clear(cur);
    await user.type(cur, 'not the current passphrase');
    await user.click(save);
    expect(await within(form).findByText(/does not open the vault file/)).toBeTruthy();
    expect(next.value).toBe(NEXT);
    expect(api.security.passphrase).toBe(CURRENT);
    await user.clear(cur);
    await user.type(cur, CURRENT);
    const release = api.hold('securityChangePassphrase');
    await user.click(save);
    expect(off(within(form).getByRole('button', { name: 'Re-encrypting…' }))).toBe(true);
    release();
    // Locked afterwards (the agent is stopped): the unlock form appears, the change form's fields are empty.
    await screen.findByRole('form', { name: 'Unlock the vault file' });
    expect(api.security.passphrase).toBe(NEXT);
    expect(useVault.getState().toasts.at(-1)?.text).toContain('Passphrase changed');
    const after = screen.getByRole('form', { name: 'Change the vault passphrase' });
    for (const i of within(after).getAllByDisplayValue('')) expect((i as HTMLInputElement).value).toBe('');
    expect(within(after).queryByDisplayValue(NEXT)).toBeNull();
  });

  it('export asks main for the file; import shows the plan before anything is written', async () => {
    const { api, user, show } = withFakeApi();
    api.values.set('huggingface.token', 'hf_x');
    const source = parseJsonSource('/home/u/move.age', JSON.stringify({ hf_token: 'hf_abcdefghijklmnopqrstuvwxyzABCDEFGH', tmdb_api_key: '0123456789abcdef0123456789abcdef' }));
    api.plan = { source: { handle: 'e'.repeat(32), path: '/home/u/move.age', origin: 'picked' }, plan: planMigration(source, (id) => (id === 'tmdb.api_key' ? 'different' : 'absent')) };
    show(<Security />);
    const exp = await screen.findByRole('form', { name: 'Export' });
    await user.type(within(exp).getByLabelText('Export passphrase', { selector: 'input' }), NEXT);
    await user.type(within(exp).getByLabelText('Confirm the export passphrase', { selector: 'input' }), NEXT);
    await user.click(within(exp).getByRole('button', { name: 'Export…' }));
    await waitFor(() => expect(useVault.getState().toasts.at(-1)?.text).toContain('Exported 1 credential to /home/u/cpw-vault-export.age'));
    expect(within(exp).queryByRole('alert', { name: 'Left out of the export' })).toBeNull();
    const imp = screen.getByRole('region', { name: 'Import' });
    await user.click(within(imp).getByRole('button', { name: 'Choose an export file…' }));
    await user.type(within(imp).getByLabelText('Passphrase of the export file', { selector: 'input' }), 'export passphrase');
    await user.click(within(imp).getByRole('button', { name: 'Show the plan' }));
    const table = await within(imp).findByRole('table');
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(api.calls.some((c) => c.method === 'securityImportApply')).toBe(false);
    await user.click(within(table).getByRole('checkbox', { name: 'Overwrite tmdb.api_key' }));
    await user.click(within(imp).getByRole('button', { name: 'Import 2 credentials' }));
    await waitFor(() => expect(useVault.getState().toasts.at(-1)?.text).toMatch(/^Imported \d credentials?;/));
    expect(api.calls.find((c) => c.method === 'securityImportApply')?.args).toEqual([{ source: 'e'.repeat(32), overwrite: ['tmdb.api_key'] }]);
  });

  it('import from the keyboard: the focus goes to the plan when it replaces the passphrase form, and back to "Choose an export file…" after Import (it fell to <body> both times)', async () => {
    const { api, user, show } = withFakeApi();
    const source = parseJsonSource('/home/u/move.age', JSON.stringify({ hf_token: 'hf_abcdefghijklmnopqrstuvwxyzABCDEFGH' }));
    api.plan = { source: { handle: 'e'.repeat(32), path: '/home/u/move.age', origin: 'picked' }, plan: planMigration(source, () => 'absent') };
    show(<Security />);
    const imp = await screen.findByRole('region', { name: 'Import' });
    within(imp).getByRole('button', { name: 'Choose an export file…' }).focus();
    await user.keyboard('{Enter}');
    const field = await within(imp).findByLabelText('Passphrase of the export file', { selector: 'input' });
    await user.click(field);
    await user.keyboard('export passphrase{Enter}');
    await within(imp).findByRole('table');
    expect(document.activeElement).not.toBe(document.body);
    expect(imp.contains(document.activeElement)).toBe(true);
    await user.tab();
    expect(document.activeElement?.textContent).toBe('Import 1 credential');
    await user.keyboard('{Enter}');
    await waitFor(() => expect(useVault.getState().toasts.at(-1)?.text).toMatch(/^Imported 1 credential;/));
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Choose an export file…'));
  });

  it('the whole app shows the unlock screen while the vault file is locked, and the screens once it opens', async () => {
    const { api, user, show } = withFakeApi();
    api.security = { backend: 'file', unlocked: false, passphrase: CURRENT, offerFile: false };
    const doctor = api.doctor;
    api.doctor = () => doctor().then((d) => (api.security.unlocked ? d : { ...d, ok: false, keychain: { ok: false, backend: 'age vault file', code: 'VAULT_LOCKED', message: 'The vault file is locked.', fix: 'Unlock it.' } }));
    show(<App />);
    const form = await screen.findByRole('form', { name: 'Unlock the vault file' });
    await user.type(within(form).getByLabelText('Vault passphrase', { selector: 'input' }), 'wrong passphrase!!');
    await user.click(within(form).getByRole('button', { name: 'Unlock' }));
    expect(await within(form).findByText(/does not open the vault file/)).toBeTruthy();
    await user.clear(within(form).getByLabelText('Vault passphrase', { selector: 'input' }));
    await user.type(within(form).getByLabelText('Vault passphrase', { selector: 'input' }), CURRENT);
    await user.click(within(form).getByRole('button', { name: 'Unlock' }));
    await waitFor(() => expect(screen.queryByRole('form', { name: 'Unlock the vault file' })).toBeNull());
    expect(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('button', { name: 'Security' })).toBeTruthy();
  });

  it('an unlock agent that does not answer, on every other screen: what Security says (its pid, stopped) and Lock now stand in, not the unlock form; Lock now ends it, then the unlock form', async () => {
    const { api, user, show } = withFakeApi();
    api.security = { backend: 'file', unlocked: true, passphrase: CURRENT, offerFile: false, notAnswering: [4242] };
    const doctor = api.doctor;
    // As main's doctor says it since the store's status carries what it found: VAULT_LOCKED, and the agent not answering.
    const silent = { ok: false as const, backend: 'age vault file', code: 'VAULT_LOCKED' as const, message: 'The vault file cannot be read: the unlock agent did not answer within 5 s.', fix: 'Start the unlock again: cpw-vault lock, then cpw-vault unlock', agentNotAnswering: { pids: [4242], state: 'stopped' as const } };
    const locked = { ok: false as const, backend: 'age vault file', code: 'VAULT_LOCKED' as const, message: 'The vault file is locked.', fix: 'Unlock it.' };
    api.doctor = () => doctor().then((d) => ({ ...d, ok: false, keychain: api.security.notAnswering ? silent : locked }));
    show(<App />);
    const card = await screen.findByRole('region', { name: 'The unlock agent is not answering' });
    expect(card.textContent).toContain("Not answering: the vault file's unlock agent (pid 4242) is stopped (kill -STOP, a suspended session) and did not answer. It may still hold the key in memory.");
    expect(card.textContent).toContain('Fix: Lock now ends it, its key with it; then unlock again.');
    // Before: "The vault file is locked" and a passphrase field, while the stopped process held the key.
    expect(screen.queryByRole('form', { name: 'Unlock the vault file' })).toBeNull();
    await user.click(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('button', { name: 'Credentials' }));
    expect(screen.getByRole('region', { name: 'The unlock agent is not answering' })).toBeTruthy();
    within(card).getByRole('button', { name: 'Lock now' }).focus();
    await user.keyboard('{Enter}');
    await screen.findByRole('form', { name: 'Unlock the vault file' });
    expect(screen.queryByRole('region', { name: 'The unlock agent is not answering' })).toBeNull();
    expect(api.calls.filter((c) => c.method === 'securityLock')).toHaveLength(1);
  });

  it('an export that left a credential out (listed without a value) says which, in the card, until the next export', async () => {
    const { api, user, show } = withFakeApi();
    api.values.set('huggingface.token', 'hf_x');
    api.exportWarnings = ['tmdb.api_key is listed but has no stored value; it is not in the export.'];
    show(<Security />);
    const exp = await screen.findByRole('form', { name: 'Export' });
    await user.type(within(exp).getByLabelText('Export passphrase', { selector: 'input' }), NEXT);
    await user.type(within(exp).getByLabelText('Confirm the export passphrase', { selector: 'input' }), NEXT);
    await user.click(within(exp).getByRole('button', { name: 'Export…' }));
    const left = await within(exp).findByRole('alert', { name: 'Left out of the export' });
    expect(left.textContent).toBe('tmdb.api_key is listed but has no stored value; it is not in the export.');
    expect(useVault.getState().toasts.at(-1)).toMatchObject({ kind: 'info', text: expect.stringContaining('1 credential was left out') });
  });
});
