import { splitCredentialId, type CredentialId } from '../../core/credential';
import { VaultError } from '../../core/errors';
import { redactDeep } from '../../core/redact';
import { worstResult, type CheckResult, type VerificationResult } from '../../core/verification';
import { joinUrl, resolveEndpoint } from './endpoints';
import { HttpClient, type Call, type ConnectOptions } from './http';
import { interpret, type Interpreted } from './interpret';
import { callsFor, isVerifiable, type ProviderCall } from './providers';

type Env = Readonly<Record<string, string | undefined>>;

/** Default deadline of one provider call: connect, TLS, headers, redirects and body. */
export const VERIFY_TIMEOUT_MS = 10_000;

/** How to verify. Everything has a default; the caller's environment decides endpoints and proxy. */
export interface VerifyOptions {
  /** Endpoint variables and HTTPS_PROXY / NO_PROXY come from here (default: process.env). */
  env?: Env;
  /** Deadline of each call in ms (default 10 000). */
  timeoutMs?: number;
  /** A HuggingFace token also proves access to the gated pyannote models (the diarize workflow). */
  gated?: boolean;
  /** Non-secret values sent along where a provider takes them (openai.organization_id). */
  related?: Readonly<Record<CredentialId, string | undefined>>;
  now?: () => Date;
  /** A private CA to trust (e.g. a mirror's) and a resolver; default: the system's. */
  connect?: ConnectOptions;
  /** Share one connection pool between calls (verifyMany does). */
  client?: HttpClient;
}

const TMDB_V3_NOTE = 'A TMDB v3 API key can only be sent in the URL query (TMDB accepts it nowhere else); a v4 "API Read Access Token" from the same settings page travels in a header instead.';

function placeKey(call: ProviderCall, value: string, url: URL, headers: Record<string, string>, notes: Set<string>): void {
  if (call.key.kind === 'header') headers[call.key.name] = value;
  else if (call.key.kind === 'bearer' || value.startsWith('eyJ')) headers['authorization'] = `Bearer ${value}`;
  else {
    url.searchParams.set('api_key', value);
    notes.add(TMDB_V3_NOTE);
  }
}

/**
 * What a provider said, with every copy of the key cut out. A broken gateway or a hostile mirror that echoes the key
 * (as the account name, the role, an error code, or the host of a redirect, which a URL lower-cases) would otherwise
 * have it printed, put in --json and recorded in the profile metadata. In any case: a mirror echoed it upper-cased,
 * which an exact match let through. The one redaction helper folds case for a value of a key's length; the lower- and
 * upper-cased forms go along for a shorter one.
 */
function withoutKey(got: Interpreted, value: string): Interpreted {
  const forms = [value, value.toLowerCase(), value.toUpperCase()];
  const folded = value.toLowerCase();
  const holds = (v: unknown) => typeof v === 'string' && v.toLowerCase().includes(folded);
  if (!holds(got.account) && !holds(got.role) && !Object.values(got.check).some(holds)) return got;
  const check = redactDeep(got.check, forms);
  // A code or a name that was the key is no code or name: dropped, not kept as "[REDACTED]".
  if (holds(got.check.reason)) delete check.reason;
  return { check, ...(got.account && !holds(got.account) ? { account: got.account } : {}), ...(got.role && !holds(got.role) ? { role: got.role } : {}) };
}

async function runCall(id: CredentialId, call: ProviderCall, value: string, options: VerifyOptions, client: HttpClient, notes: Set<string>): Promise<Interpreted> {
  const { service } = splitCredentialId(id);
  const endpoint = resolveEndpoint(call.endpoint, service, options.env ?? process.env);
  if (!endpoint.ok) return { check: { check: call.check, result: 'unreachable', reason: 'endpoint', message: endpoint.message, fix: endpoint.fix } };
  const url = joinUrl(endpoint.base, call.path);
  const headers: Record<string, string> = { ...call.headers };
  for (const r of call.related ?? []) {
    const v = options.related?.[r.credential];
    if (v && /^[\x21-\x7e]+$/.test(v)) headers[r.header] = v;
  }
  placeKey(call, value, url, headers, notes);
  if (url.origin !== endpoint.base.origin) throw new Error('a provider path left its base URL'); // a bug in the table, never user input
  const request: Call = { url, method: call.method, headers, readBody: !!call.reader };
  const outcome = await client.send(request);
  if (!outcome.ok) return { check: { check: call.check, result: 'unreachable', reason: outcome.reason, message: outcome.message, fix: outcome.fix } };
  return withoutKey(interpret(id, call, outcome.answer, url.host), value);
}

/** INVALID_ARGUMENT for a credential without a provider call. */
export function assertVerifiable(id: CredentialId): void {
  if (isVerifiable(id)) return;
  throw new VaultError('INVALID_ARGUMENT', `cpw-vault cannot verify ${id}: no provider call is known for it.`, 'Verifiable: huggingface token, pyannote token, openai api_key, anthropic api_key, google api_key, tmdb api_key, youtube api_key, vimeo access_token.');
}

/** A value no provider key can be: sent nowhere. */
function unsendable(value: string): CheckResult | undefined {
  if (/^[\x21-\x7e]+$/.test(value)) return undefined;
  return { check: 'value', result: 'invalid', reason: 'format', message: 'the value holds spaces or characters no API key has, so it was not sent', fix: 'Store the key again, pasting only the key: cpw-vault set <service> <key>' };
}

function summarise(id: CredentialId, checks: CheckResult[], found: Interpreted[], notes: Set<string>, started: number, now: Date): VerificationResult {
  const result = worstResult(checks.map((c) => c.result));
  const decisive = result === 'valid' ? undefined : checks.find((c) => c.result === result);
  const account = found.find((f) => f.account)?.account;
  const role = found.find((f) => f.role)?.role;
  return {
    credential: id,
    result,
    message: decisive?.message ?? checks.map((c) => c.message).join('; '),
    ...(decisive?.fix ? { fix: decisive.fix } : {}),
    ...(decisive?.fixUrl ? { fixUrl: decisive.fixUrl } : {}),
    ...(account ? { account } : {}),
    ...(role ? { role } : {}),
    notes: [...notes],
    checks,
    checkedAt: now.toISOString(),
    durationMs: Date.now() - started,
  };
}

/**
 * Asks the provider whether `value` works as credential `id`, with the
 * cheap read-only call(s) of the provider table. The key goes only to the
 * configured base URL of its provider (https, or http on loopback), in a
 * header wherever the provider allows it, and never across a redirect to
 * another host. Resolves to valid / invalid / no-access / rate-limited /
 * unreachable — never throws for anything the network or the provider
 * does. Throws INVALID_ARGUMENT for a credential it cannot verify.
 */
export async function verifyCredential(id: CredentialId, value: string, options: VerifyOptions = {}): Promise<VerificationResult> {
  assertVerifiable(id);
  const started = Date.now();
  const now = options.now ?? (() => new Date());
  const client = options.client ?? new HttpClient(options.env ?? process.env, options.timeoutMs ?? VERIFY_TIMEOUT_MS, options.connect);
  const notes = new Set<string>();
  const found: Interpreted[] = [];
  try {
    const bad = unsendable(value);
    if (bad) return summarise(id, [bad], [], notes, started, now());
    for (const call of callsFor(id, { gated: !!options.gated })) {
      const got = await runCall(id, call, value, options, client, notes);
      found.push(got);
      // No-access on one gated model still checks the next (both need accepting); anything else decides.
      if (got.check.result !== 'valid' && got.check.result !== 'no-access') break;
    }
  } finally {
    if (!options.client) await client.close();
  }
  return summarise(id, found.map((f) => f.check), found, notes, started, now());
}

/** One credential to verify: its id and value, and whether to add the gated-model checks. */
export interface VerifyItem {
  id: CredentialId;
  value: string;
  gated?: boolean;
}

/**
 * Verifies several credentials at once (at most four at a time, one
 * connection pool), in the order given. Never throws for network or
 * provider trouble; throws INVALID_ARGUMENT for an unverifiable id.
 */
export async function verifyMany(items: readonly VerifyItem[], options: VerifyOptions = {}): Promise<VerificationResult[]> {
  for (const item of items) assertVerifiable(item.id);
  const client = options.client ?? new HttpClient(options.env ?? process.env, options.timeoutMs ?? VERIFY_TIMEOUT_MS, options.connect);
  const results: VerificationResult[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const item = items[i]!;
      results[i] = await verifyCredential(item.id, item.value, { ...options, client, gated: !!item.gated });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(4, items.length) }, worker));
  } finally {
    if (!options.client) await client.close();
  }
  return results;
}
