/**
 * The profile's half of a credential: its entry in the index
 * (`credential_metadata`) and, for a non-secret, its slot. Pure functions
 * from profile to profile; the credential store decides when they run.
 */
import { catalogEntry } from './catalog';
import { maskedHint, type CredentialId } from './credential';
import type { CredentialMeta, Profile } from './profile-schema';

/** True when the value of `id` belongs in the secret store (everything but the catalog's non-secrets). */
export function isSecretCredential(id: CredentialId): boolean {
  return catalogEntry(id)?.secret !== false;
}

/**
 * `profile` with the metadata of credential `id` set for `value` (created
 * kept, updated now, masked hint, storage, label, custom env var) and, for a
 * non-secret, the value in its profile slot. A secret value is never put in
 * the profile: the credential store writes it to the secret store.
 */
export function withCredential(profile: Profile, id: CredentialId, value: string, now: Date, extra: { envVar?: string | undefined; label?: string | undefined } = {}): Profile {
  const stamp = now.toISOString();
  const secret = isSecretCredential(id);
  const old = profile.credential_metadata[id];
  const meta: CredentialMeta = {
    ...old,
    ...(extra.label !== undefined ? { label: extra.label } : {}),
    created_at: old?.created_at ?? stamp,
    updated_at: stamp,
    hint: secret ? maskedHint(value) : value.slice(0, 16),
    storage: secret ? 'keychain' : 'profile',
    ...(extra.envVar ? { custom: true, env_var: extra.envVar } : {}),
  };
  const next: Profile = { ...profile, credential_metadata: { ...profile.credential_metadata, [id]: meta } };
  return secret ? next : withSlot(next, id, value);
}

/** `profile` without the metadata of `id` (and with its slot emptied for a non-secret). */
export function withoutCredential(profile: Profile, id: CredentialId): Profile {
  const metadata = { ...profile.credential_metadata };
  delete metadata[id];
  const next: Profile = { ...profile, credential_metadata: metadata };
  return isSecretCredential(id) ? next : withSlot(next, id, '');
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
