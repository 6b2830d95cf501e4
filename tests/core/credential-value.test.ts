// The value rule counts characters as a person does: 8,192 emoji were refused as "16384 characters, over the 8192
// limit" (JavaScript's UTF-16 units), by the CLI, the library and the app alike (they all ask valueProblem).
import { describe, expect, it } from 'vitest';
import { checkedValue, codePoints, hasLoneSurrogate, maskedHint, MAX_SECRET_LENGTH, valueProblem } from '../../shared/core/credential';

describe('the value length limit, in characters', () => {
  it('takes 8,192 emoji (16,384 UTF-16 units); refuses 8,193 saying 8193 characters', () => {
    expect(valueProblem('🔑'.repeat(MAX_SECRET_LENGTH))).toBeUndefined();
    expect(valueProblem('🔑'.repeat(MAX_SECRET_LENGTH + 1))).toEqual({ rule: 'too-long', text: `${MAX_SECRET_LENGTH + 1} characters, over the ${MAX_SECRET_LENGTH} limit` });
    expect(() => checkedValue('tmdb.api_key', `k${'é🔑'.repeat(MAX_SECRET_LENGTH / 2)}`)).toThrow(`The value for tmdb.api_key is ${MAX_SECRET_LENGTH + 1} characters, over the ${MAX_SECRET_LENGTH} limit.`);
  });

  it('still counts plain text as before, and a megabyte without spreading it', () => {
    expect(valueProblem('k'.repeat(MAX_SECRET_LENGTH))).toBeUndefined();
    expect(valueProblem('k'.repeat(1024 * 1024))?.text).toBe(`${1024 * 1024} characters, over the ${MAX_SECRET_LENGTH} limit`);
  });

  it('counts as [...text].length does, half of a pair being one', () => {
    for (const text of ['', 'a', '🔑', 'a🔑b', '\ud83d', '\ude00', '\ude00\ud83d', '\ud83d\ud83d\ude00', '🔑\ude00\ude00', 'é̃👩‍👩‍👧']) {
      expect(codePoints(text), JSON.stringify(text)).toBe([...text].length);
    }
  });
});

// The hint showed the last 4 UTF-16 units: "abcdefghijklmn😀bcd" was stored as "••••\ude00bcd" (half an emoji), listed as
// "••••�bcd"; and 8 emoji (16 units) showed 2 of them, where 8 letters show nothing.
describe('the masked hint, in characters', () => {
  it('shows the last 4 characters whole, never half of an emoji', () => {
    expect(maskedHint('abcdefghijklmn😀bcd')).toBe('••••😀bcd');
    expect(maskedHint(`abcdefghijklmnop${'🔑'.repeat(4)}`)).toBe(`••••${'🔑'.repeat(4)}`);
    for (let cut = 0; cut < 6; cut++) expect(hasLoneSurrogate(maskedHint(`${'k'.repeat(20)}😀${'x'.repeat(cut)}`))).toBe(false);
  });

  it('shows nothing of a value under 16 characters, emoji counted as one', () => {
    expect(maskedHint('🔑'.repeat(8))).toBe('••••');
    expect(maskedHint('🔑'.repeat(16))).toBe(`••••${'🔑'.repeat(4)}`);
    expect(maskedHint('k'.repeat(15))).toBe('••••');
    expect(maskedHint('k'.repeat(16))).toBe('••••kkkk');
  });
});
