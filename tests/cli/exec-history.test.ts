// A stage is never held up by its history: the compaction an exec's recording makes due runs after the stage ended.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { runLines } from '../helpers/run-lines';
import { makeTempHome } from '../helpers/temp';

describe('exec with a history due for compaction', () => {
  it('a stage writing 3 MB through masking is not held while 60,000 runs are compacted: its recorded duration is its own', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: `hf_${'Abcd1'.repeat(7)}` })).code).toBe(0);
    expect((await cli(t, ['profile', 'prefs', 'set', 'history_max_runs=20000'])).code).toBe(0);
    const path = join(t.home, '.cp-whisperx', 'runs.jsonl');
    mkdirSync(join(t.home, '.cp-whisperx'), { recursive: true, mode: 0o700 });
    writeFileSync(path, runLines(60_000, Date.now() - 3_600_000), { mode: 0o600 });
    const before = statSync(path).size;
    const began = Date.now();
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'head -c 3000000 /dev/zero']);
    const took = Date.now() - began;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toHaveLength(3_000_000);
    // The exec compacted the history (after its stage: exec's own time holds the compaction, the stage's does not).
    expect(statSync(path).size).toBeLessThan(before / 2);
    const runs = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs as Array<{ program: string; status: string; duration_ms: number }>;
    expect(runs[0]).toMatchObject({ program: 'sh', status: 'succeeded' });
    expect(runs[0]!.duration_ms).toBeLessThan(took / 3);
  }, 120_000);
});
