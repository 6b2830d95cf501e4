import type { StateCreator } from 'zustand';
import type { AuditEvent, AuditEventName, RunRecord, RunStats, RunStatus } from '../../shared/core/records';
import { asApiError, getApi, type ApiError } from '../api';
import type { VaultState } from './index';

// State
export interface ActivityState {
  audit: AuditEvent[];
  runs: RunRecord[];
  runStats: RunStats | null;
  auditFilter: AuditEventName | '';
  runStatusFilter: RunStatus | '';
  runWorkflowFilter: string;
  activityLoading: boolean;
  activityError: ApiError | null;
}

// Actions
export interface ActivityActions {
  loadActivity(): Promise<void>;
  setActivityFilters(filters: Partial<Pick<ActivityState, 'auditFilter' | 'runStatusFilter' | 'runWorkflowFilter'>>): Promise<void>;
}

export type ActivitySlice = ActivityState & ActivityActions;

export const getInitialActivityState = (): ActivityState => ({
  audit: [], runs: [], runStats: null, auditFilter: '', runStatusFilter: '', runWorkflowFilter: '', activityLoading: false, activityError: null,
});

export const createActivitySlice: StateCreator<VaultState, [], [], ActivitySlice> = (set, get) => ({
  ...getInitialActivityState(),
  loadActivity: async () => {
    const { auditFilter, runStatusFilter, runWorkflowFilter } = get();
    set({ activityLoading: true, activityError: null });
    try {
      const api = getApi();
      const [audit, runs, runStats] = await Promise.all([
        api.auditList({ ...(auditFilter ? { event: auditFilter } : {}), limit: 200 }),
        api.runsList({ ...(runStatusFilter ? { status: runStatusFilter } : {}), ...(runWorkflowFilter ? { workflow: runWorkflowFilter } : {}) }),
        api.runsStats(),
      ]);
      set({ audit, runs, runStats, activityLoading: false });
    } catch (err) {
      set({ activityError: asApiError(err), activityLoading: false });
    }
  },
  setActivityFilters: async (filters) => {
    set(filters);
    await get().loadActivity();
  },
});
