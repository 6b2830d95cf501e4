// Which names are keys pasted where a name goes (refused by set, hidden in migrate plans) and which stay names.
// An outside pass found both sides: `set google AIzaSy...` told to use lower case; then, once refused as keys,
// ordinary names with a version or a year in them (WHISPERLARGEV3MODEL_PATH, openaiApiKey2024) hidden and not migrated.
import { describe, expect, it } from 'vitest';
import { looksLikeKey, SHORTEST_KEY } from '../../shared/core/credential';

const KEYS = [
  `AIzaSy${'D3xAmPlE'.repeat(4)}01`,
  `ghp_${'a1B2c3D4e5'.repeat(4)}`,
  `github_pat_11ABCDEFG0${'a1B2c3'.repeat(5)}`,
  `xoxb-1234567890-${'AbCdEf'.repeat(4)}`,
  'glpat-x9Yz8Wv7Ut6Sr5Qp4On3',
  'AKIAIOSFODNN7EXAMPLE',
  `hf_${'AbCdEfGhIj'.repeat(3)}xyz1`,
  '0123456789abcdef0123456789abcdef',
  'sk-proj-abcdefghij0123456789klmnop',
  'Zk3x9QvL2mN8pR4tY7wB1cD',
  'q7w8e9r0t1y2u3i4o5p6',
];

const NAMES = [
  'CUSTOM_SERVICE_1999_API_KEY', 'STRIPESECRETKEYV2PROD', 'WHISPERLARGEV3MODEL_PATH', 'AZURE_OPENAI_GPT4DEPLOYMENTNAME',
  'openaiApiKey2024', 'stripeSecretKeyV2', 'azureopenaigpt4o', 'whisperlargev3model', 'hf_token_readonly_team_2024',
  'hf_readonly', 'huggingface', 'api_key', 'deepl_api_key', 'HF_TOKEN', 'sk-learn', 'svc9999_api_key', 'gpt4o_mini_2024_07_18',
];

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
