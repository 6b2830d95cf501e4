import { bech32 } from '@scure/base';

/**
 * Whether text is an age X25519 recipient (`age1` + 58 bech32 characters)
 * that age can read: the shape alone let a mistyped key through (a wrong
 * checksum), which `team add` then failed on as an internal error, and
 * which, planted in a team file, made every later write fail for every
 * member. Decoded as age's own decoder does, with the same library
 * (@scure/base, age-encryption's): the bech32 checksum, then the 32-byte key
 * from its 5-bit groups (non-zero padding refused).
 */

/** The shape: lower case, bech32's alphabet, the length of a 32-byte key. */
export const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

/** True when `text` is an age X25519 recipient whose checksum and padding check out. */
export function isAgeRecipient(text: string): boolean {
  if (!AGE_RECIPIENT.test(text)) return false;
  try {
    const { prefix, words } = bech32.decode(text as `${string}1${string}`, 90);
    return prefix === 'age' && bech32.fromWords(words).length === 32;
  } catch {
    return false;
  }
}
