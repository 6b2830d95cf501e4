// @vitest-environment jsdom
// Two loads of one list in flight, and main's answers arriving in the other order: the older answer, last, must not
// replace the newer. The answers here are taken when main is asked and held until the test lets each one in.
import { cleanup } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { initialState, useVault } from '../../renderer/store';
import { selectReadyCount } from '../../renderer/store/workflows-slice';
import { selectKeychainProblem } from '../../renderer/store/app-slice';
import type { MigrationRequest, MigrationSource, ReviewedPlan } from '../../shared/core/ipc-contract';
import type { TeamView } from '../../shared/core/team-view';
import type { FakeApi } from '../fakes/fake-api';
import { withFakeApi } from './setup';

const HF = `hf_${'Comp'.repeat(9)}`;

afterEach(() => {
  cleanup();
  useVault.setState(initialState());
});

type Held = 'credentialsList' | 'workflowsValidate' | 'profileGet' | 'profileAvatar';

/**
 * `method` answers what main knew when asked, but only once the test calls `letIn(n)` for the n-th call (from 0):
 * the order answers arrive in is the test's, not the event loop's.
 */
function holdAnswers(api: FakeApi, method: Held) {
  const real = api[method].bind(api) as () => Promise<unknown>;
  const gates: Array<() => void> = [];
  api[method] = (async () => {
    const answer = await real();
    await new Promise<void>((r) => gates.push(r));
    return answer;
  }) as never;
  return {
    /** Resolves once `n` calls wait at their gate. */
    waiting: (n: number) => new Promise<void>((resolve) => {
      const check = () => (gates.length >= n ? resolve() : void setTimeout(check, 0));
      check();
    }),
    letIn: (n: number) => gates[n]!(),
  };
}

describe('only the newest load of a list lands', () => {
  it('credentials: a save that reloads while the screen\'s first load is still on its way stays stored when the older answer arrives last', async () => {
    const { api } = withFakeApi();
    const list = holdAnswers(api, 'credentialsList');
    const first = useVault.getState().loadCredentials(); // the screen's load: nothing stored yet
    await list.waiting(1);
    const saved = useVault.getState().saveCredential({ service: 'huggingface', key: 'token', value: HF }); // reloads
    await list.waiting(2);
    list.letIn(1);
    await saved;
    const stored = () => useVault.getState().credentials.find((c) => c.id === 'huggingface.token')?.stored;
    expect(stored()).toBe(true);
    list.letIn(0);
    await first;
    expect(stored()).toBe(true);
    expect(useVault.getState().credentialsLoading).toBe(false);
  });

  // Found by a concurrent e2e run: main's profileChanged started the screen's load after the save's; the save's answer,
  // dropped, still let the save resolve, and its form closed on a list that said "not stored" (focus went to Add).
  it('credentials: a save whose reload was overtaken by a newer load resolves only once that newer answer has landed', async () => {
    const { api } = withFakeApi();
    const list = holdAnswers(api, 'credentialsList');
    let resolved = false;
    const saved = useVault.getState().saveCredential({ service: 'huggingface', key: 'token', value: HF }).then(() => (resolved = true));
    await list.waiting(1);
    const screen = useVault.getState().loadCredentials(); // main's event: a newer load of the same list
    await list.waiting(2);
    list.letIn(0); // the save's own answer arrives first, and is dropped
    await new Promise((r) => setTimeout(r, 20));
    expect(resolved).toBe(false);
    list.letIn(1);
    await saved;
    expect(useVault.getState().credentials.find((c) => c.id === 'huggingface.token')?.stored).toBe(true);
    await screen;
    expect(useVault.getState().credentialsLoading).toBe(false);
  });

  it('workflows: the readiness of the newer load stays when an older load\'s answer (before the key was stored) arrives last', async () => {
    const { api } = withFakeApi();
    const validate = holdAnswers(api, 'workflowsValidate');
    const first = useVault.getState().loadWorkflows();
    await validate.waiting(1);
    api.values.set('huggingface.token', HF);
    const second = useVault.getState().loadWorkflows();
    await validate.waiting(2);
    validate.letIn(1);
    await second;
    const ready = selectReadyCount(useVault.getState());
    validate.letIn(0);
    await first;
    expect(selectReadyCount(useVault.getState())).toBe(ready);
    expect(useVault.getState().workflowsLoading).toBe(false);
    // The two answers differ, or this test could not fail.
    api.values.delete('huggingface.token');
    const third = useVault.getState().loadWorkflows();
    await validate.waiting(3);
    validate.letIn(2);
    await third;
    expect(selectReadyCount(useVault.getState())).not.toBe(ready);
  });

  it('profile: a save answered while the screen\'s load is still on its way is not undone by that older answer', async () => {
    const { api } = withFakeApi();
    const get = holdAnswers(api, 'profileGet');
    const first = useVault.getState().loadProfile(); // the name is still empty when main answers this one
    await get.waiting(1);
    expect(await useVault.getState().saveProfile({ user: { name: 'Ada' } }, { quiet: true })).toBe(true);
    expect(useVault.getState().profile?.profile.user.name).toBe('Ada');
    get.letIn(0);
    await first;
    expect(useVault.getState().profile?.profile.user.name).toBe('Ada');
    expect(useVault.getState().profileLoading).toBe(false);
  });

  it('avatar: the one fetched after a save stays when the screen\'s older fetch (no avatar yet) arrives last', async () => {
    const { api } = withFakeApi();
    const fetches = holdAnswers(api, 'profileAvatar');
    const first = useVault.getState().loadAvatar(); // the screen's: no avatar set yet, initials
    await fetches.waiting(1);
    api.avatar = 'data:image/png;base64,iVBORw0KGgo='; // the save's new avatar_url, fetched
    const second = useVault.getState().loadAvatar();
    await fetches.waiting(2);
    fetches.letIn(1);
    await second;
    fetches.letIn(0);
    await first;
    expect(useVault.getState().avatar).toBe('data:image/png;base64,iVBORw0KGgo=');
  });

  it('profile: of two loads in flight, the newer answer stays when the older one arrives last', async () => {
    const { api } = withFakeApi();
    const get = holdAnswers(api, 'profileGet');
    const first = useVault.getState().loadProfile();
    await get.waiting(1);
    api.profile = { ...api.profile, user: { ...api.profile.user, name: 'Changed by the CLI' } };
    const second = useVault.getState().loadProfile();
    await get.waiting(2);
    get.letIn(1);
    await second;
    get.letIn(0);
    await first;
    expect(useVault.getState().profile?.profile.user.name).toBe('Changed by the CLI');
    expect(useVault.getState().profileLoading).toBe(false);
  });
});

/**
 * main's migrationPlan, held like holdAnswers: each answer is the plan of the source and the choices it was asked
 * with (what would be written: one row applied per conflict ticked to overwrite), let in when the test says.
 */
function holdPlans(api: FakeApi) {
  const gates: Array<() => void> = [];
  api.migrationPlan = async (r: MigrationRequest) => {
    const apply = r.overwrite === 'all' ? 2 : (r.overwrite?.length ?? 0);
    const answer = { source: { handle: r.source, path: `/${r.source}/secrets.json`, origin: 'found' }, reviewed: `tag-${r.source}`, plan: { source: { kind: 'secrets-json', path: `/${r.source}/secrets.json` }, rows: [], duplicateKeys: [], counts: { apply, import: 0, identical: 0, conflict: 2 - apply, unknown: 0, invalid: 0, duplicate: 0 } } } as unknown as ReviewedPlan;
    await new Promise<void>((resolve) => gates.push(resolve));
    return answer;
  };
  return {
    waiting: (n: number) => new Promise<void>((resolve) => {
      const check = () => (gates.length >= n ? resolve() : void setTimeout(check, 0));
      check();
    }),
    letIn: (n: number) => gates[n]!(),
  };
}

const source = (c: string): MigrationSource => ({ handle: c.repeat(32), path: `/${c}/secrets.json`, origin: 'found' });

describe('only the newest migration plan lands (Migrate writes the plan shown)', () => {
  it('choosing another source while the first one\'s plan is on its way shows the plan of the source chosen, not the older answer', async () => {
    const { api } = withFakeApi();
    const plans = holdPlans(api);
    const first = useVault.getState().useSource(source('a'));
    await plans.waiting(1);
    const second = useVault.getState().useSource(source('b'));
    await plans.waiting(2);
    plans.letIn(1);
    await second;
    expect(useVault.getState().plan?.source.handle).toBe('b'.repeat(32));
    plans.letIn(0);
    await first;
    // The radio says b; a plan of a under it was what Migrate would have offered (and main refused its tag).
    expect(useVault.getState().source?.handle).toBe('b'.repeat(32));
    expect(useVault.getState().plan?.source.handle).toBe('b'.repeat(32));
    expect(useVault.getState().migrationLoading).toBe(false);
  });

  it('two Overwrite ticks in quick succession: the plan shown counts both when the first tick\'s plan arrives last', async () => {
    const { api } = withFakeApi();
    const plans = holdPlans(api);
    useVault.setState({ source: source('a') });
    const first = useVault.getState().toggleOverwrite('huggingface.token');
    await plans.waiting(1);
    const second = useVault.getState().toggleOverwrite('tmdb.api_key');
    await plans.waiting(2);
    plans.letIn(1);
    await second;
    expect(useVault.getState().plan?.plan.counts.apply).toBe(2);
    plans.letIn(0);
    await first;
    // Migrate sends both ticks: the plan (and "Migrate N credential(s)") must say both, not the older answer's one.
    expect(useVault.getState().overwrite).toEqual(['huggingface.token', 'tmdb.api_key']);
    expect(useVault.getState().plan?.plan.counts.apply).toBe(2);
    expect(useVault.getState().migrationLoading).toBe(false);
  });
});

describe('only the newest team file status lands', () => {
  it('another team file opened while the first one\'s status is on its way: the second file\'s members and keys stay when the first answer arrives last', async () => {
    const { api } = withFakeApi();
    const gates: Array<() => void> = [];
    // main's answer is the status of the file asked about, held until the test lets it in.
    api.teamStatus = async ({ handle }) => {
      const answer = { path: `/${handle[0]}/cpw-team.age`, you: `age1${'m'.repeat(58)}`, recipient: true, member: handle[0]!, members: [], keys: [], rotate: [], warning: null, fix: null } as TeamView;
      await new Promise<void>((resolve) => gates.push(resolve));
      return answer;
    };
    const waiting = (n: number) => new Promise<void>((resolve) => {
      const check = () => (gates.length >= n ? resolve() : void setTimeout(check, 0));
      check();
    });
    useVault.setState({ teamFile: { handle: 'a'.repeat(32), path: '/a/cpw-team.age' } });
    const first = useVault.getState().loadTeam(); // the screen's load, of a
    await waiting(1);
    api.teamFile = { handle: 'b'.repeat(32), path: '/b/cpw-team.age' };
    const opened = useVault.getState().openTeamFile();
    await waiting(2);
    gates[1]!();
    await opened;
    expect(useVault.getState().teamView?.path).toBe('/b/cpw-team.age');
    gates[0]!();
    await first;
    expect(useVault.getState().teamFile?.path).toBe('/b/cpw-team.age');
    expect(useVault.getState().teamView?.path).toBe('/b/cpw-team.age');
    expect(useVault.getState().teamLoading).toBe(false);
  });
});

describe('only the newest doctor answer lands', () => {
  it('the keychain unlocked between two asks: the older answer (locked), arriving last, does not bring the banner back', async () => {
    const { api } = withFakeApi();
    const gates: Array<() => void> = [];
    const real = api.doctor.bind(api);
    api.doctor = async () => {
      const answer = await real();
      await new Promise<void>((resolve) => gates.push(resolve));
      return answer;
    };
    const waiting = (n: number) => new Promise<void>((resolve) => {
      const check = () => (gates.length >= n ? resolve() : void setTimeout(check, 0));
      check();
    });
    api.keychainOk = false;
    const first = useVault.getState().refreshDoctor(); // a keychain error's: still locked when main answers
    await waiting(1);
    api.keychainOk = true;
    const second = useVault.getState().refreshDoctor(); // after the unlock
    await waiting(2);
    gates[1]!();
    await second;
    expect(selectKeychainProblem(useVault.getState())).toBeNull();
    gates[0]!();
    await first;
    expect(selectKeychainProblem(useVault.getState())).toBeNull();
  });
});
