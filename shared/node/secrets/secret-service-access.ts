import { isVaultError, VaultError, type ErrorCode } from '../../core/errors';
import { BUS, COLLECTION_IFACE, DEFAULT_ALIAS_PATH, PROMPT_IFACE, PROPS, SecretServiceBus, SERVICE_IFACE, SERVICE_PATH, SS } from './secret-service-bus';
import { collectionLockedError, keychainError } from './reasons';

/** What a call that never reached the provider's answer fails with: no answer in time, the connection lost, no provider. */
const UNREACHED: ErrorCode[] = ['KEYCHAIN_TIMEOUT', 'KEYCHAIN_UNAVAILABLE', 'KEYCHAIN_NO_PROVIDER'];

/** A prompt still open after this long is a dialog on screen (KeePassXC answers every CreateItem with a prompt, most of them complete at once). */
const NOTICE_AFTER_MS = 400;
/** A dismissed dialog is not shown again for this long: the rest of the same command (a rollback, a read-back) gets the refusal at once. */
const REFUSAL_MEMORY_MS = 2_000;
/** How long a collection found unlocked is believed without asking again: one command's count and then reads (see defaultCollection). */
export const COLLECTION_TRUST_MS = 2_000;

/** What the prompt was for: says which refusal a dismissed one is. */
export type PromptPurpose = 'unlock' | 'access' | 'store' | 'delete';
const PURPOSE_TEXT: Record<PromptPurpose, string> = {
  unlock: 'unlock dialog',
  access: 'access confirmation',
  store: 'confirmation to store the value',
  delete: 'confirmation to delete the value',
};

/**
 * Access to the items, under SecretServiceStore (secret-service.ts):
 * the default collection, unlocked, and the provider's dialogs.
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
export abstract class SecretServiceAccess extends SecretServiceBus {
  /** The default collection found unlocked (when it was checked, once known), or being checked. */
  private collection: { path: Promise<string>; checkedAt?: number } | undefined;
  /** The collection this store last found unlocked: found locked after that, it was locked since (collectionLockedError). */
  private unlockedPath: string | undefined;
  private state: Promise<{ path: string; locked: boolean }> | undefined;
  private refused: { error: VaultError; at: number } | undefined;

  /** {@link SecretServiceBus.close}, and forgets the collection and a dismissed dialog too. */
  override close(): void {
    super.close();
    this.collection = undefined;
    this.unlockedPath = undefined;
    this.state = undefined;
    this.refused = undefined;
  }

  /**
   * The collection behind the `default` alias and whether it is locked. No
   * collection there (KeePassXC with no group exposed, an empty keyring
   * list) is KEYCHAIN_NO_COLLECTION. Checked before any search: KeePassXC
   * answers a search while nothing is unlocked only after its unlock
   * dialog, which a D-Bus call cannot abandon.
   */
  protected async defaultCollectionState(retries = 3): Promise<{ path: string; locked: boolean }> {
    // The alias's own object path answers Locked in the same round trip as ReadAlias (gnome-keyring and
    // KeePassXC export it); a provider that does not is asked by the collection's path next.
    const [path, viaAlias] = await Promise.all([
      this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'ReadAlias', signature: 's', body: ['default'] }).then((r) => r.body[0] as string),
      this.collectionProperty(DEFAULT_ALIAS_PATH, 'Locked').catch(() => undefined),
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
    const locked = typeof viaAlias === 'boolean' ? viaAlias : ((await this.collectionProperty(path, 'Locked')) as boolean);
    if (!locked) this.unlockedPath = path;
    return { path, locked };
  }

  /**
   * {@link defaultCollectionState}, shared by the calls that ask while it is
   * being asked (exec reads its values and counts the namespace at once: two
   * round trips fewer). Never remembered once answered: a long-lived process
   * (the app) must see a collection locked since.
   */
  protected collectionState(): Promise<{ path: string; locked: boolean }> {
    if (this.state) return this.state;
    const pending = this.defaultCollectionState();
    this.state = pending;
    const done = () => {
      if (this.state === pending) this.state = undefined;
    };
    pending.then(done, done);
    return pending;
  }

  /**
   * What {@link defaultCollection} would find, from a check of the collection just made (`state`): an unlocked
   * collection is not asked again. A locked one is left to it (its dialog), and one remembered unlocked is forgotten:
   * doctor's census of a keyring locked since read its attributes, hashed by a restarted gnome-keyring, as no values.
   */
  protected knownCollection(state: { path: string; locked: boolean }): void {
    // A check still under way (its unlock dialog) is left to finish.
    if (this.collection && this.collection.checkedAt === undefined) return;
    this.collection = state.locked ? undefined : { path: Promise.resolve(state.path), checkedAt: Date.now() };
  }

  /**
   * The default collection's path once it exists and is unlocked: a locked one is unlocked through the provider's dialog.
   * One found unlocked is believed for COLLECTION_TRUST_MS, then asked again: the app keeps its store for hours, and
   * KeePassXC answers a search of a database locked since with its unlock dialog and no answer (the read hung to its
   * deadline, KEYCHAIN_TIMEOUT, the dialog on KeePassXC's screen, and the store broken until the app was restarted).
   */
  protected defaultCollection(started: number): Promise<string> {
    const checkedAt = this.collection?.checkedAt;
    if (checkedAt !== undefined && Date.now() - checkedAt > COLLECTION_TRUST_MS) this.collection = undefined;
    if (this.collection) return this.collection.path;
    const memory: { path: Promise<string>; checkedAt?: number } = { path: this.checkedCollection(started) };
    this.collection = memory;
    // A failed check is not remembered: the next call asks again (the user may have unlocked meanwhile).
    const forget = () => void (this.collection === memory && (this.collection = undefined));
    memory.path.then(() => (memory.checkedAt = Date.now()), forget);
    return memory.path;
  }

  /** {@link defaultCollection}'s check: the collection asked, and unlocked through its dialog where one can show. */
  private async checkedCollection(started: number): Promise<string> {
    const { path, locked } = await this.collectionState();
    if (!locked) return path;
    if (!this.canShowDialog()) throw await this.lockedHere(path);
    this.assertNotRefused();
    const reply = await this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'Unlock', signature: 'ao', body: [[path]] });
    const [done, prompt] = reply.body as [string[], string];
    if (done.includes(path)) return path;
    const outcome = prompt === '/' ? { dismissed: true, result: [] } : await this.prompt(prompt, started, 'unlock');
    if (outcome.dismissed || !(outcome.result as string[]).includes(path)) throw this.refuse(keychainError('KEYCHAIN_LOCKED', `the unlock dialog of ${await this.label()} was dismissed`));
    return path;
  }

  /** KEYCHAIN_LOCKED for the collection at `path` where no unlock dialog can show: said as locked since when this store found it unlocked. */
  protected async lockedHere(path: string): Promise<VaultError> {
    if (path !== this.unlockedPath) return keychainError('KEYCHAIN_LOCKED', 'no display here for its unlock dialog');
    return collectionLockedError(await this.label(), await this.collectionName(path));
  }

  /**
   * The items a search found, their attributes to be read: locked ones in a locked collection (locked since this store
   * found it unlocked) are unlocked first, as {@link unlockItems} does. A gnome-keyring restarted with its keyring
   * locked hashes their attributes: list() and the census read no account in them, and said the namespace was empty.
   * Locked ones in an unlocked collection (KeePassXC's to confirm) are not: their attributes read without a dialog.
   */
  protected async listable(found: { unlocked: string[]; locked: string[] }, started: number): Promise<string[]> {
    if (found.locked.length && (await this.isLocked(collectionOf(found.locked[0]!)))) await this.unlockItems(found.locked, started);
    return [...found.unlocked, ...found.locked];
  }

  /**
   * Unlocks items the provider lists as locked, through one dialog: in an unlocked collection, items whose access
   * KeePassXC wants confirmed; in a collection locked since it was found unlocked (Seahorse, `secret-tool lock`, the
   * screen lock lock it under a long-lived store, the app's), every item, and the dialog is the collection's unlock.
   * That case was said as KeePassXC's ("wants the access confirmed in a dialog"), which sent a gnome-keyring user
   * looking for a dialog that never shows, where the login keyring had to be unlocked.
   */
  protected async unlockItems(items: string[], started: number): Promise<string[]> {
    const collection = collectionOf(items[0]!);
    const locked = await this.isLocked(collection);
    // Found unlocked before, locked now: the next call checks it again (its unlock dialog, or KEYCHAIN_LOCKED at once).
    if (locked) this.collection = undefined;
    if (!this.canShowDialog()) {
      if (locked) throw collectionLockedError(await this.label(), await this.collectionName(collection));
      throw keychainError('KEYCHAIN_LOCKED', `${await this.label()} wants the access confirmed in a dialog, and there is no display here to show it`);
    }
    this.assertNotRefused();
    const reply = await this.call({ destination: SS, path: SERVICE_PATH, interface: SERVICE_IFACE, member: 'Unlock', signature: 'ao', body: [items] });
    const [done, prompt] = reply.body as [string[], string];
    const unlocked = new Set(done);
    if (prompt !== '/') {
      const outcome = await this.prompt(prompt, started, locked ? 'unlock' : 'access');
      if (!outcome.dismissed) for (const p of outcome.result as string[]) unlocked.add(p);
    }
    const refused = items.find((p) => !unlocked.has(p));
    if (refused !== undefined) throw this.refuse(await this.refusal(refused, 'access'));
    return items;
  }

  /** Why `item` stayed locked: its collection is locked (KEYCHAIN_LOCKED) or the access was refused (KEYCHAIN_DENIED). */
  protected async refusal(item: string, purpose: PromptPurpose): Promise<VaultError> {
    if (await this.isLocked(collectionOf(item))) return keychainError('KEYCHAIN_LOCKED', `the unlock dialog of ${await this.label()} was dismissed`);
    return this.denied(purpose);
  }

  /**
   * Whether the collection at `path` says it is locked (one that answers with an error: not known to be). A provider
   * that does not answer (stopped, hung) or is gone is the reason itself: its timeout was taken for "not locked", and
   * the read said gnome-keyring "wants the access confirmed in a dialog" where it had stopped answering.
   */
  private async isLocked(path: string): Promise<boolean> {
    const locked = await this.collectionProperty(path, 'Locked').catch((err: unknown) => {
      if (isVaultError(err, ...UNREACHED)) throw err;
      return undefined;
    });
    return locked === true;
  }

  /** The collection's label as Seahorse shows it ("Login"), else the last part of its path ("login"). */
  private async collectionName(path: string): Promise<string> {
    const label = await this.collectionProperty(path, 'Label').catch(() => undefined);
    return typeof label === 'string' && label !== '' ? label : path.slice(path.lastIndexOf('/') + 1);
  }

  /** A property of the collection at `path`, as its reply's variant holds it (a reply without one: a TypeError). */
  private async collectionProperty(path: string, name: 'Locked' | 'Label'): Promise<unknown> {
    const reply = await this.call({ destination: SS, path, interface: PROPS, member: 'Get', signature: 'ss', body: [COLLECTION_IFACE, name] });
    return (reply.body[0] as [string, unknown])[1];
  }

  protected async denied(purpose: PromptPurpose): Promise<VaultError> {
    return keychainError('KEYCHAIN_DENIED', `${await this.label()} refused: its ${PURPOSE_TEXT[purpose]} was dismissed or denied`);
  }

  /**
   * An unlock or access dialog can be seen only on a display: without
   * DISPLAY / WAYLAND_DISPLAY (ssh, a CI box, a test's private session) none
   * is opened and the locked state is reported at once.
   */
  protected canShowDialog(): boolean {
    return !!(this.options.env['DISPLAY'] || this.options.env['WAYLAND_DISPLAY']);
  }

  /** Remembers a dismissed dialog for a moment, so the same command does not show it again (a rollback, a read-back). */
  protected refuse(error: VaultError): VaultError {
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
  protected async prompt(path: string, started: number, purpose: PromptPurpose): Promise<{ dismissed: boolean; result: unknown }> {
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
        `${keychainError('KEYCHAIN_TIMEOUT').message} (nobody answered ${label}'s ${PURPOSE_TEXT[purpose]} within ${Math.round(waitMs / 1000)} s)`,
        dialogs
          ? `Answer ${label}'s dialog when it shows, then retry (the wait is CPW_KEYCHAIN_DIALOG_TIMEOUT seconds, default 60).`
          : `Nobody can answer ${label}'s dialog here (no terminal, a stage under exec, or CI). Run the command once from a terminal and answer it, or unlock ${label} first; KeePassXC: turn off "Confirm when passwords are retrieved by clients" (Settings → Secret Service Integration).`,
      );
      throw this.giveUp(broken);
    } finally {
      clearTimeout(notice);
      clearTimeout(deadline);
      off();
      if (shown) this.clock.dialog(false);
    }
  }
}

/** The collection an item's object path lies in ("/org/freedesktop/secrets/collection/login/3" → ".../login"). */
function collectionOf(item: string): string {
  return item.slice(0, item.lastIndexOf('/'));
}
