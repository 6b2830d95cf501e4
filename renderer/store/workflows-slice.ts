import type { StateCreator } from 'zustand';
import type { CredentialView } from '../../shared/core/views';
import type { WorkflowStatus } from '../../shared/core/workflows';
import { asApiError, getApi, type ApiError } from '../api';
import type { VaultState } from './index';
import { newestLoad } from './newest-load';

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

// Every save, delete, profile change and screen reloads readiness, often several at once: only the newest answer lands.
const workflowLoads = newestLoad();

export const createWorkflowsSlice: StateCreator<VaultState, [], [], WorkflowsSlice> = (set) => ({
  ...getInitialWorkflowsState(),
  loadWorkflows: async () => {
    const newest = workflowLoads.start();
    set({ workflowsLoading: true, workflowsError: null });
    try {
      const workflows = await getApi().workflowsValidate();
      if (newest()) set({ workflows, workflowsLoading: false });
    } catch (err) {
      if (newest()) set({ workflowsError: asApiError(err), workflowsLoading: false });
    }
  },
});

// Selectors
export const selectReadyCount = (s: VaultState) => s.workflows.filter((w) => w.ready).length;

/** What a card says: ready, missing, or unknown (it relies on a keychain that is locked or unreachable right now). */
export type Readiness = 'ready' | 'missing' | 'unknown';

/**
 * A workflow's readiness as the screen can honestly state it. The index says
 * which credentials are stored, but while the keychain cannot be read a
 * workflow using a keychain value may not really be ready: "unknown". One
 * fed only by environment variables (or non-secret profile values) is still
 * ready; a missing credential is missing either way.
 */
export function readinessOf(w: WorkflowStatus, credentials: readonly CredentialView[], keychainDown: boolean): Readiness {
  if (!w.ready) return 'missing';
  if (!keychainDown) return 'ready';
  const viaKeychain = w.uses.some((id) => {
    const c = credentials.find((x) => x.id === id);
    return !c || (c.secret && c.source?.kind !== 'env');
  });
  return viaKeychain ? 'unknown' : 'ready';
}
