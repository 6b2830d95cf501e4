import type { StateCreator } from 'zustand';
import type { MigrationPlanResult } from '../../shared/core/ipc-contract';
import type { ApplyResult } from '../../shared/core/migration-plan';
import { asApiError, getApi, type ApiError } from '../api';
import type { VaultState } from './index';

// State
export interface MigrationState {
  migrationSource: string | null;
  plan: MigrationPlanResult;
  overwrite: string[];
  includeUnknown: boolean;
  migrationLoading: boolean;
  migrating: boolean;
  migrationResult: ApplyResult | null;
  migrationError: ApiError | null;
}

// Actions
export interface MigrationActions {
  /** Plans the source cpw-vault finds by itself (config/secrets.json, ...), or `path`. */
  loadPlan(path?: string | null): Promise<void>;
  pickMigrationFile(): Promise<void>;
  toggleOverwrite(id: string): Promise<void>;
  setIncludeUnknown(on: boolean): Promise<void>;
  applyMigration(removePlaintext: boolean): Promise<void>;
  resetMigration(): void;
}

export type MigrationSlice = MigrationState & MigrationActions;

export const getInitialMigrationState = (): MigrationState => ({
  migrationSource: null, plan: null, overwrite: [], includeUnknown: false, migrationLoading: false, migrating: false, migrationResult: null, migrationError: null,
});

export const createMigrationSlice: StateCreator<VaultState, [], [], MigrationSlice> = (set, get) => {
  const request = () => {
    const s = get();
    return { ...(s.migrationSource ? { path: s.migrationSource } : {}), overwrite: s.overwrite, includeUnknown: s.includeUnknown };
  };
  return {
    ...getInitialMigrationState(),
    loadPlan: async (path) => {
      if (path !== undefined) set({ migrationSource: path, overwrite: [], migrationResult: null });
      set({ migrationLoading: true, migrationError: null });
      try {
        const plan = await getApi().migrationPlan(request());
        set({ plan, migrationSource: plan?.path ?? get().migrationSource, migrationLoading: false });
      } catch (err) {
        set({ plan: null, migrationError: asApiError(err), migrationLoading: false });
      }
    },
    pickMigrationFile: async () => {
      try {
        const path = await getApi().migrationPickFile();
        if (path) await get().loadPlan(path);
      } catch (err) {
        set({ migrationError: asApiError(err) });
      }
    },
    toggleOverwrite: async (id) => {
      const current = get().overwrite;
      set({ overwrite: current.includes(id) ? current.filter((x) => x !== id) : [...current, id] });
      await get().loadPlan();
    },
    setIncludeUnknown: async (on) => {
      set({ includeUnknown: on });
      await get().loadPlan();
    },
    applyMigration: async (removePlaintext) => {
      set({ migrating: true, migrationError: null });
      try {
        const result = await getApi().migrationApply({ ...request(), removePlaintext });
        set({ migrating: false, migrationResult: result });
        get().toast(result.ok ? 'success' : 'error', result.ok ? `Migrated ${result.imported} credential(s).` : 'Migration failed; nothing was changed.');
        await Promise.all([get().loadCredentials(), get().loadWorkflows(), get().refreshDoctor()]);
      } catch (err) {
        set({ migrating: false, migrationError: asApiError(err) });
      }
    },
    resetMigration: () => set(getInitialMigrationState()),
  };
};

// Selectors
export const selectPlanRows = (s: VaultState) => s.plan?.plan.rows ?? [];
