import { vaultFilesFor } from '../secrets/vault-files';
import { sidecarPath, type ProfilePaths } from './paths';

/**
 * The files written beside the profile under its lock (the overlay and the lookup copy at `written`, the validated
 * mark, the credential journal, a backend switch's record, the age vault and its identity): their temp files are the
 * profile's to clean up (see ProfileStore.recover).
 */
export function lockedSidecars(paths: ProfilePaths, written: readonly string[]): string[] {
  const own = ['profile.checked', 'journal', 'backend-move'].map((name) => sidecarPath(paths, name));
  // A vault-file write killed mid-write left `<profile>.vault.age.tmp-<hex>` (a copy of every secret, sealed) until
  // the next write of the vault, which may never come on a host that only reads.
  const { vault, identity } = vaultFilesFor(paths.profile);
  return [...written, ...own, vault, identity];
}
