import { dirname } from 'node:path';
import { VaultError } from '../../core/errors';
import { resolveProfilePaths, type PathInputs, type ProfilePaths } from './paths';
import { refuseLinkedFolder, PROFILE_READ_LIMIT, readSecureFile, sameStamp, stampOf, type FileStamp } from './secure-fs';

/** Marks a document that JSON.parse refused (the full parser reports where). */
export const UNPARSED: unique symbol = Symbol('unparsed');

/** A profile file (or the deprecated secrets.json) as read from disk, not yet validated. */
export interface RawProfile {
  kind: 'profile' | 'legacy';
  path: string;
  /** JSON.parse of the text, or UNPARSED. */
  raw: unknown;
  text: string;
}

export function defaultWarn(message: string): void {
  process.stderr.write(`cpw-vault: warning: ${message}\n`);
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
  private readonly warned = new Set<string>();

  constructor(inputs: PathInputs, private readonly warnSink: (message: string) => void = defaultWarn) {
    this.paths = resolveProfilePaths(inputs);
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
    const stamp = stampOf(this.paths.profile);
    if (stamp) return this.load('profile', this.paths.profile, stamp);
    const legacy = this.paths.legacySecrets;
    const legacyStamp = legacy ? stampOf(legacy) : undefined;
    if (legacy && legacyStamp) {
      const read = this.load('legacy', legacy, legacyStamp);
      this.warn(`Using deprecated ${legacy} (plaintext secrets). Move them into the keychain: cpw-vault migrate`);
      return read;
    }
    this.cache = undefined;
    throw new VaultError(
      'PROFILE_NOT_FOUND',
      `No profile found at ${this.paths.profile}${this.paths.origin === 'default' ? ' (and no config/secrets.json in the working directory)' : ''}.`,
      'Create one with: cpw-vault setup   (or open the cpw-vault app)',
    );
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
    const { text, stamp: readStamp } = readSecureFile(path, { warn: this.warn, ...(kind === 'profile' ? { maxBytes: PROFILE_READ_LIMIT } : {}) });
    let raw: unknown = UNPARSED;
    try {
      raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch {
      // left UNPARSED: the full parser reports line and column without quoting the text
    }
    const read: RawProfile = { kind, path, raw, text };
    this.cache = { stamp: readStamp, read };
    return read;
  }

  /** Forgets the cache (after this process wrote the file itself). */
  invalidate(): void {
    this.cache = undefined;
  }
}
