/** The profile schema version this build writes. */
export const PROFILE_VERSION = '2.0';
/** Its major number: files with another major go through the upgrade chain. */
export const PROFILE_MAJOR = Number(PROFILE_VERSION.split('.')[0]);
/**
 * Revision of the schema's rules within a version: bump it whenever
 * profile-schema.ts accepts or fills in anything differently, so texts
 * validated by an older build are validated again (see ValidatedText).
 */
export const PROFILE_SCHEMA_REVISION = 1;
