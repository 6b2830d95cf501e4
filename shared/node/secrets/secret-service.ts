import { counted } from '../../core/plural';
import { providerNotAnsweringText, type KeychainReason, type KeychainStatus, type SecretStore } from '../../core/secret-store';
import { VaultError } from '../../core/errors';
import { providerVersion, providerWarnings, silentProvider } from './provider';
import { bounded } from './read-clock';
import { DbusTimeout } from './dbus/connection';
import { keychainError, keychainStatus } from './reasons';
import { SecretServiceAccess } from './secret-service-access';
import { COLLECTION_IFACE, ITEM_IFACE, PROPS, SERVICE_IFACE, SERVICE_PATH, SS } from './secret-service-bus';

export type { SecretServiceOptions } from './secret-service-bus';

/** keytar's (libsecret's) schema: items carry `xdg:schema`, `service`, `account`, so keytar and secret-tool see ours and we see theirs. */
const SCHEMA = 'org.freedesktop.Secret.Generic';
/** Accounts read per window of getMany (see there). */
const BATCH = 256;
/** Items a census of the namespace may read per call deadline (~8 times what a loaded machine reads). */
const CENSUS_ITEMS = 2_000;

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
 */
export class SecretServiceStore extends SecretServiceAccess implements SecretStore {
  readonly backend = 'keychain' as const;

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
    const [secret] = (await this.callInSession((session) => ({ destination: SS, path, interface: ITEM_IFACE, member: 'GetSecret', signature: 'o', body: [session] }))).body as [[string, Buffer, Buffer, string]];
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
    const late = (earlierMs = 0, unanswered?: string) => this.tooSlow(started, `reading ${counted(accounts.length, 'value')} of "${this.options.service}": ${out.size} of ${accounts.length} read`, earlierMs, unanswered);
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
      const reply = await this.callInSession((session) => ({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'GetSecrets', signature: 'aoo', body: [paths, session] }));
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
    const secret = (session: string) => [session, Buffer.alloc(0), Buffer.from(value, 'utf8'), 'text/plain; charset=utf8'];
    const reply = await this.callInSession((session) => ({ destination: SS, path: collection, interface: COLLECTION_IFACE, member: 'CreateItem', signature: 'a{sv}(oayays)b', body: [properties, secret(session), true] }));
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
  list(): Promise<string[]> {
    return this.accountsOf(async (started) => {
      await this.defaultCollection(started);
      return this.listable(await this.search(), started);
    });
  }

  /**
   * {@link count} and, when it is `expected`, {@link list} from the count's own search and collection check: doctor's
   * census, two round trips fewer than a count then a list (which asked both again). Undefined, with nothing listed,
   * when the namespace holds another number of items. The count is asked as {@link count} is, before the listing's
   * batch: a keychain that does not answer it is said as a count's call ("no answer to ReadAlias"), not as a listing
   * that never began ("listing the items (none read yet)", what doctor said of a stopped daemon once inside the batch).
   */
  async census(expected: number): Promise<string[] | undefined> {
    const items = await this.countedItems();
    if (items.length !== expected) return undefined;
    // A locked collection is unlocked as list() would (its dialog, where one can be shown); an unlocked one is not asked again.
    return this.accountsOf(async (started) => {
      await this.defaultCollection(started);
      return items;
    });
  }

  /**
   * Items in this namespace, locked ones included: one search, no secret
   * read, no dialog. KeePassXC neither searches a locked database nor
   * answers a search while none is unlocked (it shows its unlock dialog
   * first), so there a locked default collection is KEYCHAIN_LOCKED.
   */
  async count(): Promise<number> {
    return (await this.countedItems()).length;
  }

  private async countedItems(): Promise<string[]> {
    const state = await this.collectionState();
    // An unlocked collection just checked is not asked again by the reads that follow: exec counts the namespace (its
    // repair check) and then reads its workflow's values, and asked the collection twice (two calls more per exec).
    this.knownCollection(state);
    if (state.locked && (await this.providerInfo())?.label === 'KeePassXC') throw this.canShowDialog() ? keychainError('KEYCHAIN_LOCKED') : await this.lockedHere(state.path);
    const { unlocked, locked } = await this.search();
    return [...unlocked, ...locked];
  }

  /** The accounts of the items `find` finds, read within the command's deadline (see list()). */
  private accountsOf(find: (started: number) => Promise<string[]>): Promise<string[]> {
    const started = Date.now();
    let items: string[] | undefined;
    let read = 0;
    const late = (earlierMs = 0, unanswered?: string) => this.tooSlow(started, items ? `listing the ${items.length === 1 ? '1 item' : `${items.length} items`} of "${this.options.service}": ${read} of ${items.length} read` : `listing the items of "${this.options.service}" (none read yet)`, earlierMs, unanswered);
    return this.batch(late, async () => {
      const found = (items = await find(started));
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

  /** Reachable, a default collection, unlocked; names the provider (its version, whether the bus started it). Never shows a dialog. */
  async status(): Promise<KeychainStatus> {
    let failure: VaultError | undefined;
    // A provider that answered already is named while its collection is asked (one round trip, not three: doctor).
    // One that has not may be started by that call (D-Bus activation): named after it.
    const early = this.answeredAt ? this.providerInfo() : undefined;
    try {
      if ((await this.defaultCollectionState()).locked) failure = keychainError('KEYCHAIN_LOCKED');
    } catch (err) {
      if (!(err instanceof VaultError && err.code.startsWith('KEYCHAIN_'))) throw err;
      failure = err;
    }
    let backend = this.description;
    let warnings: string[] = [];
    const info = await (early ?? this.providerInfo());
    if (info) {
      const version = providerVersion(info);
      backend += ` — provider: ${info.label}${version ? ` ${version}` : ''}${info.activated ? ' (started by D-Bus activation)' : ''}`;
      warnings = providerWarnings(info, version);
    }
    const extra = warnings.length ? { warnings } : {};
    if (!failure) return { ok: true, backend, ...extra };
    // A provider that did not answer: stopped (kill -CONT resumes it) or not, as the bus and /proc tell it.
    const pid = failure.code === 'KEYCHAIN_TIMEOUT' ? await this.silentOwner : undefined;
    const silent = pid === undefined ? undefined : silentProvider(pid);
    const text = silent && providerNotAnsweringText(silent);
    // A timeout given up on a provider already known silent says so itself (giveUp): not twice.
    const said = { message: text && !failure.message.includes(text.why) ? `${failure.message} ${text.why}` : failure.message, fix: text?.fix ?? failure.fix, ...(silent ? { providerNotAnswering: silent } : {}) };
    return { ...keychainStatus(backend, failure.code as KeychainReason), ...said, ...extra } as KeychainStatus;
  }

  /**
   * Runs a batch (getMany, list) within the command's deadline (see
   * read-clock.ts). Past it the store gives the keychain up with `late()`
   * (which says how far the batch got): its calls in flight end, and it
   * answers that error from then on, as after a call's timeout. A store given
   * up already keeps its first reason (the census at start that timed out, not
   * "none read" after it).
   */
  private async batch<T>(late: (earlierMs: number, unanswered?: string) => VaultError, work: () => Promise<T>): Promise<T> {
    // Given up before the batch began (the library's repair check, a count, timed out first): that reason as it was.
    // Said as this batch's, it read "0 of 1 read in 0 s ... no answer to ReadAlias within 9 s" after a 9 s wait.
    const given = this.broken;
    if (given) throw given;
    const earlier = this.clock.readTime();
    try {
      return await this.clock.batch((earlierMs) => this.broken ?? this.giveUp(late(earlierMs)), work);
    } catch (err) {
      // One of its calls went unanswered first, on its own deadline (what the command had left, as the batch's): the
      // batch is said as at its deadline, how far it got, not only which call ("no answer to ReadAlias" alone, on a
      // loaded machine, for a read of 1,000 values that never began).
      const cause = err === this.broken ? this.broken?.cause : undefined;
      if (!(cause instanceof DbusTimeout)) throw err;
      throw this.giveUp(late(earlier, cause.message));
    }
  }

  /**
   * KEYCHAIN_TIMEOUT for a batch given up at its deadline: `progress` says what it had done, in how long, and after
   * what (and `unanswered`, the call that went unanswered when one timed out first).
   */
  private tooSlow(started: number, progress: string, earlierMs: number, unanswered?: string): VaultError {
    const s = (ms: number) => `${Math.round(ms / 100) / 10} s`;
    // Only a command's reads share a deadline (read-clock.ts): the library's and the app's earlier reads count against
    // nothing, and "in this command" told a library user of a command there is not.
    const after = this.options.deadlineAt !== undefined && earlierMs >= 100 ? `, after ${s(earlierMs)} of earlier keychain reads in this command` : '';
    // Not one answer since the batch began is a keychain that stopped (a stopped or hung daemon, a dialog nobody sees),
    // not one busy with another change: "answers too slowly" sent the user waiting for it. So is one silent for most
    // of the batch after some answers (a daemon stopped mid-batch): a slow keychain answers all along, in bursts.
    const now = Date.now();
    const silentMs = now - Math.max(this.answeredAt, started);
    const why =
      this.answeredAt < started
        ? 'the keychain has not answered since (stopped or hung, or a dialog is waiting?)'
        : silentMs * 2 >= now - started
          ? `the keychain has not answered for the last ${s(silentMs)} (stopped or hung, or a dialog is waiting?)`
          : 'the keychain answers too slowly (busy with another change?)';
    return keychainError('KEYCHAIN_TIMEOUT', `${progress} in ${s(now - started)}${after}; ${why}${unanswered ? `: ${unanswered}` : ''}`);
  }

  /** keytar's attributes of `account`'s item, or of every item in the namespace. */
  private attributes(account?: string): Array<[string, string]> {
    const namespace: Array<[string, string]> = [['xdg:schema', SCHEMA], ['service', this.options.service]];
    return account === undefined ? namespace : [...namespace, ['account', account]];
  }

  /** The items of `account`, or of the whole namespace. */
  private async search(account?: string): Promise<{ unlocked: string[]; locked: string[] }> {
    const reply = await this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'SearchItems', signature: 'a{ss}', body: [this.attributes(account)] });
    const [unlocked, locked] = reply.body as [string[], string[]];
    return { unlocked, locked };
  }
}
