import { z } from 'zod';
import { ENV_VAR_NAME, KEY_NAME, SERVICE_NAME } from './credential';
import type { VaultMethod } from './ipc-contract';
import { AUDIT_EVENTS, RUN_STATUSES } from './records';

const ref = z.strictObject({ service: z.string().regex(SERVICE_NAME), key: z.string().regex(KEY_NAME) });
const migration = {
  path: z.string().min(1).max(4096).optional(),
  overwrite: z.union([z.literal('all'), z.array(z.string().max(120)).max(200)]).optional(),
  includeUnknown: z.boolean().optional(),
};

/**
 * The argument tuple of every channel, checked in main before a handler
 * runs. Shapes only (strict objects, bounded strings); the Vault checks the
 * meaning. Lives apart from the contract so the renderer bundle never
 * carries the schema library.
 */
export const ARG_SCHEMAS = {
  profileGet: z.tuple([]),
  profileUpdate: z.tuple([z.strictObject({ user: z.record(z.string(), z.unknown()).optional(), preferences: z.record(z.string(), z.unknown()).optional() })]),
  credentialsList: z.tuple([]),
  credentialsSet: z.tuple([
    ref.extend({
      value: z.string().max(16_384),
      acceptFormatWarning: z.boolean().optional(),
      label: z.string().max(80).optional(),
      envVar: z.string().regex(ENV_VAR_NAME).optional(),
    }),
  ]),
  credentialsDelete: z.tuple([ref]),
  credentialsReveal: z.tuple([ref]),
  credentialsCopy: z.tuple([ref]),
  workflowsValidate: z.tuple([]),
  migrationPickFile: z.tuple([]),
  migrationPlan: z.tuple([z.strictObject(migration)]),
  migrationApply: z.tuple([z.strictObject({ ...migration, removePlaintext: z.boolean().optional() })]),
  runsList: z.tuple([z.strictObject({ status: z.enum(RUN_STATUSES).optional(), workflow: z.string().max(40).optional() })]),
  runsStats: z.tuple([]),
  auditList: z.tuple([z.strictObject({ event: z.enum(AUDIT_EVENTS).optional(), credential: z.string().max(120).optional(), limit: z.number().int().min(1).max(1000).optional() })]),
  doctor: z.tuple([]),
  openExternal: z.tuple([z.string().max(2048)]),
} satisfies Record<VaultMethod, z.ZodTuple>;
