/**
 * The light half of the composition root (shared/node/open.ts): the read
 * side of a vault without the schema library or the profile writer, for the
 * fast `get`/`env` bundle. open.ts builds the full vault on these same parts,
 * so both halves resolve paths, the audit log and the secret store alike.
 */
import type { SecretStore } from '../core/secret-store';
import type { Caller } from '../core/views';
import { existsSync } from 'node:fs';
import { firstVersionSidecar, sidecarPath, type PathInputs, type ProfilePaths } from './profile/paths';
import { defaultWarn } from './profile/default-warn';
import { ProfileReader } from './profile/reader';
import type { writeSecureFile } from './profile/secure-fs';
import type { OverlayLimits } from './profile/index-overlay';
import { historyBounds } from '../core/preferences';
import { AuditLog } from './records/audit-log';
import type { RunHistory, HistoryBounds } from './records/run-history';
import { UsageMarks } from './records/usage-marks';
import { JournalFile } from './credentials/journal-file';
import type { KeychainDialogs } from './secrets/dialogs';
import type { PassphraseAsker } from './secrets/file-store';
import { DEFAULT_SECRET_TIMEOUT_MS, openSecretStore } from './secrets/open-secret-store';
import { VaultReader } from './vault/reader';

/** How to open a vault. Every capability can be injected; defaults are the real ones. */
export interface OpenOptions extends PathInputs {
  /** Who uses it: recorded with every read in the audit log. */
  caller?: Caller;
  /** Receives warnings. Default: stderr. */
  warn?: (message: string) => void;
  now?: () => Date;
  auditMaxBytes?: number;
  /** Longest wait for one secret-store call (default 9 s: a library call answers within 10 s). */
  keychainTimeoutMs?: number;
  /** A person can answer the keychain provider's dialogs (a terminal, the app): how long to wait for one and how to say so. Default: none (a dialog gets the call's deadline). */
  keychainDialogs?: KeychainDialogs;
  /** The command's deadline (epoch ms): a keychain dialog nobody is known to answer is given up by then. */
  keychainDeadlineAt?: number;
  /** Longest wait for a live holder of the profile lock. */
  lockWaitMs?: number;
  /** Tests: a secret store to use instead of the one the factory opens. */
  secrets?: SecretStore;
  /** Tests: how the profile is written (to simulate a failing disk). */
  writeFile?: typeof writeSecureFile;
  /** When credential changes go to the index overlay beside the profile (see index-overlay.ts). Tests set small ones; default OVERLAY_LIMITS. */
  indexOverlay?: OverlayLimits;
  /** Tests: from which profile size a validated text is remembered by its digest (see validated-text.ts; default 64 KiB). */
  digestFromBytes?: number;
  /** The vault file backend on a terminal: asks the passphrase when no unlock agent runs (once per process). */
  askPassphrase?: PassphraseAsker | undefined;
  /** Run history bounds (default: the profile's preferences, else 500 runs and 90 days). */
  history?: Partial<HistoryBounds>;
}

/** The parts of the read side, built once from the options. */
export function readerParts(options: OpenOptions) {
  const env = options.env ?? process.env;
  const warn = options.warn ?? defaultWarn;
  const now = options.now ?? (() => new Date());
  // A CLI command is one short run: config/secrets.json is looked for once (see ProfileReader).
  const profile = new ProfileReader({ ...options, legacyOnce: options.caller === 'cli' }, warn, options.writeFile);
  const audit = new AuditLog(sidecarPath(profile.paths, 'audit.log'), { ...(options.auditMaxBytes ? { maxBytes: options.auditMaxBytes } : {}), older: firstVersionSidecar(profile.paths, 'audit.log'), warn });
  const usage = new UsageMarks(sidecarPath(profile.paths, 'usage'), warn);
  const journal = new JournalFile(sidecarPath(profile.paths, 'journal'), profile.paths.profile, profile.paths.dedicatedDir, options.lockWaitMs);
  const timeoutMs = options.keychainTimeoutMs ?? DEFAULT_SECRET_TIMEOUT_MS;
  const openSecrets = options.secrets
    ? () => options.secrets!
    : (backend: string, namespace: string, extra: { key?: { identity: string; recipient: string } } = {}) =>
      openSecretStore({ backend, namespace, env, timeoutMs, dialogs: options.keychainDialogs, deadlineAt: options.keychainDeadlineAt, profilePath: profile.paths.profile, askPassphrase: options.askPassphrase, lockWaitMs: options.lockWaitMs, ...extra });
  // Loaded and built on first use (exec, the app): a stage's `get` never needs it, and its code and the checks for
  // an older history's file were ~30 KB of heap that, with the rest, made every read pay a garbage collection.
  let history: Promise<RunHistory> | undefined;
  const runHistory = () =>
    (history ??= import('./records/run-history').then(
      ({ RunHistory }) =>
        new RunHistory(sidecarPath(profile.paths, 'runs.jsonl'), {
          ...legacyHistory(profile.paths),
          dedicatedDir: profile.paths.dedicatedDir,
          bounds: () => ({ ...historyBounds(preferencesOf(profile)), ...options.history }),
          warn,
          now,
        }),
    ));
  return { env, warn, now, profile, audit, usage, journal, history: runHistory, openSecrets };
}

/** The stored preferences (raw), or none when the profile cannot be read now (the bounds then take their defaults). */
function preferencesOf(profile: ProfileReader): unknown {
  try {
    const raw = profile.lookup()?.head ?? profile.readIfAny()?.raw;
    return raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>)['preferences'] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The read side alone (the fast bundle), with the run history `exec`
 * appends to (loaded when first asked for), and the profile reader: no schema library, no writer. A profile it cannot read lightly
 * makes its reads throw NeedsFullVault.
 */
export function openReader(options: OpenOptions = {}): { reader: VaultReader; history: () => Promise<RunHistory>; profile: ProfileReader } {
  const p = readerParts(options);
  const reader = new VaultReader({ profile: p.profile, env: p.env, caller: options.caller ?? 'library', warn: p.warn, now: p.now, audit: p.audit, usage: p.usage, journal: p.journal, openSecrets: p.openSecrets });
  return { reader, history: p.history, profile: p.profile };
}

/** The JSON-array history a profile had before runs.jsonl: its own, else the first versions' beside a named profile. */
function legacyHistory(paths: ProfilePaths): { legacyPath: string; legacyMayBeForeign?: boolean } {
  const own = sidecarPath(paths, 'runs.json');
  const first = firstVersionSidecar(paths, 'runs.json');
  return first && !existsSync(own) && existsSync(first) ? { legacyPath: first, legacyMayBeForeign: true } : { legacyPath: own };
}
