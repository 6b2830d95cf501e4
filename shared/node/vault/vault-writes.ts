import { assertLabel, assertPlainSlot, catalogEntry, checkFormat, plainSlotProblem } from '../../core/catalog';
import { checkedCredentialId, checkedValue, ENV_VAR_NAME, looksLikeKey, splitCredentialId, type CredentialId } from '../../core/credential';
import { catalogEnvVarOwner, customEnvVars, defaultEnvVar, envVarProblem, freeEnvVar, type EnvVarOwners, type MovedEnvVar } from '../../core/env-var-names';
import { nearMissError } from '../../core/near-names';
import { VaultError } from '../../core/errors';
import type { ApplyResult, MigrationPlan, PlanChoices, PlanRow } from '../../core/migration-plan';
import type { ParsedSource } from '../../core/migration-sources';
import type { ExportDocument } from '../../core/vault-export';
import { applyProfileUpdate } from '../../core/profile-parse';
import type { CredentialMeta, Profile } from '../../core/profile-schema';
import { registerSecret } from '../../core/redact';
import type { SecretStore } from '../../core/secret-store';
import { toValidationRecord, type VerificationResult } from '../../core/verification';
import type { ProfileView } from '../../core/views';
import { CredentialStore } from '../credentials/credential-store';
import type { JournalFile } from '../credentials/journal-file';
import type { ApplyOptions } from '../migration/apply';
import { namespaceSuffix } from '../secrets/open-secret-store';
import { VaultImports } from './imports';
import { VaultReads, type VaultParts } from './vault-reads';

/** Options of {@link Vault.setCredential}. */
export interface SetOptions {
  /** The caller showed the format warning and the user accepted it. */
  acceptFormatWarning?: boolean;
  label?: string;
  /** Custom credentials only: the env var that carries it (default SERVICE_KEY). */
  envVar?: string;
  /** Aborts and rolls back (a signal, a closed window). */
  signal?: AbortSignal;
}

/**
 * The writes of the Vault (vault.ts): credentials, the profile's fields,
 * migrations and imports, team marks and verifications, each through the
 * credential store or the profile store, and audited without values.
 */
export abstract class VaultWrites extends VaultReads {
  protected readonly journal: JournalFile;
  protected readonly now: () => Date;
  protected readonly warn: (message: string) => void;
  private credentialStore: { secrets: SecretStore; store: CredentialStore } | undefined;
  private readonly imports: VaultImports;

  constructor(parts: VaultParts) {
    super(parts);
    this.journal = parts.journal;
    this.now = parts.now;
    this.warn = parts.warn;
    this.imports = new VaultImports({ credentials: () => this.credentials(), currentProfile: () => this.currentProfile(), record: (e) => this.reader.record(e), othersValues: () => this.reader.othersValues(), warn: this.warn, profilePath: this.profilePath, caller: this.caller });
  }

  /**
   * Stores a credential in one transaction: the value in the secret store
   * (non-secrets in the profile slot), its metadata (created/updated, masked
   * hint) in the profile. A value that does not match the catalog format is
   * refused with CREDENTIAL_FORMAT unless the caller accepted that warning.
   * On any failure or abort, everything is as it was.
   */
  async setCredential(service: string, key: string, value: unknown, options: SetOptions = {}): Promise<{ meta: CredentialMeta; warning?: string; replaced?: string; movedEnvVar?: MovedEnvVar }> {
    const id = checkedCredentialId(service, key);
    const clean = checkedValue(id, value);
    // A non-secret slot's value is shown in full anyway (list, the app): redacting it would only garble this
    // command's own messages ('expected "[REDACTED]" followed by…' for "org-"). One with a secret's shape is a secret.
    if (catalogEntry(id)?.secret !== false || plainSlotProblem(id, clean)) registerSecret(clean);
    assertPlainSlot(id, clean); // before the format warning: --force must not be offered for it
    const format = checkFormat(id, clean);
    if (!format.ok && !options.acceptFormatWarning) {
      throw new VaultError('CREDENTIAL_FORMAT', format.warning, `Check that you pasted the right value. To store it anyway (in the app: "Save anyway"): cpw-vault set ${service} ${key} --force`);
    }
    const known = catalogEntry(id);
    if (known && options.envVar !== undefined && !known.envVars.includes(options.envVar as string)) {
      // It was ignored without a word: the user thought the key would reach stages under their name.
      throw new VaultError('INVALID_ARGUMENT', `${id} is a known credential: exec gives it as ${known.envVars.join(' and ')}, and --env-var is for custom credentials only. Nothing was stored.`, `Run it again without --env-var, or store a custom credential under a name of your own (e.g. cpw-vault set my_${splitCredentialId(id).service} ${splitCredentialId(id).key} --env-var NAME).`);
    }
    // Set again without --env-var, a custom credential keeps the name it has (a rotation renamed it to SERVICE_KEY,
    // and the stage reading the old name lost its key), even one other credentials name too (a hand-edited pair): which
    // of the pair was renamed, or refused, depended on the order of the index. The clash stays, and set names it.
    // (One it may not carry — a catalog credential's by a hand edit, or one an older version let it take that no
    // credential may carry now — goes back to the default, or CUSTOM_<ID> when another carries that, and is said.)
    // A new custom one named like a catalog credential (the app's form, a library caller; the CLI asked before the value).
    const typo = known || this.indexed(id) ? undefined : nearMissError(id, options.envVar !== undefined);
    if (typo) throw typo;
    // Only a custom credential's env var is checked against the others (at 10,000 credentials, parsing them all costs
    // a catalog key's `set` more than the rest of it).
    let envVar: string | undefined;
    let movedEnvVar: MovedEnvVar | undefined;
    const entry = known ? undefined : this.indexed(id);
    // Only reserved and catalog names are asked of the one it has (no `others`): another custom one naming it too is a
    // clash kept. One without a name of its own stays so (it carries its SERVICE_KEY, or none when that is shared).
    if (entry && options.envVar === undefined && (!entry.env_var || !envVarProblem(entry.env_var, id))) envVar = entry.env_var;
    else if (!known) {
      // Moved off its name, it takes a free one (SERVICE_KEY, else CUSTOM_<ID>): the user named none to be refused over.
      const from = options.envVar === undefined ? entry?.env_var : undefined;
      envVar = from ? freeEnvVar(id, this.envVarOwners()) : checkedEnvVar(options.envVar ?? defaultEnvVar(id), id, this.envVarOwners(), options.envVar === undefined);
      if (from) movedEnvVar = { id, wanted: from, owner: catalogEnvVarOwner(from), got: envVar };
    }
    if (options.label !== undefined) assertLabel(id, options.label);
    const { entries, replaced } = await this.gate.run(() => this.credentials().commit([{ kind: 'set', id, value: clean, label: options.label, envVar }], { signal: options.signal }));
    await this.reader.record({ event: 'credential_set', caller: this.caller, credential: id, details: { format_warning_accepted: !format.ok } });
    const meta = entries.get(id)!;
    const was = replaced?.get(id);
    return { meta, ...(format.ok ? {} : { warning: format.warning }), ...(was ? { replaced: was } : {}), ...(movedEnvVar ? { movedEnvVar } : {}) };
  }

  /** Removes a credential's value and metadata in one transaction. False when nothing was stored. */
  async deleteCredential(service: string, key: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const id = checkedCredentialId(service, key, { allowSecretShape: true }); // the way out for one an older version stored
    if (this.reader.othersValue(id)) return false; // not this profile's, though its value sits under the name it shares
    const { existed } = await this.gate.run(() => this.credentials().commit([{ kind: 'delete', id }], { signal: options.signal }));
    const had = !!existed.get(id);
    if (had) await this.reader.record({ event: 'credential_deleted', caller: this.caller, credential: id });
    return had;
  }

  /** Updates user details and/or preferences (merged) with field-level errors. */
  async updateProfile(update: { user?: unknown; preferences?: unknown }): Promise<ProfileView> {
    let changed: string[] = [];
    const profile = await this.profile.update((p) => {
      const next = applyProfileUpdate(p, update, this.now());
      changed = [...changedKeys('user', p.user, next.user), ...changedKeys('preferences', p.preferences, next.preferences)];
      return this.stampStorage(next);
    });
    await this.reader.record({ event: 'profile_updated', caller: this.caller, details: { fields: changed } });
    return { path: this.profilePath, kind: 'profile', profile };
  }

  /** See {@link VaultImports.planMigration}. */
  planMigration(source: ParsedSource, choices: PlanChoices = {}, fileEnvVar?: (row: PlanRow) => unknown): Promise<MigrationPlan> {
    return this.gate.run(() => this.imports.planMigration(source, choices, fileEnvVar));
  }

  /** See {@link VaultImports.applyMigration}. */
  applyMigration(source: ParsedSource, plan: MigrationPlan, options: ApplyOptions = {}): Promise<ApplyResult> {
    return this.gate.run(() => this.imports.applyMigration(source, plan, options));
  }

  /** See {@link VaultImports.planImport}. */
  planImport(doc: ExportDocument, path: string, choices: Pick<PlanChoices, 'overwrite'> = {}): Promise<MigrationPlan> {
    return this.gate.run(() => this.imports.planImport(doc, path, choices));
  }

  /** See {@link VaultImports.applyImport}. */
  applyImport(doc: ExportDocument, plan: MigrationPlan, options: Parameters<VaultImports['applyImport']>[2] = {}): Promise<{ imported: CredentialId[] }> {
    return this.gate.run(() => this.imports.applyImport(doc, plan, options));
  }

  /** Whether this vault shares `id` through team files (see {@link markTeamShared}). */
  isTeamShared(id: CredentialId): boolean {
    const view = this.reader.view();
    return view?.kind === 'profile' && view.index.meta(id)?.team_shared === true;
  }

  /** Marks stored credentials as shared through team files: `team push` sends their values from now on. */
  async markTeamShared(ids: readonly CredentialId[]): Promise<void> {
    if (!ids.length || !this.profile.exists()) return;
    await this.profile.update((p) => {
      const todo = ids.filter((id) => p.credential_metadata[id] && p.credential_metadata[id].team_shared !== true);
      if (!todo.length) return p;
      const metadata = { ...p.credential_metadata };
      for (const id of todo) metadata[id] = { ...metadata[id]!, team_shared: true };
      return { ...p, credential_metadata: metadata };
    });
  }

  /** When the stored value of `id` was last set (its index entry's updated_at), if it is indexed. */
  storedAt(id: CredentialId): string | null {
    const view = this.reader.view();
    return (view?.kind === 'profile' ? view.index.meta(id)?.updated_at : undefined) ?? null;
  }

  /**
   * Records a verification: `last_validated_at` and `last_validation`
   * (outcome, calls, account and role; never a value or a response body) in
   * the credential's metadata when the verified value is the stored one, and
   * a `credential_verified` audit event either way.
   */
  async recordVerification(id: CredentialId, result: VerificationResult, storedAt?: string | null): Promise<void> {
    if ((result.source === 'keychain' || result.source === 'profile') && this.profile.exists()) {
      await this.profile.update((p) => {
        const meta = p.credential_metadata[id];
        // Another value was stored while this one was being verified: the result is not about the value stored now.
        if (!meta || (storedAt !== undefined && meta.updated_at !== storedAt)) return p;
        return { ...p, credential_metadata: { ...p.credential_metadata, [id]: { ...meta, last_validated_at: result.checkedAt, last_validation: toValidationRecord(result) } } };
      });
    }
    const failing = result.checks.find((c) => c.result === result.result && c.result !== 'valid');
    await this.reader.record({ event: 'credential_verified', caller: this.caller, credential: id, details: { result: result.result, checks: result.checks.map((c) => c.check), source: result.source ?? 'unknown', ...(failing?.reason ? { reason: failing.reason } : {}), ...(failing?.status ? { status: failing.status } : {}) } });
  }

  protected credentials(): CredentialStore {
    const secrets = this.reader.secretStore();
    if (this.credentialStore?.secrets !== secrets) {
      this.credentialStore = { secrets, store: new CredentialStore(secrets, this.profile, this.journal, this.now, (p) => this.stampStorage(p), this.reader.backend()) };
    }
    return this.credentialStore.store;
  }

  /** The index entry of `id` as the read side finds it (the lookup copy, when it matches), or none when the profile cannot be read now. */
  private indexed(id: CredentialId): { env_var?: string | undefined } | undefined {
    try {
      const view = this.reader.view();
      return view?.kind === 'profile' ? view.index.meta(id) : undefined;
    } catch {
      return undefined; // as currentProfile: the commit reports an unreadable profile in its own words
    }
  }

  /** Who carries each env var name: from the lookup copy when it matches the profile (not parsing 10,000 entries), else the profile. */
  private envVarOwners(): EnvVarOwners {
    try {
      const lookup = this.profile.reader.lookup();
      if (lookup) {
        lookup.envVarOwner(''); // reads (and checks) its names now
        return { get: (name) => lookup.envVarOwner(name) };
      }
    } catch {
      // a damaged copy: the profile answers
    }
    return customEnvVars(this.currentProfile());
  }

  protected currentProfile(): Profile | undefined {
    try {
      const loaded = this.profile.read();
      return loaded.kind === 'profile' ? loaded.profile : undefined;
    } catch {
      return undefined; // the profile is itself the (plaintext) source: nothing stored yet
    }
  }

  /** Records where this profile's values live the first time it is written (a moved profile keeps finding them). */
  protected stampStorage(p: Profile): Profile {
    if (p.storage?.namespace !== undefined) return p;
    const legacyValues = Object.values(p.credential_metadata).some((m) => m.storage === 'keychain');
    const paths = { isDefault: this.profile.paths.isDefault, recorded: undefined, legacyValues, profilePath: this.profilePath };
    return { ...p, storage: { backend: 'keychain', ...p.storage, namespace: namespaceSuffix(paths) } };
  }
}

function changedKeys(section: string, a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return Object.keys({ ...a, ...b }).filter((k) => k !== 'updated_at' && JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${section}.${k}`);
}

/** `name` checked as custom credential `id`'s env var; `byDefault` when it is the SERVICE_KEY it takes with none named. */
function checkedEnvVar(name: unknown, id: CredentialId, others: EnvVarOwners, byDefault = false): string {
  if (typeof name === 'string' && looksLikeKey(name)) {
    // A key typed where the name goes: it would sit in the profile, every listing and each stage's environment names.
    throw new VaultError('INVALID_ARGUMENT', 'That environment variable name has the shape of a key, so it is refused and not shown: a value never goes in a name.', 'Name the variable (e.g. --env-var MY_SERVICE_KEY) and give the value on stdin or at the hidden prompt. If you typed it in a shell, remove it from the shell history.');
  }
  if (typeof name !== 'string' || !ENV_VAR_NAME.test(name)) {
    throw new VaultError('INVALID_ARGUMENT', 'The environment variable name must be upper case letters, digits and "_", e.g. MY_API_KEY.', 'Choose a name like MY_SERVICE_TOKEN.');
  }
  const problem = envVarProblem(name, id, others);
  // "THIRD_KEY already belongs to other.token" alone, after `set third key`, named a variable the user never typed.
  const why = byDefault ? `${id} would carry ${name} (SERVICE_KEY: no env var was named): ${problem}` : problem;
  if (problem) throw new VaultError('INVALID_ARGUMENT', `${why} Nothing was stored.`, `Choose a name of its own (--env-var NAME, or the app's Environment variable field), such as ${defaultEnvVar(id).startsWith('CPW_') ? 'MY_SERVICE_TOKEN' : `MY_${defaultEnvVar(id)}`}.`);
  return name;
}
