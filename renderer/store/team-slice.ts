import type { StateCreator } from 'zustand';
import type { TeamFileRef, VaultApi } from '../../shared/core/ipc-contract';
import { undoOutcome, type MigrationPlan } from '../../shared/core/migration-plan';
import { removedText } from '../../shared/core/team-planted';
import type { TeamView } from '../../shared/core/team-view';
import { asApiError, getApi, type ApiError } from '../api';
import type { VaultState } from './index';
import { newestLoad } from './newest-load';
import { counted } from '../../shared/core/plural';

// State
export interface TeamState {
  teamFile: TeamFileRef | null;
  teamView: TeamView | null;
  teamLoading: boolean;
  teamError: ApiError | null;
  /** The pull plan, shown before anything is written; null when none is shown. */
  teamPlan: MigrationPlan | null;
  /** Main's tag of what teamPlan was made from: the pull writes only that. */
  teamReviewed: string | null;
  teamBusy: boolean;
}

// Actions
export interface TeamActions {
  /** Main's file dialog, then the file's status. */
  openTeamFile(): Promise<void>;
  loadTeam(): Promise<void>;
  createTeamKey(): Promise<void>;
  showPullPlan(): Promise<void>;
  cancelPullPlan(): void;
  /** The Team screen was left: its pull plan goes, and one still on its way is dropped when it arrives. */
  leaveTeam(): void;
  applyPull(): Promise<void>;
  pushTeam(): Promise<void>;
}

export type TeamSlice = TeamState & TeamActions;

export const getInitialTeamState = (): TeamState => ({ teamFile: null, teamView: null, teamLoading: false, teamError: null, teamPlan: null, teamReviewed: null, teamBusy: false });

export const createTeamSlice: StateCreator<VaultState, [], [], TeamSlice> = (set, get) => {
  /** Runs an action with the busy flag (one at a time: a second press while one runs does nothing); a failure becomes an error toast. */
  const busy = async (what: string, fn: () => Promise<void>) => {
    if (get().teamBusy) return;
    set({ teamBusy: true });
    try {
      await fn();
    } catch (err) {
      get().toastError(err, what);
    } finally {
      set({ teamBusy: false });
    }
  };
  // The screen loads the status on mount, and every open, push, pull and new key reloads it: another file opened while
  // the first file's status was on its way showed the first file's members and keys under the second (Push and Pull act
  // on the second), when that older answer arrived last. Only the newest load lands.
  const statusLoads = newestLoad();
  // The pull plan is reviewed against the team file as it was then: kept after the screen was left, a later visit showed
  // it (and Pull wrote it) as if just reviewed. Leaving drops it; a plan asked for before leaving must not land after.
  const planLoads = newestLoad();
  return {
    ...getInitialTeamState(),
    openTeamFile: () => busy('Could not open the team file', async () => {
      const file = await getApi().teamPickFile();
      if (!file) return;
      set({ teamFile: file, teamView: null, teamPlan: null });
      await get().loadTeam();
    }),
    loadTeam: async () => {
      const file = get().teamFile;
      if (!file) return;
      const newest = statusLoads.start();
      set({ teamLoading: true, teamError: null });
      try {
        const teamView = await getApi().teamStatus({ handle: file.handle });
        if (newest()) set({ teamView, teamLoading: false });
      } catch (err) {
        if (newest()) set({ teamError: asApiError(err), teamLoading: false });
      }
    },
    createTeamKey: () => busy('Could not create your team key', async () => {
      const { recipient } = await getApi().teamIdentity();
      get().toast('success', `Your team key is ready: ${recipient}`);
      await get().loadTeam();
    }),
    showPullPlan: () => busy('Could not read the team file', async () => {
      const file = get().teamFile;
      if (!file) return;
      const newest = planLoads.start();
      const { plan, reviewed } = await getApi().teamPullPlan({ handle: file.handle });
      if (newest()) set({ teamPlan: plan, teamReviewed: reviewed });
    }),
    cancelPullPlan: () => set({ teamPlan: null, teamReviewed: null }),
    leaveTeam: () => {
      planLoads.start();
      set({ teamPlan: null, teamReviewed: null });
    },
    applyPull: () => busy('Pull failed', async () => {
      const { teamFile: file, teamReviewed: reviewed } = get();
      if (!file || !reviewed) return;
      const newest = planLoads.start();
      let r: Awaited<ReturnType<VaultApi['teamPull']>>;
      try {
        r = await getApi().teamPull({ handle: file.handle, reviewed });
      } catch (err) {
        // The plan shown again is what the file holds now (one changed since it was reviewed is refused).
        const again = await getApi().teamPullPlan({ handle: file.handle }).catch(() => null);
        if (newest()) set(again ? { teamPlan: again.plan, teamReviewed: again.reviewed } : { teamPlan: null, teamReviewed: null });
        throw err;
      }
      set({ teamPlan: null, teamReviewed: null });
      get().toast(r.ok ? 'success' : 'error', r.ok ? `Pulled ${counted(r.imported, 'credential')} into your vault.` : `Pull failed; ${undoOutcome(r)}.`);
      await Promise.all([get().loadTeam(), get().loadCredentials()]);
    }),
    pushTeam: () => busy('Push failed; the team file was not changed', async () => {
      const file = get().teamFile;
      if (!file) return;
      const r = await getApi().teamPush({ handle: file.handle });
      get().toast('success', r.updated.length ? `Pushed ${r.updated.join(', ')}. Commit and push the team file.` : 'Nothing to push: the team file already has your values.');
      // Pushed, but the value was in this vault before a member was removed (they may have pulled it): not a rotation,
      // as `team push` warns. Without it the app said only "Pushed", and the reminder stayed with no word why.
      const left = r.to_rotate ?? [];
      if (left.length) get().toast('error', `Still to rotate: ${left.join(', ')}. The value pushed was in your vault before a member was removed, who may have seen it. Issue a new key at the provider, save it here, then push again.`);
      if (r.withheld.length) get().toast('error', `Not sent: ${r.withheld.join(', ')}. These keys were never shared from this vault (a teammate may have named a key of yours in the file). If one is the team's, send it with: cpw-vault team push --add ${r.withheld[0]}`);
      // The rewrite left out the team identity rows planted in the file: said once, in team push's words (never a value).
      const removed = removedText(file.path, r.planted).trim();
      if (removed) get().toast('error', `${removed[0]!.toUpperCase()}${removed.slice(1)}`);
      await get().loadTeam();
    }),
  };
};
