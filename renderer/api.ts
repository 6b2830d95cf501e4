/**
 * The renderer's one door to main: the contract's methods, unwrapping the
 * IPC envelope into a value or an ApiError { code, message, fix, fields }.
 * `window.vault` comes from the preload (or, in the e2e tests, from
 * page.exposeBinding); tests of components inject a fake with setApi.
 */
import type { ErrorCode, FieldError, VaultErrorJSON } from '../shared/core/errors';
import type { EventPayloads, IpcResult, VaultApi, VaultBridge, VaultEvent, VaultMethod } from '../shared/core/ipc-contract';

declare global {
  interface Window {
    vault?: VaultBridge;
  }
}

/** A failure from main, as the screens show it. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly fix: string;
  readonly fields: FieldError[];
  constructor(error: VaultErrorJSON) {
    super(error.message);
    this.name = 'ApiError';
    this.code = error.code;
    this.fix = error.fix;
    this.fields = error.fields ?? [];
  }
}

/** Any thrown thing as an ApiError (a bridge that is missing or broke becomes INTERNAL). */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError({ code: 'INTERNAL', message: err instanceof Error ? err.message : String(err), fix: 'Restart cpw-vault.' });
}

function bridge(): VaultBridge {
  if (!window.vault) throw new ApiError({ code: 'INTERNAL', message: 'The app bridge is missing.', fix: 'Start cpw-vault from its launcher.' });
  return window.vault;
}

let errorListener: (error: ApiError) => void = () => {};

/** Hears every failure from main (the app re-checks the keychain when one says it is locked). */
export function onApiError(listener: (error: ApiError) => void): void {
  errorListener = listener;
}

async function call<M extends VaultMethod>(method: M, ...args: Parameters<VaultApi[M]>): Promise<Awaited<ReturnType<VaultApi[M]>>> {
  const fn = bridge()[method] as (...a: Parameters<VaultApi[M]>) => Promise<IpcResult<Awaited<ReturnType<VaultApi[M]>>>>;
  const result = await fn(...args);
  if (result.ok) return result.value;
  const error = new ApiError(result.error);
  errorListener(error);
  throw error;
}

/** The contract over `window.vault`. */
export const ipcApi = {
  profileGet: () => call('profileGet'),
  profileUpdate: (update) => call('profileUpdate', update),
  profileAvatar: () => call('profileAvatar'),
  profileFixPermissions: () => call('profileFixPermissions'),
  credentialsList: () => call('credentialsList'),
  credentialsSet: (request) => call('credentialsSet', request),
  credentialsDelete: (ref) => call('credentialsDelete', ref),
  credentialsReveal: (ref) => call('credentialsReveal', ref),
  credentialsCopy: (ref) => call('credentialsCopy', ref),
  workflowsValidate: () => call('workflowsValidate'),
  credentialsVerify: (request) => call('credentialsVerify', request),
  migrationSources: () => call('migrationSources'),
  migrationPickFile: () => call('migrationPickFile'),
  migrationDrop: (file) => call('migrationDrop', file),
  migrationPlan: (request) => call('migrationPlan', request),
  migrationApply: (request) => call('migrationApply', request),
  migrationRemovePlaintext: (request) => call('migrationRemovePlaintext', request),
  runsList: (filter) => call('runsList', filter),
  runsStats: () => call('runsStats'),
  auditList: (filter) => call('auditList', filter),
  doctor: () => call('doctor'),
  securityStatus: () => call('securityStatus'),
  securityUnlock: (request) => call('securityUnlock', request),
  securityLock: () => call('securityLock'),
  securityChangePassphrase: (request) => call('securityChangePassphrase', request),
  securityUseBackend: (request) => call('securityUseBackend', request),
  securityExport: (request) => call('securityExport', request),
  securityImportPick: () => call('securityImportPick'),
  securityImportPlan: (request) => call('securityImportPlan', request),
  securityImportApply: (request) => call('securityImportApply', request),
  openExternal: (url) => call('openExternal', url),
} satisfies VaultApi;

let current: VaultApi = ipcApi;

/** The api the store uses. */
export function getApi(): VaultApi {
  return current;
}

/** Replaces the api (component tests pass a fake). */
export function setApi(api: VaultApi): void {
  current = api;
}

/** Subscribes to a main -> renderer event (no-op outside the app). */
export function onEvent<E extends VaultEvent>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
  return window.vault?.on(event, listener) ?? (() => {});
}
