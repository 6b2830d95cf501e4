/** The profile schema version this build writes. */
export const PROFILE_VERSION = '2.0';
/** Its major number: files with another major go through the upgrade chain. */
export const PROFILE_MAJOR = Number(PROFILE_VERSION.split('.')[0]);
