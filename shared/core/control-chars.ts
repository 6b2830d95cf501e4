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
 * A path as one POSIX shell word: bare when nothing in it is special, else single-quoted; one holding a control
 * character as `$'...'`, whose escapes name its exact bytes while the word itself is printable ASCII (a line break
 * would split the fix line, an escape sequence run in the terminal). '?' in its place named another file: a glob,
 * or a literal '?'. `$'...'` is read by bash, zsh and ksh; Debian's dash 0.5.12 reads it as `$` and a quoted word,
 * a file that does not exist, and runs nothing either.
 */
export function shellWord(path: string): string {
  if (hasControlChars(path)) return `$'${Array.from(path, dollarQuoted).join('')}'`;
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

/**
 * `path` as one POSIX sh word that dash reads as bash does, on one line of printable ASCII: for a line a shell runs
 * (git's helper, run with `sh -c`, dash on Debian) or one printed for pasting into whatever shell the user has.
 * shellWord's `$'...'` is read by dash as `$` and a quoted word: another file, or none. Bare when nothing in it is
 * special; else its printable ASCII single-quoted, and every other byte (a control character, an escape or a
 * text-direction mark that would act on the terminal, any non-ASCII) by `"$(printf '\ooo')"`. A line break goes
 * there too, with the character after it (a command substitution drops only trailing ones): a raw one split the line
 * where doctor indents its fix lines' next lines. Only at the very end of the path is it kept as it is, in quotes.
 */
export function shWord(path: string): string {
  if (/^[\w@%+=:,./-]+$/.test(path)) return path;
  const parts: string[] = [];
  let plain = '';
  let bytes: number[] = [];
  const flush = () => {
    if (plain) parts.push(`'${plain.replace(/'/g, `'\\''`)}'`);
    if (bytes.length) parts.push(`"$(printf '${bytes.map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('')}')"`);
    plain = '';
    bytes = [];
  };
  for (const ch of path) {
    // After a line break, the next character goes in the printf too, whatever it is.
    const printable = ch >= ' ' && ch <= '~' && bytes.at(-1) !== 0x0a;
    if (printable && bytes.length) flush();
    if (!printable && plain) flush();
    if (printable) plain += ch;
    else bytes.push(...utf8Bytes(ch.codePointAt(0)!));
  }
  let trailing = 0;
  for (; bytes.at(-1) === 0x0a; trailing++) bytes.pop();
  flush();
  if (trailing) parts.push(`'${'\n'.repeat(trailing)}'`);
  return parts.join('');
}

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '\\': '\\\\' };

/**
 * One character inside `$'...'`: printable ASCII as it is, else its UTF-8 bytes as three-digit octal escapes (ESC is
 * \033): three digits end an octal escape in every shell that reads `$'...'`, so a digit after it stays its own.
 * So are "'" (\047: a dash that reads no `$'...'` ended its quote at \' and ran the rest of the path as commands)
 * and "!", which bash's history expansion may see in a pasted line.
 */
function dollarQuoted(char: string): string {
  const named = NAMED_ESCAPES[char];
  if (named) return named;
  const code = char.codePointAt(0)!;
  if (code >= 0x20 && code < 0x7f && char !== "'" && char !== '!') return char;
  return utf8Bytes(code).map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
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
