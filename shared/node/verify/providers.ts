import type { CredentialId } from '../../core/credential';
import type { VerifyResult } from '../../core/verification';
import type { EndpointName } from './endpoints';

/**
 * The provider table: for each credential, the one cheap read-only call
 * (or calls) that proves it works, how the key travels, and how to read the
 * answer. Data only; shared/node/verify/interpret.ts applies it.
 */

/** How the key travels. Headers wherever the provider allows it. */
export type KeyPlacement =
  | { kind: 'bearer' }
  | { kind: 'header'; name: string }
  /** TMDB: a v4 read access token (a JWT) as Bearer; a v3 key can only go in the `api_key` query parameter. */
  | { kind: 'tmdb' };

/** How to read a body (at most 64 KB of it; the body itself is never kept). */
export type BodyReader = 'hf-whoami' | 'google-error' | 'openai-error' | 'gated-repo';

/** One provider call. */
export interface ProviderCall {
  /** Name of the check, shown in results and kept in metadata. */
  readonly check: string;
  readonly endpoint: EndpointName;
  readonly method: 'GET' | 'HEAD';
  /** Relative to the endpoint's base URL. */
  readonly path: string;
  readonly key: KeyPlacement;
  readonly headers?: Readonly<Record<string, string>>;
  /** Non-secret credentials sent along when set (OpenAI-Organization). */
  readonly related?: ReadonlyArray<{ header: string; credential: CredentialId }>;
  /** Status codes with a documented meaning; others follow the generic rules (2xx valid, 401 invalid, 403 no-access, 429 rate-limited, 5xx unreachable). */
  readonly statuses?: Readonly<Partial<Record<number, VerifyResult>>>;
  readonly reader?: BodyReader;
  /** Where to fix a "no-access" answer (accept a model's terms, enable an API). */
  readonly accessUrl?: string;
  /** What the call costs, in the provider's quota. None costs money. */
  readonly cost: string;
}

/** The gated models the diarize stage loads (pyannote.audio 3.1). */
export const DIARIZE_MODELS = ['pyannote/speaker-diarization-3.1', 'pyannote/segmentation-3.0'] as const;

/** HEAD of a gated model's config.yaml: 200 granted, 403 + `X-Error-Code: GatedRepo` terms not accepted, 401 invalid. */
export function gatedModelCall(repo: string): ProviderCall {
  return {
    check: `gated:${repo}`,
    endpoint: 'huggingface',
    method: 'HEAD',
    path: `/${repo}/resolve/main/config.yaml`,
    key: { kind: 'bearer' },
    statuses: { 200: 'valid', 401: 'invalid', 403: 'no-access' },
    reader: 'gated-repo',
    accessUrl: `https://huggingface.co/${repo}`,
    cost: 'one HEAD on the Hub\'s resolve endpoint (counts toward the "resolvers" rate limit, thousands per 5 minutes); no download, no charge',
  };
}

const HF_WHOAMI: ProviderCall = {
  check: 'whoami',
  endpoint: 'huggingface',
  method: 'GET',
  path: '/api/whoami-v2',
  key: { kind: 'bearer' },
  statuses: { 200: 'valid', 401: 'invalid' },
  reader: 'hf-whoami',
  cost: 'one Hub API call (counts toward the Hub API rate limit, ~1,000 per 5 minutes on a free account); free',
};

const GOOGLE_ENABLE = 'https://console.cloud.google.com/apis/library/generativelanguage.googleapis.com';
const YOUTUBE_ENABLE = 'https://console.cloud.google.com/apis/library/youtube.googleapis.com';
/** Where a fine-grained HuggingFace token gets read access to gated repos. */
export const HF_TOKEN_SETTINGS = 'https://huggingface.co/settings/tokens';

/**
 * Every page a verification result may name as its fix (`fixUrl`): the
 * gated models' pages, the Google API enable pages, the Hub's token
 * settings. The app opens these (and the catalog's key pages), no others.
 */
export const FIX_PAGES: readonly string[] = [...DIARIZE_MODELS.map((repo) => `https://huggingface.co/${repo}`), GOOGLE_ENABLE, YOUTUBE_ENABLE, HF_TOKEN_SETTINGS];

/** Every verifiable credential and its calls. */
export const PROVIDERS: Readonly<Record<CredentialId, readonly ProviderCall[]>> = {
  'huggingface.token': [HF_WHOAMI],
  'pyannote.token': DIARIZE_MODELS.map(gatedModelCall),
  'openai.api_key': [{
    check: 'models', endpoint: 'openai', method: 'GET', path: '/models', key: { kind: 'bearer' },
    related: [{ header: 'OpenAI-Organization', credential: 'openai.organization_id' }],
    statuses: { 200: 'valid', 401: 'invalid', 403: 'no-access', 429: 'rate-limited' }, reader: 'openai-error',
    cost: 'one model-list request: no tokens, no charge (counts toward the request rate limit only)',
  }],
  'anthropic.api_key': [{
    check: 'models', endpoint: 'anthropic', method: 'GET', path: '/v1/models?limit=1', key: { kind: 'header', name: 'x-api-key' },
    headers: { 'anthropic-version': '2023-06-01' },
    statuses: { 200: 'valid', 401: 'invalid', 403: 'no-access', 429: 'rate-limited' },
    cost: 'one model-list request: no tokens, no charge (counts toward the request rate limit only)',
  }],
  'google.api_key': [{
    check: 'models', endpoint: 'google', method: 'GET', path: '/v1beta/models?pageSize=1', key: { kind: 'header', name: 'x-goog-api-key' },
    statuses: { 200: 'valid', 400: 'invalid', 403: 'no-access', 429: 'rate-limited' }, reader: 'google-error', accessUrl: GOOGLE_ENABLE,
    cost: 'one models.list request: no tokens, no charge (counts toward the per-minute request limit only)',
  }],
  'tmdb.api_key': [{
    check: 'authentication', endpoint: 'tmdb', method: 'GET', path: '/3/authentication', key: { kind: 'tmdb' },
    statuses: { 200: 'valid', 401: 'invalid', 429: 'rate-limited' },
    cost: 'one API request (TMDB allows about 40 a second); free',
  }],
  'youtube.api_key': [{
    check: 'videoCategories', endpoint: 'youtube', method: 'GET', path: '/youtube/v3/videoCategories?part=snippet&id=1', key: { kind: 'header', name: 'x-goog-api-key' },
    statuses: { 200: 'valid', 400: 'invalid', 403: 'no-access', 429: 'rate-limited' }, reader: 'google-error', accessUrl: YOUTUBE_ENABLE,
    cost: '1 unit of the 10,000-unit daily YouTube Data API quota; free',
  }],
  'vimeo.access_token': [{
    check: 'oauth-verify', endpoint: 'vimeo', method: 'GET', path: '/oauth/verify', key: { kind: 'bearer' },
    headers: { accept: 'application/vnd.vimeo.*+json;version=3.4' },
    statuses: { 200: 'valid', 401: 'invalid', 429: 'rate-limited' },
    cost: 'one API request (counts toward the per-minute API rate limit); free',
  }],
};

/** True when cpw-vault knows how to verify `id`. */
export function isVerifiable(id: CredentialId): boolean {
  return Object.hasOwn(PROVIDERS, id);
}

/**
 * The calls that verify `id`. With `gated` (the diarize workflow), a
 * HuggingFace token also proves access to the gated pyannote models.
 */
export function callsFor(id: CredentialId, options: { gated?: boolean } = {}): readonly ProviderCall[] {
  const own = PROVIDERS[id] ?? [];
  if (options.gated && id === 'huggingface.token') return [...own, ...DIARIZE_MODELS.map(gatedModelCall)];
  return own;
}
