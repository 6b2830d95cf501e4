import { z } from 'zod';
import { LABEL_MAX, labelFits } from './catalog';
import { ENV_VAR_NAME, KEY_NAME, SERVICE_NAME } from './credential';
import type { VaultMethod } from './ipc-contract';
import { AUDIT_EVENTS, RUN_STATUSES } from './records';

/** Largest value the credentials.set channel carries: far over the value rule (8192), so the Vault's own clear message answers a long paste. */
export const MAX_IPC_VALUE = 4 * 1024 * 1024;

/** Largest page a list channel returns. */
export const MAX_PAGE = 500;

const ref = z.strictObject({ service: z.string().regex(SERVICE_NAME), key: z.string().regex(KEY_NAME) });
/** Handles are what main minted: 32 hex digits, never a path. */
const handle = z.string().regex(/^[0-9a-f]{32}$/);
const page = { offset: z.number().int().min(0).max(10_000_000).optional(), limit: z.number().int().min(1).max(MAX_PAGE).optional() };
const migration = z.strictObject({
  source: handle,
  overwrite: z.union([z.literal('all'), z.array(z.string().max(120)).max(200)]).optional(),
  includeUnknown: z.boolean().optional(),
  reviewed: z.string().max(128).optional(),
});

/** Most fields a profile section update may name (the profile has 5 editable user fields and 7 preferences). */
export const MAX_UPDATE_FIELDS = 32;

/**
 * A section of a profile update: an object of at most {@link MAX_UPDATE_FIELDS} fields with short names; their
 * values are the Vault's to check. Unbounded, a page sending 100,000 made-up field names held main's event loop
 * for 20 s (the window froze) and got every name back in a 10 MB error. The message quotes no name.
 */
const updateSection = z
  .record(z.string(), z.unknown())
  .refine((fields) => Object.keys(fields).length <= MAX_UPDATE_FIELDS && Object.keys(fields).every((k) => k.length <= 64), {
    message: `at most ${MAX_UPDATE_FIELDS} fields, each named in at most 64 characters`,
  });

/** A passphrase crossing IPC (the Security section): bounded; its rules (length, not the current one) are main's. */
const passphrase = z.string().min(1).max(4096);

/**
 * The argument tuple of every channel, checked in main before a handler
 * runs. Shapes only (strict objects, bounded strings); the Vault checks the
 * meaning. Lives apart from the contract so the renderer bundle never
 * carries the schema library.
 */
export const ARG_SCHEMAS = {
  profileGet: z.tuple([]),
  profileUpdate: z.tuple([z.strictObject({ user: updateSection.optional(), preferences: updateSection.optional() })]),
  profileAvatar: z.tuple([]),
  profileFixPermissions: z.tuple([]),
  credentialsList: z.tuple([]),
  credentialsSet: z.tuple([
    ref.extend({
      value: z.string().max(MAX_IPC_VALUE),
      acceptFormatWarning: z.boolean().optional(),
      label: z.string().refine(labelFits, `at most ${LABEL_MAX} characters`).optional(),
      envVar: z.string().regex(ENV_VAR_NAME).optional(),
    }),
  ]),
  credentialsDelete: z.tuple([ref]),
  credentialsReveal: z.tuple([ref]),
  credentialsCopy: z.tuple([ref]),
  workflowsValidate: z.tuple([]),
  // Which credential, or all: never a value, a URL or a timeout (main alone decides where a key may go).
  credentialsVerify: z.tuple([z.discriminatedUnion('kind', [ref.extend({ kind: z.literal('credential') }), z.strictObject({ kind: z.literal('all') })])]),
  migrationSources: z.tuple([]),
  migrationPickFile: z.tuple([]),
  // What the preload resolved for a dropped File (main confirms it with the user before minting a handle).
  migrationDrop: z.tuple([z.string().min(1).max(4096)]),
  migrationPlan: z.tuple([migration]),
  migrationApply: z.tuple([migration]),
  migrationRemovePlaintext: z.tuple([z.strictObject({ source: handle })]),
  runsList: z.tuple([z.strictObject({ status: z.enum(RUN_STATUSES).optional(), workflow: z.string().max(40).optional(), ...page })]),
  runsStats: z.tuple([]),
  auditList: z.tuple([z.strictObject({ event: z.enum(AUDIT_EVENTS).optional(), credential: z.string().max(120).optional(), ...page })]),
  doctor: z.tuple([]),
  securityStatus: z.tuple([]),
  securityUnlock: z.tuple([z.strictObject({ passphrase: passphrase })]),
  securityLock: z.tuple([]),
  securityChangePassphrase: z.tuple([z.strictObject({ current: passphrase, next: passphrase })]),
  securityUseBackend: z.tuple([z.strictObject({ backend: z.enum(['keychain', 'file']), passphrase: passphrase.optional() })]),
  securityExport: z.tuple([z.strictObject({ passphrase })]),
  securityImportPick: z.tuple([]),
  securityImportPlan: z.tuple([z.strictObject({ source: handle, passphrase, overwrite: migration.shape.overwrite })]),
  securityImportApply: z.tuple([z.strictObject({ source: handle, overwrite: migration.shape.overwrite })]),
  openExternal: z.tuple([z.string().max(2048)]),
  teamPickFile: z.tuple([]),
  teamStatus: z.tuple([z.strictObject({ handle })]),
  teamIdentity: z.tuple([]),
  teamPullPlan: z.tuple([z.strictObject({ handle })]),
  teamPull: z.tuple([z.strictObject({ handle, reviewed: z.string().max(128) })]),
  teamPush: z.tuple([z.strictObject({ handle })]),
} satisfies Record<VaultMethod, z.ZodTuple>;
