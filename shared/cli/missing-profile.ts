import { assertNamedProfileExists as assertExists } from '../node/profile/named-profile';
import type { CliIO } from './io';

/**
 * For the read commands: a profile named with --profile or $CPW_PROFILE that
 * does not exist is a typo until proven otherwise (see named-profile.ts).
 */
export function assertNamedProfileExists(profileOption: string | undefined, io: Pick<CliIO, 'env' | 'cwd'>): void {
  assertExists({ profilePath: profileOption, env: io.env, cwd: io.cwd });
}
