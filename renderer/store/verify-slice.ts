import type { StateCreator } from 'zustand';
import type { CredentialRef } from '../../shared/core/ipc-contract';
import type { ValidationRecord, VerificationResult, VerifyResult } from '../../shared/core/verification';
import type { CredentialView } from '../../shared/core/views';
import { asApiError, getApi, type ApiError } from '../api';
import type { VaultState } from './index';

/** What "Verify all" last did. */
export interface VerifyAllOutcome {
  checked: number;
  skipped: Array<{ credential: string; reason: string }>;
}

// State: the providers' answers in this session, by credential id. Results
// carry no value (main builds them from status codes, never from bodies).
export interface VerifyState {
  verifications: Record<string, VerificationResult>;
  /** Credential ids being tested now. */
  verifying: string[];
  /** Why the last Test of a credential could not ask its provider (missing, keychain locked, ...). */
  verifyErrors: Record<string, ApiError>;
  verifyingAll: boolean;
  verifyAllOutcome: VerifyAllOutcome | null;
  verifyAllError: ApiError | null;
}

// Actions
export interface VerifyActions {
  /** The Test button: asks the credential's provider; the outcome lands in `verifications` (or `verifyErrors`). */
  verifyCredential(ref: CredentialRef): Promise<void>;
  /** "Verify all": every credential with a value, as `cpw-vault verify --all`. */
  verifyAll(): Promise<void>;
}

export type VerifySlice = VerifyState & VerifyActions;

export const getInitialVerifyState = (): VerifyState => ({ verifications: {}, verifying: [], verifyErrors: {}, verifyingAll: false, verifyAllOutcome: null, verifyAllError: null });

const byId = (results: readonly VerificationResult[]) => Object.fromEntries(results.map((r) => [r.credential, r]));

export const createVerifySlice: StateCreator<VaultState, [], [], VerifySlice> = (set, get) => ({
  ...getInitialVerifyState(),
  verifyCredential: async ({ service, key }) => {
    const id = `${service}.${key}`;
    if (get().verifying.includes(id)) return;
    set((s) => ({ verifying: [...s.verifying, id] }));
    try {
      const { results } = await getApi().credentialsVerify({ kind: 'credential', service, key });
      const { [id]: _gone, ...errors } = get().verifyErrors;
      set((s) => ({ verifications: { ...s.verifications, ...byId(results) }, verifyErrors: errors }));
    } catch (err) {
      set((s) => ({ verifyErrors: { ...s.verifyErrors, [id]: asApiError(err) } }));
    } finally {
      set((s) => ({ verifying: s.verifying.filter((x) => x !== id) }));
    }
    await get().loadCredentials(); // the outcome is now in the metadata (when the stored value was tested)
  },
  verifyAll: async () => {
    if (get().verifyingAll) return;
    set({ verifyingAll: true, verifyAllError: null });
    try {
      const { results, skipped } = await getApi().credentialsVerify({ kind: 'all' });
      set((s) => ({ verifications: { ...s.verifications, ...byId(results) }, verifyAllOutcome: { checked: results.length, skipped } }));
    } catch (err) {
      set({ verifyAllError: asApiError(err) });
    } finally {
      set({ verifyingAll: false });
    }
    await get().loadCredentials();
  },
});

// Selectors

/** A verification as the screens show it: from this session's answer, or from the record in the credential's metadata. */
export interface ShownVerification {
  result: VerifyResult;
  at: string;
  account?: string;
  role?: string;
  /** This session's answer only: the provider's verdict in words, the fix, the page to open. */
  message?: string;
  fix?: string;
  fixUrl?: string;
  notes: string[];
  /** The value changed after this test: the result is about the old one. */
  stale: boolean;
  /** The answer is about the stored value, but reads now take the one from this env var. */
  shadowedBy?: string;
  /** This session tested the value of this env var (it shadows the stored one; nothing was recorded). */
  testedEnv?: string;
}

function fromRecord(c: CredentialView, r: ValidationRecord): ShownVerification {
  return {
    result: r.result, at: r.at, notes: [], ...(r.account ? { account: r.account } : {}), ...(r.role ? { role: r.role } : {}),
    stale: !!c.meta && Date.parse(c.meta.updated_at) > Date.parse(r.at),
    ...(c.source?.kind === 'env' ? { shadowedBy: c.source.name } : {}),
  };
}

function fromSession(c: CredentialView, v: VerificationResult): ShownVerification {
  return {
    result: v.result, at: v.checkedAt, notes: v.notes, message: v.message,
    ...(v.account ? { account: v.account } : {}), ...(v.role ? { role: v.role } : {}),
    ...(v.fix ? { fix: v.fix } : {}), ...(v.fixUrl ? { fixUrl: v.fixUrl } : {}),
    stale: v.source !== 'env' && !!c.meta && Date.parse(c.meta.updated_at) > Date.parse(v.checkedAt),
    ...(v.source === 'env' && c.source?.kind === 'env' ? { testedEnv: c.source.name } : {}),
  };
}

/** The newest thing known about whether `c` works: this session's answer, else its metadata record; null when never tested. */
export function shownVerification(c: CredentialView, session: VerificationResult | undefined): ShownVerification | null {
  const record = c.meta?.last_validation;
  if (session && (!record || Date.parse(session.checkedAt) >= Date.parse(record.at))) return fromSession(c, session);
  return record ? fromRecord(c, record) : null;
}
