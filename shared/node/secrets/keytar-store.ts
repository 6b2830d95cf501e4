import { createRequire } from 'node:module';
import { VaultError } from '../../core/errors';
import type { KeychainReason, KeychainStatus, SecretStore } from '../../core/secret-store';
import { keychainError, keychainStatus } from './reasons';
import { hasSessionBus, probeSecretService } from './secret-service-probe';

/** The keychain service name every cpw-vault item lives under. */
export const KEYCHAIN_SERVICE = 'cp-whisperx';
/** Default longest wait for one keychain call. */
export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 10_000;

type Keytar = typeof import('keytar');
type Env = Readonly<Record<string, string | undefined>>;

export interface KeytarStoreOptions {
  /** Keychain service name (default `CPW_KEYCHAIN_SERVICE`, else `cp-whisperx`). */
  service?: string;
  timeoutMs?: number;
  env?: Env;
  /** Injected for tests: how to load keytar. */
  loadKeytar?: () => Keytar;
}

let keytarModule: Keytar | undefined;
function loadKeytarOnce(): Keytar {
  // Loaded on first use, not at import: `cpw-vault --help` and env-only reads never pay for it.
  keytarModule ??= createRequire(import.meta.url)('keytar') as Keytar;
  return keytarModule;
}

/** Maps a keytar/libsecret/macOS error text to a reason (the probe confirms on Linux). */
export function reasonFromMessage(message: string): KeychainReason | undefined {
  if (/autolaunch|Could not connect|Failed to connect|No such file or directory.*bus|DBUS_SESSION_BUS_ADDRESS/i.test(message)) return 'KEYCHAIN_UNAVAILABLE';
  if (/not provided by any \.service files|ServiceUnknown/i.test(message)) return 'KEYCHAIN_NO_PROVIDER';
  if (/locked/i.test(message)) return 'KEYCHAIN_LOCKED';
  if (/dismissed|cancel|denied|not allowed|user interaction is not allowed/i.test(message)) return 'KEYCHAIN_DENIED';
  return undefined;
}

/**
 * The keytar adapter: OS keychain (Secret Service on Linux, Keychain on
 * macOS, Credential Manager on Windows). Every call has a timeout; a locked
 * collection is reported as KEYCHAIN_LOCKED, never as "missing"; it never
 * calls findCredentials (it crashes on a locked collection); no plaintext
 * fallback exists.
 */
export class KeytarSecretStore implements SecretStore {
  readonly service: string;
  private readonly timeoutMs: number;
  private readonly env: Env;
  private readonly load: () => Keytar;

  constructor(options: KeytarStoreOptions = {}) {
    this.env = options.env ?? process.env;
    this.service = options.service ?? this.env['CPW_KEYCHAIN_SERVICE'] ?? KEYCHAIN_SERVICE;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_KEYCHAIN_TIMEOUT_MS;
    this.load = options.loadKeytar ?? loadKeytarOnce;
  }

  async get(account: string): Promise<string | undefined> {
    const value = await this.call('read', (k) => k.getPassword(this.service, account));
    if (value !== null) return value;
    // null is "absent" only if the collection is really unlocked.
    await this.assertUsable();
    return undefined;
  }

  async set(account: string, value: string): Promise<void> {
    await this.call('write', (k) => k.setPassword(this.service, account, value));
  }

  async delete(account: string): Promise<boolean> {
    const deleted = await this.call('delete', (k) => k.deletePassword(this.service, account));
    if (!deleted) await this.assertUsable();
    return deleted;
  }

  async status(): Promise<KeychainStatus> {
    const backend = `${process.platform === 'linux' ? 'Secret Service' : process.platform === 'darwin' ? 'macOS Keychain' : 'Windows Credential Manager'} (service "${this.service}")`;
    if (process.platform === 'linux' && !hasSessionBus(this.env)) return keychainStatus(backend, 'KEYCHAIN_UNAVAILABLE');
    const state = await this.probe();
    if (state === 'ready' || state === 'no-default-collection') return { ok: true, backend };
    return keychainStatus(backend, state);
  }

  private probe() {
    return probeSecretService(this.env, Math.min(3000, this.timeoutMs));
  }

  private async assertUsable(): Promise<void> {
    const state = await this.probe();
    if (state !== 'ready' && state !== 'no-default-collection') throw keychainError(state);
  }

  /** Runs one keytar call with the timeout, and turns every failure into a reasoned VaultError. */
  private async call<T>(what: string, fn: (k: Keytar) => Promise<T>): Promise<T> {
    // Without a bus libsecret would try to autolaunch one: answer at once instead.
    if (process.platform === 'linux' && !hasSessionBus(this.env)) throw keychainError('KEYCHAIN_UNAVAILABLE');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(keychainError('KEYCHAIN_TIMEOUT', `no answer to a ${what} within ${Math.round(this.timeoutMs / 1000)} s`)), this.timeoutMs);
    });
    try {
      return await Promise.race([fn(this.load()), timeout]);
    } catch (err) {
      if (err instanceof VaultError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      let reason = reasonFromMessage(message);
      if (process.platform === 'linux' && reason !== 'KEYCHAIN_DENIED') {
        const state = await this.probe();
        if (state !== 'ready' && state !== 'no-default-collection') reason = state;
      }
      throw keychainError(reason ?? 'KEYCHAIN_ERROR', `${what} failed: ${message}`, err);
    } finally {
      clearTimeout(timer);
    }
  }
}
