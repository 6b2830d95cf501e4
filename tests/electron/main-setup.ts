// The handlers as main registers them (guarded), over a real vault and the
// test's throwaway keychain, with recording ports in place of Electron.
import type { EventPayloads, VaultEvent, VaultMethod } from '../../shared/core/ipc-contract';
import { openServices } from '../../shared/node/open';
import { createHandlers, guardHandlers, type SenderEvent } from '../../electron/main/handlers';
import type { ExternalPort, FetchPort } from '../../electron/main/ports';
import { resolve } from 'node:path';
import { makeTempHome, type TempHome } from '../helpers/temp';

export const APP: SenderEvent = { senderFrame: { url: 'app://vault/index.html' } };

/** A fresh vault (or `home`'s) and the guarded handlers; the ports record what main asked of the desktop. */
export async function setupMain(options: { fetch?: FetchPort; external?: ExternalPort; env?: Record<string, string | undefined>; logN?: number; agentScript?: string; home?: TempHome } = {}) {
  const t = options.home ?? makeTempHome();
  const env: Record<string, string | undefined> = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, ...options.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const { vault, history: runs } = await openServices({ homeDir: t.home, cwd: t.cwd, env, caller: 'app', warn: () => {} });
  let board = '';
  const timers: Array<() => void> = [];
  const opened: string[] = [];
  const events: Array<{ event: VaultEvent; payload: unknown }> = [];
  const dialogs: Array<{ kind: string; paths: readonly string[] }> = [];
  // `waitFor`: main's confirmation dialogs stay open until it settles (a user who has not answered yet).
  const answers = { pick: null as string | null, team: null as string | null, confirmSource: true, confirmRemove: true, exportTarget: null as string | null, exportFile: null as string | null, waitFor: Promise.resolve() };
  const fetched: string[] = [];
  const handlers = createHandlers({
    vault, runs, cwd: t.cwd, env,
    agentScript: options.agentScript ?? resolve(import.meta.dirname, '../../dist/agent.cjs'),
    ...(options.logN ? { logN: options.logN } : {}),
    clipboard: { readText: () => board, writeText: (s) => void (board = s), clear: () => void (board = '') },
    dialog: {
      chooseSecretsFile: async () => answers.pick,
      chooseTeamFile: async () => answers.team,
      confirmSource: async (path) => (dialogs.push({ kind: 'confirmSource', paths: [path] }), await answers.waitFor, answers.confirmSource),
      confirmRemovePlaintext: async (paths) => (dialogs.push({ kind: 'confirmRemovePlaintext', paths }), await answers.waitFor, answers.confirmRemove),
      chooseExportTarget: async () => (dialogs.push({ kind: 'chooseExportTarget', paths: [] }), answers.exportTarget),
      chooseExportFile: async () => (dialogs.push({ kind: 'chooseExportFile', paths: [] }), answers.exportFile),
    },
    external: options.external ?? { open: async (url) => void opened.push(url) },
    scheduler: { setTimeout: (fn) => timers.push(fn) },
    events: { send: <E extends VaultEvent>(event: E, payload: EventPayloads[E]) => void events.push({ event, payload }) },
    fetch: options.fetch ?? (async (url) => (fetched.push(url), new Response(null, { status: 404 }))),
  });
  const ipc = guardHandlers(handlers);
  const call = async (method: VaultMethod, ...args: unknown[]) => ipc[method](APP, ...args);
  const value = async <T = never>(method: VaultMethod, ...args: unknown[]): Promise<T> => {
    const r = await call(method, ...args);
    if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
    return r.value as T;
  };
  return {
    t, vault, runs, env, ipc, call, value, timers, opened, events, dialogs, answers, fetched,
    board: () => board, setBoard: (s: string) => (board = s),
  };
}
