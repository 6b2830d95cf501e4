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

/** A word any shell reads as it is: nothing in it quoted. */
const BARE = /^[\w@%+=:,./-]+$/;

/**
 * A path as one shell word that bash, zsh and dash read alike, for a fix line or a command printed for pasting: bare
 * when nothing in it is special, else single-quoted, readable (a quote, a '!', an é or 日本 as they are). A control
 * character (a line break would split the line, an escape sequence run in the terminal, a text-direction mark turn
 * it around) goes in as `"$(printf '\ooo')"`, its exact bytes in printable ASCII: '?' in its place named another
 * file (a glob, or a literal '?'), and the `$'...'` that followed is read by dash (Debian's sh, what `sh -c` runs) as
 * `$` and a quoted word, so `chmod 600 $'...'` changed nothing. Only line breaks that end the path are `$'\n'`: a
 * command substitution drops them, POSIX sh has no other one-line form, and a raw one in quotes broke the fix line
 * where its next line is indented. Dash reads that `$\n`, a file that is not there, and runs nothing.
 */
export function shellWord(path: string): string {
  return posixWord(path, hasControlChars, (breaks) => `$'${'\\n'.repeat(breaks)}'`);
}

/**
 * `path` as one POSIX sh word that dash reads as bash does, on one line of printable ASCII: for a line a shell runs
 * (git's helper, run with `sh -c`, dash on Debian) or one printed for pasting into whatever shell the user has. As
 * shellWord, but every byte that is not printable ASCII (any non-ASCII too) goes in by printf, and line breaks that end
 * the path are kept as they are, in quotes: a shell reads them exactly, though the word then takes two lines.
 */
export function shWord(path: string): string {
  return posixWord(path, (ch) => ch < ' ' || ch > '~', (breaks) => `'${'\n'.repeat(breaks)}'`);
}

/**
 * `path` bare, or its characters single-quoted but those `viaPrintf` picks, which go in as `"$(printf '\ooo')"`; a
 * line break there takes the character after it along (a command substitution drops only trailing ones). Line breaks
 * that end the path are `trailing(count)`.
 */
function posixWord(path: string, viaPrintf: (ch: string) => boolean, trailing: (breaks: number) => string): string {
  if (BARE.test(path)) return path;
  const body = path.replace(/\n+$/, '');
  const parts: string[] = [];
  let plain = '';
  let bytes: number[] = [];
  const flush = () => {
    if (plain) parts.push(`'${plain.replace(/'/g, `'\\''`)}'`);
    if (bytes.length) parts.push(`"$(printf '${bytes.map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('')}')"`);
    plain = '';
    bytes = [];
  };
  for (const ch of body) {
    const quoted = !viaPrintf(ch) && bytes.at(-1) !== 0x0a;
    if ((quoted && bytes.length) || (!quoted && plain)) flush();
    if (quoted) plain += ch;
    else bytes.push(...utf8Bytes(ch.codePointAt(0)!));
  }
  flush();
  if (body.length < path.length) parts.push(trailing(path.length - body.length));
  return parts.join('') || "''";
}

/** The UTF-8 bytes of a code point; a lone surrogate's are U+FFFD's, as Node writes it in a path. */
function utf8Bytes(code: number): number[] {
  if (code < 0x80) return [code];
  if (code < 0x800) return [0xc0 | (code >> 6), 0x80 | (code & 63)];
  if (code >= 0xd800 && code <= 0xdfff) return [0xef, 0xbf, 0xbd];
  if (code < 0x10000) return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63)];
  return [0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63)];
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
