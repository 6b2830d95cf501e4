import type { RunHistory } from '../node/records/run-history';
import type { VaultReader } from '../node/vault/reader';
import type { DoctorSubject } from '../node/doctor';
import type { Vault } from '../node/vault/vault';
import type { PassphraseAsker } from '../node/secrets/file-store';

/** What the read commands use: both the Vault and the light VaultReader offer it. */
export type ReadVault = Pick<VaultReader & Vault, 'getCredential' | 'findCredential' | 'storedValue' | 'storedValues' | 'envValue' | 'envVarsFor' | 'envVarClash' | 'validateWorkflow' | 'resolveWorkflow' | 'environmentOf' | 'workflowEnv' | 'listCredentials' | 'credentialCarriers' | 'listingState' | 'pipelinePreferences' | 'defaultWorkflow' | 'backend' | 'keychainStatus' | 'profilePath'>;
import { commandKeychainDeadline, keychainDialogsFor } from './deadline';
import { assertNamedProfileExists } from './missing-profile';
import type { CliIO } from './io';
import { defused } from './exit-codes';
import { withProfileOptionIn } from './profile-hint';
import { interruptible } from './signals';
import { untilAborted } from '../node/until-aborted';
import { resolveProfilePaths, type ProfilePaths } from '../node/profile/paths';

/** Options every command accepts. */
export interface GlobalOptions {
  profile?: string;
  json?: boolean;
}

/** What a command gets: its IO, the global options, and the vault (opened on first use). */
export interface CliContext {
  io: CliIO;
  globals: GlobalOptions;
  /** The read side: what get, env, list, which and check need (on the light path, without the writer). */
  reader(): Promise<ReadVault>;
  vault(): Promise<Vault>;
  /** What a plain `doctor` examines (on the light path, the read side with a validating profile reader). */
  doctorSubject(): Promise<DoctorSubject>;
  runs(): Promise<RunHistory>;
  /** The vault for what touches no secret (the profile's fields): opened without asking the secret store. */
  settings?(): Promise<Vault>;
  /**
   * Resolves once the reads so far can be acted on. The light path asks its
   * repair question alongside the reads and throws NeedsFullVault here when
   * the index needs the full vault first; commands with effects beyond their
   * output (exec starting a stage) call it before them.
   */
  readsSettled?(): Promise<void>;
  /** Drops the warnings that start with `prefix` (a command that reports the same fact itself: doctor). */
  muteWarning?(prefix: string): void;
}

/**
 * Builds a context whose vault and run history are opened lazily, once, by
 * the composition root (shared/node/open.ts), as the CLI caller. Modules are
 * imported on demand so a command loads only what it needs.
 */
export function createContext(io: CliIO, globals: GlobalOptions): CliContext {
  const muted: string[] = [];
  const warn = (m: string) => void (muted.some((p) => m.startsWith(p)) || io.err(`warning: ${defused(m)}\n`));
  let services: ReturnType<typeof open> | undefined;
  // The vault file backend asks its passphrase (once) when no unlock agent runs — only on a terminal.
  const askPassphrase: PassphraseAsker | undefined = io.stdinIsTTY ? async (openWith) => (await import('./passphrase-input')).promptAndOpen(io, 'Passphrase of the vault file (input hidden):', openWith) : undefined;
  // `signal`: the command's (interruptible): a start-up repair waiting for another's profile lock ends with it (`team
  // add` held a Ctrl-C 30 s there).
  const open = (settingsOnly: boolean, signal: AbortSignal) =>
    import('../node/open').then(({ openServices }) =>
      openServices({ profilePath: globals.profile, env: io.env, cwd: io.cwd, caller: 'cli', warn, keychainTimeoutMs: commandKeychainDeadline(), ...keychainDialogsFor(io), ...(askPassphrase ? { askPassphrase } : {}), settingsOnly, signal }),
    );
  // A start that rolled a killed migrate forward says so here, once: the CLI's warn channel only (not the app's, the library's).
  const once = (signal: AbortSignal) => (services ??= open(false, signal).then(saidFinishedMigrations(warn)));
  // For commands that touch no secret: the full services when a command opened them already (exec's history).
  let settings: ReturnType<typeof open> | undefined;
  const settingsOnce = (signal: AbortSignal) => services ?? (settings ??= open(true, signal));
  // Ctrl-C while the vault opens (a keychain that stopped answering, an unlock prompt left hanging, a start-up repair
  // waiting for another's lock) ends every command cancelled (exit 130; 143 for SIGTERM), before it changed or printed
  // anything; with no listener the signal's default action ended get, list, exec, doctor and profile show with no word
  // (a user could not tell a cancel from a crash). Listening only while the vault opens: the light path (fast.ts) opens
  // none of this. The opening left running ends with the process.
  const opened = <T>(opening: (signal: AbortSignal) => Promise<T>) => interruptible((signal) => untilAborted(opening(signal), signal));
  return {
    io,
    globals,
    reader: async () => {
      assertNamedProfileExists(globals.profile, io);
      return (await opened(once)).vault;
    },
    vault: async () => (await opened(once)).vault,
    doctorSubject: async () => (await opened(once)).vault,
    runs: async () => (await opened(settingsOnce)).history,
    settings: async () => (await opened(settingsOnce)).vault,
    muteWarning: (prefix) => void muted.push(prefix),
  };
}

/** Passes the opened services on after warning of each killed migrate their start finished (migration/interrupted.ts). */
function saidFinishedMigrations(warn: (m: string) => void) {
  return async <T extends { vault: Vault }>(services: T): Promise<T> => {
    const finished = services.vault.finishedMigrations();
    if (finished.length) {
      const { finishedMigrationLine } = await import('../node/migration/interrupted');
      for (const m of finished) warn(finishedMigrationLine(m));
    }
    return services;
  };
}

/** Prints `data` as the one JSON document of a --json command, its messages naming the --profile given (namingProfile). */
export function printJson(io: CliIO, data: unknown): void {
  io.out(`${JSON.stringify(withProfileOptionIn(data, io.profileOption), null, 2)}\n`);
}

/**
 * The paths of the profile a command runs on (--profile, else CPW_PROFILE, else the default), resolved as the vault
 * resolves them: a relative one with the working directory removed is the same PROFILE_NOT_FOUND everywhere.
 */
export function profilePathsOf(ctx: Pick<CliContext, 'io' | 'globals'>): ProfilePaths {
  return resolveProfilePaths({ profilePath: ctx.globals.profile, env: ctx.io.env, cwd: ctx.io.cwd });
}
