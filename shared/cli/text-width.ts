/**
 * How many terminal columns text takes, as wcwidth(3) counts a character (East Asian wide and full-width characters
 * and emoji take 2, combining marks and zero-width characters, ZWJ, ZWSP, variation selectors, Hangul medial jamo,
 * none, anything else 1), with an emoji sequence counted as the one emoji a font draws (2 columns), as string-width,
 * Python's wcwidth and iTerm2, kitty, WezTerm, Ghostty and tmux lay it out: 👩‍💻 and a family of four (joined by ZWJ),
 * a flag (two regional indicators), 👍🏽 (a skin tone), ❤️ and 1️⃣ (the emoji selector U+FE0F). Counted by code
 * point, 👩‍💻 took 4 columns, the family 8, a flag 4 and ❤️ 1: the next column of such a row started up to 6
 * columns off. Terminals that draw a ZWJ sequence as its parts (VS Code's, Terminal.app) still show such a row
 * wider: no count fits every terminal. Tables padded by UTF-16 length put a CJK cell's next column 4 columns right
 * (4 characters, 8 columns) and an NFD "é" one left (2 units, 1 column).
 */
const ZERO = /[\p{Mn}\p{Me}\p{Cf}\u1160-\u11ff]/u;
const WIDE = /[\p{Emoji_Presentation}\u1100-\u115f\u2329\u232a\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f\uff00-\uff60\uffe0-\uffe6\u{16fe0}-\u{18cff}\u{1b000}-\u{1b2ff}\u{1f200}-\u{1f2ff}\u{20000}-\u{2fffd}\u{30000}-\u{3fffd}]/u;
const ALL_NARROW = /^[\u0020-\u007e\u00a0-\u02ff\u2010-\u2027]*$/;
/** What joins characters into one emoji: ZWJ, the emoji selector, skin tones, regional indicators (flags). */
const JOINS = /[\u200d\ufe0f\u{1f1e6}-\u{1f1ff}\u{1f3fb}-\u{1f3ff}]/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const EMOJI = /\p{Emoji}/u;
const SKIN_TONE = /[\u{1f3fb}-\u{1f3ff}]/u;
const REGIONAL = /[\u{1f1e6}-\u{1f1ff}]/u;

/** The columns of one character alone. */
const charWidth = (c: string): number => (ZERO.test(c) ? 0 : WIDE.test(c) ? 2 : 1);

/**
 * The columns of text holding a joiner, an emoji sequence as one emoji. The rules of UTS #51's sequences by the
 * Unicode properties of the runtime (no table to keep up), not Intl.Segmenter: it took ~1.5 µs a cluster, 250 ms
 * for 10,000 rows of 15 characters where this takes a few.
 */
function joinedWidth(text: string): number {
  let width = 0;
  let last = '';
  let lastWidth = 0;
  let inEmoji = false; // the characters since the last pictograph extend it (a selector, a skin tone, a ZWJ)
  let joining = false; // a ZWJ right after an emoji: the next pictograph is part of it
  let regionals = 0; // regional indicators in a row: each second one completes a flag
  for (const c of text) {
    const regional = REGIONAL.test(c);
    let w: number;
    if (joining && PICTOGRAPH.test(c)) w = 0;
    else if (c === '\ufe0f') w = lastWidth === 1 && EMOJI.test(last) ? 1 : 0; // a narrow emoji shown as one: 2 columns
    else if (inEmoji && SKIN_TONE.test(c)) w = 0;
    else if (regional) w = regionals % 2 ? 0 : 2;
    else w = charWidth(c);
    regionals = regional ? regionals + 1 : 0;
    joining = c === '\u200d' && inEmoji;
    inEmoji = PICTOGRAPH.test(c) || (inEmoji && (c === '\ufe0f' || c === '\u200d' || SKIN_TONE.test(c)));
    width += w;
    last = c;
    lastWidth = w;
  }
  return width;
}

/** The columns `text` takes on a terminal (see above); plain text (ASCII, Latin-1, Latin Extended) without counting. */
export function displayWidth(text: string): number {
  if (ALL_NARROW.test(text)) return text.length;
  if (JOINS.test(text)) return joinedWidth(text);
  let width = 0;
  for (const c of text) width += charWidth(c);
  return width;
}

/** `text` followed by spaces to `width` columns. */
export function padToWidth(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}
