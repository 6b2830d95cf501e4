import { assertLabel, assertPlainSlot, catalogEntry, checkFormat, plainSlotProblem } from '../../core/catalog';
import { checkedCredentialId, checkedValue, ENV_VAR_NAME, looksLikeKey, splitCredentialId, type CredentialId } from '../../core/credential';
import { customEnvVars, defaultEnvVar, envVarProblem, type EnvVarOwners } from '../../core/env-var-names';
import { nearMissError } from '../../core/near-names';
import { VaultError, isVaultError } from '../../core/errors';
import type { ApplyResult, MigrationPlan, PlanChoices, PlanRow } from '../../core/migration-plan';
import type { ParsedSource } from '../../core/migration-sources';
import type { ExportDocument } from '../../core/vault-export';
import type { PipelinePreferences } from '../../core/preferences';
import { applyProfileUpdate } from '../../core/profile-parse';
import type { CredentialMeta, Profile } from '../../core/profile-schema';
import { registerSecret } from '../../core/redact';
import type { AuditEvent, AuditEventName } from '../../core/records';
import type { KeychainStatus, SecretStore } from '../../core/secret-store';
import { toValidationRecord, type VerificationResult } from '../../core/verification';
import type { CredentialView, ProfileView, UnfinishedChange } from '../../core/views';
import type { WorkflowName, WorkflowStatus } from '../../core/workflows';
import { moveRecorded, recoverBackendMove, type MoveResult } from '../credentials/backend-move';
import { CredentialStore } from '../credentials/credential-store';
import type { JournalFile } from '../credentials/journal-file';
import { repairIndex, type RepairReport } from '../credentials/repair';
import type { ApplyOptions } from '../migration/apply';
import { tightenProfile } from '../profile/permissions';
import { profileView, type ProfileStore } from '../profile/store';
import type { AuditLog } from '../records/audit-log';
import { namespaceSuffix } from '../secrets/open-secret-store';
import type { CredentialValue, VaultReader } from './reader';
import type { ResolvedWorkflow } from './workflow-reads';
import { VaultImports } from './imports';
import { SwitchGate } from './switch-gate';
import { moveToOwnKeychainName } from './own-keychain-name';
import { assertKeychainUsable, moveDepsOf, useBackend, type BackendDeps, type UseBackendOptions } from './backends';

export { notReady, type CredentialValue } from './reader';
export { BACKEND_NAMES, type UseBackendOptions } from './backends';

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

/** The parts a Vault is made of; built once by the composition root (shared/node/open.ts). */
export interface VaultParts {
  reader: VaultReader;
  profile: ProfileStore;
  journal: JournalFile;
  audit: AuditLog;
  now: () => Date;
  warn: (message: string) => void;
}

/**
 * The Vault service: the one API the Electron main process, the CLI and the
 * library share. It offers verbs and hides its parts: secrets go to the
 * secret store and metadata to the profile index, both through the
 * credential store (one transaction each); env vars take precedence on
 * reads; every action is audited without values.
 */
export class Vault {
  private readonly reader: VaultReader;
  private readonly profile: ProfileStore;
  private readonly journal: JournalFile;
  private readonly audit: AuditLog;
  private readonly now: () => Date;
  private readonly warn: (message: string) => void;
  private credentialStore: { secrets: SecretStore; store: CredentialStore } | undefined;
  private readonly imports: VaultImports;
  /** Keeps a backend switch apart from this process's credential writes (see SwitchGate). */
  private readonly gate = new SwitchGate();

  constructor(parts: VaultParts) {
    this.reader = parts.reader;
    this.profile = parts.profile;
    this.journal = parts.journal;
    this.audit = parts.audit;
    this.now = parts.now;
    this.warn = parts.warn;
    this.imports = new VaultImports({ credentials: () => this.credentials(), currentProfile: () => this.currentProfile(), record: (e) => this.reader.record(e), othersValues: () => this.reader.othersValues(), warn: this.warn, profilePath: this.profilePath, caller: this.caller });
  }

  /** The profile file this vault reads and writes. */
  get profilePath(): string {
    return this.reader.profilePath;
  }

  /** The profile and whether its folder is cpw-vault's alone (~/.cp-whisperx): files never to treat as anything else. */
  get ownFiles(): { profile: string; dedicatedDir: boolean } {
    return { profile: this.profilePath, dedicatedDir: this.profile.paths.dedicatedDir };
  }

  /** The audit log's file (to notice that it changed). */
  get auditLogPath(): string {
    return this.audit.path;
  }

  /** The credential index changes beside a large profile (profile.changes, see index-overlay.ts): a change there is a change of the profile. */
  get indexChangesPath(): string {
    return this.profile.reader.overlayFile.path;
  }

  /** Who uses this vault (cli, app, library): recorded in the audit log. */
  get caller() {
    return this.reader.caller;
  }

  // Reads ---------------------------------------------------------------

  /** See {@link VaultReader.findCredential}. */
  findCredential(service: string, key: string): Promise<CredentialValue | undefined> {
    return this.reader.findCredential(service, key);
  }

  /** See {@link VaultReader.getCredential}: throws CREDENTIAL_MISSING with a fix. */
  getCredential(service: string, key: string): Promise<CredentialValue> {
    return this.reader.getCredential(service, key);
  }

  /** The stored value of `id`, ignoring env vars; not audited. */
  storedValue(id: CredentialId): Promise<string | undefined> {
    return this.reader.storedValue(id);
  }

  /** The stored values of `ids` (one batch from the secret store), ignoring env vars; not audited. */
  storedValues(ids: readonly CredentialId[]): Promise<Map<CredentialId, string | undefined>> {
    return this.reader.storedValues(ids);
  }

  /** The pipeline preferences a stage gets. */
  pipelinePreferences(): PipelinePreferences {
    return this.reader.pipelinePreferences();
  }

  /** The value `id` gets from the environment, if any. */
  envValue(id: CredentialId): string | undefined {
    return this.reader.envValue(id);
  }

  /** Env vars that carry `id`, in precedence order. */
  envVarsFor(id: CredentialId): string[] {
    return this.reader.envVarsFor(id);
  }

  /** The default workflow the user chose (see {@link VaultReader.defaultWorkflow}). */
  defaultWorkflow(): WorkflowName {
    return this.reader.defaultWorkflow();
  }

  /** Readiness of a workflow (see {@link VaultReader.validateWorkflow}). */
  validateWorkflow(name: string, options: { verify?: boolean } = {}): Promise<WorkflowStatus> {
    return this.reader.validateWorkflow(name, options);
  }

  /** Changes other cpw-vaults started and have not finished (a running writer, or one in a container not yet judged abandoned). */
  unfinishedChanges(): UnfinishedChange[] {
    return this.reader.unfinishedChanges();
  }

  /** Readiness of every workflow. */
  validateAll(options: { verify?: boolean } = {}): Promise<WorkflowStatus[]> {
    return this.reader.validateAll(options);
  }

  /** A workflow's readiness proven by its reads, with the values (see {@link VaultReader.resolveWorkflow}). */
  resolveWorkflow(name: string, options: { verify?: boolean; alsoRead?: readonly CredentialId[] } = {}): Promise<ResolvedWorkflow> {
    return this.reader.resolveWorkflow(name, options);
  }

  /** The environment of a resolved, ready workflow (see {@link VaultReader.environmentOf}). */
  environmentOf(resolved: ResolvedWorkflow): Promise<Record<string, string>> {
    return this.reader.environmentOf(resolved);
  }

  /** The env vars of a workflow, with values; throws WORKFLOW_NOT_READY. */
  workflowEnv(name: WorkflowName | string): Promise<Record<string, string>> {
    return this.reader.workflowEnv(name);
  }

  /** The profile as it is now; a missing profile reads as a fresh template (kind "none"). */
  getProfile(): ProfileView {
    return profileView(this.profile);
  }

  /** Every known and custom credential with metadata and source. Never a value; never touches the secret store. */
  listCredentials(): CredentialView[] {
    return this.reader.listCredentials();
  }

  /** Audit events, newest first (names and counts only, never a value). */
  auditEvents(filter: { event?: AuditEventName; credential?: string; limit?: number } = {}): AuditEvent[] {
    return this.audit.list(filter);
  }

  /** Whether the secret store is usable, with the reason and fix when not. */
  keychainStatus(): Promise<KeychainStatus> {
    return this.reader.secretStore().status();
  }

  // Writes --------------------------------------------------------------

  /**
   * Stores a credential in one transaction: the value in the secret store
   * (non-secrets in the profile slot), its metadata (created/updated, masked
   * hint) in the profile. A value that does not match the catalog format is
   * refused with CREDENTIAL_FORMAT unless the caller accepted that warning.
   * On any failure or abort, everything is as it was.
   */
  async setCredential(service: string, key: string, value: unknown, options: SetOptions = {}): Promise<{ meta: CredentialMeta; warning?: string; replaced?: string }> {
    const id = checkedCredentialId(service, key);
    const clean = checkedValue(id, value);
    // A non-secret slot's value is shown in full anyway (list, the app): redacting it would only garble this
    // command's own messages ('expected "[REDACTED]" followed by…' for "org-"). One with a secret's shape is a secret.
    if (catalogEntry(id)?.secret !== false || plainSlotProblem(id, clean)) registerSecret(clean);
    assertPlainSlot(id, clean); // before the format warning: --force must not be offered for it
    const format = checkFormat(id, clean);
    if (!format.ok && !options.acceptFormatWarning) {
      throw new VaultError('CREDENTIAL_FORMAT', format.warning, `Check that you pasted the right value. To store it anyway: cpw-vault set ${service} ${key} --force (in the app: "Save anyway").`);
    }
    const known = catalogEntry(id);
    if (known && options.envVar !== undefined && !known.envVars.includes(options.envVar as string)) {
      // It was ignored without a word: the user thought the key would reach stages under their name.
      throw new VaultError('INVALID_ARGUMENT', `${id} is a known credential: exec gives it as ${known.envVars.join(' and ')}, and --env-var is for custom credentials only. Nothing was stored.`, `Run it again without --env-var, or store a custom credential under a name of your own (e.g. cpw-vault set my_${splitCredentialId(id).service} ${splitCredentialId(id).key} --env-var NAME).`);
    }
    // Set again without --env-var, a custom credential keeps the name it has (a rotation renamed it to SERVICE_KEY,
    // and the stage reading the old name lost its key).
    // (One an older version let it take and that is refused now goes back to the default, as before.)
    // A new custom one named like a catalog credential (the app's form, a library caller; the CLI asked before the value).
    const typo = known || this.indexed(id) ? undefined : nearMissError(id, options.envVar !== undefined);
    if (typo) throw typo;
    // Only a custom credential's env var is checked against the others (at 10,000 credentials, parsing them all costs
    // a catalog key's `set` more than the rest of it).
    let envVar: string | undefined;
    if (!known) {
      const taken = this.envVarOwners();
      const had = this.indexed(id)?.env_var;
      const kept = had && !envVarProblem(had, id, taken) ? had : undefined;
      envVar = checkedEnvVar(options.envVar ?? kept ?? defaultEnvVar(id), id, taken);
    }
    if (options.label !== undefined) assertLabel(id, options.label);
    const { entries, replaced } = await this.gate.write(() => this.credentials().commit([{ kind: 'set', id, value: clean, label: options.label, envVar }], { signal: options.signal }));
    await this.reader.record({ event: 'credential_set', caller: this.caller, credential: id, details: { format_warning_accepted: !format.ok } });
    const meta = entries.get(id)!;
    const was = replaced?.get(id);
    return { meta, ...(format.ok ? {} : { warning: format.warning }), ...(was ? { replaced: was } : {}) };
  }

  /** Removes a credential's value and metadata in one transaction. False when nothing was stored. */
  async deleteCredential(service: string, key: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const id = checkedCredentialId(service, key, { allowSecretShape: true }); // the way out for one an older version stored
    if (this.reader.othersValue(id)) return false; // not this profile's, though its value sits under the name it shares
    const { existed } = await this.gate.write(() => this.credentials().commit([{ kind: 'delete', id }], { signal: options.signal }));
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
    return this.imports.planMigration(source, choices, fileEnvVar);
  }

  /** See {@link VaultImports.applyMigration}. */
  applyMigration(source: ParsedSource, plan: MigrationPlan, options: ApplyOptions = {}): Promise<ApplyResult> {
    return this.gate.write(() => this.imports.applyMigration(source, plan, options));
  }

  /** See {@link VaultImports.planImport}. */
  planImport(doc: ExportDocument, path: string, choices: Pick<PlanChoices, 'overwrite'> = {}): Promise<MigrationPlan> {
    return this.imports.planImport(doc, path, choices);
  }

  /** See {@link VaultImports.applyImport}. */
  applyImport(doc: ExportDocument, plan: MigrationPlan, options: Parameters<VaultImports['applyImport']>[2] = {}): Promise<{ imported: CredentialId[] }> {
    return this.gate.write(() => this.imports.applyImport(doc, plan, options));
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

  /**
   * Repairs the index from the secret store: finishes or rolls back
   * transactions left by a crash, indexes catalog credentials found in the
   * secret store but missing from the index, and (with `dropStale`) removes
   * index entries whose value is gone. What `doctor --repair` runs, and, in
   * its cheap form, every start (see {@link ensureConsistent}).
   */
  async repair(options: { dropStale?: boolean } = {}): Promise<RepairReport> {
    return repairIndex(this.repairDeps(), options);
  }

  /**
   * Start-up consistency, cheap when there is nothing to do: recovers a
   * crashed writer's transaction, and re-indexes catalog credentials the
   * secret store holds but the index lost (one count of the namespace; a
   * full listing only when the counts differ). A secret store that cannot
   * answer now is left alone: reads report it in their own words.
   */
  async ensureConsistent(): Promise<void> {
    try {
      const report = await repairIndex(this.repairDeps(), { quick: true });
      if (report.added.length) this.warn(`re-indexed ${report.added.join(', ')}: found in the ${this.reader.secretStore().description} but missing from ${this.profilePath}.`);
    } catch (err) {
      // A keychain that cannot answer, a profile that cannot be read or written now: every read reports it in its own words
      // (and the app's problem screen shows it); start-up must not fail for a repair it could not make.
      if (!isVaultError(err) || !/^(KEYCHAIN_|PROFILE_|VAULT_|IO_ERROR)/.test(err.code)) throw err;
    }
  }

  /**
   * "Fix it" for a profile others can read or write: the file to 0600 and,
   * when its folder is cpw-vault's own, the folder to 0700. Never follows a
   * link or touches another user's file (see profile/permissions.ts).
   */
  tightenPermissions(): void {
    tightenProfile(this.profilePath, this.profile.paths.dedicatedDir);
  }

  /** Start-up for what touches no secret (the profile's fields, the run history): the profile's temp files only. */
  async openSettings(): Promise<void> {
    await this.profile.recover();
  }

  /** Start-up: removes temp files a killed writer left, finishes a backend switch a crash left, then {@link ensureConsistent}. Called once by the composition root. */
  async open(): Promise<void> {
    await this.profile.recover();
    if (moveRecorded(moveDepsOf(this.backendDeps()).recordPath)) {
      try {
        const done = await recoverBackendMove(moveDepsOf(this.backendDeps()));
        if (done) this.warn(`finished a switch from the ${done.from} to the ${done.to} backend that was interrupted.`);
      } catch (err) {
        // A backend that cannot answer now: the record stays, and the next start (or doctor) finishes it.
        if (!isVaultError(err)) throw err;
        this.warn(`an interrupted backend switch could not be finished yet: ${err.message}`);
      }
    }
    await moveToOwnKeychainName({ reader: this.reader, profile: this.profile, journal: this.journal, warn: this.warn, current: () => this.currentProfile() });
    await this.ensureConsistent();
    // The lookup copy of the index, made again if it went stale: reads after this one find credentials in it.
    await this.profile.refreshLookup().catch(() => {});
  }

  // Backends ------------------------------------------------------------

  /** Audits an event of the vault file backend done outside a verb (unlock, lock, passphrase change, export): names and counts only. */
  async recordEvent(event: { event: AuditEventName; details?: AuditEvent['details'] }): Promise<void> {
    await this.reader.record({ ...event, caller: this.caller });
  }

  /** The backend this profile's secrets live in: `keychain` or `file`. */
  backend(): string {
    return this.reader.backend();
  }

  /** Throws the keychain's problem when a move to it could not be made now (see {@link assertKeychainUsable}). */
  assertKeychainUsable(): Promise<void> {
    return assertKeychainUsable(this.backendDeps());
  }

  /** Moves every secret to the `to` backend, all or nothing: see {@link useBackend} in backends.ts. */
  useBackend(to: string, options: UseBackendOptions = {}): Promise<MoveResult> {
    return this.gate.exclusive(() => useBackend(this.backendDeps(), to, options));
  }

  /** Releases the secret store's connection (the process can exit at once). */
  close(): void {
    this.reader.close();
  }

  private backendDeps(): BackendDeps {
    return { reader: this.reader, profile: this.profile, now: this.now, stamp: (p) => this.stampStorage(p), caller: this.caller };
  }

  private repairDeps() {
    return { secrets: this.reader.secretStore(), credentials: this.credentials(), journal: this.journal, profile: this.profile, now: this.now, stamp: (p: Profile) => this.stampStorage(p), sharedNamespace: this.reader.sharesDefaultNamespace() };
  }

  private credentials(): CredentialStore {
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

  private currentProfile(): Profile | undefined {
    try {
      const loaded = this.profile.read();
      return loaded.kind === 'profile' ? loaded.profile : undefined;
    } catch {
      return undefined; // the profile is itself the (plaintext) source: nothing stored yet
    }
  }

  /** Records where this profile's values live the first time it is written (a moved profile keeps finding them). */
  private stampStorage(p: Profile): Profile {
    if (p.storage?.namespace !== undefined) return p;
    const legacyValues = Object.values(p.credential_metadata).some((m) => m.storage === 'keychain');
    const paths = { isDefault: this.profile.paths.isDefault, recorded: undefined, legacyValues, profilePath: this.profilePath };
    return { ...p, storage: { backend: 'keychain', ...p.storage, namespace: namespaceSuffix(paths) } };
  }
}

function changedKeys(section: string, a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return Object.keys({ ...a, ...b }).filter((k) => k !== 'updated_at' && JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${section}.${k}`);
}

function checkedEnvVar(name: unknown, id: CredentialId, others: EnvVarOwners): string {
  if (typeof name === 'string' && looksLikeKey(name)) {
    // A key typed where the name goes: it would sit in the profile, every listing and each stage's environment names.
    throw new VaultError('INVALID_ARGUMENT', 'That environment variable name has the shape of a key, so it is refused and not shown: a value never goes in a name.', 'Name the variable (e.g. --env-var MY_SERVICE_KEY) and give the value on stdin or at the hidden prompt. If you typed it in a shell, remove it from the shell history.');
  }
  if (typeof name !== 'string' || !ENV_VAR_NAME.test(name)) {
    throw new VaultError('INVALID_ARGUMENT', 'The environment variable name must be upper case letters, digits and "_", e.g. MY_API_KEY.', 'Choose a name like MY_SERVICE_TOKEN.');
  }
  const problem = envVarProblem(name, id, others);
  if (problem) throw new VaultError('INVALID_ARGUMENT', `${problem} Nothing was stored.`, `Choose a name of its own (--env-var NAME, or the app's Environment variable field), such as ${defaultEnvVar(id).startsWith('CPW_') ? 'MY_SERVICE_TOKEN' : `MY_${defaultEnvVar(id)}`}.`);
  return name;
}
