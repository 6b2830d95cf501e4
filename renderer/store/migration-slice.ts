import type { StateCreator } from 'zustand';
import type { DroppedFile, MigrationSource, RemovePlaintextResult, ReviewedPlan } from '../../shared/core/ipc-contract';
import { undoOutcome, type ApplyResult } from '../../shared/core/migration-plan';
import { counted } from '../../shared/core/plural';
import { asApiError, getApi, type ApiError } from '../api';
import type { VaultState } from './index';
import { newestLoad } from './newest-load';

// State
export interface MigrationState {
  /** Sources main found by itself. */
  sources: MigrationSource[];
  sourcesLoaded: boolean;
  /**
   * The sources' own load flag, apart from the plan's (migrationLoading): one shared flag was cleared by the sources
   * arriving while a plan with a new tick was still on its way, and Migrate (which sends the tick) came back on under
   * the plan without it.
   */
  sourcesLoading: boolean;
  /** The source being planned (a handle main minted; never a path the page made up). */
  source: MigrationSource | null;
  plan: ReviewedPlan | null;
  overwrite: string[];
  includeUnknown: boolean;
  migrationLoading: boolean;
  migrating: boolean;
  migrationResult: ApplyResult | null;
  removal: RemovePlaintextResult | null;
  /** The files the last removal deleted: said while the next source found is planned. */
  removed: string[];
  removing: boolean;
  migrationError: ApiError | null;
}

// Actions
export interface MigrationActions {
  /** Asks main what it found (on disk now); plans the first one unless a source is chosen that is still there. */
  loadSources(): Promise<void>;
  /** "Try again" after an error: the sources from disk again, then the plan of the source chosen now. */
  retryMigration(): Promise<void>;
  useSource(source: MigrationSource): Promise<void>;
  /** Plans the current source with the current choices. */
  loadPlan(): Promise<void>;
  pickMigrationFile(): Promise<void>;
  dropMigrationFile(file: DroppedFile): Promise<void>;
  toggleOverwrite(id: string): Promise<void>;
  setIncludeUnknown(on: boolean): Promise<void>;
  /** Migrates, then plans again: the table shows what is now stored. */
  applyMigration(): Promise<void>;
  /** Main asks in its own dialog, then deletes the source and its backups; the sources are then listed from disk again. */
  removePlaintext(): Promise<void>;
  /** The screen was left: its plan, ticks and result go (the next visit plans as things are then); loads on their way are dropped. */
  resetMigration(): void;
}

export type MigrationSlice = MigrationState & MigrationActions;

export const getInitialMigrationState = (): MigrationState => ({
  sources: [], sourcesLoaded: false, sourcesLoading: false, source: null, plan: null, overwrite: [], includeUnknown: false,
  migrationLoading: false, migrating: false, migrationResult: null, removal: null, removed: [], removing: false, migrationError: null,
});

/**
 * The plan's loads: another source chosen, or a second Overwrite ticked, while a plan is on its way asks again, and
 * the older answer arriving last showed the other source's plan under the new one's radio, or a plan without the
 * second tick while Migrate sent both: Migrate writes only the plan shown, so only the newest may be shown.
 */
const planLoads = newestLoad();
/** The sources' loads: the onboarding and its migration step both ask on mount, and one left behind must not plan after the reset. */
const sourceLoads = newestLoad();

export const createMigrationSlice: StateCreator<VaultState, [], [], MigrationSlice> = (set, get) => ({
  ...getInitialMigrationState(),
  loadSources: async () => {
    const newest = sourceLoads.start();
    set({ sourcesLoading: true, migrationError: null });
    try {
      const sources = await getApi().migrationSources();
      if (!newest()) return;
      // A found file that is gone (removed here, or by hand) is no longer offered, nor planned: the next one is.
      const current = get().source;
      const gone = current?.origin === 'found' && !sources.some((x) => x.handle === current.handle);
      set({ sources, sourcesLoaded: true, sourcesLoading: false, ...(gone ? { source: null, plan: null } : {}) });
      const first = sources[0];
      if (!get().source && first) await get().useSource(first);
    } catch (err) {
      if (newest()) set({ migrationError: asApiError(err), sourcesLoading: false, sourcesLoaded: true });
    }
  },
  retryMigration: async () => {
    await get().loadSources();
    if (get().source && !get().plan && !get().migrationLoading) await get().loadPlan();
  },
  useSource: async (source) => {
    set({ source, plan: null, overwrite: [], includeUnknown: false, migrationResult: null, removal: null, removed: [] });
    await get().loadPlan();
  },
  loadPlan: async () => {
    const s = get();
    if (!s.source) return;
    const newest = planLoads.start();
    set({ migrationLoading: true, migrationError: null });
    try {
      const plan = await getApi().migrationPlan({ source: s.source.handle, overwrite: s.overwrite, includeUnknown: s.includeUnknown });
      if (newest()) set({ plan, migrationLoading: false });
    } catch (err) {
      if (newest()) set({ plan: null, migrationError: asApiError(err), migrationLoading: false });
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
      // Another file chosen or dropped meanwhile: its plan and ticks are on screen, and the result (with its plaintext
      // and "Remove", which acts on the source shown) is not said over them; the toast below still says it.
      const same = get().source?.handle === s.source.handle;
      // The choices were used: the refreshed plan shows what is stored now, not a stale "will be replaced".
      set({ migrating: false, ...(same ? { migrationResult: result, overwrite: [], includeUnknown: false } : {}) });
      // In the onboarding the step shows the result itself (no toast mid-wizard: it outlived the step it was about),
      // unless another file is shown there now.
      if (get().screen !== 'onboarding' || !same) get().toast(result.ok ? 'success' : 'error', result.ok ? `Migrated ${counted(result.imported, 'credential')}.` : `Migration failed; ${undoOutcome(result)}.`);
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
        if (get().screen !== 'onboarding') get().toast('success', `Removed ${counted(removal.removed.length, 'plaintext file')}.`);
        // The removed file is no source any more: what is on disk now is listed (and the next one planned), not the old list.
        set({ source: null, plan: null, migrationResult: null });
        await Promise.all([get().loadSources(), get().refreshDoctor()]);
        set({ removed: removal.removed });
      }
    } catch (err) {
      set({ removing: false, migrationError: asApiError(err) });
    }
  },
  resetMigration: () => {
    // A plan or a list of sources still on its way is of the migration left behind.
    planLoads.start();
    sourceLoads.start();
    set(getInitialMigrationState());
  },
});
