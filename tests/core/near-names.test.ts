import { describe, expect, it } from 'vitest';
import { nearCatalogId } from '../../shared/core/near-names';

describe('a typo of a catalog credential name (set refuses it, naming the one meant)', () => {
  it.each([
    ['huggingfce.token', 'huggingface.token'], ['hugginface.tokens', 'huggingface.token'], ['huggingface.tokens', 'huggingface.token'],
    ['huggingface.tokn', 'huggingface.token'], ['huggingface.toekn', 'huggingface.token'], ['pyannote.toke', 'pyannote.token'],
    ['tmdb.api_keys', 'tmdb.api_key'], ['tmdb.apikey', 'tmdb.api_key'], ['openai.api_keys', 'openai.api_key'], ['vimeo.access_tokens', 'vimeo.access_token'],
    ['tmbd.api_key', 'tmdb.api_key'], ['googl.api_key', 'google.api_key'], ['youtub.api_key', 'youtube.api_key'], ['youtube.apikey', 'youtube.api_key'],
  ])('%s is taken for %s', (typed, meant) => {
    expect(nearCatalogId(typed)).toBe(meant);
  });

  it.each(['omdb.api_key', 'tvdb.api_key', 'imdb.api_key', 'tmdb2.api_key', 'openai2.api_key', 'vimeo2.access_token', 'google.api_key2', 'openai.api_key_2', 'openai_org.api_key', 'hugging.token', 'vimeo.token', 'deepl.api_key', 'huggingface.token'])('%s is a name of its own', (name) => {
    expect(nearCatalogId(name)).toBeUndefined();
  });
});
