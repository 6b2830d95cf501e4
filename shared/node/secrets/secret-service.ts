import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { KeychainReason, KeychainStatus, SecretStore } from '../../core/secret-store';
import { VaultError } from '../../core/errors';
import { DbusConnection, DbusDisconnected, DbusError, DbusTimeout, sessionBusPath, type DbusCall, type DbusMessage } from './dbus/connection';
import { keychainError, keychainStatus } from './reasons';

type Env = Readonly<Record<string, string | undefined>>;

const SS = 'org.freedesktop.secrets';
const SERVICE_PATH = '/org/freedesktop/secrets';
const SERVICE_IFACE = 'org.freedesktop.Secret.Service';
const ITEM_IFACE = 'org.freedesktop.Secret.Item';
const COLLECTION_IFACE = 'org.freedesktop.Secret.Collection';
const PROPS = 'org.freedesktop.DBus.Properties';
/** keytar's (libsecret's) schema: items carry `xdg:schema`, `service`, `account`, so keytar and secret-tool see ours and we see theirs. */
const SCHEMA = 'org.freedesktop.Secret.Generic';
/** Accounts read per window of getMany (see there). */
const BATCH = 256;

/** Options of the Secret Service backend. */
export interface SecretServiceOptions {
  /** The keychain `service` attribute: the vault's namespace. */
  service: string;
  env: Env;
  /** Deadline of one call. */
  timeoutMs: number;
}

/**
 * The Secret Service (gnome-keyring, KeePassXC, KWallet) spoken to directly
 * over D-Bus. Items are keytar-compatible (same attributes and label), so
 * vaults written by earlier versions, keytar and `secret-tool lookup` all
 * agree. Unlike keytar (whose libsecret calls block a libuv thread that
 * process exit must join), every call here can be abandoned: it has a
 * deadline, and after a timeout the store answers KEYCHAIN_TIMEOUT at once
 * and closes its socket, so the process exits right away. A locked item is
 * never "absent": the service says which matches are locked.
 */
export class SecretServiceStore implements SecretStore {
  readonly backend = 'keychain' as const;
  private conn: DbusConnection | undefined;
  private session: Promise<string> | undefined;
  private collection: Promise<string> | undefined;
  private broken: VaultError | undefined;

  constructor(private readonly options: SecretServiceOptions) {}

  get description(): string {
    return `Secret Service (service "${this.options.service}")`;
  }

  async get(account: string): Promise<string | undefined> {
    const { unlocked, locked } = await this.search(account);
    if (unlocked.length) {
      const [secret] = (await this.call({ destination: SS, path: unlocked[0]!, interface: ITEM_IFACE, member: 'GetSecret', signature: 'o', body: [await this.openSession()] })).body as [[string, Buffer, Buffer, string]];
      return secret[2].toString('utf8');
    }
    if (locked.length) throw keychainError('KEYCHAIN_LOCKED');
    // Nothing matched. Some providers hide the items of a locked collection entirely: only an unlocked default collection proves absence.
    await this.assertDefaultCollection();
    return undefined;
  }

  /**
   * Several values at once: the searches are pipelined on the connection and the secrets fetched in one call,
   * a window of BATCH accounts at a time. gnome-keyring reads a whole burst before it answers any of it (the
   * first of 8,000 searches sent at once was answered after 1.7 s on a loaded machine), so an unbounded burst
   * would look like a keychain that stopped answering; a window keeps every answer well inside the deadline.
   */
  async getMany(accounts: readonly string[]): Promise<Map<string, string | undefined>> {
    const out = new Map<string, string | undefined>();
    for (let i = 0; i < accounts.length; i += BATCH) {
      for (const [a, v] of await this.getWindow(accounts.slice(i, i + BATCH))) out.set(a, v);
    }
    if ([...out.values()].includes(undefined)) await this.assertDefaultCollection();
    return out;
  }

  private async getWindow(accounts: readonly string[]): Promise<Array<[string, string | undefined]>> {
    const found = await Promise.all(accounts.map((a) => this.search(a)));
    if (found.some((f) => !f.unlocked.length && f.locked.length)) throw keychainError('KEYCHAIN_LOCKED');
    const paths = found.map((f) => f.unlocked[0]).filter((p): p is string => p !== undefined);
    let secrets = new Map<string, string>();
    if (paths.length) {
      const reply = await this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'GetSecrets', signature: 'aoo', body: [paths, await this.openSession()] });
      secrets = new Map((reply.body[0] as Array<[string, [string, Buffer, Buffer, string]]>).map(([path, s]) => [path, s[2].toString('utf8')]));
    }
    return accounts.map((a, i) => [a, found[i]!.unlocked[0] === undefined ? undefined : secrets.get(found[i]!.unlocked[0]!)]);
  }

  async set(account: string, value: string): Promise<void> {
    const collection = await this.assertDefaultCollection();
    const properties: Array<[string, [string, unknown]]> = [
      ['org.freedesktop.Secret.Item.Label', ['s', `${this.options.service}/${account}`]],
      ['org.freedesktop.Secret.Item.Attributes', ['a{ss}', this.attributes(account)]],
    ];
    const secret = [await this.openSession(), Buffer.alloc(0), Buffer.from(value, 'utf8'), 'text/plain; charset=utf8'];
    const reply = await this.call({ destination: SS, path: collection, interface: COLLECTION_IFACE, member: 'CreateItem', signature: 'a{sv}(oayays)b', body: [properties, secret, true] });
    if (reply.body[1] !== '/') throw keychainError('KEYCHAIN_LOCKED', 'the keychain asked to show a dialog before storing');
  }

  async delete(account: string): Promise<boolean> {
    const { unlocked, locked } = await this.search(account);
    if (locked.length) throw keychainError('KEYCHAIN_LOCKED');
    for (const item of unlocked) {
      const reply = await this.call({ destination: SS, path: item, interface: ITEM_IFACE, member: 'Delete' });
      if (reply.body[0] !== '/') throw keychainError('KEYCHAIN_LOCKED', 'the keychain asked to show a dialog before deleting');
    }
    if (!unlocked.length) await this.assertDefaultCollection();
    return unlocked.length > 0;
  }

  /** Every account stored under this namespace (one search). A locked match is KEYCHAIN_LOCKED, never a shorter list. */
  async list(): Promise<string[]> {
    const reply = await this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'SearchItems', signature: 'a{ss}', body: [[['xdg:schema', SCHEMA], ['service', this.options.service]]] });
    const [unlocked, locked] = reply.body as [string[], string[]];
    if (locked.length) throw keychainError('KEYCHAIN_LOCKED');
    const accounts: string[] = [];
    for (const item of unlocked) {
      const attrs = (await this.call({ destination: SS, path: item, interface: PROPS, member: 'Get', signature: 'ss', body: [ITEM_IFACE, 'Attributes'] })).body[0] as [string, Array<[string, string]>];
      const account = attrs[1].find(([k]) => k === 'account')?.[1];
      if (account !== undefined) accounts.push(account);
    }
    return [...new Set(accounts)].sort();
  }

  /** Items in this namespace, locked ones included: one search, no secret read (works while locked). */
  async count(): Promise<number> {
    const reply = await this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'SearchItems', signature: 'a{ss}', body: [[['xdg:schema', SCHEMA], ['service', this.options.service]]] });
    const [unlocked, locked] = reply.body as [string[], string[]];
    return unlocked.length + locked.length;
  }

  async status(): Promise<KeychainStatus> {
    const backend = `${this.description}${await this.providerName()}`;
    try {
      await this.assertDefaultCollection();
      return { ok: true, backend };
    } catch (err) {
      if (err instanceof VaultError && err.code.startsWith('KEYCHAIN_')) return { ...keychainStatus(backend, err.code as KeychainReason), message: err.message } as KeychainStatus;
      throw err;
    }
  }

  close(): void {
    this.conn?.close();
    this.conn = undefined;
  }

  private attributes(account: string): Array<[string, string]> {
    return [['xdg:schema', SCHEMA], ['service', this.options.service], ['account', account]];
  }

  private async search(account: string): Promise<{ unlocked: string[]; locked: string[] }> {
    const reply = await this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'SearchItems', signature: 'a{ss}', body: [this.attributes(account)] });
    const [unlocked, locked] = reply.body as [string[], string[]];
    return { unlocked, locked };
  }

  private openSession(): Promise<string> {
    // "plain": the secret travels over the private session-bus socket to a process of the same user, as with secret-tool.
    this.session ??= this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'OpenSession', signature: 'sv', body: ['plain', ['s', '']] }).then((r) => r.body[1] as string);
    return this.session;
  }

  /** The default collection's path once it is known to exist and be unlocked. */
  private assertDefaultCollection(): Promise<string> {
    this.collection ??= (async () => {
      const alias = (await this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'ReadAlias', signature: 's', body: ['default'] })).body[0] as string;
      if (alias === '/') throw keychainError('KEYCHAIN_NO_COLLECTION');
      const locked = (await this.call({ destination: SS, path: alias, interface: PROPS, member: 'Get', signature: 'ss', body: [COLLECTION_IFACE, 'Locked'] })).body[0] as [string, boolean];
      if (locked[1]) throw keychainError('KEYCHAIN_LOCKED');
      return alias;
    })();
    const pending = this.collection;
    // A failed check is not remembered: the next call asks again (the user may have unlocked meanwhile).
    pending.catch(() => {
      if (this.collection === pending) this.collection = undefined;
    });
    return pending;
  }

  /** " — provider: gnome-keyring-daemon" from the process that owns org.freedesktop.secrets, when it can be told. */
  private async providerName(): Promise<string> {
    try {
      const pid = (await this.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'GetConnectionUnixProcessID', signature: 's', body: [SS] })).body[0] as number;
      const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
      return argv0 ? ` — provider: ${basename(argv0)}` : '';
    } catch {
      return ''; // not running yet, or another user's process: the name is only a courtesy
    }
  }

  /** One call with the deadline; every failure becomes a reasoned VaultError. */
  private async call(call: DbusCall): Promise<DbusMessage> {
    if (this.broken) throw this.broken;
    if (!this.conn) {
      const path = sessionBusPath(this.options.env);
      if (!path) throw keychainError('KEYCHAIN_UNAVAILABLE');
      this.conn = DbusConnection.open(path);
    }
    try {
      return await this.conn.call(call, this.options.timeoutMs);
    } catch (err) {
      throw this.reason(err, call);
    }
  }

  private reason(err: unknown, call: DbusCall): VaultError {
    const what = `${call.member}`;
    if (err instanceof DbusTimeout) {
      // Stop talking to a keychain that does not answer: later calls fail at once and nothing waits on the socket.
      this.broken = keychainError('KEYCHAIN_TIMEOUT', err.message, err);
      this.close();
      return this.broken;
    }
    if (err instanceof DbusDisconnected) {
      this.conn = undefined;
      this.session = undefined;
      return keychainError('KEYCHAIN_UNAVAILABLE', err.message, err);
    }
    if (err instanceof DbusError) {
      if (/ServiceUnknown|NameHasNoOwner/.test(err.name)) return keychainError('KEYCHAIN_NO_PROVIDER', undefined, err);
      if (/NoReply|Timeout/.test(err.name)) return keychainError('KEYCHAIN_TIMEOUT', `${what}: ${err.message}`, err);
      if (/IsLocked/.test(err.name)) return keychainError('KEYCHAIN_LOCKED', undefined, err);
      if (/AccessDenied|NotAuthorized|Denied/i.test(err.name)) return keychainError('KEYCHAIN_DENIED', `${what}: ${err.message}`, err);
      if (/NoSuchObject|UnknownObject/.test(err.name)) return keychainError('KEYCHAIN_NO_COLLECTION', `${what}: ${err.message}`, err);
      return keychainError('KEYCHAIN_ERROR', `${what} failed: ${err.name}: ${err.message}`, err);
    }
    if (err instanceof VaultError) return err;
    return keychainError('KEYCHAIN_ERROR', `${what} failed: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}
