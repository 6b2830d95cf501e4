// @vitest-environment jsdom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Team } from '../../renderer/screens/Team';
import { initialState, useVault } from '../../renderer/store';
import { planMigration } from '../../shared/core/migration-plan';
import type { TeamView } from '../../shared/core/team-view';
import { withFakeApi } from './setup';

const ME = `age1${'m'.repeat(58)}`;
const ALICE = `age1${'a'.repeat(58)}`;
const view = (over: Partial<TeamView> = {}): TeamView => ({
  path: '/repo/cpw-team.age', you: ME, recipient: true, member: 'me',
  members: [{ name: 'alice', recipient: ALICE }, { name: 'me', recipient: ME }],
  keys: [{ id: 'tmdb.api_key', local: 'absent', updated_at: '2026-12-01T00:00:00Z', updated_by: 'alice' }, { id: 'huggingface.token', local: 'same', updated_at: '', updated_by: null }],
  rotate: [], warning: null, fix: null, ...over,
});

afterEach(() => {
  cleanup();
  useVault.setState(initialState());
});

describe('Team screen', () => {
  it('Open a team file… pressed twice while main\'s dialog is open: one dialog, and the button keeps the keyboard focus (turned off with aria-disabled, not disabled)', async () => {
    const { api, user, show } = withFakeApi();
    api.team = view();
    api.teamFile = null;
    show(<Team />);
    const release = api.hold('teamPickFile');
    const open = screen.getByRole('button', { name: 'Open a team file…' });
    open.focus();
    await user.keyboard('{Enter}');
    await user.keyboard('{Enter}');
    expect(api.calls.filter((c) => c.method === 'teamPickFile')).toHaveLength(1);
    expect(open.getAttribute('aria-disabled')).toBe('true');
    expect((open as HTMLButtonElement).disabled).toBe(false);
    expect(document.activeElement).toBe(open);
    release();
    await waitFor(() => expect(open.getAttribute('aria-disabled')).toBeNull());
    expect(document.activeElement).toBe(open);
  });

  it('opens a team file through main\'s dialog; a cancelled dialog changes nothing', async () => {
    const { api, user, show } = withFakeApi();
    api.team = view();
    api.teamFile = null;
    show(<Team />);
    await user.click(screen.getByRole('button', { name: 'Open a team file…' }));
    expect(api.calls.map((c) => c.method)).toEqual(['teamPickFile']);
    expect(screen.getByRole('button', { name: 'Open a team file…' })).toBeTruthy();
    api.teamFile = { handle: 'e'.repeat(32), path: '/repo/cpw-team.age' };
    await user.click(screen.getByRole('button', { name: 'Open a team file…' }));
    expect(await screen.findByText('You are a recipient (as me).')).toBeTruthy();
    expect(api.calls.at(-1)).toMatchObject({ method: 'teamStatus', args: [{ handle: 'e'.repeat(32) }] });
    const members = screen.getByRole('table', { name: 'Members' });
    expect(within(members).getAllByRole('row')).toHaveLength(3);
    const keys = screen.getByRole('table', { name: 'Keys shared' });
    expect(keys.textContent).toContain('tmdb.api_keynot in your vaultalice');
  });

  it('not a recipient: says so with the fix, shows members but no keys and no pull; no key yet: offers to create one', async () => {
    const { api, user, show } = withFakeApi();
    api.team = view({ recipient: false, member: null, you: null, keys: [], members: [{ name: 'alice', recipient: ALICE }], fix: 'Ask a member to run: cpw-vault team add <you> <your age1 key>' });
    show(<Team />);
    await user.click(screen.getByRole('button', { name: 'Open a team file…' }));
    expect(await screen.findByText('You are not a recipient of this team file.')).toBeTruthy();
    expect(screen.getByText(/Ask a member to run: cpw-vault team add/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Pull…' })).toBeNull();
    expect(screen.queryByRole('table', { name: 'Keys shared' })).toBeNull();
    api.team = view({ recipient: false, member: null, keys: [], fix: 'Ask a member to run: cpw-vault team add <you> ' + ME });
    await user.click(screen.getByRole('button', { name: 'Create my team key' }));
    expect((await screen.findByLabelText('Your team key')).textContent).toBe(ME);
    expect(useVault.getState().toasts.at(-1)?.text).toContain('Your team key is ready');
  });

  it('keyboard only: Pull… hands the focus to the plan that replaces it, and Cancel and Pull hand it back to Pull… (it fell to <body> each time)', async () => {
    const { api, user, show } = withFakeApi();
    api.team = view();
    api.teamPlanResult = planMigration({ kind: 'team-file', path: '/repo/cpw-team.age', entries: [{ sourceKey: 'tmdb.api_key', target: 'tmdb.api_key', value: '0123456789abcdef0123456789abcdef' }], duplicateKeys: [] }, () => 'absent');
    show(<Team />);
    await user.click(screen.getByRole('button', { name: 'Open a team file…' }));
    (await screen.findByRole('button', { name: 'Pull…' })).focus();
    await user.keyboard('{Enter}');
    const region = await screen.findByRole('region', { name: 'Pull plan' });
    await waitFor(() => expect(document.activeElement).toBe(region));
    screen.getByRole('button', { name: 'Cancel' }).focus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Pull…'));
    await user.keyboard('{Enter}');
    (await screen.findByRole('button', { name: 'Pull 1 credential' })).focus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(useVault.getState().toasts.at(-1)?.text).toBe('Pulled 1 credential into your vault.'));
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Pull…'));
  });

  it('pull shows the plan first; Cancel writes nothing; Pull writes and refreshes', async () => {
    const { api, user, show } = withFakeApi();
    api.team = view();
    api.teamPlanResult = planMigration({ kind: 'team-file', path: '/repo/cpw-team.age', entries: [{ sourceKey: 'tmdb.api_key', target: 'tmdb.api_key', value: '0123456789abcdef0123456789abcdef' }, { sourceKey: 'huggingface.token', target: 'huggingface.token', value: `hf_${'x'.repeat(34)}` }], duplicateKeys: [] }, (id) => (id === 'huggingface.token' ? 'same' : 'absent'));
    show(<Team />);
    await user.click(screen.getByRole('button', { name: 'Open a team file…' }));
    await user.click(await screen.findByRole('button', { name: 'Pull…' }));
    const plan = await screen.findByRole('table', { name: 'Plan' });
    expect(plan.textContent).toContain('tmdb.api_keyimport');
    expect(plan.textContent).toContain('huggingface.tokenidentical');
    expect(plan.textContent).not.toContain('0123456789abcdef');
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('table', { name: 'Plan' })).toBeNull();
    expect(api.calls.some((c) => c.method === 'teamPull')).toBe(false);
    await user.click(screen.getByRole('button', { name: 'Pull…' }));
    await user.click(await screen.findByRole('button', { name: 'Pull 1 credential' }));
    await waitFor(() => expect(useVault.getState().toasts.at(-1)?.text).toBe('Pulled 1 credential into your vault.'));
    expect(api.calls.filter((c) => c.method === 'teamPull').map((c) => c.args)).toEqual([[{ handle: 'e'.repeat(32), reviewed: 'tag-of-the-plan' }]]);
  });

  it('a pull main refuses (the file changed since its plan) shows the error and the plan the file holds now', async () => {
    const { api, user, show } = withFakeApi();
    api.team = view();
    api.teamPlanResult = planMigration({ kind: 'team-file', path: '/repo/cpw-team.age', entries: [{ sourceKey: 'tmdb.api_key', target: 'tmdb.api_key', value: '0123456789abcdef0123456789abcdef' }], duplicateKeys: [] }, () => 'absent');
    show(<Team />);
    await user.click(screen.getByRole('button', { name: 'Open a team file…' }));
    await user.click(await screen.findByRole('button', { name: 'Pull…' }));
    await screen.findByRole('table', { name: 'Plan' });
    api.fail('teamPull', { code: 'INVALID_ARGUMENT', message: '/repo/cpw-team.age changed since its plan was shown; nothing was pulled.', fix: 'Review the plan shown now, then pull again.' });
    api.teamPlanResult = planMigration({ kind: 'team-file', path: '/repo/cpw-team.age', entries: [{ sourceKey: 'tmdb.api_key', target: 'tmdb.api_key', value: '0123456789abcdef0123456789abcdef' }, { sourceKey: 'evil.thing', target: 'evil.thing', value: 'x'.repeat(20) }], duplicateKeys: [] }, () => 'absent', { includeUnknown: true });
    await user.click(screen.getByRole('button', { name: 'Pull 1 credential' }));
    await waitFor(() => expect(useVault.getState().toasts.at(-1)).toMatchObject({ kind: 'error' }));
    expect(useVault.getState().toasts.at(-1)?.text).toContain('changed since its plan was shown');
    expect((await screen.findByRole('table', { name: 'Plan' })).textContent).toContain('evil.thing');
  });

  it('leaving the Team screen drops the pull plan, and a plan still on its way then does not land: a later visit offers Pull… again', async () => {
    const { api, user, show } = withFakeApi();
    api.team = view();
    api.teamPlanResult = planMigration({ kind: 'team-file', path: '/repo/cpw-team.age', entries: [{ sourceKey: 'tmdb.api_key', target: 'tmdb.api_key', value: '0123456789abcdef0123456789abcdef' }], duplicateKeys: [] }, () => 'absent');
    const shown = show(<Team />);
    await user.click(screen.getByRole('button', { name: 'Open a team file…' }));
    await user.click(await screen.findByRole('button', { name: 'Pull…' }));
    await screen.findByRole('table', { name: 'Plan' });
    shown.unmount();
    // Back later: the plan reviewed against the team file as it was then is gone; Pull… asks for the file's plan now.
    const again = show(<Team />);
    expect(await screen.findByRole('button', { name: 'Pull…' })).toBeTruthy();
    expect(screen.queryByRole('table', { name: 'Plan' })).toBeNull();
    // Pull… pressed, then the screen left before the plan came back: it must not wait there for the next visit.
    const release = api.hold('teamPullPlan');
    await user.click(screen.getByRole('button', { name: 'Pull…' }));
    again.unmount();
    release();
    await waitFor(() => expect(useVault.getState().teamBusy).toBe(false));
    show(<Team />);
    expect(await screen.findByRole('button', { name: 'Pull…' })).toBeTruthy();
    expect(screen.queryByRole('table', { name: 'Plan' })).toBeNull();
    expect(api.calls.some((c) => c.method === 'teamPull')).toBe(false);
  });

  it('a push that withheld keys never shared from this vault says so, naming them', async () => {
    const { api, user, show } = withFakeApi();
    api.team = view();
    api.teamPush = async () => ({ updated: ['tmdb.api_key'], withheld: ['openai.api_key'], planted: [] });
    show(<Team />);
    await user.click(screen.getByRole('button', { name: 'Open a team file…' }));
    await user.click(await screen.findByRole('button', { name: 'Push my values' }));
    await waitFor(() => expect(useVault.getState().toasts.at(-1)?.text).toContain('Not sent: openai.api_key'));
    expect(useVault.getState().toasts.map((t) => t.text)).toContain('Pushed tmdb.api_key. Commit and push the team file.');
  });

  it('a push of a value a removed member may have seen says it is still to rotate, naming it', async () => {
    const { api, user, show } = withFakeApi();
    api.team = view();
    api.teamPush = async () => ({ updated: ['tmdb.api_key'], withheld: [], to_rotate: ['tmdb.api_key'], planted: [] });
    show(<Team />);
    await user.click(screen.getByRole('button', { name: 'Open a team file…' }));
    await user.click(await screen.findByRole('button', { name: 'Push my values' }));
    await waitFor(() => expect(useVault.getState().toasts.map((t) => t.text)).toContain('Pushed tmdb.api_key. Commit and push the team file.'));
    expect(useVault.getState().toasts.find((t) => t.text.startsWith('Still to rotate'))).toMatchObject({ kind: 'error', text: expect.stringContaining('Still to rotate: tmdb.api_key. The value pushed was in your vault before a member was removed') });
  });

  it('a push that removed planted team identity rows says which, in team push\'s words, and stays until dismissed', async () => {
    const { api, user, show } = withFakeApi();
    api.team = view();
    api.teamPush = async () => ({ updated: ['tmdb.api_key'], withheld: [], planted: [{ id: 'cpw-vault.team_identity', row: 2, own: false }, { id: 'cpw-vault.team_identity', row: 4, own: true }] });
    show(<Team />);
    await user.click(screen.getByRole('button', { name: 'Open a team file…' }));
    await user.click(await screen.findByRole('button', { name: 'Push my values' }));
    await waitFor(() => expect(useVault.getState().toasts.at(-1)).toMatchObject({ kind: 'error' }));
    const text = useVault.getState().toasts.at(-1)!.text;
    expect(text).toContain('Removed 1 planted cpw-vault.team_identity row (credential 2) from the team file: cpw-vault never writes one; see who added it: git log -- /repo/cpw-team.age');
    expect(text).toContain('removed your own team identity from the team file (credential 4): it was your own team identity');
    expect(useVault.getState().toasts.map((t) => t.text)).toContain('Pushed tmdb.api_key. Commit and push the team file.');
  });

  it('a push that removed nothing says only what it pushed', async () => {
    const { api, user, show } = withFakeApi();
    api.team = view();
    api.teamPush = async () => ({ updated: ['tmdb.api_key'], withheld: [], planted: [] });
    show(<Team />);
    await user.click(screen.getByRole('button', { name: 'Open a team file…' }));
    await user.click(await screen.findByRole('button', { name: 'Push my values' }));
    await waitFor(() => expect(useVault.getState().toasts.map((t) => t.text)).toEqual(['Pushed tmdb.api_key. Commit and push the team file.']));
  });

  it('a failed push is an error toast with the fix; the view stays', async () => {
    const { api, user, show } = withFakeApi();
    api.team = view({ warning: 'cpw-team.age.recipients and cpw-team.age disagree: it lists bob, who cannot read the team file.' });
    show(<Team />);
    await user.click(screen.getByRole('button', { name: 'Open a team file…' }));
    expect((await screen.findByRole('alert')).textContent).toContain('disagree');
    api.fail('teamPush', { code: 'TEAM_MISMATCH', message: 'The two files disagree.', fix: 'cpw-vault team recipients --write' });
    await user.click(screen.getByRole('button', { name: 'Push my values' }));
    await waitFor(() => expect(useVault.getState().toasts.at(-1)).toMatchObject({ kind: 'error' }));
    expect(screen.getByText('You are a recipient (as me).')).toBeTruthy();
  });
});
