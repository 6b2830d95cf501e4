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
  /** Injected for tests: the OS whose keychain keytar speaks to (its name and fix in messages). */
  platform?: NodeJS.Platform;
}

/** The account status() reads: its answer, not its value, tells whether the keychain works. */
const PROBE = 'cpw-vault.status-probe';

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
    return `${keychainName(this.options.platform ?? process.platform)} (service "${this.options.service}")`;
  }

  async get(account: string): Promise<string | undefined> {
    return (await this.call('read', (k) => k.getPassword(this.options.service, account), account)) ?? undefined;
  }

  async set(account: string, value: string): Promise<void> {
    await this.call('write', (k) => k.setPassword(this.options.service, account, value), account);
  }

  async delete(account: string): Promise<boolean> {
    return this.call('delete', (k) => k.deletePassword(this.options.service, account), account);
  }

  async list(): Promise<string[]> {
    const found = await this.call('list', (k) => k.findCredentials(this.options.service));
    return found.map((c) => c.account).sort();
  }

  async status(): Promise<KeychainStatus> {
    try {
      await this.get(PROBE);
      return { ok: true, backend: this.description };
    } catch (err) {
      const e = err as VaultError;
      return { ok: false, backend: this.description, code: e.code as never, message: e.message, fix: e.fix };
    }
  }

  close(): void {
    // keytar holds no connection of ours.
  }

  /** Runs one keytar call (on `account`, if one) with the deadline, and turns every failure into a reasoned VaultError. */
  private async call<T>(what: string, fn: (k: Keytar) => Promise<T>, account?: string): Promise<T> {
    if (this.broken) throw this.broken;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.broken = this.timedOut(what, account);
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

  /**
   * KEYCHAIN_TIMEOUT naming what was asked (the account, never a value), of which keychain, after how long, and the fix
   * for that OS: it said "no answer to a read within 9 s" with gnome-keyring's fix, on a Mac or Windows.
   */
  private timedOut(what: string, account: string | undefined): VaultError {
    const platform = this.options.platform ?? process.platform;
    const asked = account === undefined ? `a ${what} of its entries` : account === PROBE ? 'a status check' : `a ${what} of ${account}`;
    const detail = `no answer from the ${keychainName(platform)} to ${asked} within ${Math.round(this.options.timeoutMs / 100) / 10} s`;
    const e = keychainError('KEYCHAIN_TIMEOUT', detail);
    const fix = TIMEOUT_FIX[platform];
    return fix ? new VaultError(e.code, e.message, fix) : e;
  }
}

/** The keychain keytar speaks to on `platform`. */
function keychainName(platform: NodeJS.Platform): string {
  return platform === 'darwin' ? 'macOS Keychain' : platform === 'win32' ? 'Windows Credential Manager' : 'OS keychain (keytar)';
}

/** What to do when the keychain of each OS keytar serves did not answer (elsewhere: the Secret Service's standard fix). */
const TIMEOUT_FIX: Partial<Record<NodeJS.Platform, string>> = {
  darwin: 'A Keychain dialog (unlock, or allow access) may be waiting, perhaps behind other windows: answer it and retry. If none is, unlock the login keychain (security unlock-keychain) and retry; if it still does not answer, log out and in.',
  win32: 'A Windows Security prompt may be waiting, perhaps behind other windows: answer it and retry. If none is, restart the Credential Manager service (services.msc → Credential Manager → Restart), or sign out and in, and retry.',
};
