import { CATALOG, catalogEntry } from '../core/catalog';
import { credentialId, KEY_NAME, SERVICE_NAME, type CredentialId } from '../core/credential';
import { VaultError } from '../core/errors';
import { legacyValues } from '../core/legacy-secrets';
import { indexProfile, type ProfileIndex } from '../core/profile-index';
import { PROFILE_MAJOR } from '../core/profile-version';
import { registerSecret } from '../core/redact';
import type { SecretStore } from '../core/secret-store';
import type { Caller, CredentialSource } from '../core/views';
import { AI_PROVIDERS, WORKFLOW_NAMES, fixLine, isWorkflowName, validateWorkflow, type AiProvider, type WorkflowName, type WorkflowStatus } from '../core/workflows';
import { AuditLog } from './records/audit-log';
import { SwitchedSecretStore } from './secrets/backend-switch';
import { besideProfile, type PathInputs, type ProfilePaths } from './profile/paths';
import { ProfileReader, UNPARSED, defaultWarn } from './profile/reader';
import { UsageTracker } from './records/usage-tracker';

type Env = Readonly<Record<string, string | undefined>>;

/** Options of the read side of the vault (the Vault adds write options). */
export interface VaultReaderOptions extends PathInputs {
  /** Secret storage (default: the OS keychain through keytar). */
  secrets?: SecretStore;
  /** Who reads: recorded in the audit log. */
  caller?: Caller;
  /** Receives warnings. Default: stderr. */
  warn?: (message: string) => void;
  now?: () => Date;
  auditMaxBytes?: number;
  /** Longest wait for one keychain call (default 10 s). */
  keychainTimeoutMs?: number;
  /** Vault file backend on a terminal: asks the passphrase when no unlock agent runs (once per process). */
  askPassphrase?: () => Promise<string>;
}

/** A value and where it came from. */
export interface CredentialValue {
  value: string;
  source: CredentialSource;
}

/** The profile as the read path sees it: its index, or the deprecated secrets.json values. */
export type ReadView =
  | { kind: 'profile'; path: string; index: ProfileIndex }
  | { kind: 'legacy'; path: string; values: ReadonlyMap<CredentialId, string> };

/** Thrown by the light reader when a profile needs the full parser (upgrade, precise error, plaintext). */
export class NeedsFullVault extends Error {
  constructor() {
    super('this profile needs the full vault');
  }
}

/**
 * The read side of the vault: env vars, keychain, profile index, audit of
 * reads, usage stamps. It loads no schema library, so `cpw-vault get` and
 * library reads start fast; the Vault extends it with writes and full
 * validation.
 */
export class VaultReader {
  readonly reader: ProfileReader;
  readonly paths: ProfilePaths;
  readonly secrets: SecretStore;
  readonly audit: AuditLog;
  readonly caller: Caller;
  protected readonly env: Env;
  protected readonly now: () => Date;
  protected readonly warn: (message: string) => void;
  protected readonly usage: UsageTracker;

  constructor(options: VaultReaderOptions & { reader?: ProfileReader } = {}) {
    this.env = options.env ?? process.env;
    this.now = options.now ?? (() => new Date());
    this.warn = options.warn ?? defaultWarn;
    this.reader = options.reader ?? new ProfileReader(options, this.warn);
    this.paths = this.reader.paths;
    // INTERIM: the backend (keychain, or the age vault file when the profile says storage.backend "file")
    // is chosen in secrets/backend-switch.ts until the storage core's openSecretStore() takes it over.
    this.secrets = options.secrets ?? new SwitchedSecretStore({ reader: this.reader, env: this.env, ...(options.keychainTimeoutMs ? { keychainTimeoutMs: options.keychainTimeoutMs } : {}), ...(options.askPassphrase ? { askPassphrase: options.askPassphrase } : {}) });
    this.audit = new AuditLog(besideProfile(this.paths, 'audit.log'), options.auditMaxBytes ? { maxBytes: options.auditMaxBytes } : {});
    this.caller = options.caller ?? 'library';
    this.usage = new UsageTracker(this.now);
  }

  /** The read view, or undefined with no profile at all. */
  protected view(): ReadView | undefined {
    const read = this.reader.readIfAny();
    if (!read) return undefined;
    if (read.kind === 'legacy') {
      const doc = read.raw;
      if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) return { kind: 'legacy', path: read.path, values: legacyValues(doc as Record<string, unknown>) };
      return this.fullView();
    }
    const index = read.raw === UNPARSED ? undefined : indexProfile(read.raw, PROFILE_MAJOR);
    return index ? { kind: 'profile', path: read.path, index } : this.fullView();
  }

  /** The view through the full parser (upgrade or precise error). The light reader cannot: it asks for the full vault. */
  protected fullView(): ReadView {
    throw new NeedsFullVault();
  }

  /** Env vars that carry `id`, in precedence order. */
  envVarsFor(id: CredentialId, view: ReadView | undefined = this.view()): string[] {
    const entry = catalogEntry(id);
    if (entry) return [...entry.envVars];
    const custom = view?.kind === 'profile' ? view.index.metadata[id]?.env_var : undefined;
    return [custom ?? defaultEnvVar(id)];
  }

  protected fromEnv(id: CredentialId, view: ReadView | undefined): CredentialValue | undefined {
    for (const name of this.envVarsFor(id, view)) {
      const value = this.env[name];
      if (value !== undefined && value.trim() !== '') return { value: value.trim(), source: { kind: 'env', name } };
    }
    return undefined;
  }

  protected async fromStorage(id: CredentialId, view: ReadView | undefined): Promise<CredentialValue | undefined> {
    if (view?.kind === 'legacy') {
      const value = view.values.get(id);
      return value ? { value, source: { kind: 'legacy', path: view.path } } : undefined;
    }
    if (catalogEntry(id)?.secret === false) {
      const slot = view?.index.slot(id) ?? '';
      return slot !== '' ? { value: slot, source: { kind: 'profile' } } : undefined;
    }
    const value = await this.secrets.get(id);
    return value === undefined ? undefined : { value, source: { kind: 'keychain' } };
  }

  /**
   * The value of a credential and its source: the first set env var of the
   * catalog, else the keychain (or the profile slot for non-secrets, or the
   * deprecated secrets.json). Undefined when nowhere. Throws KEYCHAIN_* when
   * the keychain cannot answer (a locked keychain is never "missing").
   */
  async findCredential(service: string, key: string): Promise<CredentialValue | undefined> {
    const id = checkedId(service, key);
    const view = this.view();
    const found = this.fromEnv(id, view) ?? (await this.fromStorage(id, view));
    if (!found) return undefined;
    registerSecret(found.value);
    if (found.source.kind !== 'env' && view?.kind === 'profile') this.usage.touch(id, view.index.metadata);
    await this.record({ event: 'credential_read', caller: this.caller, credential: id, details: { source: found.source.kind } });
    return found;
  }

  /** Like {@link findCredential} but throws CREDENTIAL_MISSING with a fix line when absent. */
  async getCredential(service: string, key: string): Promise<CredentialValue> {
    const found = await this.findCredential(service, key);
    if (found) return found;
    const id = credentialId(service, key);
    throw new VaultError('CREDENTIAL_MISSING', `${id} is not set: not in ${this.envVarsFor(id).join(' or ')}, not in the keychain.`, fixLine(id));
  }

  /** The stored value of `id` (keychain, profile slot or secrets.json), ignoring env vars; not audited. */
  async storedValue(id: CredentialId): Promise<string | undefined> {
    const found = await this.fromStorage(id, this.view());
    if (found) registerSecret(found.value);
    return found?.value;
  }

  /** The value `id` gets from the environment (first set alias), if any. */
  envValue(id: CredentialId): string | undefined {
    return this.fromEnv(id, this.view())?.value;
  }

  /** Credentials that have a value somewhere now: env var, the profile's index, or secrets.json. */
  protected present(view: ReadView | undefined): Set<CredentialId> {
    const custom = view?.kind === 'profile' ? Object.keys(view.index.metadata) : [];
    const ids = new Set([...CATALOG.map((e) => e.id), ...custom]);
    return new Set(
      [...ids].filter((id) => this.fromEnv(id, view) || (view?.kind === 'profile' ? !!view.index.metadata[id] : !!view?.values.has(id))),
    );
  }

  /**
   * Readiness of a workflow from env vars and the profile's index. With
   * `verify`, credentials the index says are stored are read to prove it
   * (and a locked keychain throws KEYCHAIN_LOCKED). Unknown names throw
   * WORKFLOW_UNKNOWN.
   */
  async validateWorkflow(name: string, options: { verify?: boolean } = {}): Promise<WorkflowStatus> {
    if (!isWorkflowName(name)) {
      // The name is not echoed: arbitrary input may be a key pasted in the wrong place.
      throw new VaultError('WORKFLOW_UNKNOWN', 'Unknown workflow name.', `Use one of: ${WORKFLOW_NAMES.join(', ')}.`);
    }
    const view = this.view();
    const present = this.present(view);
    const preferred = view?.kind === 'profile' ? view.index.aiProvider : undefined;
    const aiProvider: AiProvider = (AI_PROVIDERS as readonly string[]).includes(preferred ?? '') ? (preferred as AiProvider) : 'openai';
    let status = validateWorkflow(name, (id) => present.has(id), aiProvider);
    if (options.verify) {
      for (const id of status.uses) {
        if (this.fromEnv(id, view)) continue;
        const found = await this.fromStorage(id, view);
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
      for (const v of this.envVarsFor(id)) env[v] = value;
    }
    return env;
  }

  /** Credentials read since the last flush whose `last_used_at` is due. */
  get pendingUsage(): CredentialId[] {
    return this.usage.ids;
  }

  /**
   * Appends an audit event. The log lives beside the profile, so with no
   * profile (env-only use) there is nothing to append to. A failed append is
   * reported as a warning, never fails the action it records.
   */
  protected async record(event: Parameters<AuditLog['append']>[0]): Promise<void> {
    if (!this.reader.exists()) return;
    try {
      await this.audit.append(event, this.now());
    } catch (err) {
      this.warn(`could not write the audit log: ${err instanceof Error ? err.message : String(err)}`);
    }
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

/** The env var of a custom credential without one chosen: SERVICE_KEY. */
export function defaultEnvVar(id: CredentialId): string {
  return id.replace(/[.-]/g, '_').toUpperCase();
}

/** `<service>.<key>` after checking both names (INVALID_ARGUMENT, never echoing them). */
export function checkedId(service: unknown, key: unknown): CredentialId {
  if (typeof service !== 'string' || !SERVICE_NAME.test(service) || typeof key !== 'string' || !KEY_NAME.test(key)) {
    throw new VaultError('INVALID_ARGUMENT', 'A credential is named <service> <key> in lower case, e.g. huggingface token.', 'Use lower-case letters, digits, "_" or "-" (service) and "_" (key), at most 40 characters each.');
  }
  return credentialId(service, key);
}
