import { resolve } from 'node:path';

/** The files of one age vault: both beside the profile and named after it. */
export interface VaultFiles {
  /** The profile file: its lock (`<profile>.lock`) guards every write of the vault files too. */
  profile: string;
  /** `<profile>.vault.age`: the secrets, an age file encrypted to the identity's X25519 recipient. */
  vault: string;
  /** `<profile>.identity.age`: the age identity, an age file encrypted with the passphrase. */
  identity: string;
}

/** The vault files of a profile: `user.profile` -> `user.profile.vault.age`, `user.profile.identity.age`. */
export function vaultFilesFor(profilePath: string): VaultFiles {
  const profile = resolve(profilePath);
  return { profile, vault: `${profile}.vault.age`, identity: `${profile}.identity.age` };
}
