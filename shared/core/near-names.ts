import { CATALOG, catalogEntry } from './catalog';
import { splitCredentialId, type CredentialId } from './credential';
import { VaultError } from './errors';

/** Most edits (over service and key together) between a typed name and the catalog credential it was meant to be. */
const NEAR = 2;

/** Levenshtein distance of two short names (a few dozen characters: one row of the table). */
export function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** A second key named on purpose: the catalog name with a number after it (`openai2`, `api_key_2`). */
function numbered(a: string, b: string): boolean {
  return a.startsWith(b) && /^_?\d+$/.test(a.slice(b.length));
}

/** Two neighbouring letters swapped (`tmbd`, `toekn`): a typo whatever the length. */
function swapped(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const at = [...a].flatMap((c, i) => (c === b[i] ? [] : [i]));
  return at.length === 2 && at[1] === at[0]! + 1 && a[at[0]!] === b[at[1]!] && a[at[1]!] === b[at[0]!];
}

/**
 * The edits between a typed part and a catalog one when it is one's typo,
 * else undefined. Keys come from a handful of words (token, api_key...): any
 * one or two edits is a typo (`tokens`, `tokn`, `api_keys`). Services are
 * names of their own: an edit per five characters at most, so `googl` and
 * `hugginface` are typos and `omdb`, `tvdb` (one letter from `tmdb`) are
 * services. A swap of neighbours always is one; a number after the name never.
 */
function edits(typed: string, catalog: string, part: 'service' | 'key'): number | undefined {
  if (typed === catalog) return 0;
  if (numbered(typed, catalog)) return undefined;
  if (swapped(typed, catalog)) return 1;
  const d = distance(typed, catalog);
  if (d > NEAR) return undefined;
  return part === 'key' || d * 5 <= typed.length ? d : undefined;
}

/**
 * The catalog credential `id` was probably meant to be, when it is not one
 * but is at most two edits from one (`huggingfce token`, `tmdb apikey`,
 * `huggingface tokens`): `set` stored such a typo as a new custom credential
 * without a word, and `get` only said it was not set. Undefined for a catalog
 * id, a second key named on purpose (`openai2`), a service of its own
 * (`omdb`) or a name far from every one.
 */
export function nearCatalogId(id: CredentialId): CredentialId | undefined {
  if (catalogEntry(id)) return undefined;
  const { service, key } = splitCredentialId(id);
  let best: { id: CredentialId; d: number } | undefined;
  for (const e of CATALOG) {
    const ds = edits(service, e.service, 'service');
    const dk = edits(key, e.key, 'key');
    if (ds === undefined || dk === undefined || ds + dk > NEAR) continue;
    if (!best || ds + dk < best.d) best = { id: e.id, d: ds + dk };
  }
  return best?.id;
}

/**
 * INVALID_ARGUMENT for a new custom credential named one or two edits from a
 * catalog one, naming the one meant; undefined when it is none, or when it is
 * given an env var of its own (a custom credential of that very name, on
 * purpose). The CLI says it before asking the value, the vault for every
 * caller (the app's form stored `huggingfce.token` without a word).
 */
export function nearMissError(id: CredentialId, ownEnvVar: boolean): VaultError | undefined {
  const near = ownEnvVar ? undefined : nearCatalogId(id);
  if (!near) return undefined;
  const meant = splitCredentialId(near);
  return new VaultError('INVALID_ARGUMENT', `${id} is not a known credential: did you mean ${near}? Nothing was stored.`, `For a custom credential of that very name, add --env-var NAME (or give it its Environment variable in the app). For ${near}, run: cpw-vault set ${meant.service} ${meant.key}`);
}
