/**
 * INTERIM backend choice, until the storage core's `openSecretStore()`
 * factory lands and takes this over (then this file goes away).
 *
 * The one place that reads which backend a profile uses: the profile field
 * `storage.backend` — `"file"` for the age vault file, anything else (or
 * nothing) for the OS keychain. It is read on every call (the profile
 * reader caches by file stamp), so a profile switched by another process is
 * followed; each backend is built once.
 */
import type { KeychainStatus, SecretStore } from '../../core/secret-store';
import type { ProfileReader } from '../profile/reader';
import type { FileSecretStore } from './file-store';
import { KeytarSecretStore } from './keytar-store';

type Env = Readonly<Record<string, string | undefined>>;

/** Which secret store a profile document names. */
export type BackendName = 'keychain' | 'file';

/** The backend a raw (parsed, unvalidated) profile document names: `storage.backend`, default keychain. */
export function backendOf(raw: unknown): BackendName {
  if (raw === null || typeof raw !== 'object') return 'keychain';
  const storage = (raw as Record<string, unknown>)['storage'];
  return storage !== null && typeof storage === 'object' && (storage as Record<string, unknown>)['backend'] === 'file' ? 'file' : 'keychain';
}

/** Options of {@link switchedSecretStore}. */
export interface SwitchOptions {
  reader: ProfileReader;
  env: Env;
  keychainTimeoutMs?: number;
  /** For the file backend on a terminal: asks the passphrase when no agent runs (once per process). */
  askPassphrase?: () => Promise<string>;
}

/** A SecretStore that forwards each call to the backend the profile names now. */
export class SwitchedSecretStore implements SecretStore {
  private keychain: KeytarSecretStore | undefined;
  private file: FileSecretStore | undefined;

  constructor(private readonly options: SwitchOptions) {}

  /** The backend the profile names now (keychain when there is no profile, or for the deprecated secrets.json). */
  backend(): BackendName {
    const read = this.options.reader.readIfAny();
    return read?.kind === 'profile' ? backendOf(read.raw) : 'keychain';
  }

  async get(account: string): Promise<string | undefined> {
    return (await this.pick()).get(account);
  }

  async set(account: string, value: string): Promise<void> {
    return (await this.pick()).set(account, value);
  }

  async delete(account: string): Promise<boolean> {
    return (await this.pick()).delete(account);
  }

  async status(): Promise<KeychainStatus> {
    let store: SecretStore;
    try {
      store = await this.pick();
    } catch {
      // An unreadable profile is doctor's profile problem; the keychain can still be reported.
      store = this.keytar();
    }
    return store.status();
  }

  /** Releases the file backend's agent connection (the keychain holds nothing open). */
  async close(): Promise<void> {
    await this.file?.close();
  }

  private async pick(): Promise<SecretStore> {
    if (this.backend() === 'file') {
      // Loaded only for a file-backend profile: keychain users never pay for it.
      const { createFileSecretStore } = await import('./file-store');
      this.file ??= createFileSecretStore({ profilePath: this.options.reader.paths.profile, env: this.options.env, askPassphrase: this.options.askPassphrase });
      return this.file;
    }
    return this.keytar();
  }

  private keytar(): KeytarSecretStore {
    this.keychain ??= new KeytarSecretStore({ env: this.options.env, ...(this.options.keychainTimeoutMs ? { timeoutMs: this.options.keychainTimeoutMs } : {}) });
    return this.keychain;
  }
}
