/**
 * Whether a line that JSON.parse refused is JSON cut short: what an append
 * stopped by a crash or a full disk leaves (its newline comes with the next
 * append), as against text that was never JSON (a line typed by hand, another
 * program's). No parser library and no JSON.parse message (its wording is
 * V8's, and quotes the text): one pass over the grammar.
 */

/** What the scan expects next. */
type Want = 'value' | 'value-or-]' | 'key' | 'key-or-}' | 'colon' | 'after';

/** A token that ran to the end of the text, every character of it allowed so far. */
const CUT = Infinity;

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const LITERALS: Record<string, string> = { t: 'true', f: 'false', n: 'null' };
const ESCAPES = '"\\/bfnrt';

/**
 * True when `text` (a leading BOM ignored) is the start of a JSON text that ends early: every character where JSON
 * allows it, and more needed to make it whole. False for a whole JSON text, for blank text, and for text that breaks
 * the grammar anywhere (a hand edit, "hello", a value followed by more).
 */
export function isCutShortJson(text: string): boolean {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const open: string[] = []; // the objects and arrays not yet closed: "{" or "["
  let want: Want = 'value';
  let i = skipSpace(s, 0);
  if (i === s.length) return false;
  while (i < s.length) {
    const step = next(s, i, want, open);
    if (step === undefined) return false;
    if (step === 'cut') return true;
    [i, want] = [skipSpace(s, step.at), step.want];
  }
  return open.length > 0 || want !== 'after';
}

/** The token at `i` where `want` is expected: where it ends and what is expected after; 'cut' at the text's end; undefined when it breaks. */
function next(s: string, i: number, want: Want, open: string[]): { at: number; want: Want } | 'cut' | undefined {
  const c = s[i]!;
  const top = open[open.length - 1];
  if (want === 'colon') return c === ':' ? { at: i + 1, want: 'value' } : undefined;
  if (want === 'after') {
    if (c === ',' && top) return { at: i + 1, want: top === '{' ? 'key' : 'value' };
    if (!top || c !== (top === '{' ? '}' : ']')) return undefined;
    open.pop();
    return { at: i + 1, want: 'after' };
  }
  if ((c === '}' && want === 'key-or-}') || (c === ']' && want === 'value-or-]')) {
    open.pop();
    return { at: i + 1, want: 'after' };
  }
  if (want === 'key' || want === 'key-or-}') return ended(c === '"' ? stringEnd(s, i) : -1, 'colon');
  if (c === '{' || c === '[') {
    open.push(c);
    return { at: i + 1, want: c === '{' ? 'key-or-}' : 'value-or-]' };
  }
  return ended(scalarEnd(s, i), 'after');
}

/** A scalar's end (see scalarEnd) as a step. */
function ended(end: number, want: Want): { at: number; want: Want } | 'cut' | undefined {
  if (end === CUT) return 'cut';
  return end < 0 ? undefined : { at: end, want };
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  return i;
}

/** Where the string, number or literal at `i` ends; CUT when it runs to the end allowed so far; -1 when it breaks. */
function scalarEnd(s: string, i: number): number {
  const c = s[i]!;
  if (c === '"') return stringEnd(s, i);
  const literal = LITERALS[c];
  if (literal) {
    for (let k = 0; k < literal.length; k++) {
      if (i + k === s.length) return CUT;
      if (s[i + k] !== literal[k]) return -1;
    }
    return i + literal.length;
  }
  let end = i;
  while (end < s.length && '-+0123456789.eE'.includes(s[end]!)) end++;
  const token = s.slice(i, end);
  if (end === i) return -1;
  // A number that runs to the end is whole, or cut short where one more digit makes it whole ("-", "1.", "1e+").
  if (end === s.length && !NUMBER.test(token)) return NUMBER.test(`${token}0`) ? CUT : -1;
  return NUMBER.test(token) ? end : -1;
}

/** Where the string opened at `i` ends (after its quote); CUT when the text ends inside it; -1 for what JSON refuses. */
function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; ) {
    const c = s.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c < 0x20) return -1;
    if (c !== 0x5c) {
      j++;
      continue;
    }
    const e = s[j + 1];
    if (e === undefined) return CUT;
    if (ESCAPES.includes(e)) j += 2;
    else if (e !== 'u') return -1;
    else {
      const hex = s.slice(j + 2, j + 6);
      if (!/^[0-9a-fA-F]*$/.test(hex)) return -1;
      if (hex.length < 4) return CUT;
      j += 6;
    }
  }
  return CUT;
}
