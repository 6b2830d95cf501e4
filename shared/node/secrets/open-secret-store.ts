import { sha256Hex } from '../builtins';
import { VaultError } from '../../core/errors';
import type { SecretStore } from '../../core/secret-store';
import { KeytarSecretStore } from './keytar-store';
import type { KeychainDialogs } from './dialogs';
import type { PassphraseAsker } from './file-store';
import { SecretServiceStore } from './secret-service';

type Env = Readonly<Record<string, string | undefined>>;

/** The keychain service name of the default profile (and of every vault before per-profile namespaces). */
export const DEFAULT_KEYCHAIN_SERVICE = 'cp-whisperx';
/**
 * Longest wait for one secret-store call: 9 s, so that a library call, with
 * its own work around the keychain call (on a busy machine too), rejects
 * within 10 s.
 */
export const DEFAULT_SECRET_TIMEOUT_MS = 9_000;

/** What a backend needs to open. */
export interface SecretStoreRequest {
  /** Backend name, as the profile records it (`keychain`, `file`, or one registered by a test). */
  backend: string;
  /** The namespace inside it: the keychain service name of this profile. */
  namespace: string;
  /** The profile file (a file backend keeps its data beside it). */
  profilePath: string;
  env: Env;
  timeoutMs: number;
  /** A person can answer the keychain's dialogs (a terminal, the app): wait longer for them and say so. Absent: a dialog gets `timeoutMs`. */
  dialogs?: KeychainDialogs | undefined;
  /** The command's deadline (epoch ms), for a dialog nobody is known to answer. */
  deadlineAt?: number | undefined;
  /** The vault file on a terminal: asks the passphrase when no unlock agent runs (once per process). */
  askPassphrase?: PassphraseAsker | undefined;
  /** Longest wait for a live holder of the profile lock (the vault file is written under it). */
  lockWaitMs?: number | undefined;
  /** The vault file: a key already unlocked in this process (a backend switch that just created or opened the vault). */
  key?: { identity: string; recipient: string } | undefined;
}

type BackendFactory = (request: SecretStoreRequest) => SecretStore;

/**
 * The backends. This map (with {@link openSecretStore}) is the only place
 * that decides which backend stores a secret: a new backend is one file in
 * this folder plus one entry here. The keychain is the Secret Service over
 * D-Bus on Linux (abandonable calls, exact lock states) and keytar on macOS
 * and Windows.
 */
const BACKENDS = new Map<string, BackendFactory>([
  [
    'keychain',
    (r) => (process.platform === 'linux'
      ? new SecretServiceStore({ service: r.namespace, env: r.env, timeoutMs: r.timeoutMs, dialogs: r.dialogs, deadlineAt: r.deadlineAt })
      : new KeytarSecretStore({ service: r.namespace, timeoutMs: r.timeoutMs })),
  ],
  [
    // The age-encrypted vault file beside the profile, for hosts without a keychain (file-store.ts).
    // Loaded on first use: keychain users never load age.
    'file',
    (r) => lazyStore('file', `age vault file beside ${r.profilePath}`, async () =>
      (await import('./file-store')).createFileSecretStore({ profilePath: r.profilePath, env: r.env, askPassphrase: r.askPassphrase, ...(r.key ? { key: r.key } : {}), ...(r.lockWaitMs !== undefined ? { lockWaitMs: r.lockWaitMs } : {}) })),
  ],
]);

/** A store built on its first call (a backend whose module is heavy to load). */
function lazyStore(backend: string, description: string, build: () => Promise<SecretStore>): SecretStore {
  let inner: Promise<SecretStore> | undefined;
  let built: SecretStore | undefined;
  const store = () => (inner ??= build().then((s) => (built = s)));
  return {
    backend,
    description,
    get: async (a) => (await store()).get(a),
    getMany: async (as) => {
      const s = await store();
      return s.getMany ? s.getMany(as) : new Map(await Promise.all(as.map(async (a) => [a, await s.get(a)] as const)));
    },
    set: async (a, v) => (await store()).set(a, v),
    // Offered before the store is built, so one without a batch gets the sets one after another.
    setMany: async (entries, options) => {
      const s = await store();
      if (s.setMany) return s.setMany(entries, options);
      for (const [a, v] of entries) await s.set(a, v);
    },
    // Offered before the store is built: one without a batch puts each back in turn, as an undo does without it.
    restoreMany: async (entries) => {
      const s = await store();
      if (s.restoreMany) return s.restoreMany(entries);
      for (const [a, v] of entries) await (v === undefined ? s.delete(a) : s.set(a, v));
    },
    delete: async (a, options) => (await store()).delete(a, options),
    list: async () => (await store()).list(),
    count: async () => {
      const s = await store();
      return s.count ? s.count() : (await s.list()).length;
    },
    names: async () => {
      const s = await store();
      return s.names ? s.names() : undefined;
    },
    status: async () => (await store()).status(),
    close: () => built?.close(),
  };
}

/** Adds a backend by name (tests register the in-memory store this way). Returns a function that removes it. */
export function registerSecretBackend(name: string, factory: BackendFactory): () => void {
  BACKENDS.set(name, factory);
  return () => void BACKENDS.delete(name);
}

/** Opens the secret store a profile records. Throws PROFILE_INVALID for a backend this build does not have. */
export function openSecretStore(request: SecretStoreRequest): SecretStore {
  const factory = BACKENDS.get(request.backend);
  if (!factory) {
    throw new VaultError('PROFILE_INVALID', `The profile stores its secrets in the "${request.backend}" backend, which this cpw-vault does not have.`, `Use a cpw-vault that has it, or switch back: cpw-vault backend use keychain`);
  }
  return factory(request);
}

/**
 * The namespace (keychain service name) of a profile's values. The default
 * profile keeps `cp-whisperx` (so existing vaults and `secret-tool` keep
 * working); another profile gets `cp-whisperx:<id>`, where the id is
 * recorded in the profile (a moved profile keeps its values) or, for a new
 * one, derived from its path. A profile from before namespaces that already
 * holds keychain values keeps the shared name, so nothing becomes unreadable.
 * `CPW_KEYCHAIN_SERVICE` replaces `cp-whisperx` (tests use a throwaway name).
 */
export function secretNamespace(input: { env: Env; isDefault: boolean; recorded: string | undefined; legacyValues: boolean; profilePath: string }): string {
  const base = input.env['CPW_KEYCHAIN_SERVICE'] || DEFAULT_KEYCHAIN_SERVICE;
  const suffix = namespaceSuffix(input);
  return suffix ? `${base}:${suffix}` : base;
}

/** The suffix a profile records (`storage.namespace`): '' for the shared name, else its id. */
export function namespaceSuffix(input: { isDefault: boolean; recorded: string | undefined; legacyValues: boolean; profilePath: string }): string {
  if (input.isDefault) return '';
  if (input.recorded !== undefined) return input.recorded;
  if (input.legacyValues) return '';
  return sha256Hex(input.profilePath).slice(0, 12);
}
