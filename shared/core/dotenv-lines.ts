/**
 * The line grammar of a .env file as python-dotenv and Node's --env-file
 * both read it, and where they part: one `[export ]NAME=value` line, its
 * value (quoted or not), and the line a quoted value opened on an earlier
 * line closes on. Pure; shared/core/migration-sources.ts reads a whole file
 * with it.
 */
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v';
const isNameStart = (c: string) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c === '_';
const isNameChar = (c: string) => isNameStart(c) || (c >= '0' && c <= '9') || c === '.' || c === '-';

/**
 * Whether `s`'s ends, which trim() drops, hold a blank other than a space: Node's --env-file trims spaces only and
 * keeps a tab (in the name, or the value: `A=a<TAB>#c` is "a\t" to Node, "a" to python-dotenv), python-dotenv drops
 * every blank there.
 */
export const dropsNonSpace = (s: string): boolean => /[^ ]/.test(s.slice(0, s.length - s.trimStart().length) + s.slice(s.trimEnd().length));

/**
 * One `[export ]NAME=value` line without its line break (and the comment after its value), or undefined when it is
 * not one. `blank`: a blank other than a space was dropped outside quotes (see {@link dropsNonSpace}).
 */
export function dotenvLine(line: string): DotenvValue & { name: string } | undefined {
  let blank = dropsNonSpace(line.slice(0, line.length - line.trimStart().length));
  let i = line.length - line.trimStart().length;
  const skip = () => {
    for (; isSpace(line[i]); i++) if (line[i] !== ' ') blank = true;
  };
  if (line.startsWith('export', i) && isSpace(line[i + 6])) {
    i += 6;
    skip();
  }
  const nameStart = i;
  if (!isNameStart(line[i] ?? '')) return undefined;
  while (i < line.length && isNameChar(line[i]!)) i++;
  const name = line.slice(nameStart, i);
  skip();
  if (line[i] !== '=') return undefined;
  i++;
  skip();
  const value = dotenvValue(line.slice(i));
  return { name, ...value, ...(blank || value.blank ? { blank: true as const } : {}) };
}

export interface DotenvValue {
  value: string;
  /** Text after the value: a `#` comment. */
  comment?: string;
  /** Why the value is not taken (see parseDotenv). */
  problem?: string;
  /** The quote that opened the value and is not closed on this line. */
  open?: "'" | '"';
  /** The quote the value was in, if any. */
  quote?: "'" | '"';
  /** A blank other than a space (a tab) was dropped outside quotes: Node's --env-file keeps it (see dropsNonSpace). */
  blank?: true;
}

/**
 * Why readers of the file would read an unproblematic-looking value
 * differently from what cpw-vault takes, if they would: `${VAR}` (python-
 * dotenv expands it, Node does not), a `#` in an unquoted value (Node starts
 * a comment there, python-dotenv only after a space), an unquoted value in
 * backticks (Node takes them as quotes). Read by a shell (`.envrc`, a file
 * recognised by its content), a `$`, a backtick or a backslash outside single
 * quotes is expanded or unescaped: `$(cat ~/token)` is no key.
 */
export function disputed(v: DotenvValue, shell: boolean): string | undefined {
  if (v.quote !== "'" && shell && /[$`\\]/.test(v.value)) return 'a $, ` or \\ outside single quotes, which a shell reading this file expands or unescapes';
  if (v.value.includes('${')) return '${...}, which python-dotenv expands and Node does not';
  if (v.quote) return undefined;
  if (v.value.includes('#')) return 'a # in a value without quotes, where Node starts a comment and python-dotenv does not';
  if (v.value.startsWith('`')) return 'backticks around the value, which Node reads as quotes and python-dotenv keeps';
  return undefined;
}

/** The quote a line that is no NAME=value for cpw-vault opens after its `=` and leaves open, if any. */
export function openQuoteOf(line: string): "'" | '"' | undefined {
  const eq = line.indexOf('=');
  if (eq < 0) return undefined;
  let i = eq + 1;
  while (isSpace(line[i])) i++;
  return dotenvValue(line.slice(i)).open;
}

/**
 * Escapes python-dotenv decodes inside each kind of quotes, which Node's
 * --env-file keeps as typed (`"\t"`: a tab, or a backslash and a t; `"a\"b"`
 * ends at the escaped quote in Node). A backslash before anything else is
 * kept by both.
 */
const DISPUTED_ESCAPES = { '"': new Set(['\\', "'", '"', 'a', 'b', 'f', 'r', 't', 'v']), "'": new Set(['\\', "'"]) };

/** The value of what follows `=`, and any text after it (after a closing quote, or an unquoted value's ` #` comment). */
function dotenvValue(rest: string): DotenvValue {
  const quote = rest[0];
  if (quote === '"' || quote === "'") {
    const escapes = DISPUTED_ESCAPES[quote];
    let out = '';
    let problem: string | undefined;
    let i = 1;
    for (; i < rest.length && rest[i] !== quote; i++) {
      const c = rest[i]!;
      if (c !== '\\' || i + 1 >= rest.length) {
        out += c;
        continue;
      }
      const next = rest[++i]!;
      if (quote === '"' && next === 'n') {
        out += '\n'; // both read a line break (then refused as one)
        continue;
      }
      if (escapes.has(next)) problem ??= `the escape \\${next} inside ${quote === '"' ? 'double' : 'single'} quotes, which python-dotenv and Node read differently`;
      out += c + next;
    }
    if (i >= rest.length) return { value: out, open: quote, quote };
    const tail = rest.slice(i + 1).trim();
    if (tail && !tail.startsWith('#')) problem ??= `text after the closing ${quote} (python-dotenv refuses the line)`;
    return { value: out, quote, ...(tail ? { comment: tail.replace(/^#+/, '').trim() || tail } : {}), ...(problem ? { problem } : {}) };
  }
  // Unquoted: an inline comment starts at the first # after a space.
  let end = rest.length;
  for (let i = 1; i < rest.length && end === rest.length; i++) if (rest[i] === '#' && isSpace(rest[i - 1])) end = i;
  const raw = rest.slice(0, end);
  const comment = rest.slice(end).trim();
  return { value: raw.trim(), ...(comment ? { comment } : {}), ...(dropsNonSpace(raw) ? { blank: true as const } : {}) };
}

/**
 * The line (from `from` on) where a value opened with `quote` on an earlier
 * line closes: the first such quote not escaped by a backslash, as
 * python-dotenv finds it; -1 when none does.
 */
export function closingLine(lines: readonly string[], from: number, quote: "'" | '"'): number {
  for (let n = from; n < lines.length; n++) {
    const line = lines[n]!;
    for (let i = 0; i < line.length; i++) {
      if (line[i] === '\\') i++;
      else if (line[i] === quote) return n;
    }
  }
  return -1;
}
