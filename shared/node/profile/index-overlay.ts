import { isUtf8 } from 'node:buffer';
import { unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { isCredentialId, type CredentialId } from '../../core/credential';
import { isSecretCredential } from '../../core/credential-index';
import { VaultError } from '../../core/errors';
import { shellWord } from '../../core/control-chars';
import { nestsDeeper } from '../../core/json-depth';
import { indexedMeta, type IndexedMeta } from '../../core/profile-index';
import type { Profile } from '../../core/profile-schema';
import { asideName, fsyncDir, readSecureBytes, sameStamp, stampOf, type FileStamp, type writeSecureFile } from './secure-fs';
import { ioError } from './file-access';

/**
 * Changes to the credential index that a large profile has not taken in yet,
 * in a small file beside it, so a `set` or `delete` in a vault of 10,000
 * credentials rewrites a few kilobytes instead of the whole 2.4 MB profile
 * (and its lookup copy). The profile plus this file is the index:
 * every reader folds it in (the full read and the lookup copy alike), and
 * the next full write of the profile takes it in and removes it.
 *
 * The text is one JSON object, rewritten atomically (temp file, fsync,
 * rename) under the profile's lock by each change, so it is never torn:
 *   {"cpw_vault_index_changes": 1, "entries": {"<credential id>": <metadata> | null}}
 * An entry is the credential's whole metadata as it is now, or null for a
 * credential deleted; the last change of a credential replaces its entry, so
 * a key set again and again never grows the file. Only secret credentials
 * (no profile slot to change) are kept here.
 *
 * Why a crash anywhere leaves the right index: an entry is absolute (never a
 * difference), so applying it to a profile that already took it in changes
 * nothing. The full writer takes the file in, writes the profile, and only
 * then removes the file; when its own change gives one of these credentials
 * another entry, it first writes the profile with the file taken in and
 * removes the file, so a file left by a crash never undoes a later change.
 */
export const OVERLAY_FORMAT = 1;
const FORMAT_KEY = 'cpw_vault_index_changes';
/** When a profile takes its credential changes through the overlay. */
export interface OverlayLimits {
  /** Profiles from this size (below it, a rewrite costs little). */
  fromBytes: number;
  /** The overlay is taken into the profile by the change that would make it larger than this. */
  maxBytes: number;
}

/**
 * From 64 KiB (~250 credentials: below it a rewrite costs about what the
 * overlay does, and the profile stays the one file); the overlay up to
 * 64 KiB (~250 credentials' entries).
 */
export const OVERLAY_LIMITS: OverlayLimits = { fromBytes: 64 * 1024, maxBytes: 64 * 1024 };
/** What a reader accepts: a hand-made file larger than the writer ever makes is refused, never loaded whole. */
const OVERLAY_READ_LIMIT = 1024 * 1024;

export type OverlayEntries = ReadonlyMap<CredentialId, IndexedMeta | null>;

/** The overlay as read: its entries, and the stamp and size of the file they came from. */
export interface Overlay {
  entries: OverlayEntries;
  stamp: FileStamp;
}

/** The overlay's text for `entries`. */
export function overlayText(entries: OverlayEntries): string {
  const out: Record<string, IndexedMeta | null> = {};
  for (const [id, meta] of entries) out[id] = meta;
  return `${JSON.stringify({ [FORMAT_KEY]: OVERLAY_FORMAT, entries: out })}\n`;
}

/** The entries of an overlay file's `bytes`; PROFILE_INVALID (saying what, never quoting it) when it is not one. */
export function parseOverlay(bytes: Buffer, path: string): Map<CredentialId, IndexedMeta | null> {
  // As the profile's: decoding would make such bytes U+FFFD, and the next full write would keep that in place of a label.
  if (!isUtf8(bytes)) throw damaged(path, 'it is not valid UTF-8');
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw damaged(path, 'it is not valid JSON');
  }
  if (!isObject(doc) || doc[FORMAT_KEY] !== OVERLAY_FORMAT || !isObject(doc['entries'])) throw damaged(path, `it is not a cpw-vault index change file of format ${OVERLAY_FORMAT}`);
  if (nestsDeeper(doc)) throw damaged(path, 'it nests too deep');
  const out = new Map<CredentialId, IndexedMeta | null>();
  const entries = doc['entries'];
  for (const id of Object.keys(entries)) {
    if (!isCredentialId(id)) throw damaged(path, 'an entry is not named like a credential (service.key)');
    const value = entries[id];
    const meta = value === null ? null : indexedMeta(value);
    // Only secret credentials come here: a non-secret's value lives in a profile slot, which this file cannot change.
    if (meta === undefined || meta?.storage === 'profile' || !isSecretCredential(id)) throw damaged(path, `the entry of ${id} is not the metadata of a secret credential`);
    out.set(id, meta);
  }
  return out;
}

/**
 * A profile document with `entries` applied to its credential metadata, as a
 * new object. A document that is not a profile's shape is left as it is: the
 * parser reports what is wrong with it.
 */
export function foldOverlay(doc: unknown, entries: OverlayEntries): unknown {
  const metadata = isObject(doc) ? (doc['credential_metadata'] ?? {}) : undefined;
  if (!isObject(doc) || !isObject(metadata)) return doc;
  const out: Record<string, unknown> = { ...metadata };
  for (const [id, meta] of entries) {
    if (meta === null) delete out[id];
    else out[id] = meta;
  }
  return { ...doc, credential_metadata: out };
}

/** The overlay file beside a profile (see the top of this file). */
export class IndexOverlayFile {
  /** The overlay a reader last read, by its file's stamp. */
  private last: Overlay | undefined;

  constructor(
    readonly path: string,
    private readonly dedicatedDir: boolean,
    private readonly write: typeof writeSecureFile,
  ) {}

  /** The overlay, or undefined when there is none. Throws PROFILE_INVALID when damaged, as the profile's own checks do when unsafe. */
  read(warn: (message: string) => void): Overlay | undefined {
    let read;
    try {
      read = readSecureBytes(this.path, { warn, maxBytes: OVERLAY_READ_LIMIT });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return { entries: parseOverlay(read.bytes, this.path), stamp: read.stamp };
  }

  /**
   * `readBase()` (the profile, or its lookup copy) with the overlay that goes
   * with it. Readers take no lock: a writer that took the overlay into the
   * profile meanwhile removed it, and the profile read before would then miss
   * those changes; so the overlay's stamp is taken before and after, and the
   * pair read again until they match (a writer's turn is milliseconds).
   * `readBase` returns undefined when there is nothing to fold into.
   */
  consistent<T>(readBase: () => T, warn: (message: string) => void): { base: T; overlay: Overlay | undefined } {
    for (let attempt = 0; ; attempt++) {
      const before = stampOf(this.path);
      const base = readBase();
      // No base (no profile, or no lookup copy of it): an overlay describes nothing it reads, and is not read.
      if (base === undefined) return { base, overlay: undefined };
      // Parsed again only when the file changed: a command asks many times (the start-up checks, the read, the write).
      const overlay = before ? (sameStamp(this.last?.stamp, before) ? this.last : (this.last = this.read(warn))) : undefined;
      const after = stampOf(this.path);
      if (sameStamp(before, after) ? sameStamp(overlay?.stamp, before) : !before && !after) return { base, overlay };
      if (attempt >= CONSISTENT_TRIES) {
        throw new VaultError('PROFILE_LOCKED', `The credential index beside ${this.path} kept changing while it was read (another cpw-vault writing without pause).`, 'Run the command again once the other writer is done.');
      }
    }
  }

  /** Replaces the overlay with `entries` (atomic, 0600). Under the profile's lock. */
  async replace(entries: OverlayEntries): Promise<void> {
    await this.write(this.path, overlayText(entries), this.dedicatedDir);
  }

  /** Removes the overlay once the profile holds its changes. Under the profile's lock. */
  remove(): void {
    try {
      unlinkSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw ioError(err, this.path);
    }
    fsyncDir(dirname(this.path));
  }
}

/** How often a reader reads the profile and the overlay again before it gives up (each try is a few milliseconds). */
const CONSISTENT_TRIES = 50;

function damaged(path: string, why: string): VaultError {
  return new VaultError('PROFILE_INVALID', `${path} is damaged (${why}): it holds the latest changes to the credential index; refusing to read the index without them.`, overlayFix(path));
}

/** What to do about an overlay that cannot be read. */
export function overlayFix(path: string): string {
  return `Put back the file cpw-vault wrote there, or move it aside (mv ${shellWord(path)} ${shellWord(asideName(path))}): the credentials set or deleted since the profile was last rewritten then show as before, and \`cpw-vault doctor\` lists keychain values the index does not name.`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** True when `profile` gives each credential of the overlay the entry the overlay gives it (or none, for a delete). */
export function agrees(profile: Profile, entries: OverlayEntries): boolean {
  for (const [id, meta] of entries) {
    const has = Object.hasOwn(profile.credential_metadata, id) ? profile.credential_metadata[id] : undefined;
    if (meta === null ? has !== undefined : !isDeepStrictEqual(has, meta)) return false;
  }
  return true;
}

/** True when `after` differs from `before` only in the credential_metadata entries of `ids` (same objects elsewhere). */
export function onlyEntriesOf(before: Profile, after: Profile, ids: readonly CredentialId[]): boolean {
  const a = before as unknown as Record<string, unknown>;
  const b = after as unknown as Record<string, unknown>;
  const keys = Object.keys(b);
  if (keys.length !== Object.keys(a).length || keys.some((k) => k !== 'credential_metadata' && a[k] !== b[k])) return false;
  const named = new Set<string>(ids);
  return Object.keys(after.credential_metadata).every((id) => named.has(id));
}
