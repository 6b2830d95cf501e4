import type { StateCreator } from 'zustand';
import type { DroppedFile, MigrationSource, RemovePlaintextResult, ReviewedPlan } from '../../shared/core/ipc-contract';
import { undoOutcome, type ApplyResult } from '../../shared/core/migration-plan';
import { asApiError, getApi, type ApiError } from '../api';
import type { VaultState } from './index';

// State
export interface MigrationState {
  /** Sources main found by itself. */
  sources: MigrationSource[];
  sourcesLoaded: boolean;
  /** The source being planned (a handle main minted; never a path the page made up). */
  source: MigrationSource | null;
  plan: ReviewedPlan | null;
  overwrite: string[];
  includeUnknown: boolean;
  migrationLoading: boolean;
  migrating: boolean;
  migrationResult: ApplyResult | null;
  removal: RemovePlaintextResult | null;
  removing: boolean;
  migrationError: ApiError | null;
}

// Actions
export interface MigrationActions {
  /** Asks main what it found; plans the first one unless a source is already chosen. */
  loadSources(): Promise<void>;
  useSource(source: MigrationSource): Promise<void>;
  /** Plans the current source with the current choices. */
  loadPlan(): Promise<void>;
  pickMigrationFile(): Promise<void>;
  dropMigrationFile(file: DroppedFile): Promise<void>;
  toggleOverwrite(id: string): Promise<void>;
  setIncludeUnknown(on: boolean): Promise<void>;
  /** Migrates, then plans again: the table shows what is now stored. */
  applyMigration(): Promise<void>;
  /** Main asks in its own dialog, then deletes the source and its backups. */
  removePlaintext(): Promise<void>;
  resetMigration(): void;
}

export type MigrationSlice = MigrationState & MigrationActions;

export const getInitialMigrationState = (): MigrationState => ({
  sources: [], sourcesLoaded: false, source: null, plan: null, overwrite: [], includeUnknown: false,
  migrationLoading: false, migrating: false, migrationResult: null, removal: null, removing: false, migrationError: null,
});

export const createMigrationSlice: StateCreator<VaultState, [], [], MigrationSlice> = (set, get) => ({
  ...getInitialMigrationState(),
  loadSources: async () => {
    set({ migrationLoading: true, migrationError: null });
    try {
      const sources = await getApi().migrationSources();
      set({ sources, sourcesLoaded: true, migrationLoading: false });
      const first = sources[0];
      if (!get().source && first) await get().useSource(first);
    } catch (err) {
      set({ migrationError: asApiError(err), migrationLoading: false, sourcesLoaded: true });
    }
  },
  useSource: async (source) => {
    set({ source, plan: null, overwrite: [], includeUnknown: false, migrationResult: null, removal: null });
    await get().loadPlan();
  },
  loadPlan: async () => {
    const s = get();
    if (!s.source) return;
    set({ migrationLoading: true, migrationError: null });
    try {
      const plan = await getApi().migrationPlan({ source: s.source.handle, overwrite: s.overwrite, includeUnknown: s.includeUnknown });
      set({ plan, migrationLoading: false });
    } catch (err) {
      set({ plan: null, migrationError: asApiError(err), migrationLoading: false });
    }
  },
  pickMigrationFile: async () => {
    try {
      const source = await getApi().migrationPickFile();
      if (source) await get().useSource(source);
    } catch (err) {
      set({ migrationError: asApiError(err) });
    }
  },
  dropMigrationFile: async (file) => {
    try {
      const source = await getApi().migrationDrop(file);
      if (source) await get().useSource(source);
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
  applyMigration: async () => {
    const s = get();
    if (!s.source) return;
    set({ migrating: true, migrationError: null, removal: null });
    try {
      const result = await get().withLockRetry(() => getApi().migrationApply({ source: s.source!.handle, overwrite: s.overwrite, includeUnknown: s.includeUnknown, ...(s.plan ? { reviewed: s.plan.reviewed } : {}) }));
      // The choices were used: the refreshed plan shows what is stored now, not a stale "will be replaced".
      set({ migrating: false, migrationResult: result, overwrite: [], includeUnknown: false });
      // In the onboarding the step shows the result itself (no toast mid-wizard: it outlived the step it was about).
      if (get().screen !== 'onboarding') get().toast(result.ok ? 'success' : 'error', result.ok ? `Migrated ${result.imported} credential(s).` : `Migration failed; ${undoOutcome(result)}.`);
      await Promise.all([get().loadPlan(), get().loadCredentials(), get().loadWorkflows(), get().refreshDoctor()]);
    } catch (err) {
      set({ migrating: false });
      // The plan shown again is what is on disk now (a file that changed since it was reviewed is refused): the error stays.
      await get().loadPlan();
      set({ migrationError: asApiError(err) });
    }
  },
  removePlaintext: async () => {
    const s = get();
    if (!s.source) return;
    set({ removing: true, migrationError: null });
    try {
      const removal = await getApi().migrationRemovePlaintext({ source: s.source.handle });
      set({ removing: false, removal });
      if (removal.removed.length) {
        if (get().screen !== 'onboarding') get().toast('success', `Removed ${removal.removed.length} plaintext file(s).`);
        set({ plan: null });
        await get().refreshDoctor();
      }
    } catch (err) {
      set({ removing: false, migrationError: asApiError(err) });
    }
  },
  resetMigration: () => set(getInitialMigrationState()),
});
