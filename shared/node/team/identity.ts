import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { isVaultError, VaultError } from '../../core/errors';
import { registerSecret } from '../../core/redact';
import { withFileLock } from '../profile/file-lock';
import { ensurePrivateDir } from '../profile/trusted-folder';
import { readPrivateInputFile } from '../private-input-file';

/**
 * The user's team identity: an age X25519 key pair whose secret half lives
 * only in the user's secret store (keychain or vault file), as the custom
 * credential `cpw-vault.team_identity` — so it is written through the
 * credential store (journal, read-back, rollback) like any secret, and a
 * vault export carries it. A CI runner instead gives `--identity-file`, a
 * file only it can read (what `age-keygen` writes).
 */

/** Service and key of the credential that holds the identity. */
export const TEAM_IDENTITY = {
  service: 'cpw-vault', key: 'team_identity', id: 'cpw-vault.team_identity',
  // Its env var (CPW_* names are reserved for cpw-vault's own settings); exec strips it from every stage.
  envVar: 'TEAM_AGE_IDENTITY', label: 'Team vault identity (age)',
} as const;

/** A key pair: the secret `AGE-SECRET-KEY-1...` and its `age1...` recipient. */
export interface TeamKey {
  identity: string;
  recipient: string;
}

/** The vault verbs the identity needs. */
export interface IdentityVault {
  findCredential(service: string, key: string): Promise<{ value: string } | undefined>;
  setCredential?(service: string, key: string, value: unknown, options?: { label?: string; envVar?: string; signal?: AbortSignal }): Promise<unknown>;
  /** The vault's own files: a first identity is made under a lock beside its profile. */
  readonly ownFiles?: { profile: string; dedicatedDir: boolean };
}

/** Longest identity file (or descriptor) read. */
export const MAX_IDENTITY_FILE_BYTES = 64 * 1024;

/**
 * The one identity in an age identity file's text (`# comments`, blank
 * lines, one `AGE-SECRET-KEY-1...` line). Throws INVALID_ARGUMENT naming
 * `from` (never the text).
 */
export async function parseIdentityText(text: string, from: string): Promise<TeamKey> {
  const keys = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (keys.length !== 1 || !/^AGE-SECRET-KEY-1[0-9A-Z]+$/.test(keys[0]!)) {
    throw new VaultError('INVALID_ARGUMENT', `${from} does not hold exactly one age X25519 identity (an AGE-SECRET-KEY-1... line).`, 'Give a file written by age-keygen (or cpw-vault team identity --export-identity, decrypted with age -d).');
  }
  registerSecret(keys[0]!);
  try {
    return { identity: keys[0]!, recipient: await identityToRecipient(keys[0]!) };
  } catch {
    throw new VaultError('INVALID_ARGUMENT', `${from} holds a malformed age identity.`, 'Generate a new one with age-keygen, or copy the file again.');
  }
}

/**
 * How a container not run as root gives an identity file another user owns: the shell opens it (through the pod's
 * group), cpw-vault reads the descriptor, as for --passphrase-fd (a private copy of the key was the way before).
 */
function descriptorRoute(shown: string): string {
  return `open it in the shell and give cpw-vault the descriptor instead of its path: the same command with --identity-fd 3 3< ${shown} in place of --identity-file ${shown}`;
}

/**
 * Reads a CI deploy identity file (see readPrivateInputFile: a link is followed, the file it leads to checked; over
 * 64 KiB refused). The key itself given where its path goes is said so, without the key.
 */
export async function readIdentityFile(path: string): Promise<TeamKey> {
  if (/AGE-SECRET-KEY-1[0-9A-Z]{20}/i.test(path) && !existsSync(path)) {
    // The key itself where its file's path goes, alone or as the whole file (`"$(cat key.txt)"`, its comment lines
    // first): said without the key or those lines, and how to give it instead.
    throw new VaultError('INVALID_ARGUMENT', 'That is an age secret key, not the path of an identity file; it was not used.', 'Give the key on stdin instead (cpw-vault team identity --import -, then paste it and press Ctrl-D), or the path of a 0600 file that holds it. A key on a command line stays in your shell history and can be seen in ps: make a new one if others share this machine.');
  }
  const bytes = readPrivateInputFile(path, { what: 'identity file', maxBytes: MAX_IDENTITY_FILE_BYTES, notRegularFix: 'Give a file written by age-keygen, or a pipe on --identity-fd N.', tooLargeFix: 'Give a file written by age-keygen.', unownedFix: descriptorRoute });
  return parseIdentityText(bytes.toString('utf8'), `The identity file ${path}`);
}

/** The identity stored in the user's vault, or undefined when there is none yet. */
export async function storedIdentity(vault: IdentityVault): Promise<TeamKey | undefined> {
  const found = await vault.findCredential(TEAM_IDENTITY.service, TEAM_IDENTITY.key);
  return found ? parseIdentityText(found.value, `The stored ${TEAM_IDENTITY.id}`) : undefined;
}

/** The stored identity, created (and stored in one transaction) on first use. `created` says which. */
export async function ensureIdentity(vault: IdentityVault & Required<Pick<IdentityVault, 'setCredential'>>, signal?: AbortSignal): Promise<TeamKey & { created: boolean }> {
  const found = await storedIdentity(vault);
  if (found) return { ...found, created: false };
  const create = async (): Promise<TeamKey & { created: boolean }> => {
    // Looked for again under the lock: another process may have made it while this one waited.
    const made = await storedIdentity(vault);
    if (made) return { ...made, created: false };
    const identity = await generateX25519Identity();
    registerSecret(identity);
    await vault.setCredential(TEAM_IDENTITY.service, TEAM_IDENTITY.key, identity, { label: TEAM_IDENTITY.label, envVar: TEAM_IDENTITY.envVar, ...(signal ? { signal } : {}) });
    return { identity, recipient: await identityToRecipient(identity), created: true };
  };
  return withIdentityLock(vault, create, signal);
}

/**
 * Runs `fn` (which looks at the stored identity, then may store one) under
 * a lock beside the vault's profile, so two processes never decide on a
 * stale look. Two first uses at once (two terminals, a script and the app)
 * each made a key, and the last one stored won; an import beside a first
 * use overwrote the key the first use had just printed. Either way a
 * recipient was handed out whose private half was gone, and a team file
 * encrypted to it could never be opened. `signal` ends the wait for it with
 * CANCELLED (a SIGTERM was held for the 30 s, then PROFILE_LOCKED, exit 1).
 */
export async function withIdentityLock<T>(vault: IdentityVault, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const own = vault.ownFiles;
  if (!own) return fn();
  ensurePrivateDir(dirname(own.profile), own.dedicatedDir);
  return withFileLock(`${own.profile}.team-identity`, fn, { signal });
}

/** The identity a team command uses: `--identity-file`, else the stored one. Throws CREDENTIAL_MISSING when there is none. */
export async function teamIdentity(vault: () => Promise<IdentityVault>, identityFile: string | undefined, options: { fileHint?: boolean } = {}): Promise<TeamKey> {
  if (identityFile) return readIdentityFile(identityFile);
  let found: TeamKey | undefined;
  try {
    found = await storedIdentity(await vault());
  } catch (err) {
    // No keychain here (CI, a container, SSH): the team key can come as a file instead, which the keychain's own fix never said.
    if (options.fileHint === false || !isVaultError(err) || !/^(KEYCHAIN_|VAULT_LOCKED$|VAULT_NOT_FOUND$)/.test(err.code)) throw err;
    const fix = `Your team identity is kept in the vault, which cannot be read now. On a host with no keychain (CI, a container), give the team key as a file instead: --identity-file PATH (an age-keygen identity, 0600), or through a descriptor where that file is not yours (a Secret mounted into a container): --identity-fd 3 3< PATH. Or: ${err.fix}`;
    throw new VaultError(err.code, err.message, fix, { cause: err });
  }
  if (!found) throw new VaultError('CREDENTIAL_MISSING', 'You have no team identity yet.', 'Create one and send the age1... line it prints to a member (in CI: --identity-file PATH with an age-keygen file, or --identity-fd 3 3< PATH where that file is not yours): cpw-vault team identity');
  return found;
}

/** The text of an identity file for `age -d -i` (what age-keygen writes). */
export function identityFileText(key: TeamKey, now: Date): string {
  return `# cpw-vault team identity\n# created: ${now.toISOString()}\n# public key: ${key.recipient}\n${key.identity}\n`;
}
