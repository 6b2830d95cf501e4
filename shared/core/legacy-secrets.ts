import { catalogEntry, legacyKeyToCredential } from './catalog';
import { type CredentialId } from './credential';

/** A value found in a legacy secrets document, with the key path it came from. */
export interface LegacyEntry {
  /** Where it was found, e.g. `hf_token` or `huggingface.token`. */
  sourceKey: string;
  /** The catalog credential it maps to, if any. */
  target: CredentialId | undefined;
  value: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Lists the entries of a legacy secrets document: flat keys
 * (`{"hf_token": ...}`, `{"HF_TOKEN": ...}`) and nested forms
 * (`{"huggingface": {"token": ...}}`). Pure; values are passed through as
 * found (the caller decides what is valid).
 */
export function legacyEntries(doc: Record<string, unknown>): LegacyEntry[] {
  const out: LegacyEntry[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (isObject(value)) {
      for (const [inner, innerValue] of Object.entries(value)) {
        const sourceKey = `${key}.${inner}`;
        const nested = `${key.toLowerCase()}.${inner.toLowerCase()}`;
        out.push({ sourceKey, target: legacyKeyToCredential(inner) ?? knownNested(nested), value: innerValue });
      }
    } else {
      out.push({ sourceKey: key, target: legacyKeyToCredential(key), value });
    }
  }
  return out;
}

const NESTED_ALIASES: Readonly<Record<string, CredentialId>> = { 'hf.token': 'huggingface.token', 'huggingface.api_key': 'huggingface.token' };

function knownNested(id: string): CredentialId | undefined {
  return NESTED_ALIASES[id] ?? (catalogEntry(id) ? id : undefined);
}

/**
 * The usable values of a legacy document keyed by credential: first
 * non-empty string wins. Used for read-only fallback to config/secrets.json.
 */
export function legacyValues(doc: Record<string, unknown>): Map<CredentialId, string> {
  const values = new Map<CredentialId, string>();
  for (const entry of legacyEntries(doc)) {
    if (entry.target && typeof entry.value === 'string' && entry.value.trim() !== '' && !values.has(entry.target)) {
      values.set(entry.target, entry.value.trim());
    }
  }
  return values;
}
