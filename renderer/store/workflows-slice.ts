import type { StateCreator } from 'zustand';
import type { WorkflowStatus } from '../../shared/core/workflows';
import { asApiError, getApi, type ApiError } from '../api';
import type { VaultState } from './index';

// State
export interface WorkflowsState {
  workflows: WorkflowStatus[];
  workflowsLoading: boolean;
  workflowsError: ApiError | null;
}

// Actions
export interface WorkflowsActions {
  loadWorkflows(): Promise<void>;
}

export type WorkflowsSlice = WorkflowsState & WorkflowsActions;

export const getInitialWorkflowsState = (): WorkflowsState => ({ workflows: [], workflowsLoading: false, workflowsError: null });

export const createWorkflowsSlice: StateCreator<VaultState, [], [], WorkflowsSlice> = (set) => ({
  ...getInitialWorkflowsState(),
  loadWorkflows: async () => {
    set({ workflowsLoading: true, workflowsError: null });
    try {
      set({ workflows: await getApi().workflowsValidate(), workflowsLoading: false });
    } catch (err) {
      set({ workflowsError: asApiError(err), workflowsLoading: false });
    }
  },
});

// Selectors
export const selectReadyCount = (s: VaultState) => s.workflows.filter((w) => w.ready).length;
