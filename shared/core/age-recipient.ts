/**
 * Whether text is an age X25519 recipient (`age1` + 58 bech32 characters)
 * that age can read: the shape alone let a mistyped key through (a wrong
 * checksum), which `team add` then failed on as an internal error, and
 * which, planted in a team file, made every later write fail for every
 * member. Checked here as age's own bech32 decoder does: the BIP 173
 * checksum, and the zero padding of the 32-byte key's last 5-bit group.
 */

/** The shape: lower case, bech32's alphabet, the length of a 32-byte key. */
export const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: readonly number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i]!;
  }
  return chk;
}

/** True when `text` is an age X25519 recipient whose checksum and padding check out. */
export function isAgeRecipient(text: string): boolean {
  if (!AGE_RECIPIENT.test(text)) return false;
  const hrp = 'age';
  const data = [...text.slice(hrp.length + 1)].map((c) => CHARSET.indexOf(c));
  const expanded = [...hrp].map((c) => c.charCodeAt(0) >> 5).concat(0, [...hrp].map((c) => c.charCodeAt(0) & 31));
  if (polymod([...expanded, ...data]) !== 1) return false;
  // 52 groups of 5 bits carry 256 bits and 4 of padding, which must be zero.
  return (data[51]! & 0xf) === 0;
}
