import type { RunHistory } from '../node/records/run-history';
import type { Vault } from '../node/vault/vault';
import { commandKeychainDeadline } from './deadline';
import type { CliIO } from './io';

/** Options every command accepts. */
export interface GlobalOptions {
  profile?: string;
  json?: boolean;
}

/** What a command gets: its IO, the global options, and the vault (opened on first use). */
export interface CliContext {
  io: CliIO;
  globals: GlobalOptions;
  vault(): Promise<Vault>;
  runs(): Promise<RunHistory>;
}

/**
 * Builds a context whose vault and run history are opened lazily, once, by
 * the composition root (shared/node/open.ts), as the CLI caller. Modules are
 * imported on demand so a command loads only what it needs.
 */
export function createContext(io: CliIO, globals: GlobalOptions): CliContext {
  const warn = (m: string) => io.err(`warning: ${m}\n`);
  let services: ReturnType<typeof open> | undefined;
  const open = () =>
    import('../node/open').then(({ openServices }) => openServices({ profilePath: globals.profile, env: io.env, cwd: io.cwd, caller: 'cli', flushOnExit: false, warn, keychainTimeoutMs: commandKeychainDeadline() }));
  const once = () => (services ??= open());
  return {
    io,
    globals,
    vault: async () => (await once()).vault,
    runs: async () => (await once()).history,
  };
}

/** Prints `data` as the one JSON document of a --json command. */
export function printJson(io: CliIO, data: unknown): void {
  io.out(`${JSON.stringify(data, null, 2)}\n`);
}
