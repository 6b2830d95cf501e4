import { isDeepStrictEqual } from 'node:util';
import { dirname } from 'node:path';
import type { CredentialId } from '../../core/credential';
import type { CancelSignal } from '../../core/secret-store';
import { VaultError } from '../../core/errors';
import { legacyValues } from '../../core/legacy-secrets';
import { parseMetaEntries, parseProfile, parseProfileChange } from '../../core/profile-parse';
import { createProfileTemplate, type Profile } from '../../core/profile-schema';
import { withFileLock, type HeldLock } from './file-lock';
import { encode, parseDocument, systemTimeZone, withoutPlaintext } from './documents';
import { agrees, foldOverlay, OVERLAY_LIMITS, overlayFix, type Overlay, type OverlayEntries, type OverlayLimits } from './index-overlay';
import { sidecarPath, type PathInputs, type ProfilePaths } from './paths';
import { removeOwnFile } from './file-access';
import { legacyLeftBehind, readAsLegacy } from './legacy-file';
import { ProfileReader, readSecureUtf8, refuseOverDeep, UNPARSED, type RawProfile } from './reader';
import { ValidatedText } from './validated-text';
import { ensurePrivateDir } from './trusted-folder';
import { PROFILE_READ_LIMIT, PROFILE_WRITE_LIMIT, stampOf, writeSecureFile } from './secure-fs';
import { orphanTemps, removeOrphanTemps } from './temp-files';
import { lockedSidecars } from './sidecars';
import { updateThroughOverlay, type IndexFacts } from './index-update';
import { roomFor, SETTLE_BYTES, tooLarge } from './profile-size';

/** What a read found: the profile itself, or the deprecated secrets.json standing in for it. */
export type LoadedProfile =
  | { kind: 'profile'; path: string; profile: Profile }
  | { kind: 'legacy'; path: string; profile: Profile; values: ReadonlyMap<CredentialId, string> };

export interface ProfileStoreOptions extends PathInputs {
  /** Receives warnings (loose permissions, deprecated fallback). Default: stderr. */
  warn?: (message: string) => void;
  now?: () => Date;
  /** Longest wait for the cross-process lock. */
  lockWaitMs?: number;
  /** How the file is written (default: atomic, 0600). Injected by tests to simulate a failing disk. */
  writeFile?: typeof writeSecureFile;
  /** Share a reader (and its cache) with the caller. */
  reader?: ProfileReader;
  /** When credential changes go to the index overlay (tests set small ones). */
  overlayLimits?: OverlayLimits;
  /** From which profile size a validated text is remembered by its digest (tests set 0; default DIGEST_FROM_BYTES). */
  digestFromBytes?: number;
}

/**
 * The profile file with full validation: cached per process, re-read when
 * the file changes on disk, written atomically under a cross-process lock.
 * Never holds a secret.
 */
export class ProfileStore {
  readonly paths: ProfilePaths;
  readonly reader: ProfileReader;
  private readonly now: () => Date;
  private readonly lockWaitMs: number | undefined;
  private readonly writeFile: typeof writeSecureFile;
  private parsed: { read: RawProfile; loaded: LoadedProfile } | undefined;
  private readonly validated: ValidatedText;
  private readonly overlayLimits: OverlayLimits;

  constructor(options: ProfileStoreOptions = {}) {
    this.reader = options.reader ?? new ProfileReader(options, options.warn, options.writeFile);
    this.paths = this.reader.paths;
    this.now = options.now ?? (() => new Date());
    this.lockWaitMs = options.lockWaitMs;
    this.writeFile = options.writeFile ?? writeSecureFile;
    this.overlayLimits = options.overlayLimits ?? OVERLAY_LIMITS;
    this.validated = new ValidatedText(sidecarPath(this.paths, 'profile.checked'), this.paths.dedicatedDir, this.writeFile, options.digestFromBytes);
  }

  /** True when the profile file exists. */
  exists(): boolean {
    return this.reader.exists();
  }

  /**
   * The current profile, validated and upgraded, from cache when the file is
   * unchanged. Falls back to config/secrets.json (read-only, with a
   * deprecation warning). Throws PROFILE_NOT_FOUND when neither exists.
   */
  read(): LoadedProfile {
    const read = this.reader.read();
    if (this.parsed?.read === read) return this.parsed.loaded;
    const doc = parseDocument(read);
    let loaded: LoadedProfile;
    if (read.kind === 'profile') {
      loaded = { kind: 'profile', path: read.path, profile: this.validate(doc, read.text, read.path, read.overlay) };
    } else {
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
        throw new VaultError('PROFILE_INVALID', `${read.path} must hold a JSON object at the top level.`, `Fix ${read.path}, or create a profile with: cpw-vault setup`);
      }
      loaded = { kind: 'legacy', path: read.path, profile: createProfileTemplate(this.now()), values: legacyValues(doc as Record<string, unknown>) };
    }
    this.parsed = { read, loaded };
    return loaded;
  }

  /** Like {@link read}, but a missing profile reads as a fresh template (for status screens). */
  readOrTemplate(): LoadedProfile {
    try {
      return this.read();
    } catch (err) {
      if (err instanceof VaultError && err.code === 'PROFILE_NOT_FOUND') {
        return { kind: 'profile', path: this.paths.profile, profile: createProfileTemplate(this.now(), systemTimeZone()) };
      }
      throw err;
    }
  }

  /**
   * Start-up recovery: removes temp files left by a writer that was killed
   * mid-write, under the lock (a live writer's temp file is never touched).
   * Costs one readdir when there is nothing to clean. Returns how many went. `signal`: CANCELLED ends its wait, none gone.
   */
  async recover(signal?: CancelSignal): Promise<number> {
    if (!orphanTemps(this.paths.profile, true, this.sidecars()).length) return 0;
    return withFileLock(this.paths.profile, async () => removeOrphanTemps(this.paths.profile, true, this.sidecars()), { waitMs: this.lockWaitMs, signal });
  }

  /** Whose temp files are the profile's to clean up (see lockedSidecars). */
  private sidecars(): string[] {
    return lockedSidecars(this.paths, [this.reader.overlayFile.path, this.reader.lookupFile.path]);
  }

  /**
   * Read-modify-write under the cross-process lock: re-reads the file (never
   * the cache), applies `mutate` (synchronous: nothing slow happens while the
   * lock is held), validates, writes atomically. Creates the profile from the
   * template when it does not exist. While the deprecated secrets.json is
   * the only source (a read fallback, never written), the first write
   * creates the profile and warns that secrets.json is no longer read and
   * how to move it in (cpw-vault migrate); `allowOverLegacy` (migration
   * itself) skips the warning. `signal` ends a wait for the lock with CANCELLED, nothing written.
   */
  async update(mutate: (profile: Profile) => Profile, options: { allowOverLegacy?: boolean; stripPlaintext?: boolean; signal?: CancelSignal | undefined } = {}): Promise<Profile> {
    // Only while secrets.json is read in place of a profile (never a link, another user's file, a FIFO: see legacyAt).
    const overLegacy = !options.allowOverLegacy && !this.exists() && readAsLegacy(this.paths.legacySecrets);
    const written = await this.locked(options.signal, async (path, lock) => {
      const before = stampOf(path);
      // The index changes beside a profile that is there. One left beside a profile since removed describes nothing
      // now: it goes before the profile is made, so one that cannot be removed (a folder, another user's file in a
      // shared folder) fails the write with nothing written, not after a profile the caller then rolls back from.
      if (!before) this.reader.overlayFile.remove();
      const overlay = before ? this.reader.overlayFile.read(this.reader.warn) : undefined;
      const fresh = before ? this.readFresh(path, !!options.stripPlaintext, overlay) : undefined;
      const current = fresh?.profile ?? createProfileTemplate(this.now(), systemTimeZone());
      const next = parseProfileChange(current, mutate(current), path);
      // Encoded once: at 10,000 credentials each UTF-8 pass over the 2.4 MB text costs ~15-20 ms.
      const text = encode(next);
      const size = text.length;
      // Over the limit, a write may still shrink it or settle what is there (defaults filled in, a stamp): it must not add.
      if (size > PROFILE_WRITE_LIMIT && size > (before?.size ?? 0) + (overlay ? this.overlayLimits.maxBytes : 0) + SETTLE_BYTES) throw tooLarge(path, size);
      lock.assertHeld();
      if (overlay && fresh && !agrees(next, overlay.entries)) {
        // This change gives a credential of the overlay another entry: were the overlay left beside the new profile by a
        // crash, it would undo that. The profile takes the overlay in first, on its own (see index-overlay.ts): the
        // document as read with the overlay folded in, nothing else (a migration's plaintext stays until its own write,
        // which a rollback then never had to undo). Not recorded as validated, nor copied: a crash here costs a schema pass.
        await this.writeFile(path, encode(fresh.doc), this.paths.dedicatedDir);
        this.forget();
        this.reader.overlayFile.remove();
      }
      await this.write(path, text, next);
      // Taken in (on its own above, or by this write).
      if (overlay) this.reader.overlayFile.remove();
      this.forget();
      return next;
    });
    if (overLegacy) this.reader.warn(legacyLeftBehind(this.paths));
    return written;
  }

  /**
   * {@link update} for a change to the index entries of secret credentials
   * `ids` only: in a large profile (OverlayLimits.fromBytes and more, whose lookup
   * copy matches it) the entries go to the overlay beside it (see
   * index-overlay.ts), a few kilobytes, instead of a rewrite of the profile
   * and its lookup copy. `mutate` then sees the profile's fields with only the
   * entries of `ids` in its credential_metadata (so it must not look at
   * others), and `facts` to ask what it needs of them (who carries an env var
   * name); without `facts` it has the whole profile. A change that touches
   * anything else, an overlay that would pass
   * OverlayLimits.maxBytes, or any doubt: a full {@link update}, which takes the
   * overlay in. Returns the profile `mutate` made (with the overlay: only
   * the entries of `ids`). `signal`: as for {@link update}.
   */
  async updateIndex(ids: readonly CredentialId[], mutate: (profile: Profile, facts?: IndexFacts) => Profile, options: { allowOverLegacy?: boolean; signal?: CancelSignal | undefined } = {}): Promise<Profile> {
    const { fromBytes } = this.overlayLimits;
    if ((stampOf(this.paths.profile)?.size ?? 0) < fromBytes) return this.update(mutate, options);
    const target = { reader: this.reader, path: this.paths.profile, limits: this.overlayLimits, checkOverlay: (entries: OverlayEntries) => this.checkOverlay(entries), forget: () => this.forget() };
    const done = await this.locked(options.signal, async (_path, lock) => updateThroughOverlay(target, ids, mutate, lock));
    return done ?? this.update(mutate, options);
  }

  /**
   * Makes the lookup copy of the index again when it does not match the
   * profile (a profile from before the copy existed, a hand edit, a chmod):
   * under the lock, from the validated profile. Never the profile itself. `signal`: as for {@link update}.
   */
  async refreshLookup(signal?: CancelSignal): Promise<void> {
    if (!this.exists() || this.reader.lookup()) return;
    await this.locked(signal, async () => {
      const loaded = this.read();
      const read = this.parsed?.loaded === loaded ? this.parsed.read : undefined;
      // Beside an overlay, the profile as read has its entries folded in: a copy made from it would index them as the
      // profile's own, and the overlay moved aside would still show through it. The next write takes it in and makes the copy.
      if (read?.overlay) return;
      // The stamp the profile had when it was read, not now (a rename over it since would be named with this content).
      if (loaded.kind === 'profile' && !this.reader.lookup()) await this.reader.lookupFile.remember(loaded.profile as unknown as Record<string, unknown>, read?.stamp);
      this.reader.forgetLookup();
    });
  }

  /** See {@link roomFor}: PROFILE_TOO_LARGE, before anything is stored anywhere, for a change the profile cannot take. */
  assertRoomFor(bound: number, exact?: () => number): void {
    roomFor(this.paths.profile, this.reader.overlayFile.path, bound, exact);
  }

  private locked<T>(signal: CancelSignal | undefined, fn: (path: string, lock: HeldLock) => Promise<T>): Promise<T> {
    const path = this.paths.profile;
    ensurePrivateDir(dirname(path), this.paths.dedicatedDir);
    return withFileLock(path, async (lock) => {
      removeOrphanTemps(path, true, this.sidecars());
      return fn(path, lock);
    }, { waitMs: this.lockWaitMs, signal });
  }

  private async write(path: string, bytes: Buffer, doc: Profile): Promise<void> {
    // The stamp of the file this write made, not of whatever is at `path` now: a program that does not take
    // the lock (an editor, a sync tool) may have renamed its own file there since.
    const written = await this.writeFile(path, bytes, this.paths.dedicatedDir);
    this.forget();
    await this.validated.remember(bytes);
    // Still under the lock: the lookup copy names the stamp of exactly this file.
    await this.reader.lookupFile.remember(doc as unknown as Record<string, unknown>, written);
  }

  /**
   * The schema pass over a document, skipped when its text is the validated
   * output of a write (see ValidatedText); the overlay's entries folded into
   * it are then checked on their own.
   */
  private validate(doc: unknown, text: string, path: string, overlay?: OverlayEntries): Profile {
    if (this.validated.matches(text)) {
      if (overlay) this.checkOverlay(overlay);
      return doc as Profile;
    }
    // JSON.parse is iterative and takes any depth; what runs after it (the next write's stringify) would overflow.
    refuseOverDeep(text, path, doc);
    return parseProfile(doc, path);
  }

  /** PROFILE_INVALID, naming the overlay and the way out, when one of its entries is not valid metadata. */
  private checkOverlay(entries: OverlayEntries): void {
    const file = this.reader.overlayFile.path;
    parseMetaEntries(new Map([...entries].filter(([, m]) => m !== null)), file, overlayFix(file));
  }

  /** After a write: drops what was read or made from the profile before it (list's kept table too: see list-cache.ts). */
  private forget(): void {
    this.reader.invalidate();
    this.parsed = undefined;
    // It shows what the profile held (a deleted credential's hint, a replaced organization ID in full): never kept
    // past a change, whether a list comes after it or not. A list makes it again.
    removeOwnFile(sidecarPath(this.paths, 'profile.listing'));
  }

  /**
   * Reads the file for an update, with `overlay` (read under the same lock)
   * folded in; with `stripPlaintext` (migration in place) its plaintext slots
   * are emptied first.
   */
  private readFresh(path: string, stripPlaintext: boolean, overlay: Overlay | undefined): { profile: Profile; doc: unknown } {
    const { text } = readSecureUtf8(path, { warn: this.reader.warn, maxBytes: PROFILE_READ_LIMIT });
    // Unchanged since this process read it (the usual case: read, then update): the same text, the same profile.
    // By its text, never its stamp: on coarse timestamps another writer's file can get the freed inode number back
    // with the same size and times (a lost update, shown on a 1-second ext2). The overlay by its entries, for the same reason.
    const last = this.parsed;
    if (!stripPlaintext && last?.loaded.kind === 'profile' && last.read.path === path && last.read.text === text && isDeepStrictEqual(last.read.overlay, overlay?.entries)) {
      return { profile: last.loaded.profile, doc: last.read.raw };
    }
    let raw: unknown = UNPARSED;
    try {
      raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch {
      // parseDocument says where the JSON is broken, without quoting it.
    }
    const parsed = parseDocument({ kind: 'profile', path, raw, text });
    const doc = overlay ? foldOverlay(parsed, overlay.entries) : parsed;
    if (!stripPlaintext) return { profile: this.validate(doc, text, path, overlay?.entries), doc };
    refuseOverDeep(text, path, doc);
    return { profile: parseProfile(withoutPlaintext(doc), path), doc };
  }
}
