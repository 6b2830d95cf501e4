import type { StateCreator } from 'zustand';
import type { CredentialRef, SetCredentialRequest } from '../../shared/core/ipc-contract';
import type { CredentialView } from '../../shared/core/views';
import { asApiError, getApi, type ApiError } from '../api';
import type { VaultState } from './index';

// State: metadata only. Secret values never enter the store: forms keep them
// in component state while open, and reveal hands the value to its caller.
export interface CredentialsState {
  credentials: CredentialView[];
  credentialsLoading: boolean;
  credentialsError: ApiError | null;
}

// Actions
export interface CredentialsActions {
  loadCredentials(): Promise<void>;
  /** Stores a value; resolves to the format warning accepted, if any. Rejects with ApiError (the form shows it). */
  saveCredential(request: SetCredentialRequest): Promise<string | undefined>;
  deleteCredential(ref: CredentialRef): Promise<void>;
  /** The value, for the component that shows it (not kept here). */
  revealCredential(ref: CredentialRef): Promise<string>;
  copyCredential(ref: CredentialRef): Promise<void>;
}

export type CredentialsSlice = CredentialsState & CredentialsActions;

export const getInitialCredentialsState = (): CredentialsState => ({ credentials: [], credentialsLoading: false, credentialsError: null });

export const createCredentialsSlice: StateCreator<VaultState, [], [], CredentialsSlice> = (set, get) => ({
  ...getInitialCredentialsState(),
  loadCredentials: async () => {
    set({ credentialsLoading: true, credentialsError: null });
    try {
      set({ credentials: await getApi().credentialsList(), credentialsLoading: false });
    } catch (err) {
      set({ credentialsError: asApiError(err), credentialsLoading: false });
    }
  },
  saveCredential: async (request) => {
    const { warning } = await getApi().credentialsSet(request);
    get().toast('success', `Saved ${request.service}.${request.key} to the keychain.`);
    await Promise.all([get().loadCredentials(), get().loadWorkflows()]);
    return warning;
  },
  deleteCredential: async (ref) => {
    try {
      await getApi().credentialsDelete(ref);
      get().toast('success', `Deleted ${ref.service}.${ref.key}.`);
      await Promise.all([get().loadCredentials(), get().loadWorkflows()]);
    } catch (err) {
      get().toast('error', asApiError(err).message);
    }
  },
  revealCredential: (ref) => getApi().credentialsReveal(ref),
  copyCredential: async (ref) => {
    try {
      const { clearsAfterMs } = await getApi().credentialsCopy(ref);
      get().toast('success', `Copied. The clipboard is cleared in ${Math.round(clearsAfterMs / 1000)} s.`);
    } catch (err) {
      get().toast('error', asApiError(err).message);
    }
  },
});

// Selectors
/**
 * Credentials grouped by service, in catalog order. A derivation, not a
 * selector: it builds new arrays, so components memoise it on `credentials`.
 */
export function groupByService(credentials: CredentialView[]): Array<[string, CredentialView[]]> {
  const groups = new Map<string, CredentialView[]>();
  for (const c of credentials) groups.set(c.service, [...(groups.get(c.service) ?? []), c]);
  return [...groups];
}
