import { describe, expect, it } from 'vitest';
import { WORKFLOW_NAMES, validateWorkflow, type WorkflowName } from '../../shared/core/workflows';

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
