/**
 * The composition root: the one place that builds the vault, its run
 * history and its audit log from the profile path and the environment, for
 * the CLI, the library and Electron main alike. Everything else receives
 * the parts it needs.
 */
import { indexProfile } from '../core/profile-index';
import { PROFILE_MAJOR } from '../core/profile-version';
import { readerParts, type OpenOptions } from './open-read';
import { checkOpenOptions } from './open-options';
import { ProfileStore } from './profile/store';
import type { RunHistory } from './records/run-history';
import { VaultReader, type ReadView } from './vault/reader';
import { Vault } from './vault/vault';

export { openReader, type OpenOptions } from './open-read';

/**
 * Opens the vault: resolves the profile path, removes temp files a killed
 * writer left, recovers a crashed transaction and re-indexes what the index
 * lost (cheap when there is nothing to do), and returns a ready Vault.
 * Throws VaultError INVALID_ARGUMENT for options it does not have or of the wrong type (see checkOpenOptions).
 */
export async function openVault(options: OpenOptions = {}): Promise<Vault> {
  const vault = buildVault(checkOpenOptions(options)).vault;
  await vault.open();
  return vault;
}

/**
 * The vault and the run history beside its profile: what the CLI's `exec`
 * and the app use. `settingsOnly`: for commands that touch no secret (the
 * profile's fields, the run history): only the profile's start-up work, not
 * the secret store's (a stopped keychain held `profile show` and `runs` for
 * its whole deadline, 9 s). `signal`: the start-up's waits for another's
 * profile lock end with CANCELLED (see Vault.open).
 */
export async function openServices(options: OpenOptions & { settingsOnly?: boolean; signal?: AbortSignal | undefined } = {}): Promise<{ vault: Vault; history: RunHistory }> {
  const built = buildVault(options);
  if (options.settingsOnly) await built.vault.openSettings(options.signal);
  else await built.vault.open(options.signal);
  return { vault: built.vault, history: await built.history() };
}

/** Builds a vault without the start-up work (tests, and callers that run `vault.open()` themselves). */
export function createVault(options: OpenOptions = {}): Vault {
  return buildVault(options).vault;
}

function buildVault(options: OpenOptions): { vault: Vault; history: () => Promise<RunHistory> } {
  const p = readerParts(options);
  const store = new ProfileStore({ reader: p.profile, now: p.now, ...(options.lockWaitMs !== undefined ? { lockWaitMs: options.lockWaitMs } : {}), ...(options.writeFile ? { writeFile: options.writeFile } : {}), ...(options.indexOverlay ? { overlayLimits: options.indexOverlay } : {}), ...(options.digestFromBytes !== undefined ? { digestFromBytes: options.digestFromBytes } : {}) });
  const fullView = (): ReadView => {
    const loaded = store.read();
    if (loaded.kind === 'legacy') return { kind: 'legacy', path: loaded.path, values: loaded.values };
    return { kind: 'profile', path: loaded.path, index: indexProfile(loaded.profile, PROFILE_MAJOR)! };
  };
  const reader = new VaultReader({ profile: p.profile, env: p.env, caller: options.caller ?? 'library', warn: p.warn, now: p.now, audit: p.audit, usage: p.usage, journal: p.journal, openSecrets: p.openSecrets, fullView });
  const vault = new Vault({ reader, profile: store, journal: p.journal, audit: p.audit, now: p.now, warn: p.warn });
  return { vault, history: p.history };
}
