import { VaultError } from './errors';
import { PROFILE_MAJOR as CURRENT_MAJOR, PROFILE_VERSION } from './profile-version';

type Json = Record<string, unknown>;

/** One pure upgrade step from a major schema version to the next. */
export interface UpgradeStep {
  readonly fromMajor: number;
  readonly to: string;
  readonly up: (data: Json) => Json;
}

function asObject(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Json) } : {};
}

/**
 * The upgrade chain. Each step is pure and keeps every field it does not
 * know. 1.x (the seed TRD schema) -> 2.0 adds the credential metadata
 * section and notification toggles; slots, user details and preferences carry over.
 */
export const UPGRADE_STEPS: readonly UpgradeStep[] = [
  {
    fromMajor: 1,
    to: '2.0',
    up: (data) => {
      const preferences = asObject(data['preferences']);
      preferences['notifications'] = asObject(preferences['notifications']);
      return {
        ...data,
        version: '2.0',
        user: asObject(data['user']),
        online_services: asObject(data['online_services']),
        preferences,
        credential_metadata: asObject(data['credential_metadata']),
      };
    },
  },
];

/**
 * Brings `data` (already known to have a valid "N.N" version) up to
 * {@link PROFILE_VERSION} through the chain of steps. Throws
 * PROFILE_VERSION_UNSUPPORTED for a file written by a newer cpw-vault.
 */
export function upgradeProfileData(data: Json): Json {
  let current = data;
  for (;;) {
    const version = String(current['version']);
    const major = Number(version.split('.')[0]);
    if (major === CURRENT_MAJOR) return { ...current, version: PROFILE_VERSION };
    if (major > CURRENT_MAJOR) {
      throw new VaultError(
        'PROFILE_VERSION_UNSUPPORTED',
        `The profile has schema version ${version}, newer than this cpw-vault understands (${PROFILE_VERSION}).`,
        'Update cpw-vault to the latest release; the file was left untouched.',
      );
    }
    const step = UPGRADE_STEPS.find((s) => s.fromMajor === major);
    if (!step) {
      throw new VaultError('PROFILE_VERSION_UNSUPPORTED', `No upgrade path from profile schema version ${version}.`, 'Create a new profile with: cpw-vault setup');
    }
    current = step.up(current);
  }
}
