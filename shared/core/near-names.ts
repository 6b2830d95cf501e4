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

/**
 * The catalog credential `id` was probably meant to be, when it is not one
 * but is at most two edits from one (`huggingfce token`, `tmdb apikey`):
 * `set` stored such a typo as a new custom credential without a word, and
 * `get` only said it was not set. Undefined for a catalog id or a name far
 * from every one.
 */
export function nearCatalogId(id: CredentialId): CredentialId | undefined {
  if (catalogEntry(id)) return undefined;
  const { service, key } = splitCredentialId(id);
  let best: { id: CredentialId; d: number } | undefined;
  for (const e of CATALOG) {
    const d = distance(service, e.service) + distance(key, e.key);
    if (d <= NEAR && (!best || d < best.d)) best = { id: e.id, d };
  }
  return best?.id;
}
