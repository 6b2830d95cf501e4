/**
 * C0 and C1 control characters and DEL: line breaks, tabs and the escape
 * sequences that drive a terminal; the line and paragraph separators
 * (U+2028, U+2029); and the bidirectional marks, embeddings, overrides and
 * isolates (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), which reorder the
 * text around them on screen ("\u202Eevil" shows as "live", a file name's
 * extension turned around). Text from a file someone else may have written
 * (a teammate's team file, an export, a planted lock) or a field printed as
 * it is (a label, a user field) is checked or cleaned with these. Right-to-
 * left letters themselves are text, and stay.
 */
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** True when `text` holds a control character. */
export function hasControlChars(text: string): boolean {
  return CONTROL_CHARS.test(text);
}

/** `text` with each control character replaced by "?", for a message. */
export function withoutControlChars(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?');
}

/**
 * A path as one POSIX shell word: bare when nothing in it is special, else single-quoted. A control character (an
 * escape sequence, a carriage return that would redraw the line) shows as '?': the word is for a person to paste.
 */
export function shellWord(path: string): string {
  const safe = withoutControlChars(path);
  return /^[\w@%+=:,./-]+$/.test(safe) ? safe : `'${safe.replace(/'/g, `'\\''`)}'`;
}
