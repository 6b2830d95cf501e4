import { describe, expect, it } from 'vitest';
import { catalogEntry } from '../../shared/core/catalog';
import { formatDuration } from '../../shared/core/records';
import { WORKFLOW_NAMES, offeredCredentials, validateWorkflow, type WorkflowName } from '../../shared/core/workflows';

const has = (...ids: string[]) => (id: string) => ids.includes(id);

describe('workflow readiness', () => {
  const cases: Array<[WorkflowName, string[], boolean]> = [
    ['transcribe', ['huggingface.token'], true],
    ['transcribe', [], false],
    ['translate', ['huggingface.token'], true],
    ['translate', ['tmdb.api_key'], false],
    ['subtitle', ['huggingface.token', 'tmdb.api_key'], true],
    ['subtitle', ['huggingface.token'], false],
    ['subtitle', ['tmdb.api_key'], false],
    ['diarize', ['pyannote.token'], true],
    ['diarize', ['huggingface.token'], true],
    ['diarize', ['tmdb.api_key'], false],
    ['summarize', ['openai.api_key'], true],
    ['summarize', ['anthropic.api_key'], true],
    ['summarize', ['google.api_key'], true],
    ['summarize', ['huggingface.token'], false],
  ];
  it.each(cases)('%s with [%s] is ready=%s', (wf, present, ready) => {
    expect(validateWorkflow(wf, has(...present), 'openai').ready).toBe(ready);
  });

  it('lists each missing item with a description and a fix line naming the command and screen', () => {
    const s = validateWorkflow('subtitle', has(), 'openai');
    expect(s.missing.map((m) => m.credentials[0])).toEqual(['huggingface.token', 'tmdb.api_key']);
    expect(s.missing[1]!.description).toMatch(/TMDB/);
    expect(s.missing[1]!.fix).toContain('cpw-vault set tmdb api_key');
    expect(s.missing[1]!.fix).toContain('Credentials');
    expect(s.missing[1]!.fix).toContain('https://www.themoviedb.org/settings/api');
  });

  it('diarize uses the HuggingFace token in place of pyannote, with a note', () => {
    const s = validateWorkflow('diarize', has('huggingface.token'), 'openai');
    expect(s.uses).toEqual(['huggingface.token']);
    expect(s.notes.join()).toMatch(/in place of/);
    expect(s.warnings).toEqual([]);
    expect(validateWorkflow('diarize', has('pyannote.token', 'huggingface.token')).uses).toEqual(['pyannote.token']);
  });

  it('summarize prefers the provider named in preferences and warns when another one is used', () => {
    const both = validateWorkflow('summarize', has('openai.api_key', 'anthropic.api_key'), 'anthropic');
    expect(both.uses).toEqual(['anthropic.api_key']);
    expect(both.warnings).toEqual([]);
    const other = validateWorkflow('summarize', has('google.api_key'), 'anthropic');
    expect(other.ready).toBe(true);
    expect(other.uses).toEqual(['google.api_key']);
    expect(other.warnings[0]).toMatch(/Anthropic API key.*Google/);
    const none = validateWorkflow('summarize', has(), 'anthropic');
    expect(none.missing[0]!.fix).toContain('cpw-vault set anthropic api_key');
  });

  it('knows exactly the five workflows', () => {
    expect([...WORKFLOW_NAMES]).toEqual(['transcribe', 'translate', 'subtitle', 'diarize', 'summarize']);
  });
});

describe('the credentials first-run flows offer (onboarding and `cpw-vault setup` alike)', () => {
  const offered = (...args: Parameters<typeof offeredCredentials>) => offeredCredentials(...args).map((o) => `${o.id}:${o.required ? 'required' : 'optional'}:${o.purpose}`);

  it('setup (every workflow, transcribe first) offers HuggingFace required, then TMDB and the three AI providers optional; pyannote is met by the HuggingFace token', () => {
    expect(offered('transcribe', WORKFLOW_NAMES)).toEqual([
      'huggingface.token:required:transcribe, translate, subtitle, diarize',
      'tmdb.api_key:optional:subtitle',
      'openai.api_key:optional:summarize',
      'anthropic.api_key:optional:summarize',
      'google.api_key:optional:summarize',
    ]);
  });

  it('onboarding offers only what the chosen workflows need: the default workflow\'s needs are required', () => {
    expect(offered('transcribe')).toEqual(['huggingface.token:required:transcribe']);
    expect(offered('subtitle', ['transcribe'])).toEqual(['huggingface.token:required:transcribe, subtitle', 'tmdb.api_key:required:subtitle']);
    expect(offered('diarize')).toEqual(['pyannote.token:required:diarize']);
    expect(offered('diarize', ['transcribe'])).toEqual(['pyannote.token:required:diarize', 'huggingface.token:optional:transcribe, diarize']);
  });

  it('a provider need offers every provider, the preferred one first and required when summarize is the default', () => {
    expect(offered('summarize', [], 'anthropic')).toEqual(['anthropic.api_key:required:summarize', 'openai.api_key:optional:summarize', 'google.api_key:optional:summarize']);
  });

  it('every offered credential is in the catalog, and meeting the required ones makes the default workflow ready', () => {
    for (const main of WORKFLOW_NAMES) {
      const list = offeredCredentials(main, WORKFLOW_NAMES);
      for (const o of list) expect(catalogEntry(o.id)).toBeDefined();
      const required = list.filter((o) => o.required).map((o) => o.id);
      expect(validateWorkflow(main, (id) => required.includes(id)).ready).toBe(true);
    }
  });
});

describe('durations for people', () => {
  it.each([
    [0, '0 ms'], [850, '850 ms'], [42_000, '42 s'], [59_499, '59 s'], [556_000, '9 min 16 s'], [600_000, '10 min'], [7_500_000, '2 h 5 min'], [7_200_000, '2 h'], [-1, '—'], [Number.NaN, '—'],
  ])('%s ms is "%s"', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
