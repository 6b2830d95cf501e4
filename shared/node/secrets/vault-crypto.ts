import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { corruptFile, wrongPassphrase } from './vault-errors';

/**
 * Every use of age in cpw-vault, through `age-encryption` (typage, by age's
 * author): standard age v1 files, no format or primitive of our own.
 *
 * - The identity file is an age file encrypted with the passphrase (scrypt)
 *   holding a standard age identity file (`# comments` + `AGE-SECRET-KEY-1...`).
 * - The vault file is an age file encrypted to that identity's X25519
 *   recipient, so writing it costs no scrypt: only unlocking does.
 * - An export is an age file encrypted with its own passphrase.
 *
 * age-encryption's error messages can quote the first line of the file it
 * was given: they are never passed on; each failure becomes a fixed text.
 */

/** age's own default scrypt work factor (log2 N): about 1.7 s in pure JS here. */
export const SCRYPT_LOG_N = 18;
/** Shortest passphrase accepted for a new vault, a passphrase change or an export. */
export { MIN_PASSPHRASE_LENGTH } from '../../core/redact';

/** An age X25519 key pair: the secret identity and its public recipient. */
export interface VaultKey {
  identity: string;
  recipient: string;
}

const MAGIC = 'age-encryption.org/v1\n';

/** The fixed reasons a file cannot be read (the agent passes them to its clients by value). */
export const CORRUPT_WHY = {
  notAge: 'it is not an age file (truncated, or not written by cpw-vault)',
  notOurs: "it was not encrypted for this vault's identity",
  altered: 'its age encryption does not check out (truncated or altered)',
  notText: 'it decrypts, but its content is not UTF-8 text',
} as const;
const NO_MATCH = "no identity matched any of the file's recipients";

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decrypted bytes as text, or undefined when they are not valid UTF-8. Never
 * age-encryption's 'text' mode: its decoder turns each invalid byte into
 * U+FFFD, so a value from a file written in another encoding would be
 * stored silently altered.
 */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

function asText(bytes: Uint8Array, file: string): string {
  const text = utf8Text(bytes);
  if (text === undefined) throw corruptFile(file, CORRUPT_WHY.notText);
  return text;
}

/** A fresh X25519 key pair. */
export async function newVaultKey(): Promise<VaultKey> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/** The recipient of an identity. */
export function recipientOf(identity: string): Promise<string> {
  return identityToRecipient(identity);
}

/** The text of a standard age identity file (what age-keygen writes), for `age -d -i`. */
export function identityFileText(key: VaultKey, label: string, now: Date): string {
  return `# ${label}\n# created: ${now.toISOString()}\n# public key: ${key.recipient}\n${key.identity}\n`;
}

/** Encrypts `plaintext` with a passphrase (scrypt, work factor `logN`, default age's 18). */
export async function sealWithPassphrase(plaintext: string, passphrase: string, logN = SCRYPT_LOG_N): Promise<Uint8Array> {
  const e = new Encrypter();
  e.setPassphrase(passphrase);
  e.setScryptWorkFactor(logN);
  return e.encrypt(plaintext);
}

/** Encrypts `plaintext` to an X25519 recipient (no scrypt: milliseconds). */
export async function sealToRecipient(recipient: string, plaintext: string): Promise<Uint8Array> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return e.encrypt(plaintext);
}

/** The first stanza type of an age file's header (`scrypt`, `X25519`...), or undefined when it is no age file. */
export function stanzaType(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  if (!head.startsWith(MAGIC)) return undefined;
  return /^-> (\S+)/.exec(head.slice(MAGIC.length))?.[1];
}

/** The fewest bytes of an identity file's text: its AGE-SECRET-KEY-1 line (74 characters). */
const IDENTITY_MIN_TEXT = 74;

/**
 * Throws VAULT_CORRUPT for an identity file cut short, as far as it can be told without the passphrase: no age
 * header, or none whole (its `---` line), or after it less than an identity's text could be sealed in (a 16-byte
 * nonce, the text, a 16-byte tag). A locked vault's doctor said VAULT_LOCKED and sent the user to unlock, which then
 * failed on it. A cut within the rest shows at unlock only (the tags check out only with the passphrase).
 */
export function assertIdentityWhole(bytes: Uint8Array, file: string): void {
  if (stanzaType(bytes) === undefined) throw corruptFile(file, CORRUPT_WHY.notAge);
  const text = Buffer.from(bytes).toString('latin1');
  const mac = text.indexOf('\n--- ');
  const end = mac < 0 ? -1 : text.indexOf('\n', mac + 5);
  if (end < 0 || bytes.length - (end + 1) < 16 + IDENTITY_MIN_TEXT + 16) throw corruptFile(file, CORRUPT_WHY.altered);
}

/**
 * Decrypts a passphrase-encrypted age file. Throws VAULT_PASSPHRASE_WRONG
 * when the passphrase does not open it, VAULT_CORRUPT when it is no
 * passphrase-encrypted age file or fails its authentication (truncated,
 * tampered).
 */
export async function openWithPassphrase(bytes: Uint8Array, passphrase: string, file: string, ifLost?: string): Promise<string> {
  const type = stanzaType(bytes);
  if (type === undefined) throw corruptFile(file, CORRUPT_WHY.notAge);
  if (type !== 'scrypt') throw corruptFile(file, `it is an age file for a key (${/^[\w-]{1,24}$/.test(type) ? type : 'not a passphrase'}), not for a passphrase`);
  const d = new Decrypter();
  d.addPassphrase(passphrase);
  let plain: Uint8Array;
  try {
    plain = await d.decrypt(bytes);
  } catch (err) {
    if (err instanceof Error && err.message === NO_MATCH) throw wrongPassphrase(file, ifLost);
    throw corruptFile(file, CORRUPT_WHY.altered);
  }
  return asText(plain, file);
}

/** Decrypts an age file encrypted to `identity`. Throws VAULT_CORRUPT (never age's own message). */
export async function openWithIdentity(bytes: Uint8Array, identity: string, file: string): Promise<string> {
  if (stanzaType(bytes) === undefined) throw corruptFile(file, CORRUPT_WHY.notAge);
  const d = new Decrypter();
  d.addIdentity(identity);
  let plain: Uint8Array;
  try {
    plain = await d.decrypt(bytes);
  } catch (err) {
    if (err instanceof Error && err.message === NO_MATCH) throw corruptFile(file, CORRUPT_WHY.notOurs);
    throw corruptFile(file, CORRUPT_WHY.altered);
  }
  return asText(plain, file);
}

/**
 * The key pair in a decrypted identity file: exactly one
 * `AGE-SECRET-KEY-1...` line (comments and blank lines allowed, as in
 * age's own identity files). Throws VAULT_CORRUPT otherwise.
 */
export async function parseIdentityFile(text: string, file: string): Promise<VaultKey> {
  const keys = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (keys.length !== 1 || !keys[0]!.startsWith('AGE-SECRET-KEY-1')) throw corruptFile(file, 'it decrypts, but does not hold exactly one age X25519 identity');
  try {
    return { identity: keys[0]!, recipient: await identityToRecipient(keys[0]!) };
  } catch {
    throw corruptFile(file, 'it decrypts, but its age identity is malformed');
  }
}
