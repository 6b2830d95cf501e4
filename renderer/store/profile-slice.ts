import type { StateCreator } from 'zustand';
import type { FieldError } from '../../shared/core/errors';
import type { VaultApi } from '../../shared/core/ipc-contract';
import type { ProfileView } from '../../shared/core/views';
import { asApiError, getApi, type ApiError } from '../api';
import type { VaultState } from './index';

type ProfileUpdate = Parameters<VaultApi['profileUpdate']>[0];

// State
export interface ProfileState {
  profile: ProfileView | null;
  profileLoading: boolean;
  profileError: ApiError | null;
  profileSaving: boolean;
  /** Field errors of the last save, by path (user.email, preferences.ai_provider). */
  profileFieldErrors: FieldError[];
}

// Actions
export interface ProfileActions {
  loadProfile(): Promise<void>;
  /** Saves; true on success. Field errors land in profileFieldErrors, a toast says how it went. */
  saveProfile(update: ProfileUpdate): Promise<boolean>;
}

export type ProfileSlice = ProfileState & ProfileActions;

export const getInitialProfileState = (): ProfileState => ({ profile: null, profileLoading: false, profileError: null, profileSaving: false, profileFieldErrors: [] });

export const createProfileSlice: StateCreator<VaultState, [], [], ProfileSlice> = (set, get) => ({
  ...getInitialProfileState(),
  loadProfile: async () => {
    set({ profileLoading: true, profileError: null });
    try {
      set({ profile: await getApi().profileGet(), profileLoading: false });
    } catch (err) {
      set({ profileError: asApiError(err), profileLoading: false });
    }
  },
  saveProfile: async (update) => {
    set({ profileSaving: true, profileFieldErrors: [] });
    try {
      const profile = await getApi().profileUpdate(update);
      set({ profile, profileSaving: false });
      get().toast('success', 'Profile saved.');
      void get().loadWorkflows();
      return true;
    } catch (err) {
      const e = asApiError(err);
      set({ profileSaving: false, profileFieldErrors: e.fields });
      get().toast('error', `Not saved: ${e.message}`);
      return false;
    }
  },
});

// Selectors
export const selectFieldError = (path: string) => (s: VaultState) => s.profileFieldErrors.find((f) => f.path === path)?.message;
