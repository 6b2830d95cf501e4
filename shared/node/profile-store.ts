import { dirname } from 'node:path';
import { VaultError } from '../core/errors';
import { parseJson } from '../core/json';
import { legacyValues } from '../core/legacy-secrets';
import { createProfileTemplate, type Profile } from '../core/profile-schema';
import { parseProfile } from '../core/profile-parse';
import { withFileLock } from './file-lock';
import { resolveProfilePaths, type PathInputs, type ProfilePaths } from './profile-paths';
import { ensurePrivateDir, orphanTemps, readSecureFile, removeOrphanTemps, sameStamp, stampOf, writeSecureFile, type FileStamp } from './secure-fs';
import type { CredentialId } from '../core/catalog';

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
}

function defaultWarn(message: string): void {
  process.stderr.write(`cpw-vault: warning: ${message}\n`);
}

function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? '';
}

/**
 * The profile file: cached per process, re-read when the file changes on
 * disk, written atomically under a cross-process lock. Never holds a secret.
 */
export class ProfileStore {
  readonly paths: ProfilePaths;
  private readonly warn: (message: string) => void;
  private readonly now: () => Date;
  private readonly lockWaitMs: number | undefined;
  private readonly writeFile: typeof writeSecureFile;
  private cache: { stamp: FileStamp; loaded: LoadedProfile } | undefined;
  private warned = new Set<string>();

  constructor(options: ProfileStoreOptions = {}) {
    this.paths = resolveProfilePaths(options);
    this.warn = options.warn ?? defaultWarn;
    this.now = options.now ?? (() => new Date());
    this.lockWaitMs = options.lockWaitMs;
    this.writeFile = options.writeFile ?? writeSecureFile;
  }

  /** Warns once per process per distinct message (a hot loop must not flood stderr). */
  private warnOnce = (message: string): void => {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.warn(message);
  };

  /** True when the profile file exists. */
  exists(): boolean {
    return stampOf(this.paths.profile) !== undefined;
  }

  /**
   * The current profile, from cache when the file is unchanged. Falls back to
   * config/secrets.json (read-only, with a deprecation warning) when the
   * default profile does not exist. Throws PROFILE_NOT_FOUND when neither does.
   */
  read(): LoadedProfile {
    const stamp = stampOf(this.paths.profile);
    if (stamp) return this.cached(this.paths.profile, stamp, () => this.loadProfile());
    const legacy = this.paths.legacySecrets;
    const legacyStamp = legacy ? stampOf(legacy) : undefined;
    if (legacy && legacyStamp) return this.cached(legacy, legacyStamp, () => this.loadLegacy(legacy));
    this.cache = undefined;
    throw new VaultError(
      'PROFILE_NOT_FOUND',
      `No profile found at ${this.paths.profile}${this.paths.origin === 'default' ? ' (and no config/secrets.json in the working directory)' : ''}.`,
      'Create one with: cpw-vault setup   (or open the cpw-vault app)',
    );
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

  private cached(path: string, stamp: FileStamp, load: () => LoadedProfile): LoadedProfile {
    if (this.cache && this.cache.loaded.path === path && sameStamp(this.cache.stamp, stamp)) return this.cache.loaded;
    const loaded = load();
    this.cache = { stamp, loaded };
    return loaded;
  }

  private parseFile(path: string): { value: unknown } {
    const { text } = readSecureFile(path, { warn: this.warnOnce });
    const parsed = parseJson(text);
    if (!parsed.ok) {
      throw new VaultError('PROFILE_INVALID', `${path} is not valid JSON: ${parsed.reason} at line ${parsed.line}, column ${parsed.column}.`, `Fix the JSON at line ${parsed.line}, column ${parsed.column} of ${path}.`);
    }
    if (parsed.duplicateKeys.length) this.warnOnce(`${path} repeats key(s) ${parsed.duplicateKeys.join(', ')}; the last one wins.`);
    return { value: parsed.value };
  }

  private loadProfile(): LoadedProfile {
    const path = this.paths.profile;
    return { kind: 'profile', path, profile: parseProfile(this.parseFile(path).value, path) };
  }

  private loadLegacy(path: string): LoadedProfile {
    const { value } = this.parseFile(path);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new VaultError('PROFILE_INVALID', `${path} must hold a JSON object at the top level.`, `Fix ${path}, or create a profile with: cpw-vault setup`);
    }
    this.warnOnce(`Using deprecated ${path} (plaintext secrets). Move them into the keychain: cpw-vault migrate`);
    return { kind: 'legacy', path, profile: createProfileTemplate(this.now()), values: legacyValues(value as Record<string, unknown>) };
  }

  /**
   * Start-up recovery: removes temp files left by a writer that was killed
   * mid-write, under the lock (a live writer's temp file is never touched).
   * Costs one readdir when there is nothing to clean. Returns how many went.
   */
  async recover(): Promise<number> {
    if (!orphanTemps(this.paths.profile).length) return 0;
    return withFileLock(this.paths.profile, async () => removeOrphanTemps(this.paths.profile), this.lockWaitMs);
  }

  /**
   * Read-modify-write under the cross-process lock: re-reads the file (never
   * the cache), applies `mutate`, validates, writes atomically. Creates the
   * profile from the template when it does not exist. Refuses
   * (PROFILE_READ_ONLY) while the deprecated secrets.json is the only source,
   * unless `allowOverLegacy` (migration).
   */
  async update(mutate: (profile: Profile) => Profile | Promise<Profile>, options: { allowOverLegacy?: boolean } = {}): Promise<Profile> {
    const path = this.paths.profile;
    if (!options.allowOverLegacy && !this.exists() && this.paths.legacySecrets && stampOf(this.paths.legacySecrets)) {
      throw new VaultError(
        'PROFILE_READ_ONLY',
        `The only credentials source is the deprecated ${this.paths.legacySecrets}, which cpw-vault reads but never writes.`,
        'Move it into the keychain first: cpw-vault migrate',
      );
    }
    ensurePrivateDir(dirname(path), this.paths.dedicatedDir);
    return withFileLock(path, async (lock) => {
      removeOrphanTemps(path);
      const current = stampOf(path) ? parseProfile(this.parseFile(path).value, path) : createProfileTemplate(this.now(), systemTimeZone());
      const next = parseProfile(await mutate(current), path);
      lock.assertHeld();
      await this.writeFile(path, `${JSON.stringify(next, null, 2)}\n`, this.paths.dedicatedDir);
      const stamp = stampOf(path);
      if (stamp) this.cache = { stamp, loaded: { kind: 'profile', path, profile: next } };
      return next;
    }, this.lockWaitMs);
  }
}
