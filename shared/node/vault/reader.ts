import { hasControlChars, withoutControlChars } from '../../core/control-chars';
import { CATALOG, catalogEntry } from '../../core/catalog';
import { checkedCredentialId, credentialId, splitCredentialId, type CredentialId } from '../../core/credential';
import { isSecretCredential } from '../../core/credential-index';
import { VaultError } from '../../core/errors';
import type { EnvVarClash } from '../../core/env-var-names';
import { defaultWorkflow, pipelinePreferences, type PipelinePreferences } from '../../core/preferences';
import { registerSecret } from '../../core/redact';
import { storeName } from '../../core/secret-store';
import type { CredentialMeta } from '../../core/profile-schema';
import type { CredentialCarrier, CredentialSource, CredentialView } from '../../core/views';
import { fixLine, type WorkflowName, type WorkflowStatus } from '../../core/workflows';
import type { AuditLog } from '../records/audit-log';
import { nearCatalogId } from '../../core/near-names';
import { laterOf, markSince } from '../records/usage-marks';
import type { ReadView } from './read-view';
import { ReadSources } from './read-sources';
import { envVarClashOf, envVarsOf, handedOnFrom, valueFromEnv } from './env-reads';
import { environmentOf, resolveAll, resolveWorkflow, type ResolvedWorkflow } from './workflow-reads';

export { NeedsFullVault, type ReadView } from './read-view';
export type { ReaderDeps } from './read-sources';

/** A value and where it came from. */
export interface CredentialValue {
  value: string;
  source: CredentialSource;
}

/**
 * The read side of the vault: env vars, the secret store, the profile index,
 * audit of reads, usage stamps. It loads no schema library, so `cpw-vault
 * get` and library reads start fast. The Vault (vault.ts) is built around it.
 * Where it reads from (the profile's view, the secret store) is read-sources.ts.
 */
export class VaultReader extends ReadSources {
  /** Env vars that carry `id`, in precedence order (see env-reads.ts). */
  envVarsFor(id: CredentialId, view: ReadView | undefined = this.view()): string[] {
    return envVarsOf(id, view);
  }

  /** Why custom credential `id` carries no env var (see {@link envVarClashOf}). */
  envVarClash(id: CredentialId, view: ReadView | undefined = this.view()): EnvVarClash | undefined {
    return envVarClashOf(id, view);
  }

  /** The value of `id` from the first of its env vars that is set, if any (see {@link handedOn} before giving it out). */
  fromEnv(id: CredentialId, view: ReadView | undefined, names?: readonly string[]): CredentialValue | undefined {
    return valueFromEnv(this.deps.env, id, view, names);
  }

  /** `found`, about to be given out: one from an env var that is not UTF-8 is refused (see {@link handedOnFrom}). */
  handedOn<T extends CredentialValue | undefined>(found: T): T {
    return handedOnFrom(this.deps.env, found);
  }

  private async fromStorage(id: CredentialId, view: ReadView | undefined): Promise<CredentialValue | undefined> {
    if (view?.kind === 'legacy') {
      const value = view.values.get(id);
      return value ? { value, source: { kind: 'legacy', path: view.path } } : undefined;
    }
    if (catalogEntry(id)?.secret === false) {
      const slot = view?.index.slot(id) ?? '';
      return slot !== '' ? { value: slot, source: { kind: 'profile' } } : undefined;
    }
    if (this.othersValue(id, view)) return undefined;
    const value = await this.secretStore(view).get(id);
    return value === undefined ? undefined : { value, source: this.storeSource(view) };
  }

  /** The source of a value read from the secret store: the vault file says so (a host with no keychain was told "keychain"). */
  private storeSource(view: ReadView | undefined): CredentialSource {
    return this.backend(view) === 'file' ? { kind: 'keychain', store: 'file' } : { kind: 'keychain' };
  }

  /**
   * The value of a credential and its source: the first set env var of the
   * catalog, else the secret store (or the profile slot for non-secrets, or
   * the deprecated secrets.json). Undefined when nowhere. Throws KEYCHAIN_*
   * when the keychain cannot answer (a locked keychain is never "missing").
   */
  async findCredential(service: string, key: string): Promise<CredentialValue | undefined> {
    const id = checkedCredentialId(service, key);
    const view = this.view();
    const found = this.handedOn(this.fromEnv(id, view)) ?? (await this.fromStorage(id, view));
    if (!found) return undefined;
    await this.noteRead(id, found, view);
    return found;
  }

  /** Records a read a caller gets: its value joins the redaction registry, its last use is marked, the audit log says who read it from where. */
  async noteRead(id: CredentialId, found: CredentialValue, view: ReadView | undefined): Promise<void> {
    registerSecret(found.value);
    const meta = found.source.kind !== 'env' && view?.kind === 'profile' ? view.index.meta(id) : undefined;
    if (meta) this.deps.usage.touch(id, this.deps.now(), meta.created_at);
    // Where it came from as the user knows it: a value in the age vault file is "file" (it said "keychain").
    const source = found.source.kind === 'keychain' && view?.kind === 'profile' && view.index.storage.backend === 'file' ? 'file' : found.source.kind;
    await this.record({ event: 'credential_read', caller: this.caller, credential: id, details: { source } });
  }

  /** Like {@link findCredential} but throws CREDENTIAL_MISSING with a fix line when absent. */
  async getCredential(service: string, key: string): Promise<CredentialValue> {
    const found = await this.findCredential(service, key);
    if (found) return found;
    const id = credentialId(service, key);
    const names = this.envVarsFor(id);
    // A typo of a catalog name (`get huggingface tokn`) is said to be one, with the name meant.
    const near = nearCatalogId(id);
    const fix = near ? `Did you mean ${near}? Run: cpw-vault get ${near.replace('.', ' ')}` : fixLine(id);
    // A non-secret (openai.organization_id) is kept in the profile, never in the secret store: named where it would be.
    const store = isSecretCredential(id) ? storeName(this.backend()) : 'your profile';
    throw new VaultError('CREDENTIAL_MISSING', `${id} is not set: ${names.length ? `not in ${names.join(' or ')}, ` : ''}not in ${store}.`, fix);
  }

  /** The stored value of `id` (secret store, profile slot or secrets.json), ignoring env vars; not audited. */
  async storedValue(id: CredentialId): Promise<string | undefined> {
    const found = await this.fromStorage(id, this.view());
    if (found) registerSecret(found.value);
    return found?.value;
  }

  /** The stored values of `ids`, ignoring env vars, the secret-store ones read in one batch; not audited. */
  async storedValues(ids: readonly CredentialId[]): Promise<Map<CredentialId, string | undefined>> {
    const found = await this.storedIn(this.view(), ids);
    return new Map(ids.map((id) => [id, found.get(id)?.value]));
  }

  /** {@link storedValues} with sources, for `view`: the secret-store ones in one batch (one round trip), the rest from the view. */
  async storedIn(view: ReadView | undefined, ids: readonly CredentialId[]): Promise<Map<CredentialId, CredentialValue | undefined>> {
    const out = new Map<CredentialId, CredentialValue | undefined>();
    const fromStore = ids.filter((id) => view?.kind !== 'legacy' && catalogEntry(id)?.secret !== false);
    const others = this.othersValues(view);
    const asked = fromStore.filter((id) => !others(id));
    if (asked.length) {
      const store = this.secretStore(view);
      const batch = store.getMany ? await store.getMany(asked) : new Map(await Promise.all(asked.map(async (id) => [id, await store.get(id)] as const)));
      const source = Object.freeze(this.storeSource(view)); // one per batch (a profile lookup), shared by its values
      for (const [id, value] of batch) if (value !== undefined) out.set(id, { value, source });
    }
    for (const id of ids) if (!out.has(id) && !fromStore.includes(id)) out.set(id, await this.fromStorage(id, view));
    for (const v of out.values()) if (v) registerSecret(v.value);
    return out;
  }

  /** The pipeline preferences a stage gets (CPW_AI_PROVIDER, ...), defaults where none are stored. */
  pipelinePreferences(): PipelinePreferences {
    const view = this.view();
    return pipelinePreferences(view?.kind === 'profile' ? view.index.preferences : undefined);
  }

  /** The default workflow the user chose (setup, the app's Profile), for a `check` that names none. */
  defaultWorkflow(): WorkflowName {
    const view = this.view();
    return defaultWorkflow(view?.kind === 'profile' ? view.index.preferences : undefined);
  }

  /** The value `id` gets from the environment (first set alias), if any. */
  envValue(id: CredentialId): string | undefined {
    return this.fromEnv(id, this.view())?.value;
  }

  /** Where a read of `id` would take its value from now, without reading it (env var, index entry, secrets.json). */
  sourceOf(id: CredentialId, view: ReadView | undefined = this.view(), names?: readonly string[]): CredentialSource | null {
    const env = this.fromEnv(id, view, names);
    if (env) return env.source;
    if (view?.kind === 'legacy') return view.values.has(id) ? { kind: 'legacy', path: view.path } : null;
    const meta = view?.index.meta(id);
    if (!meta) return null;
    // The app and the CLI both say "vault file" from this (the app's screens do not know the backend).
    return meta.storage === 'keychain' && this.backend(view) === 'file' ? { kind: 'keychain', store: 'file' } : { kind: meta.storage };
  }

  /** Readiness of a workflow from env vars and the index; with `verify`, proven by reading its credentials (see resolveWorkflow). */
  async validateWorkflow(name: string, options: { verify?: boolean } = {}): Promise<WorkflowStatus> {
    return (await resolveWorkflow(this, name, options)).status;
  }

  /** Readiness of every workflow. */
  validateAll(options: { verify?: boolean } = {}): Promise<WorkflowStatus[]> {
    return resolveAll(this, options);
  }

  /** A workflow's readiness proven by its reads, with the values: see workflow-reads.ts. */
  resolveWorkflow(name: string, options: { verify?: boolean } = {}): Promise<ResolvedWorkflow> {
    return resolveWorkflow(this, name, options);
  }

  /** The environment of a resolved, ready workflow (each read recorded); throws WORKFLOW_NOT_READY. */
  environmentOf(resolved: ResolvedWorkflow): Promise<Record<string, string>> {
    return environmentOf(this, resolved);
  }

  /**
   * The environment for a workflow: every env alias of each credential it
   * uses, with its value (read in one batch). Throws WORKFLOW_NOT_READY
   * listing what is missing.
   */
  async workflowEnv(name: WorkflowName | string): Promise<Record<string, string>> {
    return environmentOf(this, await resolveWorkflow(this, name, { verify: true }));
  }

  /** Catalog credentials and the custom ones the index knows. */
  allIds(view: ReadView | undefined = this.view()): CredentialId[] {
    const custom = view?.kind === 'profile' ? Object.keys(view.index.metadata).filter((id) => !catalogEntry(id)) : [];
    return [...CATALOG.map((e) => e.id), ...custom];
  }

  /**
   * Every catalog and custom credential with its metadata and source. Never a
   * value; never touches the secret store; no schema library (the index).
   */
  listCredentials(view: ReadView | undefined = this.view()): CredentialView[] {
    const metas = view?.kind === 'profile' ? view.index.metadata : {};
    const used = this.deps.usage.read();
    // The env vars set now, asked once: at 10,000 custom credentials, asking process.env for each (a getenv) costs ~8 ms.
    const set = new Set<string>();
    for (const name in this.deps.env) if (this.deps.env[name]?.trim()) set.add(name);
    // One object per credential, its optional fields set in place (no spread of temporaries: 10,000 rows at scale).
    return this.allIds(view).map((id) => {
      const entry = catalogEntry(id);
      const indexed = metas[id];
      const meta = indexed ? ({ ...indexed, last_used_at: laterOf(indexed.last_used_at, markSince(used.get(id), indexed.created_at)) ?? null } as CredentialMeta) : undefined;
      // Its hint and label as shown (list --json prints them; a consumer prints them as they are): a hint stored before
      // maskedHint cleaned it, a label saved before control characters were refused or hand-edited, with "?" in their place.
      if (meta && hasControlChars(meta.hint)) meta.hint = withoutControlChars(meta.hint);
      if (meta?.label !== undefined && hasControlChars(meta.label)) meta.label = withoutControlChars(meta.label);
      const { service, key } = splitCredentialId(id);
      const envVars = this.envVarsFor(id, view);
      // Fields in the order callers (and `list --json`) have always seen them.
      // A label saved before control characters were refused (or hand-edited) is shown with "?" in their place (the app too).
      const label = meta?.label ?? entry?.label ?? id;
      const out = { id, service, key, label: hasControlChars(label) ? withoutControlChars(label) : label, secret: entry?.secret ?? true, custom: !entry, envVars } as CredentialView;
      if (entry?.url) out.url = entry.url;
      if (entry) out.formatHint = entry.format.hint;
      out.stored = !!meta;
      out.source = this.sourceOf(id, view, envVars.some((name) => set.has(name)) ? envVars : []);
      if (meta) out.meta = meta;
      return out;
    });
  }

  /**
   * Every catalog and custom credential, as {@link listCredentials} lists them, with only what exec needs (its env
   * vars, whether a secret is stored): no usage marks read, no environment scanned, no metadata copied.
   */
  credentialCarriers(view: ReadView | undefined = this.view()): CredentialCarrier[] {
    const metas = view?.kind === 'profile' ? view.index.metadata : {};
    return this.allIds(view).map((id) => {
      const entry = catalogEntry(id);
      const meta = metas[id];
      const out: CredentialCarrier = { id, secret: entry?.secret ?? true, custom: !entry, envVars: this.envVarsFor(id, view), stored: !!meta };
      if (meta) out.meta = meta;
      return out;
    });
  }

  /**
   * Appends an audit event. The log lives beside the profile, so with no
   * profile (env-only use) there is nothing to append to. A failed append is
   * reported as a warning, never fails the action it records.
   */
  async record(event: Parameters<AuditLog['append']>[0]): Promise<void> {
    if (!this.deps.profile.exists()) return;
    try {
      await this.deps.audit.append(event, this.deps.now());
    } catch (err) {
      this.deps.warn(`could not write the audit log: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

export { notReady } from './workflow-reads';

