import { lstatSync } from 'node:fs';
import { VaultError } from '../core/errors';
import { readError } from '../node/profile/file-access';
import { resolveProfilePaths } from '../node/profile/paths';
import type { CliIO } from './io';
import { shellWord } from '../core/control-chars';

/**
 * For the read commands: a profile named with --profile or $CPW_PROFILE that
 * does not exist is a typo until proven otherwise, so a read says so rather
 * than "missing credential, run cpw-vault set" (which would create a second
 * profile at the typo). The default profile may be absent (a new user).
 */
export function assertNamedProfileExists(profileOption: string | undefined, io: Pick<CliIO, 'env' | 'cwd'>): void {
  const paths = resolveProfilePaths({ profilePath: profileOption, env: io.env, cwd: io.cwd });
  if (paths.origin === 'default') return;
  try {
    if (lstatSync(paths.profile, { throwIfNoEntry: false })) return;
  } catch (err) {
    // A path through a file, a link loop, a folder not ours to enter: said as a read would say it, never a bug report.
    throw readError(err, paths.profile);
  }
  const via = paths.origin === 'env' ? '$CPW_PROFILE' : '--profile';
  throw new VaultError('PROFILE_NOT_FOUND', `The profile ${paths.profile} (from ${via}) does not exist.`, `Check the path. To create a profile there: cpw-vault --profile ${shellWord(paths.profile)} setup`);
}
