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

/**
 * `value` with every string in it (a value, an array's item, an object's key, at any depth: MAX_JSON_DEPTH bounds it)
 * with its control characters and text-direction overrides as "?" (a run history read back: see RunHistory.read). The same value, not a
 * copy, when none holds one: a list of 10,000 clean runs allocates nothing.
 */
export function withoutControlCharsDeep<T>(value: T): T {
  if (typeof value === 'string') return (hasControlChars(value) ? withoutControlChars(value) : value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = withoutControlCharsDeep(value[i] as unknown);
      if (item !== value[i]) (out ??= [...value])[i] = item;
    }
    return (out ?? value) as T;
  }
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = withoutControlCharsDeep(k);
    const item = withoutControlCharsDeep(v as unknown);
    changed ||= key !== k || item !== v;
    // Defined, not assigned: a field named "__proto__" (a hand-written line) stays a field, never the prototype.
    Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  return (changed ? out : value) as T;
}
