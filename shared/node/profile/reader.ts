import { isUtf8 } from 'node:buffer';
import { dirname } from 'node:path';
import { envVarOf } from '../../core/env-var-names';
import { VaultError } from '../../core/errors';
import { MAX_JSON_DEPTH, nestsDeeper, overDeepAt } from '../../core/json-depth';
import { lstatSync } from 'node:fs';
import { defaultWarn } from './default-warn';
import { legacyLooker } from './legacy-look';
import { foldOverlay, IndexOverlayFile, type Overlay, type OverlayEntries } from './index-overlay';
import { LookupIndexFile, type LookupIndex } from './lookup-index';
import { folderAsProfile, resolveProfilePaths, sidecarPath, type PathInputs, type ProfilePaths } from './paths';
import { assertPrivateFile, ioError, refuseLinkedFolder, PROFILE_READ_LIMIT, readSecureBytes, sameStamp, stampOf, writeSecureFile, type FileStamp, type SecureReadOptions } from './secure-fs';

/** Marks a document that JSON.parse refused (the full parser reports where). */
export const UNPARSED: unique symbol = Symbol('unparsed');

/** A profile file (or the deprecated secrets.json) as read from disk, not yet validated. */
export interface RawProfile {
  kind: 'profile' | 'legacy';
  path: string;
  /** JSON.parse of the text, or UNPARSED. */
  raw: unknown;
  text: string;
  /** The file's stamp when this text was read. */
  stamp?: FileStamp;
  /** The first line that is not UTF-8 (raw is then UNPARSED): reported where invalid JSON is, never read as text. */
  notUtf8Line?: number;
  /** The index changes beside the profile (see index-overlay.ts), already folded into `raw`; `text` is the profile's alone. */
  overlay?: OverlayEntries;
}

/**
 * Reads the profile file through the permission checks and caches it by
 * file stamp, so a process re-reads it only when another process changed it.
 * Light on purpose (no schema library): the hot read path uses it directly;
 * ProfileStore adds full validation on top.
 */
export class ProfileReader {
  readonly paths: ProfilePaths;
  private cache: { stamp: FileStamp; read: RawProfile } | undefined;
  private lookupCache: { stamp: FileStamp; index: LookupIndex | undefined } | undefined;
  /** The last read or lookup with the overlay folded in, kept while neither file changes. */
  private foldedRead: { base: RawProfile; overlay: FileStamp; read: RawProfile } | undefined;
  private foldedLookup: { base: LookupIndex; overlay: FileStamp; index: LookupIndex | undefined } | undefined;
  private readonly warned = new Set<string>();
  /** The lookup copy of the credential index beside the profile (see lookup-index.ts); the profile writer keeps it. */
  readonly lookupFile: LookupIndexFile;
  /** The credential index changes a large profile has not taken in yet (see index-overlay.ts); the profile writer keeps it. */
  readonly overlayFile: IndexOverlayFile;

  /** What is at config/secrets.json; with `legacyOnce` (one CLI command) looked at once (see legacy-look.ts). */
  private readonly legacyLook: ReturnType<typeof legacyLooker>;

  constructor(inputs: PathInputs & { legacyOnce?: boolean }, private readonly warnSink: (message: string) => void = defaultWarn, writeFile: typeof writeSecureFile = writeSecureFile) {
    this.legacyLook = legacyLooker(inputs.legacyOnce ?? false);
    this.paths = resolveProfilePaths(inputs);
    this.lookupFile = new LookupIndexFile(sidecarPath(this.paths, 'profile.index'), this.paths.dedicatedDir, writeFile);
    this.overlayFile = new IndexOverlayFile(sidecarPath(this.paths, 'profile.changes'), this.paths.dedicatedDir, writeFile);
  }

  /** Messages starting with one of these are not printed: their reader reports the same fact itself (doctor). */
  private readonly muted: string[] = [];

  /** Drops warnings that start with `prefix` (doctor lists a loose profile mode as a problem of its own: said once). */
  mute(prefix: string): void {
    this.muted.push(prefix);
  }

  /** Warns once per process per distinct message (a hot loop must not flood stderr). */
  warn = (message: string): void => {
    if (this.warned.has(message) || this.muted.some((m) => message.startsWith(m))) return;
    this.warned.add(message);
    this.warnSink(message);
  };

  /** True when the profile file exists. */
  exists(): boolean {
    return stampOf(this.paths.profile) !== undefined;
  }

  /**
   * The profile, or config/secrets.json when the default profile does not
   * exist (with a deprecation warning). Throws PROFILE_NOT_FOUND when neither
   * exists, PROFILE_SYMLINK / PROFILE_PERMISSIONS / PROFILE_TOO_LARGE when unsafe.
   */
  read(): RawProfile {
    const path = this.paths.profile;
    const stamp = stampOf(path);
    if (stamp) {
      const { base, overlay } = this.overlayFile.consistent(() => this.load('profile', path, stampOf(path) ?? stamp), this.warn);
      return this.withOverlay(base, overlay);
    }
    const legacy = this.paths.legacySecrets;
    const at = legacy ? this.legacyLook(legacy) : undefined;
    if (legacy && at) {
      // Not the user's secrets (a link, another user's file), or no secrets file at all (a FIFO, a folder): passed over,
      // said, and the command goes on as without it (keys from the environment still serve). A file of the user's own
      // that is unsafe otherwise (others can modify it) is still an error, with its fix.
      if (at.passedOver !== undefined) this.warn(`Ignoring ${legacy}: ${at.passedOver}.`);
      const read = at.passedOver !== undefined ? undefined : this.load('legacy', legacy, at.stamp);
      if (read) {
        this.warn(`Using deprecated ${legacy} (plaintext secrets). Move them into the keychain: cpw-vault migrate`);
        return read;
      }
    }
    this.cache = undefined;
    throw new VaultError(
      'PROFILE_NOT_FOUND',
      `No profile found at ${this.paths.profile}${this.paths.origin === 'default' ? ' (and no config/secrets.json in the working directory)' : ''}.`,
      'Open the cpw-vault app, or create one with: cpw-vault setup',
    );
  }

  /**
   * The lookup copy of the credential index, when the profile exists and the
   * copy was made from it as it is now, with the index overlay's changes on
   * top (see index-overlay.ts); undefined otherwise (the caller then reads
   * the profile). The profile passes the same checks as a read (a private
   * regular file of this user, a real folder), from its stat.
   */
  lookup(): LookupIndex | undefined {
    const { base, overlay } = this.overlayFile.consistent(() => this.lookupBase(), this.warn);
    if (!base || !overlay) return base;
    if (this.foldedLookup?.base !== base || !sameStamp(this.foldedLookup.overlay, overlay.stamp)) {
      this.foldedLookup = { base, overlay: overlay.stamp, index: lookupWithOverlay(base, overlay.entries) };
    }
    return this.foldedLookup.index;
  }

  /**
   * The lookup copy alone, without the overlay: what the profile file itself
   * indexes (the profile writer's view, under its lock).
   */
  lookupBase(): LookupIndex | undefined {
    const path = this.paths.profile;
    let s;
    try {
      s = lstatSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw ioError(err, path);
    }
    const stamp: FileStamp = { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
    if (this.lookupCache && sameStamp(this.lookupCache.stamp, stamp)) return this.lookupCache.index;
    // A link, another user's file, a loose mode: not used here; the full read refuses it with its reason.
    if (s.isSymbolicLink()) return undefined;
    if (s.isDirectory()) this.refuseFolder();
    if (this.paths.dedicatedDir) refuseLinkedFolder(dirname(path));
    assertPrivateFile(s, path, { warn: this.warn, maxBytes: PROFILE_READ_LIMIT });
    this.lookupCache = { stamp, index: this.lookupFile.read(stamp) };
    return this.lookupCache.index;
  }

  /** Like read(), but undefined instead of PROFILE_NOT_FOUND. */
  readIfAny(): RawProfile | undefined {
    try {
      return this.read();
    } catch (err) {
      if (err instanceof VaultError && err.code === 'PROFILE_NOT_FOUND') return undefined;
      throw err;
    }
  }

  private load(kind: RawProfile['kind'], path: string, stamp: FileStamp): RawProfile {
    if (this.cache && this.cache.read.path === path && sameStamp(this.cache.stamp, stamp)) return this.cache.read;
    // ~/.cp-whisperx as a link is refused like a linked profile: what it points to is not ours to trust (or chmod).
    if (kind === 'profile' && this.paths.dedicatedDir) refuseLinkedFolder(dirname(path));
    if (kind === 'profile' && lstatSync(path, { throwIfNoEntry: false })?.isDirectory()) this.refuseFolder();
    const { bytes, stamp: readStamp } = readSecureBytes(path, { warn: this.warn, ...(kind === 'profile' ? { maxBytes: PROFILE_READ_LIMIT } : {}) });
    const notUtf8Line = firstLineNotUtf8(bytes);
    const text = bytes.toString('utf8');
    let raw: unknown = UNPARSED;
    try {
      if (notUtf8Line === undefined) raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch {
      // left UNPARSED: the full parser reports line and column without quoting the text
    }
    if (notUtf8Line === undefined) refuseOverDeep(text, path, raw);
    const read: RawProfile = { kind, path, raw, text, stamp: readStamp, ...(notUtf8Line !== undefined ? { notUtf8Line } : {}) };
    this.cache = { stamp: readStamp, read };
    return read;
  }

  /** A folder where the profile is named: said as one (folderAsProfile), else as any non-file (readSecureBytes). */
  private refuseFolder(): void {
    const err = folderAsProfile(this.paths);
    if (err) throw err;
  }

  /** Forgets what lookup() found (after this process wrote the lookup copy). */
  forgetLookup(): void {
    this.lookupCache = undefined;
  }

  /** Forgets the cache (after this process wrote the file itself). */
  invalidate(): void {
    this.cache = undefined;
    this.lookupCache = undefined;
    this.foldedRead = undefined;
    this.foldedLookup = undefined;
  }

  /** `base` (the profile as read) with the overlay's changes in its credential metadata; the same object while neither file changes. */
  private withOverlay(base: RawProfile, overlay: Overlay | undefined): RawProfile {
    if (!overlay) return base;
    if (this.foldedRead?.base === base && sameStamp(this.foldedRead.overlay, overlay.stamp)) return this.foldedRead.read;
    const read: RawProfile = { ...base, raw: foldOverlay(base.raw, overlay.entries), overlay: overlay.entries };
    this.foldedRead = { base, overlay: overlay.stamp, read };
    return read;
  }
}

/**
 * A lookup copy with the overlay's changes on top: each credential the
 * overlay names is answered from it, the count of values in the secret store
 * adjusted. Undefined when the copy has a damaged line for one of them (the
 * caller parses the profile instead).
 */
export function lookupWithOverlay(base: LookupIndex, entries: OverlayEntries): LookupIndex | undefined {
  let keychainCount = base.keychainCount;
  try {
    for (const [id, meta] of entries) {
      if (base.meta(id)?.storage === 'keychain') keychainCount--;
      if (meta?.storage === 'keychain') keychainCount++;
    }
  } catch {
    return undefined;
  }
  return {
    head: base.head,
    keychainCount,
    meta: (id) => (entries.has(id) ? (entries.get(id) ?? undefined) : base.meta(id)),
    envVarOwner(name) {
      // The overlay's credentials by their entries now; the copy's answer only for a credential the overlay leaves alone.
      let owner: string | undefined;
      for (const [id, meta] of entries) if (meta && envVarOf(id, meta) === name) owner = id;
      if (owner !== undefined) return owner;
      const was = base.envVarOwner(name);
      return was !== undefined && !entries.has(was) ? was : undefined;
    },
  };
}

/**
 * PROFILE_INVALID when `text` nests deeper than MAX_JSON_DEPTH (where, never
 * what). JSON.parse is iterative and takes any depth; what runs after it (the
 * schema, a write's stringify) would overflow. Every read checks it: `get`
 * and `exec` read a profile of 100,000 levels that doctor and set refused.
 */
export function refuseOverDeep(text: string, path: string, parsed: unknown = UNPARSED): void {
  // Parsed (JSON.parse is iterative), the document's containers are walked, which is much cheaper than the text:
  // the text is scanned only to say where, or when it is not JSON.
  if (parsed !== UNPARSED && !nestsDeeper(parsed)) return;
  const at = overDeepAt(text);
  if (at < 0) return;
  const line = text.slice(0, at).split('\n').length;
  throw new VaultError('PROFILE_INVALID', `${path} nests deeper than ${MAX_JSON_DEPTH} levels (line ${line}); refusing to read it.`, `Remove the deep nesting near line ${line} of ${path}, or move the file aside and run: cpw-vault setup`);
}

/**
 * Like readSecureFile (secure-fs.ts), for a file the user may edit by hand (the
 * profile): bytes that are not UTF-8 (a name saved as Latin-1) are refused
 * with PROFILE_INVALID and the line, where decoding made them U+FFFD and the
 * next write saved that in place of the user's text.
 */
export function readSecureUtf8(path: string, options: SecureReadOptions): { text: string; stamp: FileStamp } {
  const { bytes, stamp } = readSecureBytes(path, options);
  const line = firstLineNotUtf8(bytes);
  if (line !== undefined) throw notUtf8(path, line);
  return { text: bytes.toString('utf8'), stamp };
}

/** The first line (from 1) of `bytes` that is not UTF-8; undefined when all of it is. */
function firstLineNotUtf8(bytes: Buffer): number | undefined {
  if (isUtf8(bytes)) return undefined;
  let line = 1;
  for (let start = 0; start < bytes.length; line++) {
    const end = bytes.indexOf(0x0a, start);
    if (!isUtf8(bytes.subarray(start, end < 0 ? bytes.length : end))) break;
    start = end < 0 ? bytes.length : end + 1;
  }
  return line;
}

/** PROFILE_INVALID for a profile that is not UTF-8 at `line`. */
export function notUtf8(path: string, line: number): VaultError {
  return new VaultError('PROFILE_INVALID', `${path} is not valid UTF-8 (line ${line}); refusing to read it: a rewrite would replace those bytes.`, `Save ${path} as UTF-8 (your editor's encoding setting), or retype the text on line ${line}.`);
}
