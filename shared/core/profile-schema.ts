import * as z from 'zod/mini';
import { CATALOG, LABEL_MAX, labelFits } from './catalog';
import { ENV_VAR_NAME, hasLoneSurrogate, isCredentialId } from './credential';
import { AI_PROVIDERS, WORKFLOW_NAMES } from './workflows';

import { HISTORY_LIMITS, PREFERENCE_DEFAULTS } from './preferences';
import { PROFILE_VERSION } from './profile-version';
import { isTimeZoneShape } from './timezone';
import { VERIFY_RESULTS } from './verification';

export { isTimeZone } from './timezone';

export { PROFILE_VERSION } from './profile-version';

/** Why a text holding half of a UTF-16 pair is refused, as a field's message (read and write say it alike). */
export const BROKEN_CHARACTER = 'holds a broken character (half of a UTF-16 pair)';

/**
 * The profile's schemas, made on first use: ~110 zod schemas cost ~3.5 ms to make (a third of what `doctor` adds to a
 * `get`), and a read of a profile the vault wrote itself never runs them (see ValidatedText).
 */
function build() {
  const timestamp = z.string().check(z.refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date-time'));
  const optionalTimestamp = z.optional(z.nullable(timestamp));
  /**
   * Text a person sees (a name, a label, a verify record's words) is whole characters. Half of a UTF-16 pair, written
   * as \ud800 by a hand in the file, is none: `set --label` and `profile set` refuse it, while a read took it, to be
   * printed as U+FFFD by `list`, `profile show` and the app, and never read back as it was.
   */
  const whole = () => z.refine<string>((s) => !hasLoneSurrogate(s), BROKEN_CHARACTER);
  const text160 = z.string().check(z.trim(), z.maxLength(160, 'must be at most 160 characters'), whole());
  /**
   * An address as a person writes it (RFC 6531): letters and marks of any script in the local part and the domain
   * (josé@bücher.de, 用户@例子.广告), and an IDN top-level domain in its ASCII form (xn--p1ai, .рф). z.email() took
   * ASCII letters only, its top-level domain letters only: all of those were refused as "must be an email address".
   * What z.email() takes is still taken; spaces, controls and text-direction marks are not.
   * Made on its first test, not with the schemas: a pattern of Unicode classes costs ~1 ms to make (V8 loads the
   * property tables), and most profiles hold no address to test.
   */
  let email: RegExp | undefined;
  const isEmail = (v: string) => (email ??= /^(?!\.)(?!.*\.\.)[\p{L}\p{M}\p{N}_'+\-.]*[\p{L}\p{M}\p{N}_+-]@(?:[\p{L}\p{N}][\p{L}\p{M}\p{N}-]*\.)+(?:\p{L}[\p{L}\p{M}]+|xn--[A-Za-z0-9-]+)$/u).test(v);
  const wholeNumber = (max: number) => z.int({ error: 'must be a whole number' }).check(z.minimum(1, 'must be at least 1'), z.maximum(max, `must be at most ${max}`));

  /** Field-level schema of the user section. Every field has a message a user can act on. */
  const userSchema = z.looseObject({
    name: z._default(text160, ''),
    email: z._default(z.union([z.literal(''), z.string().check(z.refine(isEmail, 'must be an email address such as ada@example.com'), z.maxLength(254, 'must be at most 254 characters'))]), ''),
    job_title: z._default(text160, ''),
    // The shape only: the zone itself is checked when a user sets it (applyProfileUpdate), not on every read.
    timezone: z._default(z.string().check(z.refine((v) => v === '' || isTimeZoneShape(v), 'must be an IANA time zone such as Europe/Paris or UTC')), ''),
    avatar_url: z._default(z.union([z.literal(''), z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).check(z.maxLength(2048, 'must be at most 2048 characters'), whole())]), ''),
    created_at: optionalTimestamp,
    updated_at: optionalTimestamp,
    last_opened_at: optionalTimestamp,
  });

  /** Notification toggles. */
  const notificationsSchema = z.looseObject({
    run_finished: z._default(z.boolean({ error: 'must be true or false' }), true),
    run_failed: z._default(z.boolean({ error: 'must be true or false' }), true),
    credential_missing: z._default(z.boolean({ error: 'must be true or false' }), true),
  });

  /** Preferences; updates merge into the stored object (see mergePreferences). */
  const preferencesSchema = z.looseObject({
    default_workflow: z._default(z.enum(WORKFLOW_NAMES, { error: `must be one of ${WORKFLOW_NAMES.join(', ')}` }), PREFERENCE_DEFAULTS.default_workflow),
    default_source_language: z._default(
      z.string().check(z.regex(/^(auto|[a-z]{2,3}(-[A-Za-z0-9]{2,8})*)$/, 'must be a language code such as en, de or pt-BR, or auto')),
      PREFERENCE_DEFAULTS.default_source_language,
    ),
    ai_provider: z._default(z.enum(AI_PROVIDERS, { error: `must be one of ${AI_PROVIDERS.join(', ')}` }), PREFERENCE_DEFAULTS.ai_provider),
    enable_cost_tracking: z._default(z.boolean({ error: 'must be true or false' }), PREFERENCE_DEFAULTS.enable_cost_tracking),
    notifications: z._default(notificationsSchema, { run_finished: true, run_failed: true, credential_missing: true }),
    /** Run history: the newest this many runs are kept... */
    history_max_runs: z._default(wholeNumber(HISTORY_LIMITS.maxRuns), PREFERENCE_DEFAULTS.history_max_runs),
    /** ...and none older than this many days. */
    history_max_age_days: z._default(wholeNumber(HISTORY_LIMITS.maxAgeDays), PREFERENCE_DEFAULTS.history_max_age_days),
  });

  /** A credential identifier `<service>.<key>`. */
  const credentialIdSchema = z.string().check(z.refine(isCredentialId, 'must be <service>.<key> in lower case, e.g. huggingface.token'));

  const shortText = (max: number) => z.string().check(z.maxLength(max), whole());

  /** The outcome of the last `cpw-vault verify` of a credential (no value, no response body). */
  const validationRecordSchema = z.looseObject({
    result: z.enum(VERIFY_RESULTS),
    at: timestamp,
    checks: z._default(z.array(shortText(120)).check(z.maxLength(20)), []),
    reason: z.optional(shortText(80)),
    account: z.optional(shortText(96)),
    role: z.optional(shortText(40)),
  });

  /** Metadata about one stored credential. Never its value: only a masked hint. */
  const credentialMetaSchema = z.looseObject({
    label: z.optional(z.string().check(z.refine(labelFits, `must be at most ${LABEL_MAX} characters`), whole())),
    created_at: timestamp,
    updated_at: timestamp,
    last_used_at: optionalTimestamp,
    last_validated_at: optionalTimestamp,
    last_validation: z.optional(validationRecordSchema),
    hint: shortText(16),
    storage: z._default(z.enum(['keychain', 'profile']), 'keychain'),
    /** Custom credentials (not in the catalog) carry the env var their user chose. */
    custom: z.optional(z.boolean()),
    /**
     * Shared through team files from this vault (team init/push --add, or a pull that brought or matched the team's
     * value): `team push` sends only these, so a teammate who names a personal key in the file cannot pull it out.
     */
    team_shared: z.optional(z.boolean()),
    env_var: z.optional(z.string().check(z.regex(ENV_VAR_NAME, 'must be an environment variable name such as MY_API_KEY'))),
  });

  const slotSection = z.record(z.string(), z.record(z.string(), z.unknown()));

  /** Where this profile's secret values live. Not a secret: which backend, and the namespace inside it. */
  const storageSchema = z.looseObject({
    backend: z._default(z.string().check(z.regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be a backend name such as keychain or file')), 'keychain'),
    /** Suffix of the keychain service name holding this profile's values: '' for the shared `cp-whisperx`, else `cp-whisperx:<suffix>`. */
    namespace: z.optional(z.string().check(z.regex(/^[A-Za-z0-9._@-]{0,64}$/, 'must be letters, digits, ".", "_", "@" or "-"'))),
  });

  /** The whole profile file (version 2.0). Unknown fields at every level survive a round trip. */
  const profileSchema = z.looseObject({
    version: z.literal(PROFILE_VERSION),
    user: z._default(userSchema, () => userSchema.parse({})),
    credentials: slotSection,
    online_services: z._default(slotSection, {}),
    preferences: z._default(preferencesSchema, () => preferencesSchema.parse({})),
    credential_metadata: z._default(z.record(credentialIdSchema, credentialMetaSchema), {}),
    storage: z.optional(storageSchema),
  });
  return { userSchema, notificationsSchema, preferencesSchema, credentialIdSchema, validationRecordSchema, credentialMetaSchema, storageSchema, profileSchema };
}

let built: ReturnType<typeof build> | undefined;

/** The schemas themselves (made once): for what a lazy one does not offer, e.g. an object's `shape`. */
export const schemas = (): ReturnType<typeof build> => (built ??= build());

/** Whether the schemas have been made in this process (a read of a profile the vault wrote makes none: tests). */
export const schemasMade = (): boolean => built !== undefined;

/** Field-level schema of the user section. Every field has a message a user can act on. */
export const userSchema = z.lazy(() => schemas().userSchema);
/** Notification toggles. */
export const notificationsSchema = z.lazy(() => schemas().notificationsSchema);
/** Preferences; updates merge into the stored object (see mergePreferences). */
export const preferencesSchema = z.lazy(() => schemas().preferencesSchema);
/** A credential identifier `<service>.<key>`. */
export const credentialIdSchema = z.lazy(() => schemas().credentialIdSchema);
/** The outcome of the last `cpw-vault verify` of a credential (no value, no response body). */
export const validationRecordSchema = z.lazy(() => schemas().validationRecordSchema);
/** Metadata about one stored credential. Never its value: only a masked hint. */
export const credentialMetaSchema = z.lazy(() => schemas().credentialMetaSchema);
/** Where this profile's secret values live (its backend and namespace). */
export const storageSchema = z.lazy(() => schemas().storageSchema);
/** The whole profile file (version 2.0). Unknown fields at every level survive a round trip. */
export const profileSchema = z.lazy(() => schemas().profileSchema);

export type Profile = z.output<typeof profileSchema>;
export type UserDetails = z.output<typeof userSchema>;
export type Preferences = z.output<typeof preferencesSchema>;
export type CredentialMeta = z.output<typeof credentialMetaSchema>;

/**
 * A fresh profile with every section and every catalog slot (empty), so a
 * legacy reader of the seed schema can still load it.
 */
export function createProfileTemplate(now: Date, timezone = ''): Profile {
  const credentials: Record<string, Record<string, unknown>> = {};
  const online: Record<string, Record<string, unknown>> = {};
  for (const entry of CATALOG) {
    const section = entry.section === 'credentials' ? credentials : online;
    const slot = (section[entry.service] ??= entry.section === 'online_services' ? { enabled: false } : {});
    slot[entry.key] = '';
  }
  const iso = now.toISOString();
  return profileSchema.parse({
    version: PROFILE_VERSION,
    user: { created_at: iso, updated_at: iso, timezone: timezone && isTimeZoneShape(timezone) ? timezone : '' },
    credentials,
    online_services: online,
    preferences: {},
    credential_metadata: {},
  });
}
