import { create } from 'zustand';
import { createActivitySlice, getInitialActivityState, type ActivitySlice } from './activity-slice';
import { createAppSlice, getInitialAppState, type AppSlice } from './app-slice';
import { createCredentialsSlice, getInitialCredentialsState, type CredentialsSlice } from './credentials-slice';
import { createMigrationSlice, getInitialMigrationState, type MigrationSlice } from './migration-slice';
import { createProfileSlice, getInitialProfileState, type ProfileSlice } from './profile-slice';
import { createVerifySlice, getInitialVerifyState, type VerifySlice } from './verify-slice';
import { createWorkflowsSlice, getInitialWorkflowsState, type WorkflowsSlice } from './workflows-slice';

/** The one store, made of slices (STYLE.md §6). */
export type VaultState = AppSlice & CredentialsSlice & WorkflowsSlice & ProfileSlice & MigrationSlice & ActivitySlice & VerifySlice;

export const useVault = create<VaultState>()((...a) => ({
  ...createAppSlice(...a),
  ...createCredentialsSlice(...a),
  ...createWorkflowsSlice(...a),
  ...createProfileSlice(...a),
  ...createMigrationSlice(...a),
  ...createActivitySlice(...a),
  ...createVerifySlice(...a),
}));

/** Every slice's initial data (tests reset the store with it; actions are kept). */
export const initialState = (): Partial<VaultState> => ({
  ...getInitialAppState(),
  ...getInitialCredentialsState(),
  ...getInitialWorkflowsState(),
  ...getInitialProfileState(),
  ...getInitialMigrationState(),
  ...getInitialActivityState(),
  ...getInitialVerifyState(),
});
