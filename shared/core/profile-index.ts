import { catalogEntry } from './catalog';
import { credentialId, type CredentialId } from './credential';

/**
 * The part of a profile a credential read needs: which credentials are
 * stored (the metadata index), custom env var names, non-secret slot values,
 * usage stamps and the AI provider preference. Computed without the full
 * schema so the hot read path (`cpw-vault get`, the library) stays light;
 * every write still goes through the full schema.
 */
export interface ProfileIndex {
  /** Every indexed credential (a lookup index loads them all on first use: prefer {@link meta} for one). */
  metadata: Readonly<Record<CredentialId, IndexedMeta>>;
  /** The metadata of one credential, if indexed. */
  meta(id: CredentialId): IndexedMeta | undefined;
  /** How many indexed credentials have their value in the secret store. */
  keychainCount: number;
  /** Non-secret value in a seed slot (credentials/online_services), or "". */
  slot(id: CredentialId): string;
  aiProvider: string | undefined;
  /** The preferences object as stored (read with shared/core/preferences.ts). */
  preferences: unknown;
  /** Where the secret values live: the backend and the recorded namespace suffix (undefined: not recorded yet). */
  storage: { backend: string; namespace: string | undefined };
}

/** A credential's metadata as the index reads it (the fields the schema defines, checked for type only). */
export interface IndexedMeta {
  storage: 'keychain' | 'profile';
  created_at: string;
  updated_at: string;
  hint: string;
  label?: string;
  custom?: boolean;
  env_var?: string;
  last_used_at?: string | null;
  last_validated_at?: string | null;
  [field: string]: unknown;
}

/** True when `field` is absent or of `type`. */
function optional(m: Record<string, unknown>, field: string, type: 'string' | 'boolean'): boolean {
  return m[field] === undefined || typeof m[field] === type;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Whether `value` in the seed slot `id` is a secret in plaintext: text, not blank, and not a non-secret catalog slot's. */
export function isPlaintextSecret(id: CredentialId, value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '' && catalogEntry(id)?.secret !== false;
}

/**
 * Secret values sitting in plaintext in the seed slots (`credentials` /
 * `online_services`). A profile holding any is a migration source, never kept.
 * Non-secret catalog slots (openai.organization_id) and flags are ignored.
 */
export function findPlaintextSecrets(data: Record<string, unknown>): CredentialId[] {
  const found: CredentialId[] = [];
  for (const section of ['credentials', 'online_services'] as const) {
    const services = data[section];
    if (!isObject(services)) continue;
    for (const [service, slots] of Object.entries(services)) {
      if (!isObject(slots)) continue;
      for (const [key, value] of Object.entries(slots)) {
        const id = credentialId(service, key);
        if (isPlaintextSecret(id, value)) found.push(id);
      }
    }
  }
  return found;
}

/**
 * Indexes a parsed profile document of the current major version, or returns
 * undefined when the document needs the full parser: another version (to
 * upgrade), plaintext secrets (to refuse), or any unexpected shape (to report
 * precisely). Never throws.
 */
export function indexProfile(raw: unknown, currentMajor: number): ProfileIndex | undefined {
  if (!isObject(raw) || typeof raw['version'] !== 'string' || !isObject(raw['credentials'])) return undefined;
  if (Number(raw['version'].split('.')[0]) !== currentMajor || !/^\d+\.\d+$/.test(raw['version'])) return undefined;
  if (findPlaintextSecrets(raw).length) return undefined;
  const metaIn = raw['credential_metadata'] ?? {};
  if (!isObject(metaIn)) return undefined;
  // The document's own object when every entry is complete (no copy: at 10,000 credentials copies cost more than checks).
  let metadata = metaIn as Record<CredentialId, IndexedMeta>;
  let keychainCount = 0;
  for (const id in metaIn) {
    const m = indexedMeta(metaIn[id]);
    if (!m) return undefined;
    if (m !== metaIn[id]) {
      if (metadata === metaIn) metadata = { ...metaIn } as Record<CredentialId, IndexedMeta>;
      metadata[id] = m;
    }
    if (m.storage === 'keychain') keychainCount++;
  }
  const head = indexHead(raw);
  if (!head) return undefined;
  return { ...head, metadata, meta: (id) => (Object.hasOwn(metadata, id) ? metadata[id] : undefined), keychainCount };
}

/**
 * One metadata entry as the index reads it (a missing `storage` is the
 * keychain), or undefined when it is not a complete entry.
 */
export function indexedMeta(m: unknown): IndexedMeta | undefined {
  if (!isObject(m)) return undefined;
  const storage = m['storage'];
  if (storage !== undefined && storage !== 'keychain' && storage !== 'profile') return undefined;
  if (typeof m['created_at'] !== 'string' || typeof m['updated_at'] !== 'string' || typeof m['hint'] !== 'string') return undefined;
  if (!optional(m, 'label', 'string') || !optional(m, 'env_var', 'string') || !optional(m, 'custom', 'boolean')) return undefined;
  return storage === undefined ? ({ ...m, storage: 'keychain' } as IndexedMeta) : (m as IndexedMeta);
}

/** The parts of the index outside the credential metadata: slots, preferences, storage. Undefined when the storage field is not an object. */
export function indexHead(raw: Record<string, unknown>): Pick<ProfileIndex, 'slot' | 'aiProvider' | 'preferences' | 'storage'> | undefined {
  const prefs = raw['preferences'];
  const storage = raw['storage'];
  if (storage !== undefined && !isObject(storage)) return undefined;
  return {
    slot(id) {
      const e = catalogEntry(id);
      const section = e ? raw[e.section] : undefined;
      const slots = e && isObject(section) ? section[e.service] : undefined;
      const value = e && isObject(slots) ? slots[e.key] : undefined;
      return typeof value === 'string' ? value : '';
    },
    aiProvider: isObject(prefs) && typeof prefs['ai_provider'] === 'string' ? prefs['ai_provider'] : undefined,
    preferences: prefs,
    storage: {
      backend: typeof storage?.['backend'] === 'string' ? storage['backend'] : 'keychain',
      namespace: typeof storage?.['namespace'] === 'string' ? storage['namespace'] : undefined,
    },
  };
}
