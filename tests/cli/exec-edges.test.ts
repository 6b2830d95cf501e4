// `exec` pushed where pipelines push it: output that cannot be written, a
// stage that dies of a signal, Ctrl-C with stdin redirected. Each case here
// once went wrong (see each test).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'Edge'.repeat(9)}`;

async function ready(): Promise<TempHome> {
  const t = makeTempHome();
  expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
  return t;
}

const envOf = (t: TempHome) => ({ ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service });

describe('exec: masked output that cannot be written', () => {
  // A log on a full disk: the stage's own write would fail (sh: "I/O error", exit 1). Masked, exec swallowed the
  // ENOSPC of its copy and returned the stage's 0: a pipeline went on with an empty log and a green run.
  it('a full disk (/dev/full) fails the run, says so once, and records it failed', async () => {
    const t = await ready();
    const direct = spawnSync('sh', ['-c', 'echo "some output" > /dev/full'], { encoding: 'utf8' });
    expect(direct.status).toBe(1);
    for (const stage of ['echo "some output"', 'echo "token $HF_TOKEN"; echo more']) {
      const r = spawnSync('sh', ['-c', `"$0" "$1" exec --workflow transcribe -- sh -c '${stage}' > /dev/full`, process.execPath, BIN], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^error: the output of sh could not be written \(ENOSPC\): it is incomplete\.\n$/);
      expect(r.stderr).not.toContain(HF);
    }
    const runs = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs;
    expect(runs[0]).toMatchObject({ status: 'failed', exit_code: 1 });
  });

  it('stderr on a full disk: stdout still complete, the run fails', async () => {
    const t = await ready();
    const r = spawnSync('sh', ['-c', `"$0" "$1" exec --workflow transcribe -- sh -c 'echo out; echo "err $HF_TOKEN" >&2' 2> /dev/full`, process.execPath, BIN], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 60_000 });
    expect([r.status, r.stdout]).toEqual([1, 'out\n']);
  });
});
