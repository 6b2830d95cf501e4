import type { KeychainStatus, SecretStore } from '../../shared/core/secret-store';
import { keychainError } from '../../shared/node/secrets/reasons';

/**
 * Wraps any SecretStore and fails on purpose: {@link failWrite} makes a
 * later credential write throw once (stash writes, whose account has a `#`,
 * are not counted); {@link breakAfter} makes every call after the next n
 * throw, like a keychain that stopped answering. Used to run the same failure tests on
 * the in-memory store and the real keychain.
 */
export class FailingStore implements SecretStore {
  private failAt: number | undefined;
  private stopAfterFailure = false;
  private breakAt: number | undefined;
  /** Called after each successful credential write (e.g. to abort). */
  onWrite: ((n: number) => void) | undefined;
  /** Called after each delete. */
  onDelete: (() => void) | undefined;
  private writes = 0;
  private calls = 0;

  constructor(private readonly inner: SecretStore) {}

  get backend(): string {
    return this.inner.backend;
  }

  get description(): string {
    return this.inner.description;
  }

  /** The credential write after `k` more successful ones fails (once); with `thenStop`, every call after it fails too (a keychain that stopped answering mid-write, so the undo cannot run). */
  failWrite(k: number, thenStop = false): void {
    this.failAt = this.writes + k;
    this.stopAfterFailure = thenStop;
  }

  /** Answers again (after {@link breakAfter} or a stop). */
  resume(): void {
    this.breakAt = undefined;
  }

  /** After `n` more calls, every call fails with KEYCHAIN_TIMEOUT. */
  breakAfter(n: number): void {
    this.breakAt = this.calls + n;
  }

  private tick(): void {
    if (this.breakAt !== undefined && this.calls >= this.breakAt) throw keychainError('KEYCHAIN_TIMEOUT', 'injected: the keychain stopped answering');
    this.calls++;
  }

  async get(account: string): Promise<string | undefined> {
    this.tick();
    return this.inner.get(account);
  }

  async set(account: string, value: string): Promise<void> {
    this.tick();
    if (!account.includes('#')) {
      if (this.failAt !== undefined && this.writes >= this.failAt) {
        this.failAt = undefined;
        if (this.stopAfterFailure) this.breakAt = this.calls;
        throw keychainError('KEYCHAIN_ERROR', 'injected write failure');
      }
      this.writes++;
    }
    await this.inner.set(account, value);
    if (!account.includes('#')) this.onWrite?.(this.writes);
  }

  async delete(account: string): Promise<boolean> {
    this.tick();
    const had = await this.inner.delete(account);
    this.onDelete?.();
    return had;
  }

  list(): Promise<string[]> {
    this.tick();
    return this.inner.list();
  }

  async count(): Promise<number> {
    this.tick();
    return this.inner.count ? this.inner.count() : (await this.inner.list()).length;
  }

  status(): Promise<KeychainStatus> {
    return this.inner.status();
  }

  close(): void {
    this.inner.close();
  }
}
