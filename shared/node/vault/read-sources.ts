/**
 * What the read side (reader.ts) reads from: the profile's view (read-view.ts)
 * and the secret store this profile's values live in: its backend, and its
 * namespace there (a profile a first version made shares the default
 * profile's keychain name), opened once per process.
 */
import type { CredentialId } from '../../core/credential';
import type { KeychainStatus, SecretStore } from '../../core/secret-store';
import type { Caller, UnfinishedChange } from '../../core/views';
import type { ProfileReader, RawProfile } from '../profile/reader';
import type { AuditLog } from '../records/audit-log';
import type { JournalFile } from '../credentials/journal-file';
import { unfinishedChanges } from '../credentials/unfinished';
import type { UsageMarks } from '../records/usage-marks';
import { namespaceSuffix, secretNamespace } from '../secrets/open-secret-store';
import { sidecarPath } from '../profile/paths';
import { stampOf, type FileStamp } from '../profile/secure-fs';
import type { Env } from './env-reads';
import { NeedsFullVault, ReadViews, type ReadView } from './read-view';

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
  journal: Pick<JournalFile, 'read' | 'path'>;
  /** Opens a secret store (the factory, or a test's). */
  openSecrets: (backend: string, namespace: string, extra?: { key?: { identity: string; recipient: string } }) => SecretStore;
  /** The full parser for a profile the light index cannot read. Absent in the fast bundle: reads then throw NeedsFullVault. */
  fullView?: (read: RawProfile) => ReadView;
}

/** The files list shows, by stamp, and where its cache lives (see ReadSources.listingState). */
export interface ListingState {
  cachePath: string;
  dedicatedDir: boolean;
  key: string;
  /** The newest modification or change time among those files (ms). */
  newestMs: number;
}

/** The profile's view and the secret store, for the VaultReader built on it. */
export abstract class ReadSources {
  readonly caller: Caller;
  private store: { key: string; secrets: SecretStore } | undefined;
  private readonly views: ReadViews;

  constructor(protected readonly deps: ReaderDeps) {
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
  protected viewOrNone(): ReadView | undefined {
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
   * a store that cannot answer now is left to the reads to report. With
   * `census` (doctor), the keychain is listed by name too: a value removed
   * outside cpw-vault and an unlisted item beside it leave the count as it was.
   */
  async needsRepair(options: { census?: boolean } = {}): Promise<boolean> {
    const view = this.view();
    if (view?.kind === 'legacy') return false;
    if (this.deps.journal.read().length) return true;
    const store = this.secretStore(view);
    if (!store.count) return false;
    const indexed = view?.index.keychainCount ?? 0;
    try {
      let held = store.names ? await store.names() : undefined;
      if (!held && options.census && store.census) {
        held = await store.census(indexed);
        if (!held) return true;
      }
      if (!held) {
        const count = await store.count();
        // The census only once the count agrees: a locked KeePassXC refuses the count at once, where listing its
        // items opened its unlock dialog and held doctor until the deadline.
        if (count !== indexed || !options.census) return count !== indexed;
        held = await store.list();
      }
      // By name where the store has them at hand: a vault file restored from a backup may hold as many values as
      // the index lists, but not the same ones.
      const metadata = view?.index.metadata ?? {};
      return held.length !== indexed || held.some((id) => metadata[id]?.storage !== 'keychain');
    } catch {
      return false;
    }
  }

  /**
   * What the credential list is made of, for a cache of it (shared/cli/list-cache.ts): the stamps of the profile,
   * its index overlay, the usage marks' folder and the journal, as one key, and the newest time among them.
   * Undefined without a profile of this version to list (none, secrets.json, one the full vault must read first:
   * the view's own checks run here, as for a list without the cache).
   */
  listingState(): ListingState | undefined {
    if (this.view()?.kind !== 'profile') return undefined;
    const paths = this.deps.profile.paths;
    const stamps = [paths.profile, this.deps.profile.overlayFile.path, this.deps.usage.dir, this.deps.journal.path].map(stampOf);
    const part = (s: FileStamp | undefined) => (s ? `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}` : '-');
    return {
      cachePath: sidecarPath(paths, 'profile.listing'),
      dedicatedDir: paths.dedicatedDir,
      key: stamps.map(part).join(' '),
      newestMs: Math.max(...stamps.map((s) => (s ? Math.max(s.mtimeMs, s.ctimeMs) : 0))),
    };
  }

  /** Changes other cpw-vaults started and have not finished (see credentials/unfinished.ts). */
  unfinishedChanges(): UnfinishedChange[] {
    return unfinishedChanges(this.deps.journal.read());
  }

  /** Releases the secret store's connection so the process can exit. */
  close(): void {
    this.store?.secrets.close();
  }

  /** Whether the secret store can be asked now (reachable, unlocked), without reading a secret. */
  keychainStatus(): Promise<KeychainStatus> {
    return this.secretStore().status();
  }
}
