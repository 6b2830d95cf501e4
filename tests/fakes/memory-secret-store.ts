import type { KeychainReason, KeychainStatus, SecretStore } from '../../shared/core/secret-store';
import { keychainError } from '../../shared/node/secrets/reasons';

/**
 * In-memory SecretStore for fast unit tests. `failWith` makes every call fail
 * with a keychain reason; `failSetAfter` lets n writes succeed and fails the next one (once).
 */
export class MemorySecretStore implements SecretStore {
  readonly items = new Map<string, string>();
  failWith: KeychainReason | undefined;
  failSetAfter: number | undefined;
  writes = 0;

  private check(): void {
    if (this.failWith) throw keychainError(this.failWith);
  }

  async get(account: string): Promise<string | undefined> {
    this.check();
    return this.items.get(account);
  }

  async set(account: string, value: string): Promise<void> {
    this.check();
    if (this.failSetAfter !== undefined && this.writes >= this.failSetAfter) {
      // One injected failure; later writes (a rollback) go through, as they would on a real keychain.
      this.failSetAfter = undefined;
      throw keychainError('KEYCHAIN_ERROR', 'injected write failure');
    }
    this.writes++;
    this.items.set(account, value);
  }

  async delete(account: string): Promise<boolean> {
    this.check();
    return this.items.delete(account);
  }

  async status(): Promise<KeychainStatus> {
    return this.failWith ? { ok: false, backend: 'memory', code: this.failWith, message: 'fake', fix: 'fake' } : { ok: true, backend: 'memory' };
  }
}
