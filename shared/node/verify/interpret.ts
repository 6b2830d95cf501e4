import { catalogEntry } from '../../core/catalog';
import { splitCredentialId, type CredentialId } from '../../core/credential';
import type { CheckResult, VerifyResult } from '../../core/verification';
import type { Answer } from './http';
import { HF_TOKEN_SETTINGS, type ProviderCall } from './providers';

/** A check's result, plus what the provider told about the key's owner. */
export interface Interpreted {
  check: CheckResult;
  account?: string;
  role?: string;
}

/** Only short, plain codes from a provider are repeated (never free text that could hold anything). */
const CODE = /^[A-Za-z0-9_.-]{1,64}$/;
const plainCode = (v: unknown): string | undefined => (typeof v === 'string' && CODE.test(v) ? v : undefined);

function parseJson(body: string | undefined): Record<string, unknown> | undefined {
  try {
    const v: unknown = body ? JSON.parse(body) : undefined;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // a body cut at 64 KB or not JSON: the status decides alone
  }
}

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** Error reasons in a Google API body: `error.details[].reason` (new) and `error.errors[].reason` (v3), then `error.status`. */
function googleReasons(body: string | undefined): string[] {
  const error = obj(parseJson(body)?.['error']);
  const list = (v: unknown) => (Array.isArray(v) ? v.map((d) => plainCode(obj(d)['reason'])) : []);
  return [...list(error['details']), ...list(error['errors']), plainCode(error['status'])].filter((r): r is string => !!r);
}

const GOOGLE: ReadonlyArray<[RegExp, VerifyResult]> = [
  [/^(API_KEY_INVALID|keyInvalid|API_KEY_EXPIRED|badRequest)$/, 'invalid'],
  [/^(quotaExceeded|dailyLimitExceeded|rateLimitExceeded|userRateLimitExceeded|RATE_LIMIT_EXCEEDED|RESOURCE_EXHAUSTED)$/, 'rate-limited'],
  [/^(SERVICE_DISABLED|accessNotConfigured|API_KEY_SERVICE_BLOCKED|API_KEY_HTTP_REFERRER_BLOCKED|API_KEY_IP_ADDRESS_BLOCKED|API_KEY_ANDROID_APP_BLOCKED|API_KEY_IOS_APP_BLOCKED|forbidden|PERMISSION_DENIED)$/, 'no-access'],
];

function generic(status: number): VerifyResult | 'error' | 'unexpected' {
  if (status >= 200 && status < 300) return 'valid';
  if (status === 401) return 'invalid';
  if (status === 403) return 'no-access';
  if (status === 429) return 'rate-limited';
  return status >= 500 ? 'error' : 'unexpected';
}

/**
 * Reads a provider's answer to `call` for credential `id`: the documented
 * status codes first, then what the body or headers refine (a gated repo,
 * a Google error reason, OpenAI's insufficient_quota). Never keeps a body.
 */
export function interpret(id: CredentialId, call: ProviderCall, answer: Answer, host: string): Interpreted {
  const base = { check: call.check, status: answer.status };
  if (answer.redirectHost) {
    // The Hub redirects file downloads to its storage only after the access check passed.
    if (call.reader === 'gated-repo' && answer.headers['x-repo-commit']) return { check: { ...base, result: 'valid', message: `access to ${repoOf(call)} granted` } };
    return { check: { ...base, result: 'unreachable', reason: 'redirect', message: `${host} answered with a redirect to ${answer.redirectHost}, which was not followed: the key is only sent to ${host}`, fix: 'If this is a mirror that moved, point the endpoint variable at its new address.' } };
  }
  const kind = call.statuses?.[answer.status] ?? generic(answer.status);
  if (kind === 'error') return { check: { ...base, result: 'unreachable', reason: 'provider-error', message: `${host} answered HTTP ${answer.status} (a provider-side error); nothing is known about the key`, fix: 'Try again later.' } };
  if (kind === 'unexpected') return { check: { ...base, result: 'unreachable', reason: 'unexpected', message: `${host} answered HTTP ${answer.status}, which says nothing about the key`, fix: 'Check the endpoint variable if you set one (CPW_VAULT_ENDPOINT_<SERVICE>, HF_ENDPOINT, ...).' } };
  const refined = refine(id, call, answer, kind);
  return refined ?? { check: { ...base, ...describe(id, call, answer, kind) } };
}

function describe(id: CredentialId, call: ProviderCall, answer: Answer, result: VerifyResult): Omit<CheckResult, 'check' | 'status'> {
  const { service, key } = splitCredentialId(id);
  const url = catalogEntry(id)?.url;
  switch (result) {
    case 'valid':
      return { result, message: 'the provider accepted the key' };
    case 'invalid':
      return { result, message: `the provider rejected the key (HTTP ${answer.status}): revoked, expired or mistyped`, fix: `Create a new key${url ? ` at ${url}` : ''}, then: cpw-vault set ${service} ${key}` };
    case 'no-access':
      return { result, message: `the key is valid but may not use this API (HTTP ${answer.status})`, fix: call.accessUrl ? `Enable the API for the key's project at ${call.accessUrl}` : `Check the key's permissions${url ? ` at ${url}` : ''}.`, ...(call.accessUrl ? { fixUrl: call.accessUrl } : {}) };
    case 'rate-limited': {
      const after = Number(answer.headers['retry-after']);
      return { result, message: `rate-limited (HTTP ${answer.status}): the key was not rejected, but the provider would not answer now${after > 0 && after < 86400 ? `; retry after ${after} s` : ''}`, fix: "Wait and try again; check your plan's rate limits and quota." };
    }
    default:
      return { result, message: `HTTP ${answer.status}` };
  }
}

function repoOf(call: ProviderCall): string {
  return call.check.replace(/^gated:/, '');
}

function refine(id: CredentialId, call: ProviderCall, answer: Answer, kind: VerifyResult): Interpreted | undefined {
  const base = { check: call.check, status: answer.status };
  if (call.reader === 'hf-whoami' && kind === 'valid') {
    const doc = parseJson(answer.body);
    const account = typeof doc?.['name'] === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/.test(doc['name']) ? doc['name'] : undefined;
    const role = plainCode(obj(obj(obj(doc?.['auth'])['accessToken']))['role']);
    const who = [account && `account ${account}`, role && `${role} token`].filter(Boolean).join(', ');
    return { check: { ...base, result: 'valid', message: who ? `valid: ${who}` : 'the Hub accepted the token' }, ...(account ? { account } : {}), ...(role ? { role } : {}) };
  }
  if (call.reader === 'gated-repo') return gated(call, answer, kind);
  if (call.reader === 'google-error' && kind !== 'valid') {
    const reasons = googleReasons(answer.body);
    const hit = GOOGLE.map(([re, r]) => ({ r, reason: reasons.find((x) => re.test(x)) })).find((m) => m.reason);
    if (!hit) return undefined;
    return { check: { ...base, ...describe(id, call, answer, hit.r), reason: hit.reason! } };
  }
  if (call.reader === 'openai-error' && kind !== 'valid') {
    const code = plainCode(obj(parseJson(answer.body)?.['error'])['code']);
    if (code === 'insufficient_quota') return { check: { ...base, result: 'rate-limited', reason: code, message: 'the key works but the account has no credit left (insufficient_quota)', fix: 'Add credit or raise the budget at https://platform.openai.com/settings/organization/billing' } };
    if (code && /organization/.test(code)) return { check: { ...base, result: 'no-access', reason: code, message: 'the key does not belong to the organization in openai.organization_id', fix: 'Set the right one with cpw-vault set openai organization_id, or remove it: cpw-vault delete openai organization_id' } };
    if (code) return { check: { ...base, ...describe(id, call, answer, kind), reason: code } };
  }
  return undefined;
}

function gated(call: ProviderCall, answer: Answer, kind: VerifyResult): Interpreted | undefined {
  const base = { check: call.check, status: answer.status };
  const repo = repoOf(call);
  const code = plainCode(answer.headers['x-error-code']);
  if (kind === 'valid') return { check: { ...base, result: 'valid', message: `access to ${repo} granted` } };
  if (kind === 'no-access' && code === 'GatedRepo') {
    return { check: { ...base, result: 'no-access', reason: code, message: `the token's account has not accepted the conditions of the gated model ${repo}`, fix: `Open ${call.accessUrl}, log in as the token's account and accept the conditions, then run: cpw-vault verify --workflow diarize`, fixUrl: call.accessUrl! } };
  }
  if (kind === 'no-access') {
    return { check: { ...base, result: 'no-access', reason: code ?? 'forbidden', message: `the token may not read ${repo} (HTTP 403)`, fix: `A fine-grained token needs "Read access to contents of all public gated repos you can access": edit it at ${HF_TOKEN_SETTINGS}`, fixUrl: HF_TOKEN_SETTINGS } };
  }
  return undefined;
}
