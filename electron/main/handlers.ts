import { createHash } from 'node:crypto';
import { basename, isAbsolute } from 'node:path';
import { homedir } from 'node:os';
import { VaultError, toVaultError } from '../../shared/core/errors';
import type { IpcResult, MigrationRequest, VaultApi, VaultMethod } from '../../shared/core/ipc-contract';
import { ARG_SCHEMAS } from '../../shared/core/ipc-schemas';
import { fieldErrors } from '../../shared/core/profile-parse';
import { runDoctor } from '../../shared/node/doctor';
import { findDefaultSource, readSource } from '../../shared/node/migration/sources';
import type { RunHistory } from '../../shared/node/records/run-history';
import type { Vault } from '../../shared/node/vault/vault';
import type { ClipboardPort, DialogPort, ExternalPort, SchedulerPort } from './ports';
import { isAllowedExternal, isAppUrl } from './url-policy';

/** How long a copied secret stays on the clipboard. */
export const CLIPBOARD_CLEAR_MS = 20_000;

/** What the handlers work with. */
export interface MainDeps {
  vault: Vault;
  runs: RunHistory;
  clipboard: ClipboardPort;
  dialog: DialogPort;
  external: ExternalPort;
  scheduler: SchedulerPort;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

/** A handler per method: the same signature as the contract. */
export type Handlers = { [M in VaultMethod]: (...args: Parameters<VaultApi[M]>) => ReturnType<VaultApi[M]> };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Names a migration source may have when its path comes from the renderer (a
 * dropped file). Anything else must be chosen in main's own file dialog, so a
 * compromised page cannot make main read arbitrary files.
 */
const SOURCE_NAMES = /^(secrets\.json|user\.profile|token|\.env(\..+)?|.+\.env)$/;

/**
 * The handler object, typed from the contract: a missing or mistyped handler
 * is a compile error. Plain functions over the real Vault and the ports.
 */
export function createHandlers(deps: MainDeps): Handlers {
  const { vault } = deps;
  const granted = new Set<string>();

  /** The source of a migration request: one the user picked, or a dropped file with a secrets-like name, or the one found by default. */
  const sourcePath = (request: MigrationRequest): string | undefined => {
    if (request.path === undefined) return findDefaultSource(vault.profilePath, deps.cwd, deps.env, deps.env['HOME'] ?? homedir());
    if (granted.has(request.path) || (isAbsolute(request.path) && SOURCE_NAMES.test(basename(request.path)))) return request.path;
    throw new VaultError('INVALID_ARGUMENT', 'That file was not chosen as a migration source.', 'Choose the file with the file dialog, or drop it on the Migration screen.');
  };
  const choices = (request: MigrationRequest) => ({
    overwrite: request.overwrite === 'all' ? ('all' as const) : new Set(request.overwrite ?? []),
    includeUnknown: !!request.includeUnknown,
  });

  return {
    profileGet: async () => vault.getProfile(),
    profileUpdate: (update) => vault.updateProfile(update),
    credentialsList: async () => vault.listCredentials(),
    credentialsSet: ({ service, key, value, acceptFormatWarning, label, envVar }) =>
      vault.setCredential(service, key, value, { acceptFormatWarning: !!acceptFormatWarning, ...(label !== undefined ? { label } : {}), ...(envVar !== undefined ? { envVar } : {}) }),
    credentialsDelete: ({ service, key }) => vault.deleteCredential(service, key),
    credentialsReveal: async ({ service, key }) => (await vault.getCredential(service, key)).value,
    credentialsCopy: async ({ service, key }) => {
      const { value } = await vault.getCredential(service, key);
      deps.clipboard.writeText(value);
      // Only a hash is kept until the timer fires: enough to tell whether the clipboard still holds it.
      const digest = sha256(value);
      deps.scheduler.setTimeout(() => {
        if (sha256(deps.clipboard.readText()) === digest) deps.clipboard.clear();
      }, CLIPBOARD_CLEAR_MS);
      return { clearsAfterMs: CLIPBOARD_CLEAR_MS };
    },
    workflowsValidate: () => vault.validateAll(),
    migrationPickFile: async () => {
      const path = await deps.dialog.chooseSecretsFile();
      if (path) granted.add(path);
      return path;
    },
    migrationPlan: async (request) => {
      const path = sourcePath(request);
      if (!path) return null;
      return { path, plan: await vault.planMigration(readSource(path, deps.env), choices(request)) };
    },
    migrationApply: async (request) => {
      const path = sourcePath(request);
      if (!path) throw new VaultError('INVALID_ARGUMENT', 'There is nothing to migrate.', 'Choose a secrets file first.');
      const source = readSource(path, deps.env);
      return vault.applyMigration(source, await vault.planMigration(source, choices(request)), { removePlaintext: !!request.removePlaintext });
    },
    runsList: async (filter) => deps.runs.list(filter),
    runsStats: async () => deps.runs.stats(),
    auditList: async ({ event, credential, limit }) => vault.auditEvents({ ...(event ? { event } : {}), ...(credential ? { credential } : {}), limit: limit ?? 200 }),
    doctor: () => runDoctor(vault),
    openExternal: async (url) => {
      if (!isAllowedExternal(url)) throw new VaultError('INVALID_ARGUMENT', 'Only https pages of the credential providers can be opened.', 'Open the page yourself in a browser.');
      await deps.external.open(url);
    },
  } satisfies Handlers;
}

/** The part of Electron's IpcMainInvokeEvent a guard needs. */
export interface SenderEvent {
  senderFrame: { url: string } | null;
}

/** A handler as registered on a channel: raw arguments in, an envelope out. */
export type GuardedHandler = (event: SenderEvent, ...raw: unknown[]) => Promise<IpcResult<unknown>>;

/**
 * Wraps every handler: the sender frame must be the app's own page
 * (IPC_FORBIDDEN otherwise), the arguments must match the channel's schema
 * (INVALID_ARGUMENT with field paths), and every failure crosses as
 * { code, message, fix } — redacted, never a stack or a value.
 */
export function guardHandlers(handlers: Handlers): Record<VaultMethod, GuardedHandler> {
  const out = {} as Record<VaultMethod, GuardedHandler>;
  for (const method of Object.keys(handlers) as VaultMethod[]) {
    out[method] = async (event, ...raw) => {
      try {
        if (!isAppUrl(event.senderFrame?.url)) {
          throw new VaultError('IPC_FORBIDDEN', 'This request did not come from the cpw-vault window.', 'Restart cpw-vault.');
        }
        const parsed = ARG_SCHEMAS[method].safeParse(raw);
        if (!parsed.success) {
          throw new VaultError('INVALID_ARGUMENT', `Invalid arguments for ${method}.`, 'This is a bug in the app; restart it.', { fields: fieldErrors(parsed.error.issues) });
        }
        const fn = handlers[method] as (...args: unknown[]) => Promise<unknown>;
        return { ok: true, value: await fn(...(parsed.data as unknown[])) };
      } catch (err) {
        return { ok: false, error: toVaultError(err).toJSON() };
      }
    };
  }
  return out;
}
