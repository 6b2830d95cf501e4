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
 * `text` as a message shows it: no control character, at most `max` characters, `…` where it was cut. Cut between
 * whole characters: a cut through a surrogate pair (an emoji in a keyring's label) printed U+FFFD in its place.
 */
export function shownText(text: string, max: number): string {
  const clean = withoutControlChars(text);
  if (clean.length <= max) return clean;
  const high = clean.charCodeAt(max - 1);
  return `${clean.slice(0, high >= 0xd800 && high <= 0xdbff ? max - 1 : max)}…`;
}

/**
 * A word any shell reads as it is: nothing in it quoted. Not '=' first: zsh (macOS's shell) reads `=ls` as the path
 * of the command ls, and `=foo` as an error, "foo not found". '~', '[', '*', '?', '{' and '#' are never in it (a home
 * folder, a glob, a brace expansion, a comment).
 */
const BARE = /^(?!=)[\w@%+=:,./-]+$/;

/**
 * The most command substitutions one word has: dash (Debian's sh) crashed (SIGSEGV) on a word of about 1,665, a path
 * of 3,300 bytes alternating control characters and letters, and ran nothing. A word that would have more is one
 * printf of the whole path.
 */
const MAX_SUBSTITUTIONS = 64;

/**
 * The bytes a merged printf (see MAX_SUBSTITUTIONS) writes as they are; any other is `\ooo`: a '%' or a backslash is
 * printf's own, a quote would end the format, a '-' first an option, a '!' bash's history expansion when pasted.
 */
const AS_IS = /^[\w ./,:@+=]$/;

/**
 * A path as one shell word that bash, zsh and dash read alike, for a fix line or a command printed for pasting: bare
 * when nothing in it is special, else single-quoted, readable (a quote, a '!', an é or 日本 as they are). A control
 * character (a line break would split the line, an escape sequence run in the terminal, a text-direction mark turn
 * it around) goes in as `"$(printf '\ooo')"`, its exact bytes in printable ASCII: '?' in its place named another
 * file (a glob, or a literal '?'), and the `$'...'` that followed is read by dash (Debian's sh, what `sh -c` runs) as
 * `$` and a quoted word, so `chmod 600 $'...'` changed nothing. Only line breaks that end the path are `$'\n'`: a
 * command substitution drops them, POSIX sh has no other one-line form, and a raw one in quotes broke the fix line
 * where its next line is indented. Dash reads that `$\n`, a file that is not there, and runs nothing. A relative path
 * that starts with '-' is `./-x`: bare, `rm -x` read it as an option, and failed or did something else.
 */
export function shellWord(path: string): string {
  return shellArgument(notAnOption(path));
}

/**
 * Any text (a service or key name, not a path) as one shell word, quoted as shellWord quotes a path; one that starts
 * with '-' stays so, since `./` in front would name something else.
 */
export function shellArgument(text: string): string {
  return posixWord(text, hasControlChars, dollarBreaks);
}

/**
 * `path` as one POSIX sh word that dash reads as bash does, on one line of printable ASCII: for a line printed for
 * pasting into whatever shell the user has. As shellWord, but every byte that is not printable ASCII (any non-ASCII
 * too) goes in by printf. Line breaks that end the path are `$'\n'` too: kept raw, in quotes, the word took two lines,
 * and doctor, which indents a fix line's next lines, put spaces into the path.
 */
export function shWord(path: string): string {
  return shArgument(notAnOption(path));
}

/**
 * Any text (not a path: a '-' first stays) as one POSIX sh word on one line of printable ASCII, as shWord quotes a
 * path: a line break inside it goes in by printf, with the character after it. For a command that is itself the value
 * of a printed line, git's helper with a shScriptWord in it: quoted as it was, that word's raw trailing line break
 * took the line to two, and doctor's indent went into the profile's path.
 */
export function shArgument(text: string): string {
  return posixWord(text, notPrintableAscii, dollarBreaks);
}

/**
 * `path` as shWord has it, but for a line a shell runs and nobody indents (git's helper, run with `sh -c`, dash on
 * Debian): line breaks that end the path are kept as they are, in quotes, which every shell reads exactly.
 */
export function shScriptWord(path: string): string {
  return posixWord(notAnOption(path), notPrintableAscii, (breaks) => `'${'\n'.repeat(breaks)}'`);
}

/** Trailing line breaks as `$'\n...'`: one line, read exactly by bash and zsh (see shellWord for dash). */
function dollarBreaks(breaks: number): string {
  return `$'${'\\n'.repeat(breaks)}'`;
}

/** True for a character that is not printable ASCII. */
function notPrintableAscii(ch: string): boolean {
  return ch < ' ' || ch > '~';
}

/** `path`, as `./-x` when it starts with '-' (a relative path, then): read as is, a command took it for an option. */
function notAnOption(path: string): string {
  return path.startsWith('-') ? `./${path}` : path;
}

/**
 * `text` bare, or its characters single-quoted but those `viaPrintf` picks, which go in as `"$(printf '\ooo')"`; a
 * line break there takes the character after it along (a command substitution drops only trailing ones). Line breaks
 * that end the text are `trailing(count)`. Past MAX_SUBSTITUTIONS pieces, the whole text is one printf.
 */
function posixWord(text: string, viaPrintf: (ch: string) => boolean, trailing: (breaks: number) => string): string {
  if (BARE.test(text)) return text;
  const body = text.replace(/\n+$/, '');
  const pieces = piecesOf(body, viaPrintf);
  const substitutions = pieces.filter((piece) => typeof piece !== 'string').length;
  const word = substitutions > MAX_SUBSTITUTIONS
    ? printfPiece([...body].flatMap((ch) => utf8Bytes(ch.codePointAt(0)!)), true)
    : pieces.map((piece) => (typeof piece === 'string' ? `'${piece.replace(/'/g, `'\\''`)}'` : printfPiece(piece, false))).join('');
  return (word + (body.length < text.length ? trailing(text.length - body.length) : '')) || "''";
}

/** `body` cut into runs to single-quote (strings) and runs of bytes to write with printf (see posixWord). */
function piecesOf(body: string, viaPrintf: (ch: string) => boolean): Array<string | number[]> {
  const pieces: Array<string | number[]> = [];
  for (const ch of body) {
    const last = pieces.at(-1);
    const quoted = !viaPrintf(ch) && !(Array.isArray(last) && last.at(-1) === 0x0a);
    if (quoted && typeof last === 'string') pieces[pieces.length - 1] = last + ch;
    else if (quoted) pieces.push(ch);
    else if (Array.isArray(last)) last.push(...utf8Bytes(ch.codePointAt(0)!));
    else pieces.push(utf8Bytes(ch.codePointAt(0)!));
  }
  return pieces;
}

/** `"$(printf '...')"` writing `bytes`: each as `\ooo`, or (`readable`) those AS_IS allows as they are. */
function printfPiece(bytes: number[], readable: boolean): string {
  const format = bytes.map((b) => (readable && AS_IS.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, '0')}`));
  return `"$(printf '${format.join('')}')"`;
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
