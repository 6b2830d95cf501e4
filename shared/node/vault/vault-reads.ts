import type { EnvVarClash } from '../../core/env-var-names';
import type { PipelinePreferences } from '../../core/preferences';
import type { CredentialId } from '../../core/credential';
import type { AuditEvent, AuditEventName } from '../../core/records';
import type { KeychainStatus } from '../../core/secret-store';
import type { CredentialCarrier, CredentialView, ProfileView, UnfinishedChange } from '../../core/views';
import type { WorkflowName, WorkflowStatus } from '../../core/workflows';
import type { JournalFile } from '../credentials/journal-file';
import type { ProfileStore } from '../profile/store';
import { profileView } from '../profile/profile-view';
import type { AuditLog } from '../records/audit-log';
import type { CredentialValue, VaultReader } from './reader';
import type { ListingState } from './read-sources';
import type { ResolvedWorkflow } from './workflow-reads';
import { SwitchGate } from './switch-gate';

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
 * The reads of the Vault (vault.ts): where its files are, who uses it, and
 * what it holds, through the VaultReader, the profile store and the audit log.
 */
export abstract class VaultReads {
  protected readonly reader: VaultReader;
  protected readonly profile: ProfileStore;
  protected readonly audit: AuditLog;
  /** Keeps a backend switch apart from this process's reads and writes of the secret store (see SwitchGate). */
  protected readonly gate = new SwitchGate();

  constructor(parts: VaultParts) {
    this.reader = parts.reader;
    this.profile = parts.profile;
    this.audit = parts.audit;
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

  /** See {@link VaultReader.findCredential}. */
  findCredential(service: string, key: string): Promise<CredentialValue | undefined> {
    return this.gate.run(() => this.reader.findCredential(service, key));
  }

  /** See {@link VaultReader.getCredential}: throws CREDENTIAL_MISSING with a fix. */
  getCredential(service: string, key: string): Promise<CredentialValue> {
    return this.gate.run(() => this.reader.getCredential(service, key));
  }

  /** The stored value of `id`, ignoring env vars; not audited. */
  storedValue(id: CredentialId): Promise<string | undefined> {
    return this.gate.run(() => this.reader.storedValue(id));
  }

  /** The stored values of `ids` (one batch from the secret store), ignoring env vars; not audited. */
  storedValues(ids: readonly CredentialId[]): Promise<Map<CredentialId, string | undefined>> {
    return this.gate.run(() => this.reader.storedValues(ids));
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

  /** Why custom credential `id` carries no env var, when another credential carries its SERVICE_KEY (see {@link VaultReader.envVarClash}). */
  envVarClash(id: CredentialId): EnvVarClash | undefined {
    return this.reader.envVarClash(id);
  }

  /** The default workflow the user chose (see {@link VaultReader.defaultWorkflow}). */
  defaultWorkflow(): WorkflowName {
    return this.reader.defaultWorkflow();
  }

  /** Readiness of a workflow (see {@link VaultReader.validateWorkflow}). */
  validateWorkflow(name: string, options: { verify?: boolean } = {}): Promise<WorkflowStatus> {
    return this.gate.run(() => this.reader.validateWorkflow(name, options));
  }

  /** Changes other cpw-vaults started and have not finished (a running writer, or one in a container not yet judged abandoned). */
  unfinishedChanges(): UnfinishedChange[] {
    return this.reader.unfinishedChanges();
  }

  /** Readiness of every workflow. */
  validateAll(options: { verify?: boolean } = {}): Promise<WorkflowStatus[]> {
    return this.gate.run(() => this.reader.validateAll(options));
  }

  /** A workflow's readiness proven by its reads, with the values (see {@link VaultReader.resolveWorkflow}). */
  resolveWorkflow(name: string, options: { verify?: boolean } = {}): Promise<ResolvedWorkflow> {
    return this.gate.run(() => this.reader.resolveWorkflow(name, options));
  }

  /** The environment of a resolved, ready workflow (see {@link VaultReader.environmentOf}). */
  environmentOf(resolved: ResolvedWorkflow): Promise<Record<string, string>> {
    return this.gate.run(() => this.reader.environmentOf(resolved));
  }

  /** The env vars of a workflow, with values; throws WORKFLOW_NOT_READY. */
  workflowEnv(name: WorkflowName | string): Promise<Record<string, string>> {
    return this.gate.run(() => this.reader.workflowEnv(name));
  }

  /** The profile as it is now; a missing profile reads as a fresh template (kind "none"). */
  getProfile(): ProfileView {
    return profileView(this.profile);
  }

  /** Every known and custom credential with metadata and source. Never a value; never touches the secret store. */
  listCredentials(): CredentialView[] {
    return this.reader.listCredentials();
  }

  /** Every credential with only what exec needs (see VaultReader.credentialCarriers). */
  credentialCarriers(): CredentialCarrier[] {
    return this.reader.credentialCarriers();
  }

  /** The files the list is made of, for list's cache (see ReadSources.listingState). */
  listingState(): ListingState | undefined {
    return this.reader.listingState();
  }

  /** Audit events, newest first (names and counts only, never a value). */
  auditEvents(filter: { event?: AuditEventName; credential?: string; limit?: number } = {}): AuditEvent[] {
    return this.audit.list(filter);
  }

  /** Whether the secret store is usable, with the reason and fix when not. */
  keychainStatus(): Promise<KeychainStatus> {
    return this.gate.run(() => this.reader.secretStore().status());
  }
}
