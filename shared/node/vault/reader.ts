import { hasControlChars, withoutControlChars } from '../../core/control-chars';
import { CATALOG, catalogEntry } from '../../core/catalog';
import { checkedCredentialId, credentialId, splitCredentialId, type CredentialId } from '../../core/credential';
import { VaultError } from '../../core/errors';
import { carriedByAnother, catalogEnvVarOwner, defaultEnvVar, envVarClashIn, isReservedEnvVar, otherOwners, type EnvVarClash } from '../../core/env-var-names';
import { defaultWorkflow, pipelinePreferences, type PipelinePreferences } from '../../core/preferences';
import { registerSecret } from '../../core/redact';
import { storeName, type KeychainStatus, type SecretStore } from '../../core/secret-store';
import type { CredentialMeta } from '../../core/profile-schema';
import type { Caller, CredentialSource, CredentialView } from '../../core/views';
import { fixLine, type WorkflowName, type WorkflowStatus } from '../../core/workflows';
import type { ProfileReader, RawProfile } from '../profile/reader';
import type { AuditLog } from '../records/audit-log';
import type { JournalFile } from '../credentials/journal-file';
import { unfinishedChanges } from '../credentials/unfinished';
import { alteredEnvVars } from '../exec/env-bytes';
import { nearCatalogId } from '../../core/near-names';
import type { UnfinishedChange } from '../../core/views';
import { laterOf, type UsageMarks } from '../records/usage-marks';
import { NeedsFullVault, ReadViews, type ReadView } from './read-view';
import { environmentOf, resolveAll, resolveWorkflow, type ResolvedWorkflow } from './workflow-reads';

export { NeedsFullVault, type ReadView } from './read-view';
import { namespaceSuffix, secretNamespace } from '../secrets/open-secret-store';

type Env = Readonly<Record<string, string | undefined>>;

/** A value and where it came from. */
export interface CredentialValue {
  value: string;
  source: CredentialSource;
}

/** What the read side is built from (the composition root, shared/node/open.ts, supplies it). */
export interface ReaderDeps {
  profile: ProfileReader;
  env: Env;
  caller: Caller;
  warn: (message: string) => void;
  now: () => Date;
  audit: AuditLog;
  /** "Last used" marks, off the read path. */
  usage: UsageMarks;
  /** The credential journal (names of credentials a writer is changing). */
  journal: Pick<JournalFile, 'read'>;
  /** Opens a secret store (the factory, or a test's). */
  openSecrets: (backend: string, namespace: string, extra?: { key?: { identity: string; recipient: string } }) => SecretStore;
  /** The full parser for a profile the light index cannot read. Absent in the fast bundle: reads then throw NeedsFullVault. */
  fullView?: (read: RawProfile) => ReadView;
}

/**
 * The read side of the vault: env vars, the secret store, the profile index,
 * audit of reads, usage stamps. It loads no schema library, so `cpw-vault
 * get` and library reads start fast. The Vault (vault.ts) is built around it.
 */
export class VaultReader {
  readonly caller: Caller;
  private store: { key: string; secrets: SecretStore } | undefined;
  private readonly views: ReadViews;

  constructor(private readonly deps: ReaderDeps) {
    this.caller = deps.caller;
    this.views = new ReadViews(deps);
  }

  /** The profile file this vault reads and writes. */
  get profilePath(): string {
    return this.deps.profile.paths.profile;
  }

  /** The read view, or undefined with no profile at all (see read-view.ts). */
  view(): ReadView | undefined {
    return this.views.view();
  }

  /** The view, or undefined when the profile cannot be read (a seed file being migrated, a damaged one): its values live in the default place. */
  private viewOrNone(): ReadView | undefined {
    try {
      return this.view();
    } catch (err) {
      if (err instanceof NeedsFullVault) throw err;
      return undefined;
    }
  }

  /** The backend this profile's values live in (`keychain` unless the profile names another). */
  backend(view: ReadView | undefined = this.viewOrNone()): string {
    return (view?.kind === 'profile' ? view.index.storage.backend : undefined) ?? 'keychain';
  }

  /** True for a profile other than the default whose values live in the keychain under the default profile's name (the first versions had one name for all; a vault file is each profile's own). */
  sharesDefaultNamespace(view: ReadView | undefined = this.viewOrNone()): boolean {
    return !this.deps.profile.paths.isDefault && this.backend(view) === 'keychain' && this.namespace(view) === secretNamespace({ env: this.deps.env, isDefault: true, recorded: undefined, legacyValues: false, profilePath: this.profilePath });
  }

  /**
   * True when a value under this profile's keychain name may be another profile's: it shares the default
   * profile's name (see {@link sharesDefaultNamespace}) and does not index `id`. Such a value is never read,
   * planned against or deleted as this profile's.
   */
  othersValue(id: CredentialId, view: ReadView | undefined = this.viewOrNone()): boolean {
    return this.othersValues(view)(id);
  }

  /** {@link othersValue} for many ids, the view and the namespace settled once. */
  othersValues(view: ReadView | undefined = this.viewOrNone()): (id: CredentialId) => boolean {
    if (this.deps.profile.paths.isDefault || !this.sharesDefaultNamespace(view)) return () => false;
    return (id) => !(view?.kind === 'profile' && view.index.meta(id));
  }

  /** The namespace of this profile's values inside any backend. */
  private namespace(view: ReadView | undefined): string {
    const index = view?.kind === 'profile' ? view.index : undefined;
    return secretNamespace({
      env: this.deps.env,
      isDefault: this.deps.profile.paths.isDefault,
      recorded: index?.storage.namespace,
      legacyValues: !!index && index.keychainCount > 0,
      profilePath: this.profilePath,
    });
  }

  /** The keychain name a profile of its own gets (one the first versions made shares the default's until it moves: Vault.open), opened fresh; the caller closes it. */
  openOwnKeychain(): { store: SecretStore; suffix: string } {
    const suffix = namespaceSuffix({ isDefault: false, recorded: undefined, legacyValues: false, profilePath: this.profilePath });
    return { suffix, store: this.deps.openSecrets('keychain', secretNamespace({ env: this.deps.env, isDefault: false, recorded: suffix, legacyValues: false, profilePath: this.profilePath })) };
  }

  /**
   * A store of another backend for this profile's namespace, not the one in
   * use (a backend switch fills it): opened fresh, with the vault file's key
   * when the caller holds it. The caller closes it.
   */
  openBackend(backend: string, extra: { key?: { identity: string; recipient: string } } = {}): SecretStore {
    return this.deps.openSecrets(backend, this.namespace(this.viewOrNone()), extra);
  }

  /** The secret store this profile's values live in (its backend and namespace), opened once per process. */
  secretStore(view: ReadView | undefined = this.viewOrNone()): SecretStore {
    const backend = this.backend(view);
    const namespace = this.namespace(view);
    const key = `${backend}\0${namespace}`;
    if (this.store?.key !== key) {
      this.store?.secrets.close();
      this.store = { key, secrets: this.deps.openSecrets(backend, namespace) };
    }
    return this.store.secrets;
  }

  /**
   * True when the index cannot be trusted as it is: a journal left by a writer
   * (a crash or a running change), or a count of the secret store's namespace
   * that differs from the index (a value the index lost). One cheap call;
   * a store that cannot answer now is left to the reads to report.
   */
  async needsRepair(): Promise<boolean> {
    const view = this.view();
    if (view?.kind === 'legacy') return false;
    if (this.deps.journal.read().length) return true;
    const store = this.secretStore(view);
    if (!store.count) return false;
    const indexed = view?.index.keychainCount ?? 0;
    try {
      const held = store.names ? await store.names() : undefined;
      if (!held) return (await store.count()) !== indexed;
      // By name where the store has them at hand: a vault file restored from a backup may hold as many values as
      // the index lists, but not the same ones.
      const metadata = view?.index.metadata ?? {};
      return held.length !== indexed || held.some((id) => metadata[id]?.storage !== 'keychain');
    } catch {
      return false;
    }
  }

  /** Changes other cpw-vaults started and have not finished (see credentials/unfinished.ts). */
  unfinishedChanges(): UnfinishedChange[] {
    return unfinishedChanges(this.deps.journal.read());
  }

  /** Releases the secret store's connection so the process can exit. */
  close(): void {
    this.store?.secrets.close();
  }

  /** Env vars that carry `id`, in precedence order. */
  envVarsFor(id: CredentialId, view: ReadView | undefined = this.view()): string[] {
    const entry = catalogEntry(id);
    if (entry) return [...entry.envVars];
    const custom = view?.kind === 'profile' ? view.index.meta(id)?.env_var : undefined;
    // A name stored before such names were refused (PATH, LD_PRELOAD, ...) carries nothing: get never reads
    // $PATH as the secret, exec never strips the stage's PATH nor puts a secret there.
    // One that other custom credentials name as theirs too (a hand-edited profile, sets racing in an older version)
    // carries nothing: whose value the shell's variable holds cannot be known (see envVarClash).
    if (custom !== undefined && !isReservedEnvVar(custom)) return view?.kind === 'profile' && otherOwners(view.index.metadata, id, custom).length ? [] : [custom];
    // The name it would get (SERVICE_KEY), unless another credential carries it: `get hf token` read $HF_TOKEN,
    // huggingface.token's, where `set hf token` refuses that name. Only for a credential without a name of its own
    // (not stored yet; stored by a first version).
    const name = defaultEnvVar(id);
    if (isReservedEnvVar(name) || catalogEnvVarOwner(name) !== undefined) return [];
    return view?.kind === 'profile' && carriedByAnother(view.index.metadata, id, name) ? [] : [name];
  }

  /**
   * Why custom credential `id` carries no env var: without one of its own, the SERVICE_KEY it would take is another
   * credential's too (a catalog one's, or custom ones' that fold to it: `my-svc.api_key` and `my_svc.api_key`), or
   * other custom credentials name its own as theirs. Undefined when it carries its name. Said by exec --with (which
   * refuses it), list, which and doctor: the stage would otherwise get one's value in place of the other's.
   */
  envVarClash(id: CredentialId, view: ReadView | undefined = this.view()): EnvVarClash | undefined {
    if (catalogEntry(id) || view?.kind !== 'profile') return undefined;
    return envVarClashIn(view.index.metadata, id);
  }

  /** The value of `id` from the first of its env vars that is set, if any (see {@link handedOn} before giving it out). */
  fromEnv(id: CredentialId, view: ReadView | undefined, names?: readonly string[]): CredentialValue | undefined {
    for (const name of names ?? this.envVarsToRead(id, view)) {
      const value = this.deps.env[name];
      if (value !== undefined && value.trim() !== '') return { value: value.trim(), source: { kind: 'env', name } };
    }
    return undefined;
  }

  /**
   * {@link envVarsFor}, but [] for a custom credential whose own name is not set here: whether others name it too
   * needs the whole profile parsed, and a `get` finds one from the lookup index alone. Unset, it gives nothing either way.
   */
  private envVarsToRead(id: CredentialId, view: ReadView | undefined): readonly string[] {
    const own = catalogEntry(id) || view?.kind !== 'profile' ? undefined : view.index.meta(id)?.env_var;
    if (own !== undefined && !isReservedEnvVar(own) && !this.deps.env[own]?.trim()) return [];
    return this.envVarsFor(id, view);
  }

  /**
   * `found`, about to be given out (get, a workflow's environment): one from
   * an env var that is not UTF-8 is refused (CREDENTIAL_INVALID, naming the
   * variable). Node reads it with U+FFFD in place of its bytes, and get, env
   * and exec handed that altered key on without a word. Only what is handed
   * on: such a variable of a credential a command does not give out (list,
   * another workflow's key) changes nothing.
   */
  handedOn<T extends CredentialValue | undefined>(found: T): T {
    if (found?.source.kind !== 'env') return found;
    const name = found.source.name;
    const raw = this.deps.env[name] ?? '';
    if (raw.includes('\uFFFD') && alteredEnvVars({ [name]: raw }).length) {
      throw new VaultError('CREDENTIAL_INVALID', `${name} is not valid UTF-8: it cannot be given on without changing it (its invalid bytes would become U+FFFD).`, `Set ${name} to the key as text (UTF-8), or unset it to use the stored value.`);
    }
    return found;
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
    return value === undefined ? undefined : { value, source: { kind: 'keychain' } };
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
    if (found.source.kind !== 'env' && view?.kind === 'profile' && view.index.meta(id)) this.deps.usage.touch(id, this.deps.now());
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
    throw new VaultError('CREDENTIAL_MISSING', `${id} is not set: ${names.length ? `not in ${names.join(' or ')}, ` : ''}not in ${storeName(this.backend())}.`, fix);
  }

  /** The stored value of `id` (secret store, profile slot or secrets.json), ignoring env vars; not audited. */
  /** Whether the secret store can be asked now (reachable, unlocked), without reading a secret. */
  keychainStatus(): Promise<KeychainStatus> {
    return this.secretStore().status();
  }

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
      for (const [id, value] of batch) if (value !== undefined) out.set(id, { value, source: { kind: 'keychain' } });
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

  /** A workflow's readiness proven by its reads, with the values (and `alsoRead` in the same batch): see workflow-reads.ts. */
  resolveWorkflow(name: string, options: { verify?: boolean; alsoRead?: readonly CredentialId[] } = {}): Promise<ResolvedWorkflow> {
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
      const meta = indexed ? ({ ...indexed, last_used_at: laterOf(indexed.last_used_at, used.get(id)) ?? null } as CredentialMeta) : undefined;
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

