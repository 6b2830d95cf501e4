import type { RunHistory } from '../node/records/run-history';
import type { Vault } from '../node/vault';
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
 * Builds a context whose vault is opened lazily, once, as the CLI caller.
 * Modules are imported on demand so a command loads only what it needs.
 */
export function createContext(io: CliIO, globals: GlobalOptions): CliContext {
  const warn = (m: string) => io.err(`warning: ${m}\n`);
  let vault: Promise<Vault> | undefined;
  // The vault file backend asks its passphrase (once) when no unlock agent runs — only on a terminal.
  const askPassphrase = io.stdinIsTTY ? async () => (await import('./passphrase-input')).promptSecret(io, 'Passphrase of the vault file (input hidden):') : undefined;
  const openOnce = () =>
    (vault ??= import('../node/vault').then(({ openVault }) =>
      openVault({ profilePath: globals.profile, env: io.env, cwd: io.cwd, caller: 'cli', flushOnExit: false, warn, ...(askPassphrase ? { askPassphrase } : {}) }),
    ));
  return {
    io,
    globals,
    vault: openOnce,
    runs: async () => {
      const [{ RunHistory }, { besideProfile }, v] = await Promise.all([import('../node/records/run-history'), import('../node/profile/paths'), openOnce()]);
      return new RunHistory(besideProfile(v.store.paths, 'runs.json'), v.store.paths.dedicatedDir, 500, warn);
    },
  };
}

/** Prints `data` as the one JSON document of a --json command. */
export function printJson(io: CliIO, data: unknown): void {
  io.out(`${JSON.stringify(data, null, 2)}\n`);
}
