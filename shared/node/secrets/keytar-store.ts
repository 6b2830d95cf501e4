import { VaultError } from '../../core/errors';
import type { KeychainStatus, SecretStore } from '../../core/secret-store';
import { keychainError } from './reasons';

type Keytar = typeof import('keytar');

/** Options of the keytar backend. */
export interface KeytarStoreOptions {
  /** Keychain service name: the vault's namespace. */
  service: string;
  /** Deadline of one call. */
  timeoutMs: number;
  /** Injected for tests: how to load keytar. */
  loadKeytar?: () => Keytar;
}

let keytarModule: Keytar | undefined;
function loadKeytarOnce(): Keytar {
  // Loaded on first use, not at import: `cpw-vault --help` and env-only reads never pay for it.
  keytarModule ??= process.getBuiltinModule('node:module').createRequire(import.meta.url)('keytar') as Keytar;
  return keytarModule;
}

/** Maps a keytar/macOS/Windows error text to a reason. */
export function reasonFromMessage(message: string): 'KEYCHAIN_LOCKED' | 'KEYCHAIN_DENIED' | undefined {
  if (/locked/i.test(message)) return 'KEYCHAIN_LOCKED';
  if (/dismissed|cancel|denied|not allowed|user interaction is not allowed/i.test(message)) return 'KEYCHAIN_DENIED';
  return undefined;
}

/**
 * The keytar adapter: the macOS Keychain and the Windows Credential Manager
 * (on Linux the factory speaks to the Secret Service directly, see
 * secret-service.ts). Every call has a deadline; after a timeout the store
 * answers KEYCHAIN_TIMEOUT at once. No plaintext fallback exists.
 */
export class KeytarSecretStore implements SecretStore {
  readonly backend = 'keychain' as const;
  private readonly load: () => Keytar;
  private broken: VaultError | undefined;

  constructor(private readonly options: KeytarStoreOptions) {
    this.load = options.loadKeytar ?? loadKeytarOnce;
  }

  get description(): string {
    const os = process.platform === 'darwin' ? 'macOS Keychain' : process.platform === 'win32' ? 'Windows Credential Manager' : 'OS keychain (keytar)';
    return `${os} (service "${this.options.service}")`;
  }

  async get(account: string): Promise<string | undefined> {
    return (await this.call('read', (k) => k.getPassword(this.options.service, account))) ?? undefined;
  }

  async set(account: string, value: string): Promise<void> {
    await this.call('write', (k) => k.setPassword(this.options.service, account, value));
  }

  async delete(account: string): Promise<boolean> {
    return this.call('delete', (k) => k.deletePassword(this.options.service, account));
  }

  async list(): Promise<string[]> {
    const found = await this.call('list', (k) => k.findCredentials(this.options.service));
    return found.map((c) => c.account).sort();
  }

  async status(): Promise<KeychainStatus> {
    try {
      await this.get('cpw-vault.status-probe');
      return { ok: true, backend: this.description };
    } catch (err) {
      const e = err as VaultError;
      return { ok: false, backend: this.description, code: e.code as never, message: e.message, fix: e.fix };
    }
  }

  close(): void {
    // keytar holds no connection of ours.
  }

  /** Runs one keytar call with the deadline, and turns every failure into a reasoned VaultError. */
  private async call<T>(what: string, fn: (k: Keytar) => Promise<T>): Promise<T> {
    if (this.broken) throw this.broken;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.broken = keychainError('KEYCHAIN_TIMEOUT', `no answer to a ${what} within ${Math.round(this.options.timeoutMs / 1000)} s`);
        reject(this.broken);
      }, this.options.timeoutMs);
    });
    try {
      return await Promise.race([fn(this.load()), timeout]);
    } catch (err) {
      if (err instanceof VaultError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw keychainError(reasonFromMessage(message) ?? 'KEYCHAIN_ERROR', `${what} failed: ${message}`, err);
    } finally {
      clearTimeout(timer);
    }
  }
}
