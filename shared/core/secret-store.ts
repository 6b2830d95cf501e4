/**
 * The port every secret goes through. One account per credential
 * (`<service>.<key>`) under one keychain service name.
 */
export interface SecretStore {
  /** The value, or undefined when absent. Throws VaultError(KEYCHAIN_*) when locked/unavailable — never "absent". */
  get(account: string): Promise<string | undefined>;
  /** Stores or replaces the value. Throws VaultError(KEYCHAIN_*). */
  set(account: string, value: string): Promise<void>;
  /** Removes the value; false when there was none. Throws VaultError(KEYCHAIN_*). */
  delete(account: string): Promise<boolean>;
  /** Whether the keychain is usable right now, and if not why (for doctor and the app banner). */
  status(): Promise<KeychainStatus>;
}

/** Why a keychain cannot be used. */
export type KeychainReason = 'KEYCHAIN_UNAVAILABLE' | 'KEYCHAIN_NO_PROVIDER' | 'KEYCHAIN_LOCKED' | 'KEYCHAIN_TIMEOUT' | 'KEYCHAIN_DENIED' | 'KEYCHAIN_ERROR';

/** Why the age vault file backend cannot be used. */
export type VaultFileReason = 'VAULT_LOCKED' | 'VAULT_NOT_FOUND' | 'VAULT_CORRUPT' | 'VAULT_AGENT_UNSAFE';

/** Secret store health: usable, or a reason code with a message and a fix. */
export type KeychainStatus = { ok: true; backend: string } | { ok: false; backend: string; code: KeychainReason | VaultFileReason; message: string; fix: string };
