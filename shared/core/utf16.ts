/** How a UTF-16 text is laid out: its byte order, and whether it starts with a byte-order mark. */
export interface Utf16Form {
  order: 'LE' | 'BE';
  marked: boolean;
}

/**
 * The form of `bytes` when they are UTF-16 text (Notepad's "Unicode", PowerShell's > and Out-File), told before
 * decoding: decoded as UTF-8, its mark was "not UTF-8 text" with a Latin-1 conversion for the fix (which made it
 * worse), and without one its NULs read as control characters or broken lines. Undefined for anything else.
 *
 * With no mark, the ASCII characters give it away: a NUL in every other byte (the odd ones in little-endian),
 * which UTF-8 text never holds. Most of a secrets file is ASCII (names, "=", quotes, keys, line breaks) whatever
 * script its first line is in (a comment "# 密钥" or "# Clé API"), so the NULs of one order outnumber the other's;
 * a character of another script may put a NUL on the other side (U+4E00 is 00 4E in little-endian). At least one
 * unit in 8, and 4 at least, must be ASCII (a stray NUL in a UTF-8 file or value is not UTF-16; a file that is all
 * comment in Chinese with a key line is); a unit of two NULs (U+0000, no text holds it) or half of a surrogate
 * pair means binary, not UTF-16.
 */
export function utf16Form(bytes: Uint8Array): Utf16Form | undefined {
  if (bytes.length < 2) return undefined;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { order: 'LE', marked: true };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { order: 'BE', marked: true };
  // Two ASCII characters first: a short value piped as UTF-16 ("ab" is 61 00 62 00).
  if (bytes.length >= 4 && bytes[0] !== 0 && bytes[1] === 0 && bytes[2] !== 0 && bytes[3] === 0) return { order: 'LE', marked: false };
  if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] !== 0 && bytes[2] === 0 && bytes[3] !== 0) return { order: 'BE', marked: false };
  let nulHigh = 0; // units 0x00XX read as LE: a NUL at the odd byte
  let nulLow = 0; // units 0x00XX read as BE: a NUL at the even byte
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const even = bytes[i]!;
    const odd = bytes[i + 1]!;
    if (even === 0 && odd === 0) return undefined;
    if (odd === 0) nulHigh++;
    else if (even === 0) nulLow++;
  }
  const ascii = Math.max(nulHigh, nulLow);
  if (nulHigh === nulLow || ascii < 4 || ascii * 8 < bytes.length / 2) return undefined;
  const order = nulHigh > nulLow ? 'LE' : 'BE';
  return wellFormed(bytes, order) ? { order, marked: false } : undefined;
}

/**
 * The name `iconv -f` reads `form` by: with a mark, plain UTF-16 (iconv finds the order in it); without one, the order
 * named, since glibc's and macOS's iconv guess an unmarked file's order differently.
 */
export function iconvName(form: Utf16Form): string {
  return form.marked ? 'UTF-16' : `UTF-16${form.order}`;
}

/** True when every surrogate of `bytes` read as UTF-16 in `order` is half of a whole pair. */
function wellFormed(bytes: Uint8Array, order: 'LE' | 'BE'): boolean {
  const unit = (i: number) => (order === 'LE' ? bytes[i]! | (bytes[i + 1]! << 8) : (bytes[i]! << 8) | bytes[i + 1]!);
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const u = unit(i);
    if (u >= 0xdc00 && u <= 0xdfff) return false;
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = i + 3 < bytes.length ? unit(i + 2) : -1;
      if (next < 0xdc00 || next > 0xdfff) return false;
      i += 2;
    }
  }
  return true;
}
