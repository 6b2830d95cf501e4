// @vitest-environment jsdom
// The Security screen left open says what is true when the user looks again: its status is read again when the window
// regains the focus or becomes visible, and when "unlocked until" passes; one read at a time, and a read's answer that
// arrives after an action's (Lock now) never puts back what the action changed.
import { act, cleanup, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Security } from '../../renderer/screens/Security';
import { initialState, useVault } from '../../renderer/store';
import type { SecurityStatus } from '../../shared/core/ipc-contract';
import type { FakeApi } from '../fakes/fake-api';
import { withFakeApi } from './setup';

afterEach(() => {
  cleanup();
  useVault.setState(initialState());
});

/**
 * securityStatus answers what the fake knew when asked, but only once the test lets the n-th call (from 0) in: the
 * order answers arrive in is the test's. `asked()`: how many calls main got.
 */
function holdStatus(api: FakeApi) {
  const real = api.securityStatus.bind(api);
  const gates: Array<() => void> = [];
  api.securityStatus = async () => {
    const answer = await real();
    await new Promise<void>((r) => gates.push(r));
    return answer;
  };
  return {
    asked: () => api.calls.filter((c) => c.method === 'securityStatus').length,
    letIn: (n: number) => act(async () => void gates[n]!()),
  };
}

const lookAgain = () => act(async () => void window.dispatchEvent(new Event('focus')));
const unlockedLine = () => screen.queryByText(/Available now, unlocked until/);
const unlockForm = () => screen.queryByRole('form', { name: 'Unlock the vault file' });

describe('the Security screen left open', () => {
  it('Lock now answered while a read again was on its way: the read\'s older "unlocked until", arriving last, does not replace "locked"', async () => {
    const { api, user, show } = withFakeApi();
    api.security = { ...api.security, backend: 'file', unlocked: true };
    const status = holdStatus(api);
    show(<Security />);
    await waitFor(() => expect(status.asked()).toBe(1));
    await status.letIn(0);
    await screen.findByText(/Available now, unlocked until/);
    await lookAgain(); // the window regains the focus: a read starts while the vault file is still open
    await waitFor(() => expect(status.asked()).toBe(2));
    await user.click(screen.getByRole('button', { name: 'Lock now' }));
    await waitFor(() => expect(unlockForm()).not.toBeNull());
    // The Lock now pressed went, and the focus with it: the passphrase field takes it (not <body>).
    expect(document.activeElement).toBe(within(unlockForm()!).getByLabelText('Vault passphrase', { selector: 'input' }));
    await status.letIn(1); // "unlocked until", read before the lock, arrives now
    await act(async () => undefined);
    expect(unlockForm()).not.toBeNull();
    expect(unlockedLine()).toBeNull();
    expect(screen.getByText(/VAULT_LOCKED/)).toBeTruthy();
  });

  it('focus and visibility changes while a read runs start no second read at once: one more after it, whose answer lands', async () => {
    const { api, show } = withFakeApi();
    api.security = { ...api.security, backend: 'file', unlocked: true };
    const status = holdStatus(api);
    show(<Security />);
    await waitFor(() => expect(status.asked()).toBe(1));
    await lookAgain();
    await lookAgain();
    await act(async () => void document.dispatchEvent(new Event('visibilitychange')));
    expect(status.asked()).toBe(1);
    api.security.unlocked = false; // `cpw-vault lock` in a terminal, while the first read is on its way
    await status.letIn(0);
    await screen.findByText(/Available now, unlocked until/);
    await waitFor(() => expect(status.asked()).toBe(2));
    await status.letIn(1);
    await waitFor(() => expect(unlockForm()).not.toBeNull());
    expect(status.asked()).toBe(2);
  });

  it('after `cpw-vault lock` in a terminal, the window regaining the focus shows it locked; the field being typed in keeps the focus and its text', async () => {
    const { api, user, show } = withFakeApi();
    api.security = { ...api.security, backend: 'file', unlocked: true };
    useVault.setState({ doctor: { keychain: { ok: true } } as never });
    show(<Security />);
    await screen.findByText(/Available now, unlocked until/);
    const change = screen.getByRole('form', { name: 'Change the vault passphrase' });
    const field = within(change).getByLabelText('New passphrase', { selector: 'input' }) as HTMLInputElement;
    await user.click(field);
    await user.keyboard('half typed');
    api.security.unlocked = false;
    await lookAgain();
    await waitFor(() => expect(unlockForm()).not.toBeNull());
    expect(unlockedLine()).toBeNull();
    expect(document.activeElement).toBe(field);
    expect(field.value).toBe('half typed');
    // Doctor is read again too: the other screens' unlock form agrees with this one.
    await waitFor(() => expect(api.calls.some((c) => c.method === 'doctor')).toBe(true));
  });

  it('"unlocked until" passing shows the vault file locked, by one read at that instant (no polling)', async () => {
    const { api, show } = withFakeApi();
    api.security = { ...api.security, backend: 'file', unlocked: true };
    const until = Date.now() + 1_500;
    const real = api.securityStatus.bind(api);
    api.securityStatus = async () => {
      if (Date.now() >= until) api.security.unlocked = false; // the agent's time to live ran out
      const s: SecurityStatus = await real();
      return s.ok ? { ...s, unlockedUntil: new Date(until).toISOString() } : s;
    };
    show(<Security />);
    await screen.findByText(/Available now, unlocked until/);
    await waitFor(() => expect(unlockForm()).not.toBeNull(), { timeout: 60_000 });
    // The first read and the one at the instant: a poll every second would have asked more often.
    expect(api.calls.filter((c) => c.method === 'securityStatus')).toHaveLength(2);
  }, 90_000);
});
