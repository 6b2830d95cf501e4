// exec killed by `kill -9` (a CI job's timeout, the OOM killer) while its stage runs: the stage used to run on
// unsupervised, the keys in its environment, its run shown as interrupted. Started by the addon (Linux), it now gets
// SIGTERM as exec dies (PR_SET_PDEATHSIG, native/spawn/child.c), and can clean up on it.
//
// How it is told, with no timing: the stage writes its traps' names to a file. Once exec has been reaped (its exit,
// and so its children's parent-death signals, are done), the test sends the stage SIGWINCH, whose trap ends it. The
// file then says TERM (once or more) before WINCH, or WINCH alone where the stage never got a SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeSpawnAvailable } from '../../shared/node/exec/native-spawn';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'ParentDeath'.repeat(3)}`;

/** Waits (polling /proc and files, no deadline of its own: the test's timeout is the bound) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
}

/**
 * A stage that sets its traps (TERM goes on; WINCH ends it), then writes its pid, then each trap's name as it runs, to
 * files in `dir`. Its pid written only once the traps are set: a SIGTERM sent as soon as the pid is seen (on a loaded
 * machine, before `trap` had run) ended the shell by default, and the test waited for a TERM line for ever.
 */
const STAGE = 'trap "echo TERM >> \\"$D/got\\"" TERM; trap "echo WINCH >> \\"$D/got\\"; exit 0" WINCH; echo $$ > "$D/pid.tmp" && mv "$D/pid.tmp" "$D/pid"; while :; do sleep 1 & wait $!; done';

function startExec(t: TempHome, dir: string, extra: Record<string, string> = {}) {
  const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, D: dir, ...extra };
  const exec = spawn(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', STAGE], { cwd: t.cwd, env, stdio: ['ignore', 'ignore', 'ignore'] });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => exec.once('exit', (code, signal) => r({ code, signal })));
  return { exec, ended };
}

/** Starts exec of STAGE, kills exec with SIGKILL once the stage runs, and returns what the stage's traps wrote. */
async function killExecUnderStage(extra: Record<string, string> = {}): Promise<{ got: string[]; stageEnv: string }> {
  const t = makeTempHome();
  expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
  const dir = t.root;
  const { exec, ended } = startExec(t, dir, extra);
  await until(() => existsSync(join(dir, 'pid')));
  const stage = Number(readFileSync(join(dir, 'pid'), 'utf8'));
  const stageEnv = readFileSync(`/proc/${stage}/environ`, 'latin1');
  try {
    exec.kill('SIGKILL');
    expect((await ended).signal).toBe('SIGKILL');
    process.kill(stage, 'SIGWINCH');
    await until(() => readFileSync(join(dir, 'got'), { encoding: 'utf8', flag: 'a+' }).includes('WINCH'));
  } finally {
    try {
      process.kill(stage, 'SIGKILL');
    } catch {
      // ended by its WINCH trap
    }
  }
  return { got: readFileSync(join(dir, 'got'), 'utf8').trim().split('\n'), stageEnv };
}

describe.runIf(process.platform === 'linux' && nativeSpawnAvailable())('exec killed by SIGKILL while its stage runs', () => {
  it('sends its stage a SIGTERM, which the stage can clean up on, instead of leaving it running with the keys', async () => {
    const { got, stageEnv } = await killExecUnderStage();
    expect(stageEnv).toContain(`HF_TOKEN=${HF}`); // the stage that ran on held the key
    // Once or more: the kernel sends it as each thread of exec's that the stage is handed to dies (see child.c).
    expect(got.at(-1)).toBe('WINCH');
    expect(got.length).toBeGreaterThan(1);
    expect(new Set(got.slice(0, -1))).toEqual(new Set(['TERM']));
  });

  it("a stage that ends first ends exec as before, and exec's own SIGTERM still reaches its stage once", async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'exit 7']);
    expect(r.code).toBe(7);
    const dir = t.root;
    const { exec, ended } = startExec(t, dir);
    await until(() => existsSync(join(dir, 'pid')));
    exec.kill('SIGTERM');
    await until(() => readFileSync(join(dir, 'got'), { encoding: 'utf8', flag: 'a+' }).includes('TERM'));
    const stage = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    process.kill(stage, 'SIGWINCH'); // its trap exits 0: exec ends as its stage did
    expect(await ended).toEqual({ code: 0, signal: null });
    expect(readFileSync(join(dir, 'got'), 'utf8').trim().split('\n')).toEqual(['TERM', 'WINCH']);
  });
});
