// Which names are keys pasted where a name goes (refused by set, hidden in migrate plans) and which stay names.
// An outside pass found both sides: `set google AIzaSy...` told to use lower case; then, once refused as keys,
// ordinary names with a version or a year in them (WHISPERLARGEV3MODEL_PATH, openaiApiKey2024) hidden and not migrated.
import { describe, expect, it } from 'vitest';
import { looksLikeKey, SHORTEST_KEY } from '../../shared/core/credential';
import { KEYS, NAMES } from '../fixtures/key-shaped-names';

describe('looksLikeKey', () => {
  it.each(KEYS)('%s is a key', (key) => expect(looksLikeKey(key)).toBe(true));
  it.each(NAMES)('%s is a name', (name) => expect(looksLikeKey(name)).toBe(false));
});

// looksLikeKey answers "a name" for anything shorter than SHORTEST_KEY without running its patterns (they cost their
// compile in every `get`): the shortest text each alternative takes must not be shorter.
describe('the shortest key of each shape', () => {
  const SHORTEST = [
    '0123456789abcdef0123456789abcdef', `hf_${'a1'.repeat(15)}`, `sk-${'a1'.repeat(10)}`, `AIza${'b2'.repeat(15)}`,
    `ghp_${'a1'.repeat(15)}`, `github_pat_${'a1'.repeat(11)}`, 'xoxb-1-abcdefgh', `glpat-${'a1'.repeat(10)}`,
    `AKIA${'A1'.repeat(8)}`, 'a1b2c3d4e5f6g7h8',
  ];
  it.each(SHORTEST)('%s is a key, and no shorter than SHORTEST_KEY', (key) => {
    expect(looksLikeKey(key)).toBe(true);
    expect(key.length).toBeGreaterThanOrEqual(SHORTEST_KEY);
  });
  it('takes the shortest one at exactly SHORTEST_KEY characters', () => {
    expect(SHORTEST.some((k) => k.length === SHORTEST_KEY)).toBe(true);
  });
});
