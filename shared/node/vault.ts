import { CATALOG, catalogEntry, checkFormat } from '../core/catalog';
import { ENV_VAR_NAME, MAX_SECRET_LENGTH, type CredentialId } from '../core/credential';
import { VaultError, isVaultError } from '../core/errors';
import { applyProfileUpdate } from '../core/profile-parse';
import { indexProfile } from '../core/profile-index';
import type { CredentialMeta, Profile } from '../core/profile-schema';
import { PROFILE_MAJOR } from '../core/profile-version';
import { registerSecret } from '../core/redact';
import { maskedHint } from '../core/credential';
import type { KeychainStatus } from '../core/secret-store';
import { toValidationRecord, type VerificationResult } from '../core/verification';
import type { CredentialSource, CredentialView, ProfileView } from '../core/views';
import { ProfileStore, type ProfileStoreOptions } from './profile/store';
import { VaultReader, checkedId, defaultEnvVar, type ReadView, type VaultReaderOptions } from './vault-reader';

export { notReady, type CredentialValue } from './vault-reader';

/** How to open a vault. Every capability can be injected; defaults are the real ones. */
export interface VaultOptions extends VaultReaderOptions, Omit<ProfileStoreOptions, 'reader'> {}

/** Options of {@link Vault.setCredential}. */
export interface SetOptions {
  /** The caller showed the format warning and the user accepted it. */
  acceptFormatWarning?: boolean;
  label?: string;
  /** Custom credentials only: the env var that carries it (default SERVICE_KEY). */
  envVar?: string;
}

/**
 * The Vault service: the one API the Electron main process, the CLI and the
 * library share. Secrets go to the keychain (or come from env vars); the
 * profile file holds only metadata. Every action is audited without values.
 */
export class Vault extends VaultReader {
  readonly store: ProfileStore;

  constructor(options: VaultOptions = {}) {
    super(options);
    this.store = new ProfileStore({ ...options, reader: this.reader });
  }

  protected override fullView(): ReadView {
    const loaded = this.store.read();
    if (loaded.kind === 'legacy') return { kind: 'legacy', path: loaded.path, values: loaded.values };
    return { kind: 'profile', path: loaded.path, index: indexProfile(loaded.profile, PROFILE_MAJOR)! };
  }

  /** The profile as it is now; a missing profile reads as a fresh template (kind "none"). */
  getProfile(): ProfileView {
    try {
      const loaded = this.store.read();
      return { path: loaded.path, kind: loaded.kind, profile: loaded.profile };
    } catch (err) {
      if (!isVaultError(err, 'PROFILE_NOT_FOUND')) throw err;
      return { path: this.paths.profile, kind: 'none', profile: this.store.readOrTemplate().profile };
    }
  }

  /**
   * Stores a credential: the value in the keychain (non-secrets in the
   * profile slot), its metadata (created/updated, masked hint) in the
   * profile. A value that does not match the catalog format is refused with
   * CREDENTIAL_FORMAT unless the caller accepted that warning. If the profile
   * cannot be written, the keychain is put back as it was.
   */
  async setCredential(service: string, key: string, value: unknown, options: SetOptions = {}): Promise<{ meta: CredentialMeta; warning?: string }> {
    const id = checkedId(service, key);
    const clean = checkedValue(id, value);
    registerSecret(clean);
    const entry = catalogEntry(id);
    const format = checkFormat(id, clean);
    if (!format.ok && !options.acceptFormatWarning) {
      throw new VaultError('CREDENTIAL_FORMAT', format.warning, `Check that you pasted the right value. To store it anyway: cpw-vault set ${service} ${key} --force (in the app: "Save anyway").`);
    }
    const envVar = entry ? undefined : checkedEnvVar(options.envVar ?? defaultEnvVar(id));
    if (options.label !== undefined && (typeof options.label !== 'string' || options.label.length > 80)) {
      throw new VaultError('INVALID_ARGUMENT', 'The label must be text of at most 80 characters.', 'Shorten the label.');
    }
    const inKeychain = entry?.secret !== false;
    let previous: string | undefined;
    let wroteKeychain = false;
    let meta!: CredentialMeta;
    try {
      await this.store.update(async (profile) => {
        const next = withCredential(profile, id, clean, this.now(), { envVar, label: options.label });
        meta = next.credential_metadata[id]!;
        if (inKeychain) {
          previous = await this.secrets.get(id);
          await this.secrets.set(id, clean);
          wroteKeychain = true;
        }
        return next;
      });
    } catch (err) {
      if (wroteKeychain) await this.restore(id, previous);
      throw err;
    }
    await this.record({ event: 'credential_set', caller: this.caller, credential: id, details: { format_warning_accepted: !format.ok } });
    return format.ok ? { meta } : { meta, warning: format.warning };
  }

  /** Puts a keychain item back as it was before a failed change (value, or absent). */
  async restore(id: CredentialId, previous: string | undefined): Promise<void> {
    try {
      if (previous === undefined) await this.secrets.delete(id);
      else await this.secrets.set(id, previous);
    } catch {
      // The original error is the one to report; the keychain refused the rollback as well.
    }
  }

  /** Removes a credential's value and metadata. False when nothing was stored. */
  async deleteCredential(service: string, key: string): Promise<boolean> {
    const id = checkedId(service, key);
    let existed = false;
    await this.store.update(async (profile) => {
      existed = id in profile.credential_metadata;
      const metadata = { ...profile.credential_metadata };
      delete metadata[id];
      let next: Profile = { ...profile, credential_metadata: metadata };
      if (catalogEntry(id)?.secret === false) {
        existed ||= slotValue(profile, id) !== '';
        next = withSlot(next, id, '');
      } else {
        existed = (await this.secrets.delete(id)) || existed;
      }
      return next;
    });
    if (existed) await this.record({ event: 'credential_deleted', caller: this.caller, credential: id });
    return existed;
  }

  /** Every known and custom credential with metadata and source. Never a value; never touches the keychain. */
  listCredentials(): CredentialView[] {
    const view = this.view();
    const profile = view?.kind === 'profile' ? this.store.read().profile : undefined;
    const metas = profile?.credential_metadata ?? {};
    const ids = [...CATALOG.map((e) => e.id), ...Object.keys(metas).filter((id) => !catalogEntry(id))];
    return ids.map((id) => {
      const entry = catalogEntry(id);
      const meta = metas[id];
      const env = this.fromEnv(id, view);
      const legacy = view?.kind === 'legacy' && view.values.has(id) ? view.path : undefined;
      const source: CredentialSource | null = env?.source ?? (meta ? { kind: meta.storage } : legacy ? { kind: 'legacy', path: legacy } : null);
      const dot = id.indexOf('.');
      return {
        id, service: id.slice(0, dot), key: id.slice(dot + 1),
        label: meta?.label ?? entry?.label ?? id,
        secret: entry?.secret ?? true, custom: !entry,
        envVars: this.envVarsFor(id, view),
        ...(entry?.url ? { url: entry.url } : {}),
        ...(entry ? { formatHint: entry.format.hint } : {}),
        stored: !!meta, source,
        ...(meta ? { meta } : {}),
      };
    });
  }

  /** Updates user details and/or preferences (merged) with field-level errors. */
  async updateProfile(update: { user?: unknown; preferences?: unknown }): Promise<ProfileView> {
    let changed: string[] = [];
    const profile = await this.store.update((p) => {
      const next = applyProfileUpdate(p, update, this.now());
      changed = [...changedKeys('user', p.user, next.user), ...changedKeys('preferences', p.preferences, next.preferences)];
      return next;
    });
    await this.record({ event: 'profile_updated', caller: this.caller, details: { fields: changed } });
    return { path: this.paths.profile, kind: 'profile', profile };
  }

  /** Audits a finished migration (source path, how many imported, backup path; never a value). */
  async recordMigration(details: { source: string; imported: number; backup: string }): Promise<void> {
    await this.record({ event: 'migration_applied', caller: this.caller, details });
  }

  /**
   * Records a verification: `last_validated_at` and `last_validation`
   * (outcome, calls, account and role; never a value or a response body) in
   * the credential's metadata when the verified value is the stored one, and
   * a `credential_verified` audit event either way.
   */
  async recordVerification(id: CredentialId, result: VerificationResult): Promise<void> {
    if ((result.source === 'keychain' || result.source === 'profile') && this.store.exists()) {
      await this.store.update((p) => {
        const meta = p.credential_metadata[id];
        if (!meta) return p;
        return { ...p, credential_metadata: { ...p.credential_metadata, [id]: { ...meta, last_validated_at: result.checkedAt, last_validation: toValidationRecord(result) } } };
      });
    }
    const failing = result.checks.find((c) => c.result === result.result && c.result !== 'valid');
    await this.record({ event: 'credential_verified', caller: this.caller, credential: id, details: { result: result.result, checks: result.checks.map((c) => c.check), source: result.source ?? 'unknown', ...(failing?.reason ? { reason: failing.reason } : {}), ...(failing?.status ? { status: failing.status } : {}) } });
  }

  /** Whether the keychain is usable, with the reason and fix when not. */
  keychainStatus(): Promise<KeychainStatus> {
    return this.secrets.status();
  }

  /** Writes pending `last_used_at` marks (one profile write at most). Never throws: usage stamps are best effort. */
  async flush(): Promise<void> {
    if (!this.usage.size || !this.store.exists()) return;
    await this.store.update((p) => this.usage.apply(p)).catch((err: Error) => this.warn(`could not record last use: ${err.message}`));
  }
}

function changedKeys(section: string, a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return Object.keys({ ...a, ...b }).filter((k) => k !== 'updated_at' && JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${section}.${k}`);
}

function checkedValue(id: CredentialId, value: unknown): string {
  if (typeof value !== 'string') throw new VaultError('CREDENTIAL_INVALID', `The value for ${id} must be text.`, 'Paste the key as text.');
  const clean = value.trim();
  if (clean === '') throw new VaultError('CREDENTIAL_INVALID', `The value for ${id} is empty.`, 'Paste the key; to remove a credential use: cpw-vault delete.');
  if (clean.length > MAX_SECRET_LENGTH) throw new VaultError('CREDENTIAL_INVALID', `The value for ${id} is ${clean.length} characters, over the ${MAX_SECRET_LENGTH} limit.`, 'Check that you pasted only the key.');
  if (/[\u0000-\u001f\u007f]/.test(clean)) throw new VaultError('CREDENTIAL_INVALID', `The value for ${id} contains a line break or control character.`, 'Paste the key on one line.');
  return clean;
}

function checkedEnvVar(name: unknown): string {
  if (typeof name !== 'string' || !ENV_VAR_NAME.test(name)) {
    throw new VaultError('INVALID_ARGUMENT', 'The environment variable name must be upper case letters, digits and "_", e.g. MY_API_KEY.', 'Choose a name like MY_SERVICE_TOKEN.');
  }
  return name;
}

function slotValue(profile: Profile, id: CredentialId): unknown {
  const e = catalogEntry(id)!;
  return profile[e.section][e.service]?.[e.key] ?? '';
}

/**
 * `profile` with the metadata of credential `id` set for `value` (created
 * kept, updated now, masked hint, storage, custom env var) and, for a
 * non-secret, the value in its profile slot. Secret values are never put in
 * the profile: the caller writes them to the keychain.
 */
export function withCredential(profile: Profile, id: CredentialId, value: string, now: Date, extra: { envVar?: string | undefined; label?: string | undefined } = {}): Profile {
  const stamp = now.toISOString();
  const inKeychain = catalogEntry(id)?.secret !== false;
  const old = profile.credential_metadata[id];
  const meta: CredentialMeta = {
    ...old,
    ...(extra.label !== undefined ? { label: extra.label } : {}),
    created_at: old?.created_at ?? stamp,
    updated_at: stamp,
    hint: inKeychain ? maskedHint(value) : value.slice(0, 16),
    storage: inKeychain ? 'keychain' : 'profile',
    ...(extra.envVar ? { custom: true, env_var: extra.envVar } : {}),
  };
  const next: Profile = { ...profile, credential_metadata: { ...profile.credential_metadata, [id]: meta } };
  return inKeychain ? next : withSlot(next, id, value);
}

function withSlot(profile: Profile, id: CredentialId, value: string): Profile {
  const e = catalogEntry(id)!;
  const section = { ...profile[e.section], [e.service]: { ...profile[e.section][e.service], [e.key]: value } };
  return { ...profile, [e.section]: section };
}

/**
 * Opens the vault: resolves the profile path, recovers from a crashed writer
 * (orphan temp files), and returns a ready Vault.
 */
export async function openVault(options: VaultOptions & { flushOnExit?: boolean } = {}): Promise<Vault> {
  const vault = new Vault(options);
  await vault.store.recover();
  // Library users never call flush(): write pending last_used_at marks when their script ends.
  if (options.flushOnExit ?? vault.caller === 'library') process.once('beforeExit', () => void vault.flush());
  return vault;
}
