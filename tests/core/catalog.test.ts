import { describe, expect, it } from 'vitest';
import { CATALOG, catalogEntry, checkFormat, labelProblem, legacyKeyToCredential, plainSlotProblem } from '../../shared/core/catalog';

describe('catalog', () => {
  it('holds the nine credentials of the design with their sections and env vars', () => {
    expect(CATALOG.map((e) => [e.id, e.section, e.envVars.join(',')])).toEqual([
      ['huggingface.token', 'credentials', 'HF_TOKEN,HUGGING_FACE_HUB_TOKEN'],
      ['pyannote.token', 'credentials', 'PYANNOTE_API_TOKEN'],
      ['tmdb.api_key', 'credentials', 'TMDB_API_KEY'],
      ['openai.api_key', 'credentials', 'OPENAI_API_KEY'],
      ['openai.organization_id', 'credentials', 'OPENAI_ORG_ID'],
      ['anthropic.api_key', 'credentials', 'ANTHROPIC_API_KEY'],
      ['google.api_key', 'credentials', 'GOOGLE_API_KEY,GEMINI_API_KEY'],
      ['youtube.api_key', 'online_services', 'YOUTUBE_API_KEY'],
      ['vimeo.access_token', 'online_services', 'VIMEO_ACCESS_TOKEN'],
    ]);
    expect(catalogEntry('openai.organization_id')!.secret).toBe(false);
    expect(CATALOG.filter((e) => e.secret && !e.url)).toEqual([]);
  });

  it.each([
    ['huggingface.token', 'hf_' + 'a1'.repeat(16), true],
    ['huggingface.token', 'hf_short', false],
    ['huggingface.token', 'sk-' + 'a'.repeat(40), false],
    ['tmdb.api_key', '0123456789abcdef0123456789abcdef', true],
    ['tmdb.api_key', 'eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ', true],
    ['tmdb.api_key', 'not-a-key', false],
    ['openai.api_key', 'sk-proj-' + 'x'.repeat(40), true],
    ['openai.organization_id', 'org-AbCdEf123456', true],
    ['anthropic.api_key', 'sk-ant-api03-' + 'y'.repeat(40), true],
    ['anthropic.api_key', 'sk-' + 'y'.repeat(40), false],
    ['google.api_key', 'AIza' + 'B'.repeat(35), true],
    ['google.api_key', 'AIza' + 'B'.repeat(20), false],
    ['youtube.api_key', 'AIza' + 'C'.repeat(35), true],
    ['vimeo.access_token', 'f'.repeat(32), true],
    ['custom.thing', 'anything at all', true],
  ])('format of %s (%#) ok=%s', (id, value, ok) => {
    const r = checkFormat(id, value);
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.warning).not.toContain(value);
  });

  it.each([
    ['sk-proj-' + 'a1'.repeat(20), 'OpenAI API key'],
    ['sk-ant-api03-' + 'y'.repeat(40), 'Anthropic API key'], // it fits OpenAI's "sk-" too: the most specific format names it
    ['hf_' + 'a1'.repeat(16), 'HuggingFace token'],
    ['0123456789abcdef0123456789abcdef', 'TMDB API key'],
    ['AIza' + 'B'.repeat(35), 'Google (Gemini) API key'],
    ['ghp_' + 'a1B2'.repeat(9), undefined], // a key's shape, no catalog format
    ['x9Kq2Lm8Np4Rs7Tv3Wz6Yb1', undefined],
  ])('a secret typed as the OpenAI organization ID (kept in plain text) is refused: %s', (value, like) => {
    const p = plainSlotProblem('openai.organization_id', value)!;
    expect(p).toBeDefined();
    expect(p.reason + p.fix).not.toContain(value);
    expect(p.reason).toContain('OpenAI organization ID is not a secret (it is kept in plain text in the profile and shown in full)');
    if (like) expect(p.reason).toContain(`the format of ${/^[aeiou]/i.test(like) ? 'an' : 'a'} ${like}`);
    else expect(p.reason).toContain('the shape of a key');
  });

  it.each([['org-AbC123dEf456GhI789jKl0'], ['org-Abc12345678'], ['my org'], ['Acme Research']])('an organization ID, or a mistyped one that is no secret, is not refused as one: %s', (value) => {
    expect(plainSlotProblem('openai.organization_id', value)).toBeUndefined();
  });

  it.each([
    ['tmdb.api_key', 'sk-proj-' + 'w'.repeat(40), 'This does not look like a TMDB API key: expected 32 hexadecimal characters (v3 API key) or a v4 read access token (JWT, starts with "eyJ"). It has the format of an OpenAI API key: if it is one, store it as OpenAI API key instead.'],
    ['openai.api_key', 'sk-ant-api03-' + 'y'.repeat(40), 'This looks like an Anthropic API key, not an OpenAI API key: if it is one, store it as Anthropic API key instead.'],
    ['huggingface.token', 'AIza' + 'B'.repeat(35), 'It has the format of a Google (Gemini) API key or a YouTube Data API key: if it is one, store it as Google (Gemini) API key or YouTube Data API key instead.'],
    ['openai.api_key', 'nope', 'This does not look like an OpenAI API key: expected "sk-" followed by 20 or more characters.'],
  ])('a key in another provider\'s slot is said to be that provider\'s (%s)', (id, value, said) => {
    const r = checkFormat(id, value);
    expect(r.ok ? '' : r.warning).toContain(said);
    if (!r.ok) expect(r.warning).not.toContain(value);
  });

  it.each([['pyannote.token', 'hf_' + 'a1'.repeat(16)], ['vimeo.access_token', 'f'.repeat(32)], ['youtube.api_key', 'AIza' + 'C'.repeat(35)]])('a slot sharing its format with another takes that format: %s', (id, value) => {
    expect(checkFormat(id, value).ok).toBe(true);
  });

  it('a secret credential or a custom one is never judged a plain slot', () => {
    expect(plainSlotProblem('openai.api_key', 'sk-proj-' + 'a1'.repeat(20))).toBeUndefined();
    expect(plainSlotProblem('custom.thing', 'sk-proj-' + 'a1'.repeat(20))).toBeUndefined();
  });

  it('maps the seed secrets.json keys and every env var name, case-insensitively', () => {
    expect(legacyKeyToCredential('hf_token')).toBe('huggingface.token');
    expect(legacyKeyToCredential('HF_TOKEN')).toBe('huggingface.token');
    expect(legacyKeyToCredential('PYANNOTE_API_TOKEN')).toBe('pyannote.token');
    expect(legacyKeyToCredential('Pyannote_Token')).toBe('pyannote.token');
    expect(legacyKeyToCredential('gemini_api_key')).toBe('google.api_key');
    expect(legacyKeyToCredential('vimeo_access_token')).toBe('vimeo.access_token');
    expect(legacyKeyToCredential('something_else')).toBeUndefined();
  });
});

describe('a label over 80 characters', () => {
  it('is said with its count in characters; one of a megabyte (a hostile export, a page) is not spread into characters to count', () => {
    expect(labelProblem('deepl.api_key', '🎬'.repeat(80))).toBeUndefined();
    expect(labelProblem('deepl.api_key', '🎬'.repeat(81))?.message).toBe('The label must be at most 80 characters: this one has 81.');
    expect(labelProblem('deepl.api_key', '🎬'.repeat(2 ** 19))?.message).toBe('The label must be at most 80 characters: this one has over 5,000.');
  });
});
