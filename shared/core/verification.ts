/**
 * What asking a provider "does this key work?" can answer, and the small
 * record of it kept in a credential's metadata. Pure: the calls themselves
 * live in shared/node/verify/.
 */
import type { CredentialId } from './credential';

/** The credentials a provider call can verify (shared/node/verify/providers.ts has the calls; a test holds the two to the same list). */
export const VERIFIABLE_CREDENTIALS: readonly CredentialId[] = ['huggingface.token', 'pyannote.token', 'openai.api_key', 'anthropic.api_key', 'google.api_key', 'tmdb.api_key', 'youtube.api_key', 'vimeo.access_token'];

/** Every verification outcome, from best to worst as far as the key is concerned. */
export const VERIFY_RESULTS = ['valid', 'unreachable', 'rate-limited', 'no-access', 'invalid'] as const;
export type VerifyResult = (typeof VERIFY_RESULTS)[number];

/** Why a provider could not be asked (result "unreachable"). */
export type UnreachableReason = 'dns' | 'refused' | 'tls' | 'timeout' | 'proxy' | 'network' | 'redirect' | 'endpoint' | 'provider-error' | 'unexpected';

/** One provider call and what it said. Never the key, never the response body. */
export interface CheckResult {
  /** The call's name, e.g. `whoami` or `gated:pyannote/segmentation-3.0`. */
  check: string;
  result: VerifyResult;
  /** HTTP status, when the provider answered. */
  status?: number;
  /** Machine-readable detail: an unreachable reason, or the provider's error code (GatedRepo, insufficient_quota, ...). */
  reason?: string;
  /** One line a user can read. */
  message: string;
  fix?: string;
  /** A page to open for the fix (accept a model's terms, enable an API). */
  fixUrl?: string;
}

/** The verdict on one credential: the worst of its checks, with what was learnt on the way. */
export interface VerificationResult {
  credential: CredentialId;
  result: VerifyResult;
  message: string;
  fix?: string;
  fixUrl?: string;
  /** Account the key belongs to, when the provider says (HuggingFace whoami). */
  account?: string;
  /** Token role, when the provider says (HuggingFace: read, write, fineGrained). */
  role?: string;
  /** Notes for the user that are not failures (e.g. a TMDB v3 key can only travel in the URL query). */
  notes: string[];
  checks: CheckResult[];
  checkedAt: string;
  durationMs: number;
  /** Where the verified value came from (filled by the caller that read it). */
  source?: 'env' | 'keychain' | 'profile' | 'legacy';
  /** `'file'` when `source` is the secret store and that is the age vault file (as a CredentialSource says it). */
  store?: 'file';
}

/** What is stored in the credential's metadata: the outcome, never a value or a body. */
export type ValidationRecord = {
  result: VerifyResult;
  at: string;
  checks: string[];
  reason?: string;
  account?: string;
  role?: string;
};

const SEVERITY: Readonly<Record<VerifyResult, number>> = { valid: 0, unreachable: 1, 'rate-limited': 2, 'no-access': 3, invalid: 4 };

/** The worst of several results ("valid" for none). */
export function worstResult(results: readonly VerifyResult[]): VerifyResult {
  return results.reduce<VerifyResult>((worst, r) => (SEVERITY[r] > SEVERITY[worst] ? r : worst), 'valid');
}

/** True when a result says the key itself is bad (invalid, or lacking access): exit 3. */
export function isRejected(result: VerifyResult): boolean {
  return result === 'invalid' || result === 'no-access';
}

/** The metadata record of a verification (outcome, time, which calls; account and role when known). */
export function toValidationRecord(v: VerificationResult): ValidationRecord {
  const failing = v.checks.find((c) => c.result === v.result && c.result !== 'valid');
  return {
    result: v.result,
    at: v.checkedAt,
    checks: v.checks.map((c) => c.check),
    ...(failing?.reason ? { reason: failing.reason } : {}),
    ...(v.account ? { account: v.account } : {}),
    ...(v.role ? { role: v.role } : {}),
  };
}
