import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { VaultError } from '../../core/errors';

/** Where cpw-vault keeps its own files: the profile, and whether its folder is cpw-vault's alone (~/.cp-whisperx). */
export interface OwnFiles {
  profile: string;
  dedicatedDir: boolean;
}

/** The first versions' files beside a named profile (now named after it: `<profile>.audit.log`, ...). */
const FIRST_VERSIONS_BESIDE = /^(audit\.log(\.\d+)?|runs\.json)$/;
/**
 * What follows `<profile>.` in the name of a file of a named profile: its sidecars, vault files, lock and temp
 * files. Only these: `settings.json` beside a profile named `settings` is the user's.
 */
const SIDECAR = /^(audit\.log(\.\d+)?|runs\.jsonl?|journal|usage|profile\.(checked|index|changes)|backend-move|identity\.age|vault\.age|lock)([.-].*)?$/;

/**
 * Whether `a` and `b` name one file, however they are spelled: a symlinked
 * folder on the way (`~/Documents` linked to `~/.cp-whisperx`) or a hard
 * link. False when either does not exist.
 */
export function isSameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Whether a migration source is the profile itself (a seed profile migrated in place), however its path is spelled. */
export function isTheProfile(source: string, profile: string): boolean {
  return resolve(source) === resolve(profile) || isSameFile(source, profile);
}

/** The real path of `path` (links on the way followed), else its resolved spelling when it does not exist. */
function realOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * Refuses cpw-vault's own files as a migration source (INVALID_ARGUMENT): the
 * profile, its audit log and run history, anything in its own folder,
 * compared by the file itself, not by spelling. Deleting "the plaintext"
 * of a source that is the live profile reached through a symlinked folder
 * would delete the vault's index. `allowProfile`: the profile itself is
 * accepted (a seed profile migrated in place, named with --from).
 */
export function refuseOwnFiles(path: string, own: OwnFiles, options: { allowProfile?: boolean } = {}): void {
  const isProfile = isSameFile(path, own.profile) || realOf(path) === realOf(own.profile);
  if (isProfile && options.allowProfile) return;
  const real = realOf(path);
  const inFolder = dirname(real) === realOf(dirname(resolve(own.profile)));
  const name = basename(real);
  const prefix = `${basename(own.profile)}.`;
  const sidecar = (name.startsWith(prefix) && SIDECAR.test(name.slice(prefix.length))) || FIRST_VERSIONS_BESIDE.test(name);
  if (isProfile || (inFolder && (own.dedicatedDir || sidecar))) {
    throw new VaultError('INVALID_ARGUMENT', `${path} is one of cpw-vault's own files, not a plaintext secrets file; nothing was changed.`, 'Choose a secrets.json, .env or token file.');
  }
}
