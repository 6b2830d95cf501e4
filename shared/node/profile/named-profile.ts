import { lstatSync } from 'node:fs';
import { shellWord } from '../../core/control-chars';
import { VaultError } from '../../core/errors';
import { readError } from './file-access';
import { resolveProfilePaths, type PathInputs } from './paths';

/**
 * For reads: a profile named with --profile or $CPW_PROFILE that does not
 * exist is a typo until proven otherwise, so a read says so rather than
 * "missing credential, run cpw-vault set" (which would create a second
 * profile at the typo). The default profile may be absent (a new user).
 * Throws PROFILE_NOT_FOUND.
 */
export function assertNamedProfileExists(inputs: PathInputs): void {
  const paths = resolveProfilePaths(inputs);
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
