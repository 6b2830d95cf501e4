import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, parse, resolve } from 'node:path';
import { VaultError } from '../../core/errors';
import { shellWord } from '../../core/control-chars';
import { nodeOs } from '../builtins';
import { alteredEnvVars } from '../exec/env-bytes';

/** Folder and file name of the default profile: ~/.cp-whisperx/user.profile. */
export const PROFILE_DIR_NAME = '.cp-whisperx';
export const PROFILE_FILE_NAME = 'user.profile';
/** The seed's plaintext file, read (never written) as a deprecated fallback. */
export const LEGACY_SECRETS_PATH = join('config', 'secrets.json');

/** Where a profile comes from, and so how it may be treated. */
export type ProfileOrigin = 'explicit' | 'env' | 'default';

/** Inputs of path resolution; every capability comes in as a parameter. */
export interface PathInputs {
  /** Explicit path (`--profile`, `openVault({ profilePath })`). */
  profilePath?: string | undefined;
  env?: Readonly<Record<string, string | undefined>>;
  homeDir?: string;
  cwd?: string;
}

/** The resolved paths of one vault. */
export interface ProfilePaths {
  /** The profile file this vault reads and writes. */
  profile: string;
  origin: ProfileOrigin;
  /** The deprecated config/secrets.json to fall back to (only for the default origin). */
  legacySecrets: string | undefined;
  /** True when the profile's folder belongs to cpw-vault and its mode is enforced. */
  dedicatedDir: boolean;
  /** True for ~/.cp-whisperx/user.profile however it was named: its keychain names are the historical ones. */
  isDefault: boolean;
}

/** The user's home folder as os.homedir() finds it: $HOME when set and not empty, else the password database (node:os only then). */
function homeFolder(): string {
  return process.env['HOME'] || nodeOs().homedir();
}

/**
 * The working directory, or undefined when it was removed under the process (a job folder a cleanup step deleted):
 * process.cwd() throws ENOENT then, and a stage reading its keys from the profile in HOME needs no working directory.
 */
export function workingDir(): string | undefined {
  try {
    return process.cwd();
  } catch {
    return undefined;
  }
}

/** A relative profile path (`--profile`, `CPW_PROFILE`) with no working directory to resolve it from. */
function noWorkingDir(path: string, via: string): VaultError {
  return new VaultError('PROFILE_NOT_FOUND', `The profile path ${path} (from ${via}) is relative, and the working directory it is relative to no longer exists.`, 'Give the profile as an absolute path, or run from a folder that exists.');
}

/**
 * Refuses the variable the profile path comes from when, as this process received it, it is not UTF-8: Node reads it
 * with U+FFFD in place of the invalid bytes, and a HOME of /home/café in Latin-1 had the profile written under a new
 * folder, /home/caf\uFFFD/.cp-whisperx, beside the user's own (whose keys were then "missing").
 */
function notUtf8(from: Readonly<Record<string, string>>): void {
  const [name] = alteredEnvVars(from);
  if (!name) return;
  throw new VaultError('INVALID_ARGUMENT', `${name} is not valid UTF-8 text: the profile would be read and written under another folder, its invalid bytes replaced by U+FFFD; nothing was read or written.`, `Rename the folder to UTF-8 (convmv -f LATIN1 -t UTF-8) and set ${name} to the new name, or give the profile in a folder whose path is UTF-8: --profile PATH.`);
}

/**
 * Refuses a profile path given as nothing: `--profile ''` (a script's `--profile "$UNSET_VAR"`) read and wrote the
 * default profile, the user's main vault, in its place; one of spaces only (from --profile or CPW_PROFILE) a profile
 * named by its spaces in the working directory. CPW_PROFILE= (empty) stays unset, as every variable cpw-vault reads
 * exported empty is (README: `CPW_VAULT_BIN=`, `HF_TOKEN=`): `CPW_PROFILE= cpw-vault ...` is how a shell that exports
 * one runs a command on the default profile. A CPW_PROFILE beside --profile is not read, so not refused. Nor is one
 * directly in the root folder taken ({@link assertNotAtRoot}; a relative one judged from `cwd`, when given).
 * Throws INVALID_ARGUMENT naming --profile or CPW_PROFILE.
 */
export function assertProfileNamed(profilePath: string | undefined, env: Readonly<Record<string, string | undefined>>, cwd?: string): void {
  const [via, given] = profilePath !== undefined ? ['--profile', profilePath] : ['CPW_PROFILE', env['CPW_PROFILE']];
  if (given === undefined || (via === 'CPW_PROFILE' && given === '')) return;
  if (given.trim() !== '') return assertNotAtRoot(via, given, cwd);
  const what = given === '' ? 'is empty' : 'is only spaces';
  throw new VaultError('INVALID_ARGUMENT', `${via} ${what}: it names no profile file, so nothing was read or written (the default profile is not used in its place).`, via === '--profile' ? "Give the profile file's path (--profile ./team.profile), or leave --profile out for the default profile." : "Set CPW_PROFILE to the profile file's path, or unset it (unset CPW_PROFILE) for the default profile.");
}

/**
 * Refuses a profile directly in the root folder: `--profile "$DIR/user.profile"` with DIR unset is /user.profile, which
 * a user almost never means. A get said "does not exist ... to create a profile there: cpw-vault --profile
 * /user.profile setup"; as root, set created it there, its index, audit log and lock beside it in /. A relative path
 * is judged from `cwd` (none given: not judged). The folder is judged where it really is: one reached through a link to
 * / (~/rootlink/user.profile) wrote all of these in / as well. Throws INVALID_ARGUMENT naming what was given.
 */
function assertNotAtRoot(via: string, given: string, cwd: string | undefined): void {
  if (cwd === undefined && !isAbsolute(given)) return;
  const path = cwd === undefined ? resolve(given) : resolve(cwd, given);
  const { root, dir } = parse(path);
  if (dir !== root) return assertNotLinkedToRoot(via, given, path);
  const where = path === given ? '' : ` (${shellWord(path)})`;
  throw new VaultError(
    'INVALID_ARGUMENT',
    `${via} ${shellWord(given)}${where} is ${path === root ? 'the root folder itself' : `directly in the root folder ${root}`}: ${isAbsolute(given) ? 'most often a path built from a variable that is not set ("$DIR/user.profile" with DIR unset)' : `a relative path, taken from the working folder ${root} (where cron, systemd and containers often start)`}. Nothing was read or written.`,
    ownFolderFix(via, 'Check the variable the path is built from, or give'),
  );
}

/** The fix line of a profile refused at the root folder: a profile in a folder of its own, in the way it was named. */
function ownFolderFix(via: string, lead: string): string {
  return via === '--profile' ? `${lead} a profile in a folder of its own: --profile ~/.cp-whisperx/team.profile` : 'Set CPW_PROFILE to a profile in a folder of its own (CPW_PROFILE=~/.cp-whisperx/team.profile), or unset it for the default profile.';
}

/**
 * {@link assertNotAtRoot} for the folder `path` is in as the file system resolves it (symbolic links followed): one
 * that does not exist, or cannot be resolved, is not the root folder (what opens the profile then says why).
 */
function assertNotLinkedToRoot(via: string, given: string, path: string): void {
  let real: string;
  try {
    real = realpathSync.native(dirname(path));
  } catch {
    return;
  }
  if (real !== parse(real).root) return;
  const where = path === given ? '' : ` (${shellWord(path)})`;
  throw new VaultError(
    'INVALID_ARGUMENT',
    `${via} ${shellWord(given)}${where} leads to ${shellWord(join(real, basename(path)))}, directly in the root folder ${real}: its folder ${shellWord(dirname(path))} leads to ${real} through a symbolic link. Nothing was read or written.`,
    ownFolderFix(via, 'Give'),
  );
}

/**
 * Resolves the profile path in the documented load order: explicit path,
 * then `CPW_PROFILE`, then ~/.cp-whisperx/user.profile, then (reads only)
 * config/secrets.json in the working directory (none when that was removed).
 * Throws PROFILE_NOT_FOUND for a relative profile path with no working directory, INVALID_ARGUMENT for a path given as
 * nothing ({@link assertProfileNamed}).
 */
export function resolveProfilePaths(inputs: PathInputs = {}): ProfilePaths {
  const env = inputs.env ?? process.env;
  const cwd = inputs.cwd ?? workingDir();
  assertProfileNamed(inputs.profilePath, env, cwd);
  const from = (path: string, via: string): string => {
    if (cwd === undefined && !isAbsolute(path)) throw noWorkingDir(path, via);
    return cwd === undefined ? resolve(path) : resolve(cwd, path);
  };
  const home = inputs.homeDir ?? homeFolder();
  const fromEnv = env['CPW_PROFILE'];
  if (!inputs.profilePath) notUtf8(fromEnv ? { CPW_PROFILE: fromEnv } : inputs.homeDir === undefined && process.env['HOME'] ? { HOME: process.env['HOME'] } : {});
  let profile: string;
  let origin: ProfileOrigin;
  if (inputs.profilePath) {
    profile = from(inputs.profilePath, '--profile');
    origin = 'explicit';
  } else if (fromEnv) {
    profile = from(fromEnv, 'CPW_PROFILE');
    origin = 'env';
  } else {
    profile = join(home, PROFILE_DIR_NAME, PROFILE_FILE_NAME);
    origin = 'default';
  }
  return {
    profile,
    origin,
    isDefault: profile === join(home, PROFILE_DIR_NAME, PROFILE_FILE_NAME),
    legacySecrets: origin === 'default' && cwd !== undefined ? resolve(cwd, LEGACY_SECRETS_PATH) : undefined,
    dedicatedDir: origin === 'default' || basename(dirname(profile)) === PROFILE_DIR_NAME,
  };
}

/**
 * A folder named as the profile (`--profile ~/.cp-whisperx`: the folder, for the file in it). The generic "not a
 * regular file" offered `mv` of it aside: pasted, that moved the profile, its index, history and vault file, and the
 * next command began an empty profile. Only for a profile named by --profile or CPW_PROFILE (undefined otherwise):
 * the default's name is the file's own.
 */
export function folderAsProfile(paths: ProfilePaths): VaultError | undefined {
  if (paths.origin === 'default') return undefined;
  const inside = shellWord(join(paths.profile, PROFILE_FILE_NAME));
  return new VaultError('PROFILE_INVALID', `${paths.profile} is a folder, not a profile file.`, `Give the profile file in it: ${paths.origin === 'env' ? `CPW_PROFILE=${inside}` : `--profile ${inside}`}`);
}

/**
 * A file that belongs to one profile (audit log, run history, usage marks):
 * beside it, named after it, so that profiles sharing a folder never share
 * these. The default profile keeps the historical names (`audit.log`, ...).
 */
export function sidecarPath(paths: ProfilePaths, name: string): string {
  const dir = dirname(paths.profile);
  return paths.isDefault ? join(dir, name) : join(dir, `${basename(paths.profile)}.${name}`);
}

/**
 * Where the first versions of cpw-vault (before sidecars were named after
 * their profile) kept `name` for a profile other than the default: plainly
 * beside it. Read so an upgrade keeps that profile's history and audit
 * trail; undefined for the default profile (its names never changed) and in
 * a .cp-whisperx folder, where such a file is the default profile's.
 */
export function firstVersionSidecar(paths: ProfilePaths, name: string): string | undefined {
  return paths.isDefault || basename(dirname(paths.profile)) === PROFILE_DIR_NAME ? undefined : join(dirname(paths.profile), name);
}
