import type { StateCreator } from 'zustand';
import { catalogEntry } from '../../shared/core/catalog';
import { credentialId } from '../../shared/core/credential';
import type { CredentialRef, SetCredentialRequest } from '../../shared/core/ipc-contract';
import { storeName } from '../../shared/core/secret-store';
import type { CredentialView } from '../../shared/core/views';
import { asApiError, getApi, type ApiError } from '../api';
import { selectBackend } from './app-slice';
import type { VaultState } from './index';
import { newestLoad } from './newest-load';

export const CREDENTIAL_FILTERS = ['all', 'stored', 'missing', 'custom', 'env'] as const;
export type CredentialFilter = (typeof CREDENTIAL_FILTERS)[number];
export const CREDENTIAL_SORTS = ['name', 'last-used', 'updated'] as const;
export type CredentialSort = (typeof CREDENTIAL_SORTS)[number];

/** The clipboard after a Copy: counting down to main's clear, then cleared (or left alone: it held something else by then). */
export type ClipboardState = { label: string; clearsAt: number; outcome: 'pending' | 'cleared' | 'left' } | null;

// State: metadata only. Secret values never enter the store: forms keep them
// in component state while open, and reveal hands the value to its caller.
export interface CredentialsState {
  credentials: CredentialView[];
  credentialsLoading: boolean;
  credentialsError: ApiError | null;
  credentialQuery: string;
  credentialFilter: CredentialFilter;
  credentialSort: CredentialSort;
  selectedCredential: string | null;
  clipboard: ClipboardState;
}

// Actions
export interface CredentialsActions {
  loadCredentials(): Promise<void>;
  /** Stores a value; resolves to the format warning accepted, if any. Rejects with ApiError (the form shows it). */
  saveCredential(request: SetCredentialRequest): Promise<string | undefined>;
  /**
   * Deletes; a toast says how it went: 'deleted', 'absent' (main had nothing stored under it: deleted
   * meanwhile, e.g. by the CLI) or 'failed' (the error toast carries the fix).
   */
  deleteCredential(ref: CredentialRef): Promise<'deleted' | 'absent' | 'failed'>;
  /** The value, for the component that shows it (not kept here). */
  revealCredential(ref: CredentialRef): Promise<string>;
  copyCredential(ref: CredentialRef): Promise<void>;
  /** Main's clipboard timer fired. */
  clipboardCleared(cleared: boolean): void;
  setCredentialView(view: Partial<Pick<CredentialsState, 'credentialQuery' | 'credentialFilter' | 'credentialSort'>>): void;
  selectCredential(id: string | null): void;
}

export type CredentialsSlice = CredentialsState & CredentialsActions;

export const getInitialCredentialsState = (): CredentialsState => ({
  credentials: [], credentialsLoading: false, credentialsError: null,
  credentialQuery: '', credentialFilter: 'all', credentialSort: 'name', selectedCredential: null, clipboard: null,
});

// A save or delete reloads while the screen's own load may still be on its way: only the newest answer lands.
const credentialLoads = newestLoad();
/**
 * The newest credentials load. A dropped load resolves once that one has landed: a save awaits its reload before its
 * form closes, and when the screen's load (main's profileChanged) had started after it, the form closed on a list
 * that still said "not stored", and focus went to that row's Add button until the newer answer came.
 */
let landing: Promise<void> = Promise.resolve();

export const createCredentialsSlice: StateCreator<VaultState, [], [], CredentialsSlice> = (set, get) => ({
  ...getInitialCredentialsState(),
  loadCredentials: () => {
    const newest = credentialLoads.start();
    set({ credentialsLoading: true, credentialsError: null });
    const mine = (async () => {
      try {
        const credentials = await getApi().credentialsList();
        if (newest()) return void set({ credentials, credentialsLoading: false });
      } catch (err) {
        if (newest()) return void set({ credentialsError: asApiError(err), credentialsLoading: false });
      }
      await landing; // dropped: a newer load started after this one, and set `landing`
    })();
    landing = mine;
    return mine;
  },
  saveCredential: async (request) => {
    const { warning } = await get().withLockRetry(() => getApi().credentialsSet(request));
    const plain = catalogEntry(credentialId(request.service, request.key))?.secret === false;
    // Named as the list and the form name it (its label), not by its id: "Saved huggingface.token" under "HuggingFace token".
    get().toast('success', `Saved ${request.label ?? shownName(get().credentials, request)} ${plain ? 'to your profile (not a secret)' : `to ${storeName(selectBackend(get()))}`}.`);
    await Promise.all([get().loadCredentials(), get().loadWorkflows()]);
    return warning;
  },
  deleteCredential: async (ref) => {
    try {
      // false: nothing was stored under it (it said "Deleted" all the same, for a credential already gone).
      const name = shownName(get().credentials, ref);
      const removed = await get().withLockRetry(() => getApi().credentialsDelete(ref));
      if (removed) get().toast('success', `Deleted ${name}.`);
      else get().toast('info', `Nothing deleted: ${name} was not stored (removed meanwhile, perhaps by the CLI).`);
      await Promise.all([get().loadCredentials(), get().loadWorkflows()]);
      return removed ? 'deleted' : 'absent';
    } catch (err) {
      get().toastError(err, 'Not deleted: ');
      return 'failed';
    }
  },
  revealCredential: (ref) => getApi().credentialsReveal(ref),
  copyCredential: async (ref) => {
    const label = shownName(get().credentials, ref);
    try {
      const { clearsAfterMs } = await getApi().credentialsCopy(ref);
      set({ clipboard: { label, clearsAt: Date.now() + clearsAfterMs, outcome: 'pending' } });
    } catch (err) {
      get().toastError(err, 'Not copied: ');
    }
  },
  clipboardCleared: (cleared) => {
    const c = get().clipboard;
    if (c) set({ clipboard: { ...c, outcome: cleared ? 'cleared' : 'left' } });
  },
  setCredentialView: (view) => set(view),
  selectCredential: (id) => set({ selectedCredential: id }),
});

// Selectors
// One collator for every comparison: localeCompare builds one per call, which shows at 500 credentials.
const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });
const time = (iso: string | null | undefined) => (iso ? Date.parse(iso) || 0 : 0);

function matches(c: CredentialView, query: string, filter: CredentialFilter): boolean {
  if (filter === 'stored' && !c.stored) return false;
  if (filter === 'missing' && c.source) return false;
  if (filter === 'custom' && !c.custom) return false;
  if (filter === 'env' && c.source?.kind !== 'env') return false;
  if (!query) return true;
  const q = query.toLowerCase();
  return c.label.toLowerCase().includes(q) || c.id.includes(q) || c.envVars.some((v) => v.toLowerCase().includes(q));
}

/**
 * The credentials the list shows: searched (label, id, env var), filtered,
 * sorted (by name; or most recently used / updated first, never-used last).
 * A derivation, not a selector: it builds a new array, so components memoise it.
 */
export function visibleCredentials(credentials: readonly CredentialView[], query: string, filter: CredentialFilter, sort: CredentialSort): CredentialView[] {
  const list = credentials.filter((c) => matches(c, query.trim(), filter));
  const byName = (a: CredentialView, b: CredentialView) => collator.compare(a.label, b.label) || collator.compare(a.id, b.id);
  if (sort === 'name') return list.sort(byName);
  const stamp = (c: CredentialView) => time(sort === 'last-used' ? c.meta?.last_used_at : c.meta?.updated_at);
  return list.sort((a, b) => stamp(b) - stamp(a) || byName(a, b));
}

/** A credential's name as the screen shows it: its label in the list, else its catalog label, else its id (a new custom one). */
function shownName(credentials: readonly CredentialView[], ref: { service: string; key: string }): string {
  const id = credentialId(ref.service, ref.key);
  return credentials.find((c) => c.id === id)?.label ?? catalogEntry(id)?.label ?? id;
}
