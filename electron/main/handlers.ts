/**
 * The IPC handlers: plain functions over the Vault, the run history and the
 * ports, typed from the contract. Every call from electron/ into shared/node
 * lives in this file and in security-handlers.ts, its Security section,
 * migration-handlers.ts, team-handlers.ts and history-reads.ts (index.ts only
 * constructs), so the storage layer can change under them.
 */
import { resolve } from 'node:path';
import { VaultError, toVaultError } from '../../shared/core/errors';
import { redactDeep } from '../../shared/core/redact';
import type { IpcResult, MainArgs, Page, VaultApi, VaultMethod, VerifyOutcome } from '../../shared/core/ipc-contract';
import { ARG_SCHEMAS } from '../../shared/core/ipc-schemas';
import { fieldErrors } from '../../shared/core/profile-parse';
import { runDoctor } from '../../shared/node/doctor';
import { verifyWithVault, type VerifyTarget } from '../../shared/node/verify/with-vault';
import { isVerifiable } from '../../shared/node/verify/providers';
import { credentialId } from '../../shared/core/credential';
import { holdsBrokenLabel } from '../../shared/core/views';
import { LEGACY_SECRETS_PATH } from '../../shared/node/profile/paths';
import type { RunHistory } from '../../shared/node/records/run-history';
import type { Vault } from '../../shared/node/vault/vault';
import { fetchAvatar } from './avatar';
import { oneDialogAtATime } from './dialog-gate';
import { oneRunAndOneNext } from '../../shared/core/one-run-and-one-next';
import type { ClipboardPort, DialogPort, EventPort, ExternalPort, FetchPort, SchedulerPort } from './ports';
import { runsReader, stampMemo } from './history-reads';
import { securityHandlers } from './security-handlers';
import { markBrokenLegacy } from './start-report';
import { migrationHandlers } from './migration-handlers';
import { teamHandlers } from './team-handlers';
import { isAllowedExternal, isAppUrl } from './url-policy';
import { CLIPBOARD_CLEAR_MS, createCopyGuard, type CopyGuard } from './copy-guard';

/** Page size when the caller names none. */
export const DEFAULT_PAGE = 100;

/** Avatars main keeps in memory, one per URL, the oldest dropped first. */
export const AVATAR_MEMO = 4;

/** What the handlers work with. */
export interface MainDeps {
  vault: Vault;
  runs: RunHistory;
  clipboard: ClipboardPort;
  dialog: DialogPort;
  external: ExternalPort;
  scheduler: SchedulerPort;
  events: EventPort;
  fetch: FetchPort;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The unlock agent program (dist/agent.cjs) for the Security section's unlock. */
  agentScript?: string;
  /** scrypt work factor of a vault file or export the app creates (tests only). */
  logN?: number;
  /** The copied-secret guard (index.ts clears it as the app quits); made from the ports when not given. */
  copies?: CopyGuard;
}

/** A handler per method: what main receives (MainArgs), the contract's result. */
export type Handlers = { [M in VaultMethod]: (...args: MainArgs<M>) => ReturnType<VaultApi[M]> };

function pageOf<T>(items: T[], filter: { offset?: number | undefined; limit?: number | undefined }): Page<T> {
  const offset = filter.offset ?? 0;
  return { items: items.slice(offset, offset + (filter.limit ?? DEFAULT_PAGE)), total: items.length, offset };
}

/** Credentials: list, set, delete, reveal, and copy with the clipboard cleared after 20 s if it still holds the value. */
function credentialHandlers(deps: MainDeps) {
  const { vault } = deps;
  const copies = deps.copies ?? createCopyGuard(deps);
  return {
    credentialsList: async () => {
      const creds = vault.listCredentials();
      if (holdsBrokenLabel(creds)) vault.getProfile(); // PROFILE_INVALID naming the label, never sent to the window
      return creds;
    },
    credentialsSet: ({ service, key, value, acceptFormatWarning, label, envVar }: Parameters<VaultApi['credentialsSet']>[0]) =>
      vault.setCredential(service, key, value, { acceptFormatWarning: !!acceptFormatWarning, ...(label !== undefined ? { label } : {}), ...(envVar !== undefined ? { envVar } : {}) }),
    credentialsDelete: ({ service, key }: Parameters<VaultApi['credentialsDelete']>[0]) => vault.deleteCredential(service, key),
    credentialsReveal: async ({ service, key }: Parameters<VaultApi['credentialsReveal']>[0]) => (await vault.getCredential(service, key)).value,
    credentialsCopy: async ({ service, key }: Parameters<VaultApi['credentialsCopy']>[0]) => {
      const { value } = await vault.getCredential(service, key);
      copies.copy(value);
      return { clearsAfterMs: CLIPBOARD_CLEAR_MS };
    },
  };
}

/**
 * Verification: main reads the value through the vault, sends it only to the
 * provider endpoint its own environment names (the renderer picks neither the
 * value nor a URL), records the outcome, and answers with results that hold
 * no value (redacted once more on the way out). The fix pages those results
 * link to are in url-policy's allowlist (FIX_PAGES), so openExternal opens them.
 */
function verifyHandlers(deps: MainDeps) {
  const ask = async (target: VerifyTarget) => redactDeep(await verifyWithVault(deps.vault, target, { env: deps.env }));
  // Per target, one run at a time, and the calls that arrive meanwhile share the run after it: a page firing the
  // channel in a loop made main send the user's keys to the providers once per call (300 calls of "Verify all": over
  // 1,000 requests and 1,200 audit events). Only "all" and the verifiable credentials get a run of their own (at most
  // 9); any other asks nobody and is refused at once.
  const runs = new Map<string, () => Promise<VerifyOutcome>>();
  return {
    credentialsVerify: async (request: Parameters<VaultApi['credentialsVerify']>[0]) => {
      const target = request.kind === 'all' ? ({ kind: 'all' } as const) : ({ kind: 'credential', service: request.service, key: request.key } as const);
      const id = target.kind === 'all' ? 'all' : credentialId(target.service, target.key);
      if (id !== 'all' && !isVerifiable(id)) return ask(target);
      if (!runs.has(id)) runs.set(id, oneRunAndOneNext(() => ask(target)));
      return runs.get(id)!();
    },
  };
}

/**
 * The handler object, typed from the contract: a missing or mistyped handler
 * is a compile error. Plain functions over the real Vault and the ports.
 */
export function createHandlers(given: MainDeps): Handlers {
  // Every dialog the page can cause, one at a time (see dialog-gate.ts).
  const deps: MainDeps = { ...given, dialog: oneDialogAtATime(given.dialog) };
  const { vault } = deps;
  // The fetch itself is remembered, not only its answer: calls that arrive while it runs share it (a page
  // calling in a loop would otherwise make main send one request per call to the saved URL).
  const avatars = new Map<string, Promise<string | null>>();
  const runsRead = runsReader(deps.runs);
  const auditMemo = stampMemo(() => vault.auditLogPath);
  return {
    profileGet: async () => vault.getProfile(),
    profileUpdate: (update) => vault.updateProfile(update),
    profileAvatar: async () => {
      const url = vault.getProfile().profile.user.avatar_url;
      if (!url) return null;
      // Only the URL saved in the profile, fetched once while it is among the last few fetched.
      const known = avatars.get(url);
      if (known) return known;
      // Each answer is up to 512 KiB: a page saving made-up URLs in a loop (each served an image) grew main's memory
      // without end. The profile holds one avatar; the last few cover a user trying some and going back.
      if (avatars.size >= AVATAR_MEMO) avatars.delete(avatars.keys().next().value!);
      const fetched = fetchAvatar(url, deps.fetch).then((a) => a ?? null, () => null);
      avatars.set(url, fetched);
      return fetched;
    },
    profileFixPermissions: async () => {
      vault.tightenPermissions();
      return runDoctor(vault);
    },
    ...credentialHandlers(deps),
    workflowsValidate: () => vault.validateAll(),
    ...verifyHandlers(deps),
    ...migrationHandlers(deps),
    ...teamHandlers(deps),
    runsList: async ({ status, workflow, ...page }) => pageOf(runsRead.list({ ...(status ? { status } : {}), ...(workflow ? { workflow } : {}) }), page),
    runsStats: async () => runsRead.stats(),
    auditList: async ({ event, credential, ...page }) => {
      const filter = { ...(event ? { event } : {}), ...(credential ? { credential } : {}) };
      // Keyed by the filter read (JSON): `list:${event}:${credential}` was the same for no credential and one spelled "undefined".
      return pageOf(auditMemo(`list:${JSON.stringify(filter)}`, () => vault.auditEvents(filter)), page);
    },
    // One at a time: the banner asks again every 10 s, and a probe of a hung keychain takes up to 9 s; two
    // overlapping would close each other's fresh connection. Calls arriving meanwhile share the next run.
    doctor: oneRunAndOneNext(async () => {
      const report = markBrokenLegacy(await runDoctor(vault), resolve(deps.cwd, LEGACY_SECRETS_PATH));
      if (report.keychain.ok || report.keychain.code !== 'KEYCHAIN_TIMEOUT') return report;
      // After a timeout the secret store stops talking to the keychain (every call fails at once: right for a
      // command, which exits). The app lives on: asked again ("Check again", or after the next error), it
      // starts a fresh connection, so a keychain that answers again is seen without restarting the app.
      vault.close();
      return markBrokenLegacy(await runDoctor(vault), resolve(deps.cwd, LEGACY_SECRETS_PATH));
    }),
    ...securityHandlers({ vault, dialog: deps.dialog, env: deps.env, agentScript: deps.agentScript, logN: deps.logN }),
    openExternal: async (url) => {
      if (!isAllowedExternal(url)) throw new VaultError('INVALID_ARGUMENT', 'Only the credential providers\' own key pages (and the fix pages of a verification) can be opened from the app.', 'Open the page yourself in a browser.');
      // Electron's own words ("Failed to open") became INTERNAL, "a bug in cpw-vault": said as the desktop's refusal.
      await deps.external.open(url).catch((err: unknown) => {
        throw new VaultError('IO_ERROR', `The system browser did not open the page (${err instanceof Error ? err.message : String(err)}).`, 'Set a default web browser for your desktop, or copy the address into a browser.', { cause: err });
      });
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
