import type { StateCreator } from 'zustand';
import type { FieldError } from '../../shared/core/errors';
import type { VaultApi } from '../../shared/core/ipc-contract';
import type { ProfileView } from '../../shared/core/views';
import { asApiError, getApi, type ApiError } from '../api';
import { withFieldLabels } from '../errors';
import type { VaultState } from './index';
import { newestLoad } from './newest-load';

type ProfileUpdate = Parameters<VaultApi['profileUpdate']>[0];

/** The Profile screen's form, as the user left it (never a secret: names, toggles, codes). */
export type ProfileDraft = {
  name: string; email: string; job_title: string; timezone: string; avatar_url: string;
  default_workflow: string; default_source_language: string; ai_provider: string; enable_cost_tracking: boolean;
  run_finished: boolean; run_failed: boolean; credential_missing: boolean;
};

// State
export interface ProfileState {
  profile: ProfileView | null;
  profileLoading: boolean;
  profileError: ApiError | null;
  profileSaving: boolean;
  /** Field errors of the last save, by path (user.email, preferences.ai_provider). */
  profileFieldErrors: FieldError[];
  /** The last save failed as a whole (not field by field): shown where the save happened. */
  profileSaveError: ApiError | null;
  /** The saved avatar as main fetched it (a data: URL), or null: the screen then shows initials. */
  avatar: string | null;
  /**
   * The fields the user changed on the Profile screen and has not saved, or null. Kept here, not in the
   * screen: going to another screen and back must not throw away what was typed. Only the changed fields:
   * the others follow the saved profile, so a change the CLI made meanwhile is shown and saved, not undone.
   */
  profileDraft: Partial<ProfileDraft> | null;
}

// Actions
export interface ProfileActions {
  loadProfile(): Promise<void>;
  /**
   * Saves; true on success. Field errors land in profileFieldErrors. `quiet` (onboarding) skips the toasts: the wizard
   * shows its own progress. `labels` (path → the form's label) name the refused fields in the error toast.
   */
  saveProfile(update: ProfileUpdate, options?: { quiet?: boolean; labels?: Readonly<Record<string, string>> }): Promise<boolean>;
  loadAvatar(): Promise<void>;
  /** The unsaved form (null: discarded or saved). Drops the field errors of a refused save for the fields it changes. */
  setProfileDraft(draft: Partial<ProfileDraft> | null): void;
}

export type ProfileSlice = ProfileState & ProfileActions;

export const getInitialProfileState = (): ProfileState => ({
  profile: null, profileLoading: false, profileError: null, profileSaving: false, profileFieldErrors: [], profileSaveError: null, avatar: null, profileDraft: null,
});

/** The error toast of the last failed profile save, while it may still be on screen. */
let saveErrorToast: number | undefined;

/**
 * The profile's loads, and the saves that answer with the profile: a load still on its way when a save (or a newer
 * load) answered was asked before it, and its older profile put the saved fields back to what they were.
 */
const profileLoads = newestLoad();
/** The avatar's fetches: a save fetches the new one while the screen's first fetch (of the old URL) may still be on its way. */
const avatarLoads = newestLoad();

export const createProfileSlice: StateCreator<VaultState, [], [], ProfileSlice> = (set, get) => ({
  ...getInitialProfileState(),
  loadProfile: async () => {
    const newest = profileLoads.start();
    set({ profileLoading: true, profileError: null });
    try {
      const profile = await getApi().profileGet();
      if (newest()) set({ profile, profileLoading: false });
    } catch (err) {
      if (newest()) set({ profileError: asApiError(err), profileLoading: false });
    }
  },
  saveProfile: async (update, options = {}) => {
    set({ profileSaving: true, profileFieldErrors: [], profileSaveError: null });
    try {
      const profile = await get().withLockRetry(() => getApi().profileUpdate(update));
      // The error a failed save left beside the form is settled by this one: it does not stay next to "Profile saved.".
      if (saveErrorToast !== undefined) get().dismissToast(saveErrorToast);
      saveErrorToast = undefined;
      profileLoads.start(); // drops the loads in flight, so it also ends their loading
      set({ profile, profileSaving: false, profileLoading: false, profileError: null });
      if (!options.quiet) get().toast('success', 'Profile saved.');
      void get().loadWorkflows();
      void get().loadAvatar();
      return true;
    } catch (err) {
      const e = asApiError(err);
      set({ profileSaving: false, profileFieldErrors: e.fields, profileSaveError: e });
      if (!options.quiet) {
        if (saveErrorToast !== undefined) get().dismissToast(saveErrorToast);
        saveErrorToast = get().toastError(withFieldLabels(e, options.labels ?? {}), 'Not saved: ');
      }
      return false;
    }
  },
  loadAvatar: async () => {
    const newest = avatarLoads.start();
    let avatar: string | null = null;
    try {
      avatar = await getApi().profileAvatar();
    } catch {
      // No avatar: the screen shows the initials.
    }
    if (newest()) set({ avatar });
  },
  setProfileDraft: (draft) => {
    // A refused save's field error describes the value it refused: once that field changes (or the draft is
    // discarded) it is dropped, not left saying "must be at most 160 characters" under a name that is not.
    const before = get().profileDraft ?? {};
    const changed = (path: string) => {
      const field = path.split('.').at(-1) as keyof ProfileDraft;
      return !draft || draft[field] !== before[field];
    };
    set({ profileDraft: draft, profileFieldErrors: get().profileFieldErrors.filter((f) => !changed(f.path)) });
  },
});

// Selectors
export const selectFieldError = (path: string) => (s: VaultState) => s.profileFieldErrors.find((f) => f.path === path)?.message;
