/**
 * The profile's half of a credential: its entry in the index
 * (`credential_metadata`) and, for a non-secret, its slot. Pure functions
 * from profile to profile; the credential store decides when they run.
 */
import { catalogEntry } from './catalog';
import { maskedHint, plainHint, type CredentialId } from './credential';
import type { CredentialMeta, Profile } from './profile-schema';
import { isoString } from './iso-time';

/** True when the value of `id` belongs in the secret store (everything but the catalog's non-secrets). */
export function isSecretCredential(id: CredentialId): boolean {
  return catalogEntry(id)?.secret !== false;
}

/** One change of the index: an entry set for a value (with its label and custom env var), or removed. */
export type IndexChange =
  | { kind: 'set'; id: CredentialId; value: string; envVar?: string | undefined; label?: string | undefined }
  | { kind: 'delete'; id: CredentialId };

/**
 * `profile` with `changes` applied to the index, in one copy of it (a
 * migration of 10,000 keys must not copy the index 10,000 times): for a set,
 * the metadata (created kept, updated now, masked hint, storage, label,
 * custom env var) and, for a non-secret, the value in its profile slot; for
 * a delete, the entry removed (and a non-secret's slot emptied). A secret
 * value is never put in the profile: the credential store writes it to the
 * secret store.
 */
export function withIndexChanges(profile: Profile, changes: readonly IndexChange[], now: Date): Profile {
  const stamp = isoString(now);
  const metadata = { ...profile.credential_metadata };
  let next: Profile = { ...profile, credential_metadata: metadata };
  for (const c of changes) {
    const secret = isSecretCredential(c.id);
    if (c.kind === 'delete') {
      delete metadata[c.id];
      if (!secret) next = withSlot(next, c.id, '');
      continue;
    }
    const old = metadata[c.id];
    const meta: CredentialMeta = {
      ...old,
      ...(c.label !== undefined ? { label: c.label } : {}),
      created_at: old?.created_at ?? stamp,
      updated_at: stamp,
      hint: secret ? maskedHint(c.value) : plainHint(c.value),
      storage: secret ? 'keychain' : 'profile',
      ...(c.envVar ? { custom: true, env_var: c.envVar } : {}),
    };
    metadata[c.id] = meta;
    if (!secret) next = withSlot(next, c.id, c.value);
  }
  return next;
}

/** `profile` with the metadata of credential `id` set for `value` (see {@link withIndexChanges}). */
export function withCredential(profile: Profile, id: CredentialId, value: string, now: Date, extra: { envVar?: string | undefined; label?: string | undefined } = {}): Profile {
  return withIndexChanges(profile, [{ kind: 'set', id, value, envVar: extra.envVar, label: extra.label }], now);
}

/** `profile` without the metadata of `id` (and with its slot emptied for a non-secret). */
export function withoutCredential(profile: Profile, id: CredentialId): Profile {
  return withIndexChanges(profile, [{ kind: 'delete', id }], new Date(0));
}

/** The value in the profile slot of a non-secret catalog credential, or ''. */
export function slotValue(profile: Profile, id: CredentialId): string {
  const e = catalogEntry(id);
  const v = e ? profile[e.section][e.service]?.[e.key] : undefined;
  return typeof v === 'string' ? v : '';
}

function withSlot(profile: Profile, id: CredentialId, value: string): Profile {
  const e = catalogEntry(id)!;
  const section = { ...profile[e.section], [e.service]: { ...profile[e.section][e.service], [e.key]: value } };
  return { ...profile, [e.section]: section };
}
