/**
 * What a wait looks at of an AbortSignal (shared/core has neither DOM nor Node types): once `aborted`, the wait ends
 * with CANCELLED, whose cause is `reason` (the signal's name).
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
}

/**
 * The port every secret goes through. A store is opened for one namespace
 * (the keychain service name of one profile) and holds one account per
 * credential (`<service>.<key>`), plus the journal's stash accounts while a
 * transaction runs. Backends: shared/node/secrets/ (chosen in one place,
 * openSecretStore()).
 */
export interface SecretStore {
  /** Which backend this is (`keychain`, `file`, ... as named in the factory). */
  readonly backend: string;
  /** Human description for doctor and the app: what and where. */
  readonly description: string;
  /** The value, or undefined when absent. Throws VaultError(KEYCHAIN_*) when locked/unavailable — never "absent". */
  get(account: string): Promise<string | undefined>;
  /** Several values at once, when the backend can do better than one `get` after another (migration plans, read-backs). */
  getMany?(accounts: readonly string[]): Promise<Map<string, string | undefined>>;
  /** Stores or replaces the value. Throws VaultError(KEYCHAIN_*). */
  set(account: string, value: string): Promise<void>;
  /**
   * Stores several values as one write, when the backend can do better than one `set` after another (the vault file
   * rewrites itself whole on each set: a move or migration of n values wrote it n times). All or none of them land.
   * `signal` ends a wait (the vault file's lock, another process's) with CANCELLED, nothing written. A CANCELLED from
   * it (or from {@link delete}) always means nothing was written: a commit's undo then skips those values.
   */
  setMany?(entries: ReadonlyArray<readonly [account: string, value: string]>, options?: { signal?: CancelSignal | undefined }): Promise<void>;
  /**
   * Puts several accounts back as one write, all or none: each to its value, or removed (undefined). Only where the
   * backend writes a batch so (the vault file): an undo of a move, migration or import of n values rewrote it n times.
   */
  restoreMany?(entries: ReadonlyArray<readonly [account: string, value: string | undefined]>): Promise<void>;
  /**
   * Removes the value; false when there was none. Throws VaultError(KEYCHAIN_*). `signal` ends a wait (the vault
   * file's lock) with CANCELLED, nothing removed.
   */
  delete(account: string, options?: { signal?: CancelSignal | undefined }): Promise<boolean>;
  /** Every account in this namespace (repair). Throws KEYCHAIN_LOCKED rather than returning a partial list. */
  list(): Promise<string[]>;
  /** How many items the namespace holds, locked ones included, when the backend can count cheaply (start-up census). */
  count?(): Promise<number>;
  /**
   * {@link count}, then {@link list} when the count is `expected` (undefined, nothing listed, when it is not), in
   * fewer calls than the two (doctor's census), where the backend can.
   */
  census?(expected: number): Promise<string[] | undefined>;
  /**
   * The accounts held, when the backend reads them all to count anyway (the vault file: one decrypt), so the
   * start-up census compares names, not only how many (a restored vault holding one value fewer and one more
   * counted the same). Undefined where only a count is cheap.
   */
  names?(): Promise<string[] | undefined>;
  /** Whether the store is usable right now, and if not why (for doctor and the app banner). */
  status(): Promise<KeychainStatus>;
  /** Releases connections and timers so the process can exit. The store may be used again afterwards. */
  close(): void;
}

/** Where a backend keeps the values, as messages name it: "the keychain" or "the vault file". */
export function storeName(backend: string): string {
  return backend === 'file' ? 'the vault file' : 'the keychain';
}

/**
 * Where a stored value is, as output shows it: "keychain" (the OS keychain), "file" (the age vault file, the
 * backend's own name) or "profile" (a value that is not a secret). The profile's metadata keeps `storage:
 * 'keychain'` for any value in the secret store, whichever backend holds it (a backend switch moves values and
 * leaves the index as it is; the profile names the backend once), so its word alone said "keychain" for a
 * vault-file value.
 */
export function storedIn(storage: 'keychain' | 'profile' | undefined, backend: string): 'keychain' | 'file' | 'profile' {
  if (storage === 'profile') return 'profile';
  return backend === 'file' ? 'file' : 'keychain';
}

/** Why a keychain cannot be used. */
export type KeychainReason = 'KEYCHAIN_UNAVAILABLE' | 'KEYCHAIN_NO_PROVIDER' | 'KEYCHAIN_LOCKED' | 'KEYCHAIN_TIMEOUT' | 'KEYCHAIN_DENIED' | 'KEYCHAIN_ERROR' | 'KEYCHAIN_NO_COLLECTION';

/**
 * Why the age vault file backend cannot be used: locked, missing, not opening, an unsafe agent folder, or one of
 * its files is not a private regular file of this user (PROFILE_INVALID / _PERMISSIONS / _SYMLINK / _TOO_LARGE,
 * as a read says it) or cannot be read at all (IO_ERROR).
 */
export const VAULT_FILE_REASONS = ['VAULT_LOCKED', 'VAULT_NOT_FOUND', 'VAULT_CORRUPT', 'VAULT_AGENT_UNSAFE', 'PROFILE_INVALID', 'PROFILE_PERMISSIONS', 'PROFILE_SYMLINK', 'PROFILE_TOO_LARGE', 'IO_ERROR'] as const;
export type VaultFileReason = (typeof VAULT_FILE_REASONS)[number];

/**
 * The vault file's unlock agent is alive but did not answer in time, so it may still hold the key (ending it ends
 * that: `cpw-vault lock`, the app's Lock now). `pids` where /proc tells them; `state` where /proc tells it: `stopped`
 * (kill -STOP, a suspended session), `running` (not stopped: busy, e.g. decrypting a large vault file, or hung).
 */
export interface AgentNotAnswering {
  pids: number[];
  state?: 'stopped' | 'running';
}

/**
 * Why an agent that did not answer did not, as far as is known (see {@link AgentNotAnswering}): for "the unlock agent
 * (pid N) <this>". A busy agent was said to be "stopped or hung" (a vault file near 16 MiB decrypting for > 5 s).
 */
export function notAnsweringWhy(a: AgentNotAnswering): string {
  if (a.state === 'stopped') return 'is stopped (kill -STOP, a suspended session) and did not answer';
  if (a.state === 'running') return 'runs but did not answer in time: busy (a large vault file being decrypted) or hung';
  return 'did not answer (stopped, busy or hung)';
}

/**
 * How to resume an agent stopped with kill -STOP (a suspended session): SIGCONT, and it serves the vault again, unlocked
 * as it was. Undefined unless /proc told it stopped and its pids. The one wording of it: `doctor` and `backend` add
 * it after `cpw-vault lock`, the app after Lock now (its card on every screen, and Security).
 */
export function resumeStopped(a: AgentNotAnswering): string | undefined {
  return a.state === 'stopped' && a.pids.length ? `resume it, unlocked as it was: kill -CONT ${a.pids.join(' ')}` : undefined;
}

/**
 * The process owning the Secret Service (gnome-keyring, KeePassXC) when it did not answer (KEYCHAIN_TIMEOUT), as the
 * session bus named it and /proc tells it: `stopped` (kill -STOP, a suspended session), `traced` (held by a debugger),
 * `running` (not stopped: a dialog waiting, busy or hung). `otherUser`: not this user's (a system keyring), so not
 * this user's to resume.
 */
export interface ProviderNotAnswering {
  pid: number;
  label: string;
  state?: 'stopped' | 'traced' | 'running';
  otherUser?: boolean;
}

/**
 * What doctor, `check` and the app say of a provider that did not answer: `why` follows the timeout's message, `fix`
 * (when /proc told more than the standard fix knows) replaces its fix. A stopped one resumes with SIGCONT, from its
 * own user only: the keychain said only "did not answer within N s", with no word that it is stopped nor how to go on.
 */
export function providerNotAnsweringText(p: ProviderNotAnswering): { why: string; fix?: string } {
  const who = `${p.label} (pid ${p.pid}${p.otherUser ? ", another user's process" : ''})`;
  if (p.state === 'traced') return { why: `${who} is stopped by a debugger (tracing stop).`, fix: 'Let it go on in its debugger (or detach the debugger), and retry.' };
  if (p.state !== 'stopped') return { why: p.state === 'running' ? `${who} is running but did not answer: a dialog waiting, busy or hung.` : `${who} did not answer.` };
  const why = `${who} is stopped (kill -STOP, a suspended session).`;
  if (p.otherUser) return { why, fix: `Only its user (or root) can resume it, as that user: kill -CONT ${p.pid}` };
  return { why, fix: `Resume it, then retry: kill -CONT ${p.pid}` };
}

/** Secret store health: usable, or a reason code with a message and a fix. */
export type KeychainStatus = ({ ok: true; backend: string } | { ok: false; backend: string; code: KeychainReason | VaultFileReason; message: string; fix: string }) & {
  /** Things doctor should say about the backend even when it works (a provider version with a known defect, a provider the bus started by itself). */
  warnings?: string[];
  /** The vault file backend, VAULT_LOCKED: its unlock agent is there but did not answer (not "locked": it may hold the key). */
  agentNotAnswering?: AgentNotAnswering;
  /** The keychain, KEYCHAIN_TIMEOUT: the process owning the Secret Service, found stopped or not ({@link providerNotAnsweringText}). */
  providerNotAnswering?: ProviderNotAnswering;
};
