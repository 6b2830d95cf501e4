/**
 * The depth rule of every JSON reader, and a bounded JSON.parse for files
 * cpw-vault writes itself (the credential journal, the old run history):
 * no parser library, so the read path that checks them at every start does
 * not load one (shared/core/json.ts has the full parser, with line and
 * column, for what people write).
 */

/**
 * Deepest nesting of arrays and objects accepted. A profile nests 4 levels,
 * a secrets file 2 or 3; 100,000 `[` would overflow the stack of any
 * recursive reader after the parser (and of the parser itself).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Offset of the first bracket that opens level `max + 1`, or -1. One linear
 * pass that skips strings (a `[` inside a value does not count).
 */
export function overDeepAt(text: string, max = MAX_JSON_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return -1;
}

/**
 * True when a parsed `value` nests arrays and objects deeper than `max`
 * levels (the top one is level 1, as for overDeepAt). A walk of the
 * containers only, stopping at level `max + 1`, so it never recurses deeper:
 * at 10,000 credentials it costs a profile ~2 ms where the text scan costs
 * ~10 ms.
 */
export function nestsDeeper(value: unknown, max = MAX_JSON_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (max <= 0) return true;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) if (nestsDeeper(item, max - 1)) return true;
    return false;
  }
  for (const key in value) {
    if (nestsDeeper((value as Record<string, unknown>)[key], max - 1)) return true;
  }
  return false;
}

/**
 * The value of `text` (a file cpw-vault wrote), or undefined when it is not
 * JSON or nests deeper than MAX_JSON_DEPTH. Never echoes the input.
 */
export function parseOwnJson(text: string): unknown {
  if (overDeepAt(text) >= 0) return undefined;
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
  } catch {
    return undefined;
  }
}
