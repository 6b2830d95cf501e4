/**
 * Lines sorted by a key, found by binary search over the bytes: what the
 * lookup copy of the profile (lookup-index.ts) and list's cache
 * (shared/cli/list-cache.ts) use to find one entry among 10,000 without
 * parsing the others. A line is `<key> TAB <rest> NL`; a key is a JSON
 * string with every non-ASCII character escaped ({@link sortKey}), so keys
 * sort by their bytes and whole lines sort as their keys do (two keys differ
 * at or before the closing quote of the shorter).
 */

const NL = 0x0a;
const TAB = 0x09;

/** `text` as a line's key: JSON, with any non-ASCII character escaped. */
export function sortKey(text: string): string {
  const json = JSON.stringify(text);
  return /^[\x20-\x7e]*$/.test(json) ? json : json.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The start of the line in `bytes[from, to)` whose key is `key` (its
 * {@link sortKey} form), or -1 when there is none. `from` starts a line and
 * `to` ends one. Throws `damaged()` for a line without its tab or newline.
 */
export function findSortedLine(bytes: Buffer, from: number, to: number, key: string, damaged: () => Error): number {
  const wanted = Buffer.from(key, 'latin1');
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const start = Math.max(from, bytes.lastIndexOf(NL, ((lo + hi) >>> 1) - 1) + 1);
    const end = bytes.indexOf(NL, start);
    const tab = bytes.indexOf(TAB, start);
    if (end < 0 || end >= to || tab < 0 || tab > end) throw damaged();
    const order = Buffer.compare(bytes.subarray(start, tab), wanted);
    if (order === 0) return start;
    if (order < 0) lo = end + 1;
    else hi = start;
  }
  return -1;
}
