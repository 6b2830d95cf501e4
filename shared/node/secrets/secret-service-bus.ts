import { VaultError } from '../../core/errors';
import { DbusConnection, DbusDisconnected, DbusError, DbusTimeout, sessionBusPath, type DbusCall, type DbusMessage } from './dbus/connection';
import type { KeychainDialogs } from './dialogs';
import { describeProvider, silentProvider, type ProviderInfo } from './provider';
import { providerNotAnsweringText } from '../../core/secret-store';
import { ReadClock } from './read-clock';
import { descriptorShortage } from '../profile/file-access';
import { busPathTooLongError, keychainError, noSessionBusError } from './reasons';
import { busPathOverflow } from './dbus/bus-address';

type Env = Readonly<Record<string, string | undefined>>;

/** The Secret Service's D-Bus names, shared by the store's layers (secret-service-access.ts, secret-service.ts). */
export const SS = 'org.freedesktop.secrets';
export const SERVICE_PATH = '/org/freedesktop/secrets';
export const DEFAULT_ALIAS_PATH = '/org/freedesktop/secrets/aliases/default';
export const SERVICE_IFACE = 'org.freedesktop.Secret.Service';
export const ITEM_IFACE = 'org.freedesktop.Secret.Item';
export const COLLECTION_IFACE = 'org.freedesktop.Secret.Collection';
export const PROMPT_IFACE = 'org.freedesktop.Secret.Prompt';
export const PROPS = 'org.freedesktop.DBus.Properties';
export const BUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' } as const;

/** Options of the Secret Service backend. */
export interface SecretServiceOptions {
  /** The keychain `service` attribute: the vault's namespace. */
  service: string;
  env: Env;
  /** Deadline of one call (and of a dialog nobody is known to be able to answer). */
  timeoutMs: number;
  /** A person can answer the provider's dialogs: the longer wait and the notice (dialogs.ts). */
  dialogs?: KeychainDialogs | undefined;
  /** The command's own deadline (epoch ms): a dialog nobody is known to answer is given up by then (the CLI: 9.8 s after start). */
  deadlineAt?: number | undefined;
}

/**
 * The conversation with the Secret Service under {@link SecretServiceStore}
 * (secret-service.ts): one call at a time with its deadline, its failures as
 * reasoned VaultErrors, the transfer session, the provider's name, and
 * giving up on a keychain that does not answer.
 */
export abstract class SecretServiceBus {
  protected conn: DbusConnection | undefined;
  private session: Promise<string> | undefined;
  protected broken: VaultError | undefined;
  private provider: Promise<ProviderInfo | undefined> | undefined;
  /** The command's keychain read time, against its deadline (read-clock.ts). */
  protected readonly clock: ReadClock;
  /**
   * When a call to the keychain last got an answer: a reply, or an error reply (also one the bus gives for it, NoReply
   * after its own 25 s: rarely before a call's deadline). The bus's answers to calls to the bus do not count.
   */
  protected answeredAt = 0;
  /**
   * The pid of the provider, asked of the bus (which answers: it is not the provider) once calls to the provider went
   * unanswered for half a call's deadline: a store given up on it can still say whether it is stopped (status()).
   * Asked then, within that deadline, on the connection the timeout closes; never when the provider answers.
   */
  protected silentOwner: Promise<number | undefined> | undefined;
  /** silentOwner's answer once it came: giveUp names that provider in the timeout itself (see there). */
  private silentPid: number | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private pendingCalls = 0;

  constructor(protected readonly options: SecretServiceOptions) {
    this.clock = new ReadClock(options.deadlineAt);
  }

  /** Drops the connection and what it learnt, a timeout included: a store used after close() starts afresh (the app's "Check again"). */
  close(): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
    this.conn?.close();
    this.conn = undefined;
    this.session = undefined;
    this.broken = undefined;
  }

  /**
   * Stops talking to a keychain that does not answer: closes the connection, then remembers `reason` so later
   * calls fail at once with it. In that order: close() forgets a timeout (a store used again starts afresh).
   */
  protected giveUp(reason: VaultError): VaultError {
    const told = this.namingSilentProvider(reason);
    this.close();
    this.broken = told;
    return told;
  }

  /**
   * A KEYCHAIN_TIMEOUT with what /proc tells of the provider that went silent, as status() says it: a stopped one and
   * its kill -CONT. Only doctor and check said so; get, env, exec, git's credential helper and the library said
   * "a dialog may be waiting on screen ... restart the keyring daemon or log out", for a daemon SIGCONT resumes.
   */
  private namingSilentProvider(reason: VaultError): VaultError {
    const silent = reason.code === 'KEYCHAIN_TIMEOUT' && this.silentPid !== undefined ? silentProvider(this.silentPid) : undefined;
    if (!silent) return reason;
    const text = providerNotAnsweringText(silent);
    return new VaultError(reason.code, `${reason.message} ${text.why}`, text.fix ?? reason.fix, { cause: reason.cause });
  }

  /**
   * Opens the transfer session alongside the collection check (a read needs it two round trips later): one
   * round trip fewer per read. Opening a session shows no dialog in any provider; its failure is reported by
   * the call that needs it.
   */
  protected prefetchSession(): void {
    this.openSession().catch(() => {});
  }

  protected openSession(): Promise<string> {
    if (!this.session) {
      // "plain": the secret travels over the private session-bus socket to a process of the same user, as with secret-tool.
      const opening = this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'OpenSession', signature: 'sv', body: ['plain', ['s', '']] }).then((r) => r.body[1] as string);
      this.session = opening;
      // One that failed (no provider yet, a daemon restarting) is not kept: the next call asks again.
      opening.catch(() => {
        if (this.session === opening) this.session = undefined;
      });
    }
    return this.session;
  }

  /**
   * A call that carries the transfer session (`make` puts it in the body). A provider forgets its sessions when it
   * restarts (gnome-keyring after its abort, a logout and login, KeePassXC reopened) and answers NoSession to the one
   * this store opened: the session is opened again, once, and the call repeated. Kept, it failed every read with
   * KEYCHAIN_ERROR for the life of the process (a long-running stage, the app) while the CLI read the same value.
   * Repeating is safe: a call refused for its session did nothing.
   */
  protected async callInSession(make: (session: string) => DbusCall): Promise<DbusMessage> {
    const session = await this.openSession();
    try {
      return await this.call(make(session));
    } catch (err) {
      if (!(err instanceof VaultError && err.cause instanceof DbusError && /NoSession/.test(err.cause.name))) throw err;
      if (this.session && (await this.session.catch(() => undefined)) === session) this.session = undefined;
      return this.call(make(await this.openSession()));
    }
  }

  /** Who owns org.freedesktop.secrets (asked once per store). */
  protected providerInfo(): Promise<ProviderInfo | undefined> {
    this.provider ??= (async () => {
      const pidOf = async (name: string) => (await this.call({ ...BUS, member: 'GetConnectionUnixProcessID', signature: 's', body: [name] })).body[0] as number;
      // The bus answers with pids of its own pid namespace: from a container using the host's bus (its socket shared), the
      // provider's pid names another process in our /proc, or none (doctor said "provider: sleep", and ran a keepassxc
      // found there with --version). The bus must see us under our own pid for its pids to be ours. Both asked at once.
      // Our name is known once the bus has answered our Hello: before that (no call made yet), after the provider's pid.
      const name = this.conn?.uniqueName;
      const [pid, ours] = await Promise.all([pidOf(SS), name && pidOf(name)]);
      const me = name ?? this.conn?.uniqueName;
      if (me && (ours ?? (await pidOf(me))) !== process.pid) return undefined;
      return describeProvider(pid);
    })().catch(() => undefined); // not running yet, or another user's process: the name is only a courtesy
    return this.provider;
  }

  protected async label(): Promise<string> {
    return (await this.providerInfo())?.label ?? 'the keychain';
  }

  /** One call with the deadline; every failure becomes a reasoned VaultError. */
  protected async call(call: DbusCall): Promise<DbusMessage> {
    if (this.broken) throw this.broken;
    if (!this.conn) {
      const path = sessionBusPath(this.options.env);
      if (!path) throw noSessionBusError(this.options.env);
      // Refused before either socket tries it: node:net connected to the path cut to 107 bytes (another file).
      const overflow = busPathOverflow(path);
      if (overflow) throw busPathTooLongError(path, overflow, this.options.env);
      this.conn = DbusConnection.open(path);
    }
    this.clock.call(true);
    const toProvider = call.destination === SS;
    if (toProvider) this.watchSilence(this.conn, 1);
    try {
      const reply = await this.conn.call(call, this.options.timeoutMs);
      if (toProvider) this.answered();
      return reply;
    } catch (err) {
      if (err instanceof DbusError && toProvider) this.answered();
      throw this.reason(err, call);
    } finally {
      this.clock.call(false);
      if (toProvider) this.pendingCalls--;
    }
  }

  private answered(): void {
    this.answeredAt = Date.now();
    this.silentOwner = undefined;
    this.silentPid = undefined;
    clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
    // Others still wait: a new half deadline from this answer.
    if (this.conn && this.pendingCalls > 1) this.watchSilence(this.conn, 0);
  }

  /** Counts a call to the provider sent on `conn` (`sent`: 1), and asks the bus for its pid if none is answered for half a deadline. */
  private watchSilence(conn: DbusConnection, sent: number): void {
    this.pendingCalls += sent;
    if (this.silenceTimer) return;
    const half = this.options.timeoutMs / 2;
    this.silenceTimer = setTimeout(() => {
      this.silenceTimer = undefined;
      const path = sessionBusPath(this.options.env);
      if (!(this.conn === conn && path)) return;
      const asked = ownerPid(path, half);
      this.silentOwner = asked;
      void asked.then((pid) => {
        if (this.silentOwner === asked) this.silentPid = pid;
      });
    }, half);
    this.silenceTimer.unref();
  }

  private reason(err: unknown, call: DbusCall): VaultError {
    const what = `${call.member}`;
    if (err instanceof DbusTimeout) {
      // Stop talking to a keychain that does not answer: later calls fail at once and nothing waits on the socket.
      return this.giveUp(keychainError('KEYCHAIN_TIMEOUT', err.message, err));
    }
    if (err instanceof DbusDisconnected) {
      // Closed by us after a timeout (a pipelined call, or one waiting beside an abandoned dialog): the timeout is the reason.
      if (this.broken) return this.broken;
      this.conn = undefined;
      this.session = undefined;
      // No descriptor left for the socket: the bus is there, "no D-Bus session bus" would send the user looking for it.
      const short = descriptorShortage(err);
      if (short) return new VaultError('KEYCHAIN_UNAVAILABLE', `The keychain cannot be reached: ${short.why}.`, short.fix, { cause: err });
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

/**
 * The pid of the process owning org.freedesktop.secrets, asked of the bus at `path` within `ms`; undefined when none
 * owns it or the bus's pids are not ours (another pid namespace: see providerInfo). On a connection of its own: the
 * bus's answers on the store's would count as the provider's progress there, and push its calls' deadline back.
 */
async function ownerPid(path: string, ms: number): Promise<number | undefined> {
  const conn = DbusConnection.open(path);
  const pidOf = async (name: string) => (await conn.call({ ...BUS, member: 'GetConnectionUnixProcessID', signature: 's', body: [name] }, ms)).body[0] as number;
  try {
    const pid = await pidOf(SS);
    // Our name is known once that is answered: Hello was sent first.
    return conn.uniqueName && (await pidOf(conn.uniqueName)) === process.pid ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    conn.close();
  }
}
