import type { KeychainReason, KeychainStatus, SecretStore } from '../../shared/core/secret-store';
import { keychainError } from '../../shared/node/secrets/reasons';

/**
 * In-memory SecretStore for fast unit tests. `failWith` makes every call fail
 * with a keychain reason; `failSetAfter` lets n credential writes succeed and
 * fails the next one (once). Writes of the journal's stash accounts (`#` in
 * the name) are not counted; `failStash` fails the next one of those.
 */
export class MemorySecretStore implements SecretStore {
  readonly backend = 'memory';
  readonly description = 'in-memory test store';
  readonly items = new Map<string, string>();
  failWith: KeychainReason | undefined;
  failSetAfter: number | undefined;
  failStash = false;
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
    if (account.includes('#')) {
      if (this.failStash) {
        this.failStash = false;
        throw keychainError('KEYCHAIN_ERROR', 'injected stash failure');
      }
      this.items.set(account, value);
      return;
    }
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

  async list(): Promise<string[]> {
    this.check();
    return [...this.items.keys()].sort();
  }

  async count(): Promise<number> {
    this.check();
    return this.items.size;
  }

  async status(): Promise<KeychainStatus> {
    return this.failWith ? { ok: false, backend: 'memory', code: this.failWith, message: 'fake', fix: 'fake' } : { ok: true, backend: 'memory' };
  }

  close(): void {}

  /** The credential values only (no journal stashes): what a user would see. */
  get credentials(): Map<string, string> {
    return new Map([...this.items].filter(([k]) => !k.includes('#')));
  }
}
