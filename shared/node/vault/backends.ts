import { VaultError } from '../../core/errors';
import type { Profile } from '../../core/profile-schema';
import { registerSecret } from '../../core/redact';
import type { KeychainStatus, SecretStore } from '../../core/secret-store';
import type { Caller } from '../../core/views';
import { moveRecorded } from '../credentials/move-record';
import { moveBackend, recoverBackendMove, type MoveDeps, type MoveOptions, type MoveResult, type MoveSide } from '../credentials/backend-move';
import type { JournalFile } from '../credentials/journal-file';
import { sidecarPath } from '../profile/paths';
import type { ProfileStore } from '../profile/store';
import { vaultFilesFor } from '../secrets/vault-files';
import type { VaultReader } from './reader';
import { shownText } from '../../core/control-chars';

/** The backends a profile can switch between. */
export const BACKEND_NAMES = ['keychain', 'file'] as const;

/** Options of {@link useBackend}. */
export interface UseBackendOptions extends Pick<MoveOptions, 'signal' | 'onPhase' | 'step'> {
  /** Switching to the file backend: the new vault's passphrase (checked: at least 12 characters). */
  passphrase?: string;
  /** scrypt work factor of the new vault (default age's 18; only tests go lower). */
  logN?: number;
  /** Switching away from the file backend: its key, unlocked by the caller (else the agent, or the store's own question). */
  sourceKey?: { identity: string; recipient: string };
}

/** The Vault's parts a switch works with. */
export interface BackendDeps {
  reader: VaultReader;
  profile: ProfileStore;
  now: () => Date;
  /** Records the profile's namespace on its first write (Vault's stampStorage). */
  stamp: (p: Profile) => Profile;
  caller: Caller;
  /** The credential journal: a switch does not commit while a writer's transaction is live in it. */
  journal: Pick<JournalFile, 'read'>;
}

/** What credentials/backend-move.ts needs: the profile, the move record's path, and the stores. */
export function moveDepsOf(d: BackendDeps): MoveDeps {
  return {
    profile: d.profile,
    recordPath: sidecarPath(d.profile.paths, 'backend-move'),
    dedicatedDir: d.profile.paths.dedicatedDir,
    now: d.now,
    withBackend: (p, backend) => {
      const stamped = d.stamp(p);
      return { ...stamped, storage: { ...stamped.storage, backend } };
    },
    openStore: (backend) => d.reader.openBackend(backend),
    journal: () => d.journal.read(),
  };
}

/** A store opened on first use; `own` ones are closed by {@link useBackend} when it ends. */
function lazily(open: () => SecretStore, opened: Array<{ close(): void | Promise<void> }> | undefined): () => SecretStore {
  let s: SecretStore | undefined;
  return () => {
    if (!s) {
      s = open();
      opened?.push(s);
    }
    return s;
  };
}

/**
 * Refuses a move to a keychain that cannot be used now (none on this host, locked, hung), before the vault file's
 * passphrase is asked: it used to be asked first, and the move then failed on the first write.
 */
export async function assertKeychainUsable(d: Pick<BackendDeps, 'reader'>): Promise<void> {
  const store = d.reader.openBackend('keychain');
  let status: KeychainStatus;
  try {
    status = await store.status();
  } finally {
    store.close();
  }
  // The fix names the file backend as where the secrets are, so the CLI's "no keychain here" offer of it is not added.
  if (!status.ok) throw new VaultError(status.code, `${status.message} Nothing was moved: the secrets stay in the vault file.`, `${status.fix}\nUntil then they stay in the vault file, where \`cpw-vault backend use file\` put them.`);
}

/**
 * Moves every secret to the `to` backend, all or nothing, and records it
 * in the profile (see credentials/backend-move.ts: read-back verified,
 * safe against SIGKILL at any instant, the source emptied after the
 * commit). To `file`: creates the vault with `passphrase` (refused when
 * vault files exist). From `file`: removes the vault files afterwards.
 * Audited `backend_switched` (names and counts only).
 */
export async function useBackend(d: BackendDeps, to: string, options: UseBackendOptions = {}): Promise<MoveResult> {
  if (!(BACKEND_NAMES as readonly string[]).includes(to)) throw new VaultError('INVALID_ARGUMENT', `"${shownText(to, 40)}" is not a backend.`, 'Choose one of: cpw-vault backend use keychain, cpw-vault backend use file');
  const from = d.reader.backend();
  if (from === to) throw new VaultError('INVALID_ARGUMENT', `This profile already keeps its secrets in the ${to} backend; nothing changed.`, 'See where they are with: cpw-vault backend');
  if (to === 'keychain') await assertKeychainUsable(d);
  const deps = moveDepsOf(d);
  if (moveRecorded(deps.recordPath)) await recoverBackendMove(deps);
  const files = vaultFilesFor(d.reader.profilePath);
  const fileList = [files.identity, files.vault];
  const opened: Array<{ close(): void | Promise<void> }> = [];
  let newKey: { identity: string; recipient: string } | undefined;
  const source: MoveSide = {
    backend: from,
    store: options.sourceKey ? lazily(() => d.reader.openBackend(from, { key: options.sourceKey! }), opened) : lazily(() => d.reader.secretStore(), undefined),
    ...(from === 'file' ? { files: fileList } : {}),
  };
  const target: MoveSide = { backend: to, store: lazily(() => d.reader.openBackend(to, newKey ? { key: newKey } : {}), opened), ...(to === 'file' ? { files: fileList } : {}) };
  let createTarget: (() => Promise<void>) | undefined;
  if (to === 'file') {
    const { checkNewPassphrase, createFileVault } = await import('../secrets/vault-admin');
    if (options.passphrase === undefined) throw new VaultError('INVALID_ARGUMENT', 'The file backend needs a passphrase for the new vault.', 'Run it on a terminal, where it asks for a passphrase twice: cpw-vault backend use file');
    checkNewPassphrase(options.passphrase);
    registerSecret(options.passphrase);
    const passphrase = options.passphrase;
    createTarget = async () => {
      newKey = (await createFileVault(files, passphrase, { dedicatedDir: d.profile.paths.dedicatedDir, signal: options.signal, ...(options.logN ? { logN: options.logN } : {}) })).key;
    };
  }
  try {
    const result = await moveBackend(deps, source, target, { signal: options.signal, onPhase: options.onPhase, step: options.step, createTarget });
    await d.reader.record({ event: 'backend_switched', caller: d.caller, details: { from, to, moved: result.moved.length } });
    return result;
  } finally {
    for (const s of opened) await s.close();
  }
}
