import { CATALOG, catalogEntry } from './catalog';
import { splitCredentialId, type CredentialId } from './credential';

/** Most edits (over service and key together) between a typed name and the catalog credential it was meant to be. */
const NEAR = 2;

/** Levenshtein distance of two short names (a few dozen characters: one row of the table). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** True when one name extends the other (`openai2`, `api_key2`): a second key named on purpose, not a typo. */
function extends_(a: string, b: string): boolean {
  return a !== b && (a.startsWith(b) || b.startsWith(a));
}

/**
 * The catalog credential `id` was probably meant to be, when it is not one
 * but is at most two edits from one (`huggingfce token`, `tmdb apikey`):
 * `set` stored such a typo as a new custom credential without a word, and
 * `get` only said it was not set. Not a name that extends a catalog one
 * (`openai2`, `api_key2`), nor a short name whose edits are a large part of
 * it (`omdb`, `tvdb`: services of their own, one letter from `tmdb`): an edit
 * per five characters at most. Undefined for a catalog id or a name far from every one.
 */
export function nearCatalogId(id: CredentialId): CredentialId | undefined {
  if (catalogEntry(id)) return undefined;
  const { service, key } = splitCredentialId(id);
  let best: { id: CredentialId; d: number } | undefined;
  for (const e of CATALOG) {
    if (extends_(service, e.service) || extends_(key, e.key)) continue;
    const [ds, dk] = [distance(service, e.service), distance(key, e.key)];
    const d = ds + dk;
    // An edit per five characters of the part it is in, at most: `omdb` is one edit from `tmdb` in four characters.
    if (d <= NEAR && ds * 5 <= service.length && dk * 5 <= key.length && (!best || d < best.d)) best = { id: e.id, d };
  }
  return best?.id;
}
