/**
 * How many terminal columns text takes, as wcwidth(3) counts them (what xterm, VTE and tmux do): East Asian wide and
 * full-width characters and emoji take 2, combining marks and zero-width characters (ZWJ, ZWSP, variation
 * selectors, Hangul medial jamo) none, anything else 1. Tables padded by UTF-16 length put a CJK cell's next column
 * 4 columns right (4 characters, 8 columns) and an NFD "é" one left (2 units, 1 column).
 */
const ZERO = /[\p{Mn}\p{Me}\p{Cf}\u1160-\u11ff]/u;
const WIDE = /[\p{Emoji_Presentation}\u1100-\u115f\u2329\u232a\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f\uff00-\uff60\uffe0-\uffe6\u{16fe0}-\u{18cff}\u{1b000}-\u{1b2ff}\u{1f200}-\u{1f2ff}\u{20000}-\u{2fffd}\u{30000}-\u{3fffd}]/u;
const ALL_NARROW = /^[\u0020-\u007e\u00a0-\u02ff\u2010-\u2027]*$/;

/** The columns `text` takes on a terminal (see above); plain text (ASCII, Latin-1, Latin Extended) without counting. */
export function displayWidth(text: string): number {
  if (ALL_NARROW.test(text)) return text.length;
  let width = 0;
  for (const c of text) width += ZERO.test(c) ? 0 : WIDE.test(c) ? 2 : 1;
  return width;
}

/** `text` followed by spaces to `width` columns. */
export function padToWidth(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}
