import { catalogEntry, checkFormat, credentialId, ENV_VAR_NAME, KEY_NAME, MAX_SECRET_LENGTH, SERVICE_NAME, CATALOG, type CredentialId } from '../core/catalog';
import { VaultError, isVaultError } from '../core/errors';
import { applyProfileUpdate } from '../core/profile-parse';
import type { CredentialMeta, Profile } from '../core/profile-schema';
import { maskedHint, registerSecret } from '../core/redact';
import type { KeychainStatus, SecretStore } from '../core/secret-store';
import type { Caller, CredentialSource, CredentialView, ProfileView } from '../core/views';
import { WORKFLOW_NAMES, fixLine, isWorkflowName, validateWorkflow, type WorkflowName, type WorkflowStatus } from '../core/workflows';
import { AuditLog } from './audit-log';
import { KeytarSecretStore } from './keychain';
import { besideProfile } from './profile-paths';
import { ProfileStore, type LoadedProfile, type ProfileStoreOptions } from './profile-store';
import { UsageTracker } from './usage-tracker';

type Env = Readonly<Record<string, string | undefined>>;

/** How to open a vault. Every capability can be injected; defaults are the real ones. */
export interface VaultOptions extends ProfileStoreOptions {
  /** Secret storage (default: the OS keychain through keytar). */
  secrets?: SecretStore;
  /** Who reads: recorded in the audit log. */
  caller?: Caller;
  auditMaxBytes?: number;
  /** Longest wait for one keychain call (default 10 s). */
  keychainTimeoutMs?: number;
}

/** A value and where it came from. */
export interface CredentialValue {
  value: string;
  source: CredentialSource;
}

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
export class Vault {
  readonly store: ProfileStore;
  readonly secrets: SecretStore;
  readonly audit: AuditLog;
  readonly caller: Caller;
  private readonly env: Env;
  private readonly now: () => Date;
  private readonly usage: UsageTracker;
  private readonly warn: (message: string) => void;

  constructor(options: VaultOptions = {}) {
    this.warn = options.warn ?? ((m) => process.stderr.write(`cpw-vault: warning: ${m}\n`));
    this.env = options.env ?? process.env;
    this.now = options.now ?? (() => new Date());
    this.store = new ProfileStore(options);
    this.secrets = options.secrets ?? new KeytarSecretStore({ env: this.env, ...(options.keychainTimeoutMs ? { timeoutMs: options.keychainTimeoutMs } : {}) });
    this.audit = new AuditLog(besideProfile(this.store.paths, 'audit.log'), { maxBytes: options.auditMaxBytes });
    this.caller = options.caller ?? 'library';
    this.usage = new UsageTracker(this.now);
  }

  /** The profile as it is now; a missing profile reads as a fresh template (kind "none"). */
  getProfile(): ProfileView {
    try {
      const loaded = this.store.read();
      return { path: loaded.path, kind: loaded.kind, profile: loaded.profile };
    } catch (err) {
      if (!isVaultError(err, 'PROFILE_NOT_FOUND')) throw err;
      return { path: this.store.paths.profile, kind: 'none', profile: this.store.readOrTemplate().profile };
    }
  }

  private loaded(): LoadedProfile | undefined {
    try {
      return this.store.read();
    } catch (err) {
      if (isVaultError(err, 'PROFILE_NOT_FOUND')) return undefined;
      throw err;
    }
  }

  /** Env vars that carry `id`, in precedence order. */
  envVarsFor(id: CredentialId, profile?: Profile): string[] {
    const entry = catalogEntry(id);
    if (entry) return [...entry.envVars];
    const custom = profile?.credential_metadata[id]?.env_var;
    return custom ? [custom] : [defaultEnvVar(id)];
  }

  private fromEnv(id: CredentialId, profile?: Profile): CredentialValue | undefined {
    for (const name of this.envVarsFor(id, profile)) {
      const value = this.env[name];
      if (value !== undefined && value.trim() !== '') return { value: value.trim(), source: { kind: 'env', name } };
    }
    return undefined;
  }

  /**
   * The value of a credential and its source: the first set env var of the
   * catalog, else the keychain (or the profile slot for non-secrets, or the
   * deprecated secrets.json). Undefined when nowhere. Throws KEYCHAIN_* when
   * the keychain cannot answer (a locked keychain is never "missing").
   */
  async findCredential(service: string, key: string): Promise<CredentialValue | undefined> {
    const id = checkedId(service, key);
    const loaded = this.loaded();
    const profile = loaded?.profile;
    const found = this.fromEnv(id, profile) ?? (await this.fromStorage(id, loaded));
    if (!found) return undefined;
    registerSecret(found.value);
    if (found.source.kind !== 'env' && profile) this.usage.touch(id, profile);
    await this.record({ event: 'credential_read', caller: this.caller, credential: id, details: { source: found.source.kind } });
    return found;
  }

  private async fromStorage(id: CredentialId, loaded: LoadedProfile | undefined): Promise<CredentialValue | undefined> {
    if (loaded?.kind === 'legacy') {
      const value = loaded.values.get(id);
      return value ? { value, source: { kind: 'legacy', path: loaded.path } } : undefined;
    }
    if (catalogEntry(id)?.secret === false) {
      const slot = loaded?.profile[catalogEntry(id)!.section][catalogEntry(id)!.service]?.[catalogEntry(id)!.key];
      return typeof slot === 'string' && slot !== '' ? { value: slot, source: { kind: 'profile' } } : undefined;
    }
    const value = await this.secrets.get(id);
    return value === undefined ? undefined : { value, source: { kind: 'keychain' } };
  }

  /** Like {@link findCredential} but throws CREDENTIAL_MISSING with a fix line when absent. */
  async getCredential(service: string, key: string): Promise<CredentialValue> {
    const found = await this.findCredential(service, key);
    if (found) return found;
    const id = credentialId(service, key);
    throw new VaultError('CREDENTIAL_MISSING', `${id} is not set: not in ${this.envVarsFor(id, this.loaded()?.profile).join(' or ')}, not in the keychain.`, fixLine(id));
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
        const stamp = this.now().toISOString();
        const old = profile.credential_metadata[id];
        meta = {
          ...old,
          ...(options.label !== undefined ? { label: options.label } : {}),
          created_at: old?.created_at ?? stamp,
          updated_at: stamp,
          hint: inKeychain ? maskedHint(clean) : clean.slice(0, 16),
          storage: inKeychain ? 'keychain' : 'profile',
          ...(envVar ? { custom: true, env_var: envVar } : {}),
        };
        let next: Profile = { ...profile, credential_metadata: { ...profile.credential_metadata, [id]: meta } };
        if (inKeychain) {
          previous = await this.secrets.get(id);
          await this.secrets.set(id, clean);
          wroteKeychain = true;
        } else {
          next = withSlot(next, id, clean);
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

  private async restore(id: CredentialId, previous: string | undefined): Promise<void> {
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
        existed ||= withSlotValue(profile, id) !== '';
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
    const loaded = this.loaded();
    const profile = loaded?.profile;
    const metas = profile?.credential_metadata ?? {};
    const ids = [...CATALOG.map((e) => e.id), ...Object.keys(metas).filter((id) => !catalogEntry(id))];
    return ids.map((id) => {
      const entry = catalogEntry(id);
      const meta = metas[id];
      const env = this.fromEnv(id, profile);
      const legacy = loaded?.kind === 'legacy' && loaded.values.has(id);
      const stored = !!meta;
      const source: CredentialSource | null = env?.source ?? (stored ? { kind: meta.storage } : legacy ? { kind: 'legacy', path: loaded.path } : null);
      const dot = id.indexOf('.');
      return {
        id, service: id.slice(0, dot), key: id.slice(dot + 1),
        label: meta?.label ?? entry?.label ?? id,
        secret: entry?.secret ?? true, custom: !entry,
        envVars: this.envVarsFor(id, profile),
        ...(entry?.url ? { url: entry.url } : {}),
        ...(entry ? { formatHint: entry.format.hint } : {}),
        stored, source,
        ...(meta ? { meta } : {}),
      };
    });
  }

  /**
   * Readiness of a workflow from env vars and the profile's index. With
   * `verify`, credentials the index says are in the keychain are read to
   * prove it (and a locked keychain throws KEYCHAIN_LOCKED).
   */
  async validateWorkflow(name: string, options: { verify?: boolean } = {}): Promise<WorkflowStatus> {
    if (!isWorkflowName(name)) {
      // The name is not echoed: arbitrary input may be a key pasted in the wrong place.
      throw new VaultError('WORKFLOW_UNKNOWN', 'Unknown workflow name.', `Use one of: ${WORKFLOW_NAMES.join(', ')}.`);
    }
    const present = new Set(this.listCredentials().filter((c) => c.source).map((c) => c.id));
    const aiProvider = this.getProfile().profile.preferences.ai_provider;
    let status = validateWorkflow(name, (id) => present.has(id), aiProvider);
    if (options.verify) {
      const loaded = this.loaded();
      for (const id of status.uses) {
        if (this.fromEnv(id, loaded?.profile)) continue;
        const found = await this.fromStorage(id, loaded);
        if (found) registerSecret(found.value);
        else present.delete(id);
      }
      status = validateWorkflow(name, (id) => present.has(id), aiProvider);
    }
    return status;
  }

  /** Readiness of every workflow. */
  async validateAll(options: { verify?: boolean } = {}): Promise<WorkflowStatus[]> {
    const out: WorkflowStatus[] = [];
    for (const name of WORKFLOW_NAMES) out.push(await this.validateWorkflow(name, options));
    return out;
  }

  /**
   * The environment for a workflow: every env alias of each credential it
   * uses, with its value. Throws WORKFLOW_NOT_READY listing what is missing.
   */
  async workflowEnv(name: WorkflowName | string): Promise<Record<string, string>> {
    const status = await this.validateWorkflow(name, { verify: true });
    if (!status.ready) throw notReady(status);
    const env: Record<string, string> = {};
    for (const id of status.uses) {
      const dot = id.indexOf('.');
      const { value } = await this.getCredential(id.slice(0, dot), id.slice(dot + 1));
      for (const v of this.envVarsFor(id, this.loaded()?.profile)) env[v] = value;
    }
    return env;
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
    return { path: this.store.paths.profile, kind: 'profile', profile };
  }

  /**
   * Appends an audit event. The log lives beside the profile, so with no
   * profile (env-only use) there is nothing to append to. A failed append is
   * reported as a warning, never fails the action it records.
   */
  private async record(event: Parameters<AuditLog['append']>[0]): Promise<void> {
    if (!this.store.exists()) return;
    try {
      await this.audit.append(event, this.now());
    } catch (err) {
      this.warn(`could not write the audit log: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Whether the keychain is usable, with the reason and fix when not. */
  keychainStatus(): Promise<KeychainStatus> {
    return this.secrets.status();
  }

  /** Writes pending `last_used_at` marks (one profile write at most). Never throws: usage stamps are best effort. */
  async flush(): Promise<void> {
    if (!this.usage.size || !this.store.exists()) return;
    await this.store.update((p) => this.usage.apply(p));
  }
}

/** The error for a workflow that is not ready: what is missing and how to fix each. */
export function notReady(status: WorkflowStatus): VaultError {
  const lines = status.missing.map((m) => `  - ${m.description} (${m.credentials.join(' or ')})\n    ${m.fix}`);
  return new VaultError(
    'WORKFLOW_NOT_READY',
    `The ${status.workflow} workflow is not ready; missing:\n${lines.join('\n')}`,
    status.missing.map((m) => m.fix).join('\n'),
  );
}

function changedKeys(section: string, a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return Object.keys({ ...a, ...b }).filter((k) => k !== 'updated_at' && JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${section}.${k}`);
}

function defaultEnvVar(id: CredentialId): string {
  return id.replace(/[.-]/g, '_').toUpperCase();
}

function checkedId(service: unknown, key: unknown): CredentialId {
  if (typeof service !== 'string' || !SERVICE_NAME.test(service) || typeof key !== 'string' || !KEY_NAME.test(key)) {
    throw new VaultError('INVALID_ARGUMENT', 'A credential is named <service> <key> in lower case, e.g. huggingface token.', 'Use lower-case letters, digits, "_" or "-" (service) and "_" (key), at most 40 characters each.');
  }
  return credentialId(service, key);
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

function withSlotValue(profile: Profile, id: CredentialId): unknown {
  const e = catalogEntry(id)!;
  return profile[e.section][e.service]?.[e.key] ?? '';
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
