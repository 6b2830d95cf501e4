import type { KeychainReason, KeychainStatus, SecretStore } from '../../core/secret-store';
import { VaultError } from '../../core/errors';
import { DbusConnection, DbusDisconnected, DbusError, DbusTimeout, sessionBusPath, type DbusCall, type DbusMessage } from './dbus/connection';
import type { KeychainDialogs } from './dialogs';
import { describeProvider, providerVersion, providerWarnings, type ProviderInfo } from './provider';
import { bounded, ReadClock } from './read-clock';
import { keychainError, keychainStatus } from './reasons';

type Env = Readonly<Record<string, string | undefined>>;

const SS = 'org.freedesktop.secrets';
const SERVICE_PATH = '/org/freedesktop/secrets';
const DEFAULT_ALIAS_PATH = '/org/freedesktop/secrets/aliases/default';
const SERVICE_IFACE = 'org.freedesktop.Secret.Service';
const ITEM_IFACE = 'org.freedesktop.Secret.Item';
const COLLECTION_IFACE = 'org.freedesktop.Secret.Collection';
const PROMPT_IFACE = 'org.freedesktop.Secret.Prompt';
const PROPS = 'org.freedesktop.DBus.Properties';
const BUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' } as const;
/** keytar's (libsecret's) schema: items carry `xdg:schema`, `service`, `account`, so keytar and secret-tool see ours and we see theirs. */
const SCHEMA = 'org.freedesktop.Secret.Generic';
/** Accounts read per window of getMany (see there). */
const BATCH = 256;
/** Items a census of the namespace may read per call deadline (~8 times what a loaded machine reads). */
const CENSUS_ITEMS = 2_000;
/** A prompt still open after this long is a dialog on screen (KeePassXC answers every CreateItem with a prompt, most of them complete at once). */
const NOTICE_AFTER_MS = 400;
/** A dismissed dialog is not shown again for this long: the rest of the same command (a rollback, a read-back) gets the refusal at once. */
const REFUSAL_MEMORY_MS = 2_000;

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

/** What the prompt was for: says which refusal a dismissed one is. */
type PromptPurpose = 'unlock' | 'access' | 'store' | 'delete';
const PURPOSE_TEXT: Record<PromptPurpose, string> = {
  unlock: 'unlock dialog',
  access: 'access confirmation',
  store: 'confirmation to store the value',
  delete: 'confirmation to delete the value',
};

/**
 * The Secret Service (gnome-keyring, KeePassXC, KWallet) spoken to directly
 * over D-Bus. Items are keytar-compatible (same attributes and label), so
 * vaults written by earlier versions, keytar and `secret-tool lookup` all
 * agree. Unlike keytar (whose libsecret calls block a libuv thread that
 * process exit must join), every call here can be abandoned: it has a
 * deadline, and after a timeout the store answers KEYCHAIN_TIMEOUT at once
 * and closes its socket, so the process exits right away (and a provider
 * drops the prompts of a client that left, so a dialog answered late writes
 * nothing).
 *
 * Dialogs are Secret Service prompts: a locked collection is unlocked
 * through one (KeePassXC's "Unlock Database", gnome-keyring's password
 * prompt), an item the provider wants confirmed (KeePassXC's access
 * dialog) is unlocked through one, and KeePassXC answers every CreateItem
 * (and, by default, every Delete) with one. A prompt is shown, its
 * Completed signal awaited; dismissed is KEYCHAIN_DENIED (an access, store
 * or delete refused) or KEYCHAIN_LOCKED (an unlock cancelled), never
 * "absent"; no answer in time is KEYCHAIN_TIMEOUT.
 */
export class SecretServiceStore implements SecretStore {
  readonly backend = 'keychain' as const;
  private conn: DbusConnection | undefined;
  private session: Promise<string> | undefined;
  private collection: Promise<string> | undefined;
  private state: Promise<{ path: string; locked: boolean }> | undefined;
  private broken: VaultError | undefined;
  private refused: { error: VaultError; at: number } | undefined;
  private provider: Promise<ProviderInfo | undefined> | undefined;
  /** The command's keychain read time, against its deadline (read-clock.ts). */
  private readonly clock: ReadClock;

  constructor(private readonly options: SecretServiceOptions) {
    this.clock = new ReadClock(options.deadlineAt);
  }

  get description(): string {
    return `Secret Service (service "${this.options.service}")`;
  }

  async get(account: string): Promise<string | undefined> {
    const started = Date.now();
    this.prefetchSession();
    await this.defaultCollection(started);
    const { unlocked, locked } = await this.search(account);
    const path = unlocked[0] ?? (locked.length ? (await this.unlockItems(locked.slice(0, 1), started))[0] : undefined);
    if (path === undefined) return undefined;
    const [secret] = (await this.call({ destination: SS, path, interface: ITEM_IFACE, member: 'GetSecret', signature: 'o', body: [await this.openSession()] })).body as [[string, Buffer, Buffer, string]];
    return secret[2].toString('utf8');
  }

  /**
   * Several values at once: the searches are pipelined on the connection, the items to confirm confirmed in one
   * dialog, the secrets fetched in one call — a window of BATCH accounts at a time. gnome-keyring reads a whole
   * burst before it answers any of it (the first of 8,000 searches sent at once was answered after 1.7 s on a
   * loaded machine), so an unbounded burst would look like a keychain that stopped answering.
   */
  async getMany(accounts: readonly string[]): Promise<Map<string, string | undefined>> {
    const started = Date.now();
    const out = new Map<string, string | undefined>();
    const late = (earlierMs = 0) => this.tooSlow(started, `reading ${accounts.length} values of "${this.options.service}": ${out.size} of ${accounts.length} read`, earlierMs);
    return this.batch(late, async () => {
      this.prefetchSession();
      await this.defaultCollection(started);
      for (let i = 0; i < accounts.length; i += BATCH) {
        for (const [a, v] of await this.getWindow(accounts.slice(i, i + BATCH), started)) out.set(a, v);
      }
      return out;
    });
  }

  private async getWindow(accounts: readonly string[], started: number): Promise<Array<[string, string | undefined]>> {
    const found = await Promise.all(accounts.map((a) => this.search(a)));
    const toUnlock = found.filter((f) => !f.unlocked.length && f.locked.length).map((f) => f.locked[0]!);
    if (toUnlock.length) await this.unlockItems(toUnlock, started);
    const chosen = found.map((f) => f.unlocked[0] ?? f.locked[0]);
    const paths = chosen.filter((p): p is string => p !== undefined);
    let secrets = new Map<string, string>();
    if (paths.length) {
      const reply = await this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'GetSecrets', signature: 'aoo', body: [paths, await this.openSession()] });
      secrets = new Map((reply.body[0] as Array<[string, [string, Buffer, Buffer, string]]>).map(([path, s]) => [path, s[2].toString('utf8')]));
    }
    // An item the provider found but did not hand over (it withdrew the access): never "absent".
    if (paths.some((p) => !secrets.has(p))) throw await this.refusal(paths.find((p) => !secrets.has(p))!, 'access');
    return accounts.map((a, i) => [a, chosen[i] === undefined ? undefined : secrets.get(chosen[i]!)]);
  }

  async set(account: string, value: string): Promise<void> {
    const started = Date.now();
    this.clock.wrote();
    const collection = await this.defaultCollection(started);
    const properties: Array<[string, [string, unknown]]> = [
      ['org.freedesktop.Secret.Item.Label', ['s', `${this.options.service}/${account}`]],
      ['org.freedesktop.Secret.Item.Attributes', ['a{ss}', this.attributes(account)]],
    ];
    const secret = [await this.openSession(), Buffer.alloc(0), Buffer.from(value, 'utf8'), 'text/plain; charset=utf8'];
    const reply = await this.call({ destination: SS, path: collection, interface: COLLECTION_IFACE, member: 'CreateItem', signature: 'a{sv}(oayays)b', body: [properties, secret, true] });
    const prompt = reply.body[1] as string;
    if (prompt !== '/' && (await this.prompt(prompt, started, 'store')).dismissed) throw this.refuse(await this.denied('store'));
  }

  async delete(account: string): Promise<boolean> {
    const started = Date.now();
    this.clock.wrote();
    await this.defaultCollection(started);
    const { unlocked, locked } = await this.search(account);
    const items = [...unlocked, ...(locked.length ? await this.unlockItems(locked, started) : [])];
    for (const item of items) {
      const prompt = (await this.call({ destination: SS, path: item, interface: ITEM_IFACE, member: 'Delete' })).body[0] as string;
      if (prompt !== '/' && (await this.prompt(prompt, started, 'delete')).dismissed) throw this.refuse(await this.denied('delete'));
    }
    return items.length > 0;
  }

  /**
   * Every account stored under this namespace (one search). Attributes are
   * readable without the access confirmation an item's secret needs, so a
   * list shows no dialog once the collection is unlocked; an attribute the
   * provider keeps locked is KEYCHAIN_LOCKED, never a shorter list.
   *
   * The Secret Service has no call that returns many items' attributes: one
   * Properties.Get per item, pipelined a window of BATCH at a time (3,000
   * items in 1.7 s on a loaded machine). The whole census has a deadline too:
   * the command's (see batch()), and without one, one call's per
   * CENSUS_ITEMS items. Asked one by one, each within its own deadline,
   * 10,000 items of a keychain busy with a migration took minutes (0.02-1.2 s
   * each) with nothing said.
   */
  async list(): Promise<string[]> {
    const started = Date.now();
    let items: string[] | undefined;
    let read = 0;
    const late = (earlierMs = 0) => this.tooSlow(started, items ? `listing the ${items.length} items of "${this.options.service}": ${read} of ${items.length} read` : `listing the items of "${this.options.service}" (none read yet)`, earlierMs);
    return this.batch(late, async () => {
      await this.defaultCollection(started);
      const reply = await this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'SearchItems', signature: 'a{ss}', body: [[['xdg:schema', SCHEMA], ['service', this.options.service]]] });
      const [unlocked, locked] = reply.body as [string[], string[]];
      const found = (items = [...unlocked, ...locked]);
      const accounts: string[] = [];
      const budget = this.options.timeoutMs * Math.max(1, Math.ceil(found.length / CENSUS_ITEMS));
      return bounded(() => started + budget - Date.now(), () => this.broken ?? this.giveUp(late()), async () => {
        for (let i = 0; i < found.length; i += BATCH) {
          const window = await Promise.all(found.slice(i, i + BATCH).map((item) => this.call({ destination: SS, path: item, interface: PROPS, member: 'Get', signature: 'ss', body: [ITEM_IFACE, 'Attributes'] })));
          for (const attrs of window.map((r) => r.body[0] as [string, Array<[string, string]>])) {
            const account = attrs[1].find(([k]) => k === 'account')?.[1];
            if (account !== undefined) accounts.push(account);
          }
          read += window.length;
        }
        return [...new Set(accounts)].sort();
      });
    });
  }

  /**
   * Items in this namespace, locked ones included: one search, no secret
   * read, no dialog. KeePassXC neither searches a locked database nor
   * answers a search while none is unlocked (it shows its unlock dialog
   * first), so there a locked default collection is KEYCHAIN_LOCKED.
   */
  async count(): Promise<number> {
    const state = await this.collectionState();
    if (state.locked && (await this.providerInfo())?.label === 'KeePassXC') throw keychainError('KEYCHAIN_LOCKED');
    const reply = await this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'SearchItems', signature: 'a{ss}', body: [[['xdg:schema', SCHEMA], ['service', this.options.service]]] });
    const [unlocked, locked] = reply.body as [string[], string[]];
    return unlocked.length + locked.length;
  }

  /** Reachable, a default collection, unlocked; names the provider (its version, whether the bus started it). Never shows a dialog. */
  async status(): Promise<KeychainStatus> {
    let failure: VaultError | undefined;
    try {
      // First: this call is what starts an activatable provider, which can then be named.
      if ((await this.defaultCollectionState()).locked) failure = keychainError('KEYCHAIN_LOCKED');
    } catch (err) {
      if (!(err instanceof VaultError && err.code.startsWith('KEYCHAIN_'))) throw err;
      failure = err;
    }
    let backend = this.description;
    let warnings: string[] = [];
    const info = await this.providerInfo();
    if (info) {
      const version = providerVersion(info);
      backend += ` — provider: ${info.label}${version ? ` ${version}` : ''}${info.activated ? ' (started by D-Bus activation)' : ''}`;
      warnings = providerWarnings(info, version);
    }
    const extra = warnings.length ? { warnings } : {};
    if (!failure) return { ok: true, backend, ...extra };
    return { ...keychainStatus(backend, failure.code as KeychainReason), message: failure.message, ...extra } as KeychainStatus;
  }

  /** Drops the connection and what it learnt, a timeout included: a store used after close() starts afresh (the app's "Check again"). */
  close(): void {
    this.conn?.close();
    this.conn = undefined;
    this.session = undefined;
    this.collection = undefined;
    this.state = undefined;
    this.refused = undefined;
    this.broken = undefined;
  }

  /**
   * Stops talking to a keychain that does not answer: closes the connection, then remembers `reason` so later
   * calls fail at once with it. In that order: close() forgets a timeout (a store used again starts afresh).
   */
  private giveUp(reason: VaultError): VaultError {
    this.close();
    this.broken = reason;
    return reason;
  }

  /**
   * Runs a batch (getMany, list) within the command's deadline (see
   * read-clock.ts). Past it the store gives the keychain up with `late()`
   * (which says how far the batch got): its calls in flight end, and it
   * answers that error from then on, as after a call's timeout. A store given
   * up already keeps its first reason (the census at start that timed out, not
   * "none read" after it).
   */
  private batch<T>(late: (earlierMs: number) => VaultError, work: () => Promise<T>): Promise<T> {
    return this.clock.batch((earlierMs) => this.broken ?? this.giveUp(late(earlierMs)), work);
  }

  /** KEYCHAIN_TIMEOUT for a batch given up at its deadline: `progress` says what it had done, in how long, and after what. */
  private tooSlow(started: number, progress: string, earlierMs: number): VaultError {
    const s = (ms: number) => `${Math.round(ms / 100) / 10} s`;
    const after = earlierMs >= 100 ? `, after ${s(earlierMs)} of earlier keychain reads in this command` : '';
    return keychainError('KEYCHAIN_TIMEOUT', `${progress} in ${s(Date.now() - started)}${after}; the keychain answers too slowly (busy with another change?)`);
  }

  private attributes(account: string): Array<[string, string]> {
    return [['xdg:schema', SCHEMA], ['service', this.options.service], ['account', account]];
  }

  private async search(account: string): Promise<{ unlocked: string[]; locked: string[] }> {
    const reply = await this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'SearchItems', signature: 'a{ss}', body: [this.attributes(account)] });
    const [unlocked, locked] = reply.body as [string[], string[]];
    return { unlocked, locked };
  }

  /**
   * Opens the transfer session alongside the collection check (a read needs it two round trips later): one
   * round trip fewer per read. Opening a session shows no dialog in any provider; its failure is reported by
   * the call that needs it.
   */
  private prefetchSession(): void {
    this.openSession().catch(() => {});
  }

  private openSession(): Promise<string> {
    // "plain": the secret travels over the private session-bus socket to a process of the same user, as with secret-tool.
    this.session ??= this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'OpenSession', signature: 'sv', body: ['plain', ['s', '']] }).then((r) => r.body[1] as string);
    return this.session;
  }

  /**
   * The collection behind the `default` alias and whether it is locked. No
   * collection there (KeePassXC with no group exposed, an empty keyring
   * list) is KEYCHAIN_NO_COLLECTION. Checked before any search: KeePassXC
   * answers a search while nothing is unlocked only after its unlock
   * dialog, which a D-Bus call cannot abandon.
   */
  private async defaultCollectionState(retries = 3): Promise<{ path: string; locked: boolean }> {
    // The alias's own object path answers Locked in the same round trip as ReadAlias (gnome-keyring and
    // KeePassXC export it); a provider that does not is asked by the collection's path next.
    const [path, viaAlias] = await Promise.all([
      this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'ReadAlias', signature: 's', body: ['default'] }).then((r) => r.body[0] as string),
      this.call({ destination: SS, path: DEFAULT_ALIAS_PATH, interface: PROPS, member: 'Get', signature: 'ss', body: [COLLECTION_IFACE, 'Locked'] }).then((r) => (r.body[0] as [string, unknown] | undefined)?.[1], () => undefined),
    ]);
    if (path === '/') {
      const all = (await this.call({ destination: SS, path: SERVICE_PATH, interface: PROPS, member: 'Get', signature: 'ss', body: [SERVICE_IFACE, 'Collections'] }).catch(() => undefined))?.body[0] as [string, string[]] | undefined;
      // Collections but no alias: gnome-keyring, under a burst of writes, has answered so for a moment (seen once in
      // the 200-kill test); asked again a little later before the answer is believed.
      if (all?.[1].length && retries > 0) {
        await new Promise((r) => setTimeout(r, 100));
        return this.defaultCollectionState(retries - 1);
      }
      const label = (await this.providerInfo())?.label ?? 'The provider';
      throw keychainError('KEYCHAIN_NO_COLLECTION', all && !all[1].length ? `${label} exposes no collection at all` : `${label} has collections, none of them behind the "default" alias`);
    }
    if (typeof viaAlias === 'boolean') return { path, locked: viaAlias };
    const locked = (await this.call({ destination: SS, path, interface: PROPS, member: 'Get', signature: 'ss', body: [COLLECTION_IFACE, 'Locked'] })).body[0] as [string, boolean];
    return { path, locked: locked[1] };
  }

  /**
   * {@link defaultCollectionState}, shared by the calls that ask while it is
   * being asked (exec reads its values and counts the namespace at once: two
   * round trips fewer). Never remembered once answered: a long-lived process
   * (the app) must see a collection locked since.
   */
  private collectionState(): Promise<{ path: string; locked: boolean }> {
    if (this.state) return this.state;
    const pending = this.defaultCollectionState();
    this.state = pending;
    const done = () => {
      if (this.state === pending) this.state = undefined;
    };
    pending.then(done, done);
    return pending;
  }

  /** The default collection's path once it exists and is unlocked: a locked one is unlocked through the provider's dialog. */
  private defaultCollection(started: number): Promise<string> {
    this.collection ??= (async () => {
      const { path, locked } = await this.collectionState();
      if (!locked) return path;
      if (!this.canShowDialog()) throw keychainError('KEYCHAIN_LOCKED', 'no display here for its unlock dialog');
      this.assertNotRefused();
      const reply = await this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'Unlock', signature: 'ao', body: [[path]] });
      const [done, prompt] = reply.body as [string[], string];
      if (done.includes(path)) return path;
      const outcome = prompt === '/' ? { dismissed: true, result: [] } : await this.prompt(prompt, started, 'unlock');
      if (outcome.dismissed || !(outcome.result as string[]).includes(path)) throw this.refuse(keychainError('KEYCHAIN_LOCKED', `the unlock dialog of ${await this.label()} was dismissed`));
      return path;
    })();
    const pending = this.collection;
    // A failed check is not remembered: the next call asks again (the user may have unlocked meanwhile).
    pending.catch(() => {
      if (this.collection === pending) this.collection = undefined;
    });
    return pending;
  }

  /** Unlocks items the provider lists as locked in an unlocked collection (KeePassXC: access not yet confirmed), through one dialog. */
  private async unlockItems(items: string[], started: number): Promise<string[]> {
    if (!this.canShowDialog()) throw keychainError('KEYCHAIN_LOCKED', `${await this.label()} wants the access confirmed in a dialog, and there is no display here to show it`);
    this.assertNotRefused();
    const reply = await this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'Unlock', signature: 'ao', body: [items] });
    const [done, prompt] = reply.body as [string[], string];
    const unlocked = new Set(done);
    if (prompt !== '/') {
      const outcome = await this.prompt(prompt, started, 'access');
      if (!outcome.dismissed) for (const p of outcome.result as string[]) unlocked.add(p);
    }
    const refused = items.find((p) => !unlocked.has(p));
    if (refused !== undefined) throw this.refuse(await this.refusal(refused, 'access'));
    return items;
  }

  /** Why `item` stayed locked: its collection is locked (KEYCHAIN_LOCKED) or the access was refused (KEYCHAIN_DENIED). */
  private async refusal(item: string, purpose: PromptPurpose): Promise<VaultError> {
    const collection = item.slice(0, item.lastIndexOf('/'));
    const locked = (await this.call({ destination: SS, path: collection, interface: PROPS, member: 'Get', signature: 'ss', body: [COLLECTION_IFACE, 'Locked'] }).catch(() => undefined))?.body[0] as [string, boolean] | undefined;
    if (locked?.[1]) return keychainError('KEYCHAIN_LOCKED', `the unlock dialog of ${await this.label()} was dismissed`);
    return this.denied(purpose);
  }

  private async denied(purpose: PromptPurpose): Promise<VaultError> {
    return keychainError('KEYCHAIN_DENIED', `${await this.label()} refused: its ${PURPOSE_TEXT[purpose]} was dismissed or denied`);
  }

  /**
   * An unlock or access dialog can be seen only on a display: without
   * DISPLAY / WAYLAND_DISPLAY (ssh, a CI box, a test's private session) none
   * is opened and the locked state is reported at once.
   */
  private canShowDialog(): boolean {
    return !!(this.options.env['DISPLAY'] || this.options.env['WAYLAND_DISPLAY']);
  }

  /** Remembers a dismissed dialog for a moment, so the same command does not show it again (a rollback, a read-back). */
  private refuse(error: VaultError): VaultError {
    this.refused = { error, at: Date.now() };
    return error;
  }

  private assertNotRefused(): void {
    if (this.refused && Date.now() - this.refused.at < REFUSAL_MEMORY_MS) throw this.refused.error;
  }

  /**
   * Shows a prompt and waits for its Completed signal: up to the dialog wait
   * when a person can answer (who is told at once), else what is left of the
   * call's deadline. No answer in time: the connection is closed (the
   * provider drops the prompt, and what it would have done, with the client)
   * and the store answers KEYCHAIN_TIMEOUT from then on.
   */
  private async prompt(path: string, started: number, purpose: PromptPurpose): Promise<{ dismissed: boolean; result: unknown }> {
    this.assertNotRefused();
    const dialogs = this.options.dialogs;
    const end = Math.min(started + this.options.timeoutMs, this.options.deadlineAt ?? Infinity);
    const waitMs = dialogs ? dialogs.waitMs : Math.max(500, end - Date.now());
    await this.call({ ...BUS, member: 'AddMatch', signature: 's', body: [`type='signal',interface='${PROMPT_IFACE}',member='Completed',path='${path}'`] });
    const conn = this.conn!;
    let off = () => {};
    const completed = new Promise<{ dismissed: boolean; result: unknown }>((resolve) => {
      off = conn.onSignal((m) => {
        if (m.path === path && m.interface === PROMPT_IFACE && m.member === 'Completed') resolve({ dismissed: m.body[0] === true, result: (m.body[1] as [string, unknown] | undefined)?.[1] });
      });
    });
    const label = await this.label();
    let notice: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    let shown = false;
    try {
      await this.call({ destination: SS, path, interface: PROMPT_IFACE, member: 'Prompt', signature: 's', body: [''] });
      if (dialogs) {
        shown = true;
        this.clock.dialog(true);
        notice = setTimeout(() => dialogs.notify(`waiting for ${label}: answer its ${PURPOSE_TEXT[purpose]} (up to ${Math.round(waitMs / 1000)} s)…`), NOTICE_AFTER_MS);
      }
      const timedOut = new Promise<undefined>((resolve) => (deadline = setTimeout(() => resolve(undefined), waitMs)));
      const outcome = await Promise.race([completed, timedOut]);
      if (outcome) return outcome;
      // Not Prompt.Dismiss: gnome-keyring-daemon 42.1 crashes on it while its prompter shows (the contract suite saw it);
      // both providers drop the prompt of a client that left, and with it whatever the prompt would have done.
      const broken = new VaultError(
        'KEYCHAIN_TIMEOUT',
        `${keychainError('KEYCHAIN_TIMEOUT').message} (nobody answered ${possessive(label)} ${PURPOSE_TEXT[purpose]} within ${Math.round(waitMs / 1000)} s)`,
        dialogs
          ? `Answer ${label}'s dialog when it shows, then retry (the wait is CPW_KEYCHAIN_DIALOG_TIMEOUT seconds, default 60).`
          : `Nobody can answer ${label}'s dialog here (no terminal, a stage under exec, or CI). Run the command once from a terminal and answer it, or unlock ${label} first; KeePassXC: turn off "Confirm when passwords are retrieved by clients" (Settings → Secret Service Integration).`,
      );
      throw this.giveUp(broken);
    } finally {
      clearTimeout(notice);
      clearTimeout(deadline);
      off();
      if (shown) {
        this.clock.dialog(false);
      }
    }
  }

  /** Who owns org.freedesktop.secrets (asked once per store). */
  private providerInfo(): Promise<ProviderInfo | undefined> {
    this.provider ??= (async () => {
      const pidOf = async (name: string) => (await this.call({ ...BUS, member: 'GetConnectionUnixProcessID', signature: 's', body: [name] })).body[0] as number;
      const pid = await pidOf(SS);
      // The bus answers with pids of its own pid namespace: from a container using the host's bus (its socket shared), the
      // provider's pid names another process in our /proc, or none (doctor said "provider: sleep", and ran a keepassxc
      // found there with --version). The bus must see us under our own pid for its pids to be ours.
      const me = this.conn?.uniqueName;
      if (me && (await pidOf(me)) !== process.pid) return undefined;
      return describeProvider(pid);
    })().catch(() => undefined); // not running yet, or another user's process: the name is only a courtesy
    return this.provider;
  }

  private async label(): Promise<string> {
    return (await this.providerInfo())?.label ?? 'the keychain';
  }

  /** One call with the deadline; every failure becomes a reasoned VaultError. */
  private async call(call: DbusCall): Promise<DbusMessage> {
    if (this.broken) throw this.broken;
    if (!this.conn) {
      const path = sessionBusPath(this.options.env);
      if (!path) throw keychainError('KEYCHAIN_UNAVAILABLE');
      this.conn = DbusConnection.open(path);
    }
    this.clock.call(true);
    try {
      return await this.conn.call(call, this.options.timeoutMs);
    } catch (err) {
      throw this.reason(err, call);
    } finally {
      this.clock.call(false);
    }
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

/** "KeePassXC's", "the keychain's". */
function possessive(label: string): string {
  return `${label}'s`;
}
