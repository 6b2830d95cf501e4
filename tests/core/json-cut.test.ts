// Which line of runs.jsonl a write cut short left, and which was never JSON: every line that does not parse was said
// to be "a write cut short", and a line typed by hand sent the user looking for a crash that never was.
import { describe, expect, it } from 'vitest';
import { isCutShortJson } from '../../shared/core/json-cut';

/** An event as exec writes it, with every kind of token: strings with escapes and non-ASCII, numbers, literals, nesting. */
const EVENT = JSON.stringify({
  op: 'start',
  run: { id: 'r1', workflow: 'transcribe', program: 'python "x.py"\ttab\\\u001b é 日本 😀', credentials: ['huggingface.token', 'tmdb.api_key'], exit_code: -12, duration_ms: 1.5e-7, signal: null, ok: true, no: false, empty: {}, none: [] },
});

describe('a line JSON.parse refused: cut short, or never JSON', () => {
  it('every start of an event line cut short, at any character, is JSON cut short', () => {
    const wrong: string[] = [];
    for (let n = 1; n < EVENT.length; n++) if (!isCutShortJson(EVENT.slice(0, n))) wrong.push(EVENT.slice(0, n));
    expect(wrong).toEqual([]);
    // Pretty-printed and with a BOM, cut short too.
    const pretty = `\ufeff${JSON.stringify(JSON.parse(EVENT), null, 2)}`;
    for (let n = 2; n < pretty.length; n++) if (!isCutShortJson(pretty.slice(0, n))) wrong.push(pretty.slice(0, n));
    expect(wrong).toEqual([]);
  });

  it('a whole JSON text, blank text and text that breaks the grammar are not cut short', () => {
    for (const whole of [EVENT, '[]', '"x"', '12', 'null']) expect(isCutShortJson(whole), whole).toBe(false);
    for (const never of ['', '   ', 'hello', '# a note', 'run r1 failed', 'xxxx', '{op:"start"}', "{'op':'start'}", '{"op":"start",}', '[1,]', '{"a":1}}', '{"a":1} junk', '{"a" 1', '{"a":tru e', '{"a":01', '{"a":-.5', '{"a":"\\x"', '{"a":"\\u12g4"', '{"a":"tab\there"', '[1 2', '{"op":"start","run":{"id":"a,"workflow":"x"}}', 'True', '{"a":nul}']) {
      expect(isCutShortJson(never), never).toBe(false);
    }
  });

  it('a number or literal running to the end is cut short only where more characters would make it whole', () => {
    for (const cut of ['{"a":-', '{"a":1.', '{"a":1e', '{"a":1e+', '{"a":12', '{"a":t', '{"a":fals', '[n', '{"a":"\\', '{"a":"\\u00']) expect(isCutShortJson(cut), cut).toBe(true);
  });

  it('a 16 MiB line of one letter is read in one pass and is not JSON', () => {
    expect(isCutShortJson('x'.repeat(16 * 1024 * 1024))).toBe(false);
    expect(isCutShortJson(`["${'y'.repeat(16 * 1024 * 1024)}`)).toBe(true);
  });
});
