import { existsSync } from 'node:fs';
import { isVaultError } from '../../core/errors';
import { VAULT_FILE_REASONS, type CancelSignal, type KeychainStatus, type SecretStore, type VaultFileReason } from '../../core/secret-store';
import { parseVaultContent, serializeVaultContent, type VaultEntries } from '../../core/vault-content';
import { AgentClient } from '../agent/client';
import { notAnswering } from '../agent/lock-agents';
import { agentSocketFor, noAgentError, sameIdentity } from '../agent/socket-dir';
import { withFileLock } from '../profile/file-lock';
import { readVaultIdentity, readPrivateFile, removeTempsOf, writeFileDurably } from './durable-file';
import { vaultNotFound } from './vault-errors';
import { vaultFilesFor, type VaultFiles } from './vault-files';
import { sealOpenable, type Unlocked } from './vault-seal';

type Env = Readonly<Record<string, string | undefined>>;

/** Options of {@link createFileSecretStore}. */
export interface FileStoreOptions {
  /** The profile file: the vault files sit beside it and its lock guards their writes. */
  profilePath: string;
  /** Where to look for the agent's socket (XDG_RUNTIME_DIR, TMPDIR). Default: process.env. */
  env?: Env;
  /**
   * Asks for the passphrase when no agent runs — only given on a terminal.
   * Asked at most once per store (so once per CLI process). Without it a
   * locked vault throws VAULT_LOCKED.
   */
  askPassphrase?: PassphraseAsker | undefined;
  /** A key already unlocked in this process (e.g. just made by createFileVault): no agent, no question. */
  key?: { identity: string; recipient: string };
  lockWaitMs?: number;
  /** Longest wait for one agent answer (default 5 s). */
  agentTimeoutMs?: number;
  /** Pause after a wrong passphrase (default 1 s). */
  wrongPassphraseDelayMs?: number;
}

/**
 * The terminal's part of opening the vault: asks the passphrase, then opens
 * the vault with it (`open`: its scrypt holds the main thread ~2 s). The asker
 * decides what a Ctrl-C during the opening means (the CLI: cancelled).
 */
export type PassphraseAsker = <T>(open: (passphrase: string) => Promise<T>) => Promise<T>;

/**
 * The age vault file backend. Every value lives in one file beside the
 * profile, `<profile>.vault.age` (0600): an age file encrypted to the X25519
 * recipient of the identity in `<profile>.identity.age`, which is itself
 * encrypted with the passphrase. Reads decrypt through the unlock agent
 * when one runs, else with a key unlocked once in this process (after
 * `askPassphrase`), else throw VAULT_LOCKED. Writes re-encrypt the whole
 * file to the recipient (no scrypt) and replace it atomically and durably
 * under the profile's lock. Nothing decrypted is ever written anywhere.
 */
export class FileSecretStore implements SecretStore {
  readonly backend = 'file';
  readonly files: VaultFiles;
  private readonly env: Env;
  private local: { identity: string; recipient: string } | undefined;
  private agent: AgentClient | undefined;
  private asked = false;
  /** The agent connection in flight, shared by every read that needs it meanwhile. */
  private connecting: Promise<AgentClient | undefined> | undefined;
  /** The passphrase question in flight, shared by every read that needs the key meanwhile. */
  private asking: Promise<Unlocked> | undefined;

  constructor(private readonly options: FileStoreOptions) {
    this.files = vaultFilesFor(options.profilePath);
    this.env = options.env ?? process.env;
    this.local = options.key;
  }

  get description(): string {
    return `age vault file ${this.files.vault}`;
  }

  /** The value of `account`, or undefined. Throws VAULT_LOCKED / VAULT_NOT_FOUND / VAULT_CORRUPT / VAULT_PASSPHRASE_WRONG. */
  async get(account: string): Promise<string | undefined> {
    return (await this.readEntries()).get(account);
  }

  /** Several values from one decrypt (each `get` decrypts the whole file). */
  async getMany(accounts: readonly string[]): Promise<Map<string, string | undefined>> {
    const entries = await this.readEntries();
    return new Map(accounts.map((a) => [a, entries.get(a)]));
  }

  /**
   * Stores `value` under `account` (re-encrypts the file; no scrypt). A value the vault already holds writes nothing:
   * the undo of a set whose write failed (a full disk, `ulimit -f`) puts the old value "back" and failed the same
   * way, so a set that changed nothing was reported as one that "may keep the change".
   */
  async set(account: string, value: string): Promise<void> {
    await this.modify((entries) => {
      if (entries.get(account) === value) return false;
      entries.set(account, value);
      return true;
    });
  }

  /**
   * Stores every entry in one rewrite of the file: one decrypt, one encrypt, one durable write (all or none land).
   * `signal` ends a wait for the lock with CANCELLED, nothing written (`backend use file` behind another's lock held a
   * SIGTERM for the 30 s, then failed PROFILE_LOCKED, exit 1).
   */
  async setMany(values: ReadonlyArray<readonly [account: string, value: string]>, options: { signal?: CancelSignal | undefined } = {}): Promise<void> {
    if (!values.length) return;
    await this.modify((entries) => {
      for (const [account, value] of values) entries.set(account, value);
      return true;
    }, options.signal);
  }

  /** Puts every entry back in one rewrite of the file: its value, or removed (undefined). All or none land. */
  async restoreMany(values: ReadonlyArray<readonly [account: string, value: string | undefined]>): Promise<void> {
    await this.modify((entries) => {
      let changed = false;
      for (const [account, value] of values) {
        if (value === undefined) changed = entries.delete(account) || changed;
        else if (entries.get(account) !== value) {
          entries.set(account, value);
          changed = true;
        }
      }
      return changed;
    });
  }

  /**
   * Removes `account`; false when it was not there (the file is then left as it was). `signal` ends a wait for the
   * lock with CANCELLED, nothing removed (a `delete` behind another's lock held a Ctrl-C for 30 s).
   */
  async delete(account: string, options: { signal?: CancelSignal | undefined } = {}): Promise<boolean> {
    return this.modify((entries) => entries.delete(account), options.signal);
  }

  /** Every account name in the vault, sorted. */
  async list(): Promise<string[]> {
    return [...(await this.readEntries()).keys()].sort();
  }

  /**
   * How many values the vault holds: the start-up census that compares the store with the index (a vault file
   * restored from a backup lacks values the index lists, and doctor, which and check then disagreed with get).
   * Only with a key at hand (an agent answers, or one unlocked in this process): never asks the passphrase,
   * throws VAULT_LOCKED instead (a start must not prompt for a census).
   */
  async count(): Promise<number> {
    return (await this.names()).length;
  }

  /** The accounts the vault holds, for the census (see SecretStore.names); like {@link count}, never asks the passphrase. */
  async names(): Promise<string[]> {
    return [...(await this.readEntries(false)).keys()];
  }

  /** Usable now (unlocked in this process, or an agent answers), or why not. Never prompts. */
  async status(): Promise<KeychainStatus> {
    const backend = `age vault file ${this.files.vault}`;
    try {
      this.assertFiles();
      // Both files are read as a read would, before the lock state: a FIFO, a directory or another user's file at
      // either name is that file's problem (PROFILE_INVALID ...), which no unlock would fix, not VAULT_LOCKED.
      const bytes = readPrivateFile(this.files.vault);
      if (!bytes) throw vaultNotFound(this.files.vault, this.files.identity);
      const identity = readVaultIdentity(this.files.identity);
      if (!identity) throw vaultNotFound(this.files.identity, this.files.vault);
      // Unlocked is not enough to say "reachable": the vault must open with that key (a truncated file, or one sealed
      // to another key, is VAULT_CORRUPT here as it is for get). Never a prompt, and the agent as it is now (a fresh
      // connection: one kept from earlier may be to an agent stopped since).
      const opens = async (key: Unlocked) => void parseVaultContent(await key.decrypt(bytes), this.files.vault);
      if (this.local) {
        await opens(this.localKey(this.local));
        return { ok: true, backend: `${backend} (unlocked in this process)` };
      }
      // A connection in flight (a read's, the start-up census's) first: an agent that does not answer is waited on once.
      await this.connecting?.catch(() => undefined);
      const agent = await this.connectAgent();
      if (agent) {
        try {
          await opens({ decrypt: (bytes) => agent.decrypt(bytes, this.files.vault), recipient: agent.hello.recipient, viaAgent: true });
        } finally {
          agent.close();
        }
        return { ok: true, backend: `${backend} (unlocked by agent pid ${agent.hello.pid} until ${agent.hello.expires_at})` };
      }
      // Locked: an identity file no unlock can open is that file's problem (unlock failed on it after doctor sent the user there).
      (await import('./vault-crypto')).assertIdentityWhole(identity, this.files.identity);
      const e = noAgentError(this.files.identity, this.env);
      return { ok: false, backend, code: e.code as VaultFileReason, message: e.message, fix: e.fix };
    } catch (err) {
      if (!isVaultError(err, ...VAULT_FILE_REASONS)) throw err;
      // An agent there that did not answer (stopped, busy, hung) is said as that, from this one attempt (no second
      // probe): doctor's VAULT_LOCKED alone brought the app's unlock form, a passphrase asked while it held the key.
      const silent = notAnswering(err, agentSocketFor(this.files.identity, this.env));
      return { ok: false, backend, code: err.code as VaultFileReason, message: err.message, fix: err.fix, ...(silent ? { agentNotAnswering: silent } : {}) };
    }
  }

  /** Forgets a key unlocked in this process and closes the agent connection, so the process can exit. */
  async close(): Promise<void> {
    this.agent?.close();
    this.agent = undefined;
    this.local = undefined;
  }

  private assertFiles(): void {
    const identity = existsSync(this.files.identity);
    const vault = existsSync(this.files.vault);
    if (!vault) throw vaultNotFound(this.files.vault, identity ? this.files.identity : undefined);
    if (!identity) throw vaultNotFound(this.files.identity, this.files.vault);
  }

  /** The vault's entries; `mayAsk` false: only with a key at hand, never a passphrase question. */
  private async readEntries(mayAsk = true): Promise<VaultEntries> {
    this.assertFiles();
    const bytes = readPrivateFile(this.files.vault);
    if (!bytes) throw vaultNotFound(this.files.vault, this.files.identity);
    const text = await this.withKey((key) => key.decrypt(bytes), mayAsk);
    return parseVaultContent(text, this.files.vault);
  }

  /** Read-modify-write under the profile lock. `change` returns false for "nothing to write". `signal`: see withFileLock. */
  private async modify(change: (entries: VaultEntries) => boolean, signal?: CancelSignal): Promise<boolean> {
    return withFileLock(this.files.profile, async (lock) => {
      removeTempsOf(this.files.vault);
      const entries = await this.readEntries();
      if (!change(entries)) return false;
      const text = serializeVaultContent(entries);
      const bytes = await this.withKey((key) => sealOpenable(key, text, this.files.vault));
      lock.assertHeld();
      writeFileDurably(this.files.vault, bytes);
      return true;
    }, { waitMs: this.options.lockWaitMs, signal });
  }

  /** Runs `fn` with the key; an agent that went away meanwhile is dropped and the key found again, once. */
  private async withKey<T>(fn: (key: Unlocked) => Promise<T>, mayAsk = true): Promise<T> {
    const key = await this.unlock(mayAsk);
    try {
      return await fn(key);
    } catch (err) {
      if (!key.viaAgent || !isVaultError(err, 'VAULT_LOCKED')) throw err;
      this.agent?.close();
      this.agent = undefined;
      return fn(await this.unlock(mayAsk));
    }
  }

  private async unlock(mayAsk = true): Promise<Unlocked> {
    if (this.local) return this.localKey(this.local);
    // Reads side by side (a command's values and the start-up census) share one connection, and one wait on an agent
    // that does not answer (check connected twice and waited 5 s on each, in parallel).
    const agent = this.agent ?? (await (this.connecting ??= this.connectAgent().finally(() => (this.connecting = undefined))));
    if (agent) {
      this.agent = agent;
      return { decrypt: (bytes) => agent.decrypt(bytes, this.files.vault), recipient: agent.hello.recipient, viaAgent: true };
    }
    // Reads that run side by side (a command's values and its repair check) share the one question.
    if (this.asking) return this.asking;
    if (!mayAsk || !this.options.askPassphrase || this.asked) throw noAgentError(this.files.identity, this.env);
    this.asked = true; // once per process: a wrong passphrase is not asked again
    const ask = this.options.askPassphrase;
    this.asking = (async () => {
      const { openIdentity } = await import('./vault-admin');
      const opened = await ask((passphrase) => openIdentity(this.files, passphrase, { wrongDelayMs: this.options.wrongPassphraseDelayMs }));
      this.local = opened.key;
      return this.localKey(opened.key);
    })();
    // A wrong passphrase answers the reads that waited on it; later ones find the vault locked (asked once per process).
    this.asking.catch(() => (this.asking = undefined));
    return this.asking;
  }

  private localKey(key: { identity: string; recipient: string }): Unlocked {
    return {
      decrypt: async (bytes) => (await import('./vault-crypto')).openWithIdentity(bytes, key.identity, this.files.vault),
      recipient: key.recipient,
      viaAgent: false,
    };
  }

  private async connectAgent(): Promise<AgentClient | undefined> {
    // An agent that just did not answer is not waited on again by the next call (check asked it for its read, then for
    // the status that explains a workflow not ready: 10 s): the agent client remembers it, for this whole process
    // (silent-memory.ts). A new agent (an unlock meanwhile: the app's) listens on a new socket file, asked at once.
    const client = await AgentClient.connect(agentSocketFor(this.files.identity, this.env), this.options.agentTimeoutMs);
    if (client && !sameIdentity(client.hello.identity, this.files.identity)) {
      client.close();
      return undefined;
    }
    return client;
  }
}

/** The age vault file backend for a profile (see {@link FileSecretStore}). */
export function createFileSecretStore(options: FileStoreOptions): FileSecretStore {
  return new FileSecretStore(options);
}
