import type { StateCreator } from 'zustand';
import type { Page } from '../../shared/core/ipc-contract';
import type { AuditEvent, AuditEventName, RunRecord, RunStats, RunStatus } from '../../shared/core/records';
import { asApiError, getApi, type ApiError } from '../api';
import type { VaultState } from './index';
import { newestLoad } from './newest-load';

/** Rows per page of each Activity table: a page renders in one frame even with 10,000 rows behind it. */
export const ACTIVITY_PAGE = 100;

export type ActivityTab = 'runs' | 'audit';

// State
export interface ActivityState {
  activityTab: ActivityTab;
  runs: Page<RunRecord> | null;
  runStats: RunStats | null;
  runStatusFilter: RunStatus | '';
  runWorkflowFilter: string;
  audit: Page<AuditEvent> | null;
  auditFilter: AuditEventName | '';
  auditCredentialFilter: string;
  /**
   * Each list's own load state: one shared flag said "done" on the audit tab when the runs answered first while the
   * events were still on their way, and put a runs error (its Try again reloading the events) under the audit tab.
   */
  runsLoading: boolean;
  runsError: ApiError | null;
  auditLoading: boolean;
  auditError: ApiError | null;
}

// Actions
export interface ActivityActions {
  setActivityTab(tab: ActivityTab): void;
  /** Loads the runs page at `offset` (default: the current one) and the statistics. */
  loadRuns(offset?: number): Promise<void>;
  loadAudit(offset?: number): Promise<void>;
  /** Changes filters and goes back to the first page. */
  setRunFilters(filters: Partial<Pick<ActivityState, 'runStatusFilter' | 'runWorkflowFilter'>>): Promise<void>;
  setAuditFilters(filters: Partial<Pick<ActivityState, 'auditFilter' | 'auditCredentialFilter'>>): Promise<void>;
}

export type ActivitySlice = ActivityState & ActivityActions;

export const getInitialActivityState = (): ActivityState => ({
  activityTab: 'runs', runs: null, runStats: null, runStatusFilter: '', runWorkflowFilter: '',
  audit: null, auditFilter: '', auditCredentialFilter: '', runsLoading: false, runsError: null, auditLoading: false, auditError: null,
});

/**
 * The page at `offset`, or the last page there is now when the list shrank under it (runs or events deleted from a
 * terminal while a later page was shown): it said "201–200 of 150 runs" over an empty table.
 */
async function pageAt<T>(offset: number, read: (offset: number) => Promise<Page<T>>): Promise<Page<T>> {
  const page = await read(offset);
  if (page.items.length || !page.offset || !page.total) return page;
  return read(Math.floor((page.total - 1) / ACTIVITY_PAGE) * ACTIVITY_PAGE);
}

export const createActivitySlice: StateCreator<VaultState, [], [], ActivitySlice> = (set, get) => {
  // The newest load of each list. Filters change with every arrow key on a <select>, and an older answer that
  // arrived after a newer one put the older filter's rows under the newer filter; it is dropped instead.
  const latest = { runs: newestLoad(), audit: newestLoad() };
  const status = (list: ActivityTab, loading: boolean, error: ApiError | null): Partial<ActivityState> =>
    list === 'runs' ? { runsLoading: loading, runsError: error } : { auditLoading: loading, auditError: error };
  const load = async (list: ActivityTab, work: () => Promise<Partial<ActivityState>>) => {
    const newest = latest[list].start();
    set(status(list, true, null));
    try {
      const loaded = await work();
      if (newest()) set({ ...loaded, ...status(list, false, null) });
    } catch (err) {
      if (newest()) set(status(list, false, asApiError(err)));
    }
  };
  return {
    ...getInitialActivityState(),
    setActivityTab: (activityTab) => set({ activityTab }),
    loadRuns: (offset) =>
      load('runs', async () => {
        const s = get();
        const filter = { ...(s.runStatusFilter ? { status: s.runStatusFilter } : {}), ...(s.runWorkflowFilter ? { workflow: s.runWorkflowFilter } : {}) };
        const [runs, runStats] = await Promise.all([pageAt(offset ?? s.runs?.offset ?? 0, (at) => getApi().runsList({ ...filter, offset: at, limit: ACTIVITY_PAGE })), getApi().runsStats()]);
        return { runs, runStats };
      }),
    loadAudit: (offset) =>
      load('audit', async () => {
        const s = get();
        const filter = { ...(s.auditFilter ? { event: s.auditFilter } : {}), ...(s.auditCredentialFilter ? { credential: s.auditCredentialFilter } : {}) };
        return { audit: await pageAt(offset ?? s.audit?.offset ?? 0, (at) => getApi().auditList({ ...filter, offset: at, limit: ACTIVITY_PAGE })) };
      }),
    setRunFilters: async (filters) => {
      set(filters);
      await get().loadRuns(0);
    },
    setAuditFilters: async (filters) => {
      set(filters);
      await get().loadAudit(0);
    },
  };
};

// Selectors
/** The shown tab's own load state: its list, whether it is still on its way, and its error. */
export const selectActivityTabState = (s: VaultState) =>
  s.activityTab === 'runs'
    ? { loaded: !!s.runs, loading: s.runsLoading, error: s.runsError }
    : { loaded: !!s.audit, loading: s.auditLoading, error: s.auditError };
