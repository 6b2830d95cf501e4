import type * as z from 'zod/mini';
import { listedNames, VaultError, type FieldError } from './errors';
import { hasControlChars, shellWord } from './control-chars';
import { hasLoneSurrogate } from './credential';
import { isFetchableAvatarUrl } from './avatar-url';
import { canonicalTimeZone, isTimeZone } from './timezone';
import { findPlaintextSecrets } from './profile-index';
import { upgradeProfileData } from './profile-upgrade';
import { agreeing, counted } from './plural';
import { BROKEN_CHARACTER, credentialMetaSchema, preferencesSchema, profileSchema, schemas, userSchema, type CredentialMeta, type Preferences, type Profile, type UserDetails } from './profile-schema';

/** Converts zod issues to field errors (path + message; zod never quotes the input here). */
export function fieldErrors(issues: readonly z.core.$ZodIssue[], prefix = ''): FieldError[] {
  return issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

function invalid(message: string, fields: FieldError[]): VaultError {
  return new VaultError('PROFILE_INVALID', message, 'Fix the fields named above in the profile file, or move it aside and run: cpw-vault setup', { fields });
}

/**
 * Validates a parsed profile document and upgrades it to the current schema.
 * Throws PROFILE_INVALID with field-level errors, PROFILE_PLAINTEXT when it
 * holds secret values (a seed 1.0 file: migrate it), or
 * PROFILE_VERSION_UNSUPPORTED.
 */
export function parseProfile(raw: unknown, where = 'the profile'): Profile {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalid(`${where} must hold a JSON object at the top level.`, [{ path: '', message: 'expected an object' }]);
  }
  const data = raw as Record<string, unknown>;
  const missing: FieldError[] = [];
  if (!('version' in data)) missing.push({ path: 'version', message: 'required field is missing' });
  if (!('credentials' in data)) missing.push({ path: 'credentials', message: 'required field is missing' });
  if (missing.length) throw invalid(`${where} is missing ${agreeing(missing.length, 'a required field', 'required fields')}: ${listedNames(missing, (m) => m.path)}.`, missing);
  if (typeof data['version'] !== 'string' || !/^\d+\.\d+$/.test(data['version'])) {
    throw invalid(`${where} has an invalid version: expected "N.N", e.g. "2.0".`, [{ path: 'version', message: 'must be a string such as "2.0"' }]);
  }
  const plaintext = findPlaintextSecrets(data);
  if (plaintext.length) {
    throw new VaultError(
      'PROFILE_PLAINTEXT',
      `${where} holds ${counted(plaintext.length, 'secret value')} in plaintext (${listedNames(plaintext, (p) => p)}). cpw-vault keeps secrets only in the OS keychain.`,
      `Move ${agreeing(plaintext.length, 'it', 'them')} into the keychain with: cpw-vault migrate --from ${where === 'the profile' ? 'PROFILE' : shellWord(where)}`,
    );
  }
  const result = profileSchema.safeParse(upgradeProfileData(data));
  if (!result.success) {
    const fields = fieldErrors(result.error.issues);
    throw invalid(`${where} is not valid: ${listedNames(fields, (f) => `${f.path || '(top)'} ${f.message}`, '; ')}.`, fields);
  }
  return result.data;
}

/**
 * {@link parseProfile} for `after`, a change made to the valid `before`:
 * credential metadata entries `after` shares with `before` (the same
 * objects) were validated already and are not checked again, so a change
 * to one credential of 10,000 costs one entry, not 10,000. Everything else
 * is validated as in parseProfile.
 */
export function parseProfileChange(before: Profile, after: Profile, where?: string): Profile {
  const meta = after.credential_metadata as unknown;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return parseProfile(after, where);
  const entries = meta as Record<string, unknown>;
  const old = before.credential_metadata as Record<string, unknown>;
  const ids = Object.keys(entries);
  const isNew = (id: string) => !Object.hasOwn(old, id) || entries[id] !== old[id];
  // Object.fromEntries makes own properties of every key ("__proto__" included), never a prototype.
  const changed = Object.fromEntries(ids.filter(isNew).map((id) => [id, entries[id]]));
  const parsed = parseProfile({ ...after, credential_metadata: changed }, where);
  // Spread defines own properties ("__proto__" too) in the entries' order; the checked ones are a subset of them.
  const merged = { ...entries, ...(parsed.credential_metadata as Record<string, unknown>) };
  return { ...parsed, credential_metadata: merged as Profile['credential_metadata'] };
}

/**
 * Credential metadata entries kept outside the profile (its index changes, see
 * index-overlay.ts) validated as the profile's own are: PROFILE_INVALID with
 * the fields, named `where`.
 */
export function parseMetaEntries(entries: ReadonlyMap<string, unknown>, where: string, fix: string): Map<string, CredentialMeta> {
  const out = new Map<string, CredentialMeta>();
  for (const [id, meta] of entries) {
    const result = credentialMetaSchema.safeParse(meta);
    if (!result.success) {
      const fields = fieldErrors(result.error.issues, `credential_metadata.${id}`);
      throw new VaultError('PROFILE_INVALID', `${where} is not valid: ${listedNames(fields, (f) => `${f.path} ${f.message}`, '; ')}.`, fix, { fields });
    }
    out.set(id, result.data);
  }
  return out;
}

/** Fields of the user section a caller may change. */
export const EDITABLE_USER_FIELDS = ['name', 'email', 'job_title', 'timezone', 'avatar_url'] as const;
const EDITABLE_USER_SET: ReadonlySet<string> = new Set(EDITABLE_USER_FIELDS);
export type UserUpdate = Partial<Pick<UserDetails, (typeof EDITABLE_USER_FIELDS)[number]>>;
export type PreferencesUpdate = Partial<Omit<Preferences, 'notifications'>> & { notifications?: Partial<Preferences['notifications']> };

/**
 * Applies a user-details and/or preferences update to `profile`, returning a
 * new profile. Preferences merge (notification toggles too); unknown keys in
 * the stored preferences survive. Throws INVALID_ARGUMENT with field-level
 * errors (paths like `user.email`) and leaves `profile` unchanged.
 */
export function applyProfileUpdate(profile: Profile, update: { user?: unknown; preferences?: unknown }, now: Date): Profile {
  const fields: FieldError[] = [];
  let user = profile.user;
  let preferences = profile.preferences;
  for (const section of ['user', 'preferences'] as const) {
    const value = update[section];
    if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      fields.push({ path: section, message: 'must be an object of fields' });
    }
  }
  const shapeOk = fields.length === 0;
  if (shapeOk && update.user !== undefined) {
    const extra = unknownKeys(update.user, EDITABLE_USER_FIELDS);
    fields.push(...extra.map((k) => ({ path: `user.${k}`, message: 'is not an editable field' })));
    // Kept by the allowed names, not by "not in extra": a library caller's update may name any number of fields.
    const editable = Object.fromEntries(Object.entries(update.user as object).filter(([k]) => EDITABLE_USER_SET.has(k)));
    // A zone typed in another case (europe/paris) is stored as the runtime names it (Europe/Paris): tables show it.
    if (typeof editable['timezone'] === 'string' && editable['timezone'] !== profile.user.timezone) editable['timezone'] = canonicalTimeZone(editable['timezone']);
    const parsed = userSchema.safeParse({ ...profile.user, ...editable });
    const zone = editable['timezone'];
    // The schema checks a zone's shape; a zone being set is checked for real (ICU), once, here.
    const badZone = typeof zone === 'string' && zone !== '' && zone !== profile.user.timezone && !isTimeZone(zone) && !(parsed.error?.issues ?? []).some((i) => i.path[0] === 'timezone');
    if (badZone) fields.push({ path: 'user.timezone', message: 'must be an IANA time zone such as Europe/Paris or UTC' });
    const avatar = editable['avatar_url'];
    // Checked when set: main fetches only such an address (an IP, localhost, a port: saved, then never shown).
    if (typeof avatar === 'string' && avatar !== '' && avatar !== profile.user.avatar_url && /^https:/i.test(avatar) && !isFetchableAvatarUrl(avatar)) {
      fields.push({ path: 'user.avatar_url', message: 'must be at a host name (not an IP address or localhost), with no port or user name: the avatar is fetched only from such an address' });
    }
    // Text being set is one line without control characters: `profile show` and the app print it as it is (an
    // escape sequence would drive the terminal). Checked on write only: a file holding one still reads.
    // A lone UTF-16 half (a renderer can send one) is no character at all: written as U+FFFD, it would not read back.
    const controls = Object.entries(editable).filter(([k, v]) => typeof v === 'string' && v !== (profile.user as Record<string, unknown>)[k] && (hasControlChars(v) || hasLoneSurrogate(v)));
    fields.push(...controls.map(([k, v]) => ({ path: `user.${k}`, message: !hasLoneSurrogate(v as string) ? 'must not contain control characters (line breaks, tabs, escape sequences, text-direction overrides)' : BROKEN_CHARACTER })));
    if (!parsed.success) fields.push(...fieldErrors(parsed.error.issues, 'user').filter((f) => !controls.some(([k]) => f.path === `user.${k}`)));
    else if (!badZone && !controls.length) user = { ...parsed.data, updated_at: now.toISOString() };
  }
  if (shapeOk && update.preferences !== undefined) {
    const patch = update.preferences as Record<string, unknown>;
    const problems = preferenceProblems(patch);
    const notifications = { ...profile.preferences.notifications, ...((patch['notifications'] as object | undefined) ?? {}) };
    const parsed = preferencesSchema.safeParse({ ...profile.preferences, ...patch, notifications });
    fields.push(...problems);
    if (!parsed.success) fields.push(...fieldErrors(parsed.error.issues, 'preferences').filter((f) => !problems.some((p) => p.path === f.path)));
    else if (!problems.length) preferences = parsed.data;
  }
  if (fields.length) {
    throw new VaultError('INVALID_ARGUMENT', `Profile not saved: ${listedNames(fields, (f) => `${f.path} ${f.message}`, '; ')}.`, 'Correct the fields named above and save again.', { fields });
  }
  return { ...profile, user, preferences };
}

/** The keys preferences and notifications know, from their schemas (made when first asked: see schemas()). */
const knownKeys = (): { preferences: string[]; notifications: string[] } => ({ preferences: Object.keys(schemas().preferencesSchema.shape), notifications: Object.keys(schemas().notificationsSchema.shape) });

/**
 * What the schema alone lets through in a preferences update: keys no
 * version knows (a typo would be saved and never read), notifications given
 * as anything but an object of toggles, and a source language that is not
 * a BCP 47 tag (the schema checks its shape only; Intl checks the tag).
 */
function preferenceProblems(patch: Record<string, unknown>): FieldError[] {
  const out: FieldError[] = [];
  const { preferences: PREFERENCE_KEYS, notifications: NOTIFICATION_KEYS } = knownKeys();
  for (const k of unknownKeys(patch, PREFERENCE_KEYS)) {
    out.push({ path: `preferences.${k}`, message: k === 'timezone' ? 'is not a preference (the time zone is a profile field: cpw-vault profile set timezone=Europe/Paris)' : `is not a preference; known: ${PREFERENCE_KEYS.join(', ')}` });
  }
  const n = patch['notifications'];
  if (n !== undefined && (n === null || typeof n !== 'object' || Array.isArray(n))) {
    out.push({ path: 'preferences.notifications', message: `is a group of toggles: set one of ${NOTIFICATION_KEYS.map((k) => `notifications.${k}`).join(', ')}` });
  } else {
    for (const k of unknownKeys(n, NOTIFICATION_KEYS)) out.push({ path: `preferences.notifications.${k}`, message: `is not a notification; known: ${NOTIFICATION_KEYS.join(', ')}` });
  }
  const lang = patch['default_source_language'];
  if (typeof lang === 'string' && lang !== 'auto' && !isLanguageTag(lang)) {
    out.push({ path: 'preferences.default_source_language', message: 'must be a BCP 47 language tag such as en, de or pt-BR, or auto' });
  }
  return out;
}

/** A well-formed BCP 47 tag (Intl canonicalises it or throws). */
function isLanguageTag(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

/** Keys of `value` not in `allowed`: one pass, one Set lookup per key (an update may name 100,000 fields). */
function unknownKeys(value: unknown, allowed: readonly string[]): string[] {
  if (value === null || typeof value !== 'object') return [];
  const known = new Set(allowed);
  return Object.keys(value).filter((k) => !known.has(k));
}
