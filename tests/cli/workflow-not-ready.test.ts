// A workflow that is not ready says what is missing in its message and what to run in its fix, each once: the
// message used to repeat every Run line the fix line then printed again.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateWorkflow } from '../../shared/core/workflows';
import { notReady } from '../../shared/node/vault/workflow-reads';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const HF_RUN = 'run: cpw-vault set huggingface token';
const TMDB_RUN = 'run: cpw-vault set tmdb api_key';
const times = (text: string, part: string) => text.split(part).length - 1;

describe('a workflow that is not ready', () => {
  it('exec: one missing credential, its Run line printed once (on the fix line), exit 3', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'true']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('error [WORKFLOW_NOT_READY] The transcribe workflow is not ready; missing: HuggingFace token (WhisperX ASR models) (huggingface.token).\n');
    expect(r.stderr).toMatch(/\nfix: Get one at \S+; add it in the app \(Credentials → HuggingFace token\) or run: cpw-vault set huggingface token\n/);
    expect(times(r.stderr, HF_RUN)).toBe(1);
  });

  it('env: two missing, listed in the message, one Run line each in the fix', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['env', '--workflow', 'subtitle']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/missing:\n {2}- HuggingFace token .*\(huggingface\.token\)\n {2}- TMDB API key .*\(tmdb\.api_key\)\nfix: .* or run: cpw-vault set huggingface token\n {5}.* or run: cpw-vault set tmdb api_key\n/);
    expect([times(r.stderr, HF_RUN), times(r.stderr, TMDB_RUN)]).toEqual([1, 1]);
  });

  it('env --format json: the message names what is missing, the fix what to run, neither repeats the other', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['env', '--workflow', 'subtitle', '--format', 'json']);
    expect(r.code).toBe(3);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; message: string; fix: string } };
    expect(error.code).toBe('WORKFLOW_NOT_READY');
    expect(error.message).toMatch(/huggingface\.token[^]*tmdb\.api_key/);
    expect(error.message).not.toContain('Run:');
    // Each line ends with its command, so a line pasted whole runs only it.
    expect(error.fix.split('\n').map((l) => l.slice(l.lastIndexOf('run: ')))).toEqual([HF_RUN, TMDB_RUN]);
  });

  it('the error a Node stage catches carries both: what is missing (message) and what to run (fix)', () => {
    const err = notReady(validateWorkflow('summarize', () => false));
    expect(err.message).toBe('The summarize workflow is not ready; missing: an AI provider API key (OpenAI, Anthropic or Google) (openai.api_key or anthropic.api_key or google.api_key).');
    expect(err.fix).toMatch(/^Get one at https:\/\/platform\.openai\.com\S*; add it in the app \(Credentials → .*\) or run: cpw-vault set openai api_key$/);
  });
});

describe('--workflow given twice', () => {
  it.each([
    ['exec', ['exec', '--workflow', 'subtitle', '--workflow', 'summarize', '--', 'sh', '-c', 'touch ran']],
    ['env', ['env', '--workflow', 'subtitle', '--workflow', 'transcribe']],
    ['verify', ['verify', '--workflow', 'subtitle', '--workflow', 'diarize']],
    ['runs', ['runs', '--workflow', 'subtitle', '--workflow', 'transcribe']],
  ])('%s refuses it (exit 2, nothing run): commander kept the last one', async (_name, args) => {
    const t = makeTempHome();
    const r = await cli(t, args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error \[INVALID_ARGUMENT\] --workflow is given twice \(\w+, then \w+\): one workflow per command\.\nfix: \S/);
    // Not commander's "argument 'summarize' is invalid": the second name is a workflow.
    expect(r.stderr).not.toContain('is invalid');
    expect(r.stdout).toBe('');
    expect(existsSync(join(t.cwd, 'ran'))).toBe(false);
  });
});
