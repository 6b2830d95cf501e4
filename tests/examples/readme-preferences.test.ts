import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { makeTempHome, type TempHome } from '../helpers/temp';

const README = resolve(import.meta.dirname, '../../README.md');
const HF = `hf_${'Pref'.repeat(9)}`;

/** The Python example of README "Pipeline preferences in a stage", as printed there. */
function readmeSnippet(): string {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('### Pipeline preferences in a stage'));
  const match = /```python\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README: no python example under "Pipeline preferences in a stage"');
  return match[1]!;
}

function runUnderExec(t: TempHome, code: string) {
  const child = spawn(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--', 'python3', '-c', code], {
    cwd: t.cwd,
    env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collect(child);
}

describe('the README\'s pipeline-preferences example', () => {
  it('reads what the Profile screen saved, under cpw-vault exec: provider, language and cost tracking on and off', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const code = `${readmeSnippet()}\nprint(provider, language, track_costs)\n`;
    const on = await runUnderExec(t, code);
    expect(on.stderr).not.toMatch(/Traceback/);
    expect(on.stdout.trim()).toBe('openai en True'); // the defaults: cost tracking on
    const profile = JSON.parse(readFileSync(t.profile, 'utf8'));
    Object.assign(profile.preferences, { enable_cost_tracking: false, ai_provider: 'anthropic', default_source_language: 'de' });
    writeFileSync(t.profile, JSON.stringify(profile, null, 2), { mode: 0o600 });
    const off = await runUnderExec(t, code);
    expect(off.stdout.trim()).toBe('anthropic de False');
  });
});
