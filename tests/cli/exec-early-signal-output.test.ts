// A SIGTERM that came as the stage was being forked, which the stage (its trap in place by the time it got it) heard,
// ran on past and answered with success: exec ends by the signal (exec-early-signal-rule.test.ts), but only once the
// stage's output is written. It ended exec as the stage's exit was handled, and the output exec had not yet written to
// a slow reader (`| gzip`, `| ssh`) was lost, though the same run signalled a moment later kept all of it.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect } from '../helpers/children';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';
import { heldInFork, STAGE_SPAWNS, tracedCliUnderShell } from '../helpers/traced';

const HF = `hf_${'Late'.repeat(9)}`;

describe('exec: a signal passed on as the stage started, the stage then ending with success', () => {
  it.each(STAGE_SPAWNS)('ends exec by the signal only once the stage\'s output is all written, to a reader that comes late: $how', async ({ env: spawnEnv, traced: held, hold }) => {
    const t = makeTempHome();
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, TMPDIR: mkdtempSync(join(t.root, 'tmp-')), ...spawnEnv };
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const ended = join(t.root, 'stage-pid');
    // The stage ignores the SIGTERM (its trap notes it), waits for it, then writes ~106 KiB: more than the reader's pipe
    // holds (64 KiB), less than that and the stage's pipe to exec together, so it exits with part of it still in exec.
    // It waits 20 s at most: a TERM that never came (the test missed the held fork) ends the test on its assertion
    // ("exec ended before its fork"), not on vitest's timeout with the stage still waiting.
    const stage = `trap 'got=1' TERM; end=$(($(date +%s) + 20)); until [ -n "$got" ] || [ "$(date +%s)" -ge "$end" ]; do sleep 0.01; done; seq 1 20000; echo $$ > "$0.tmp"; mv "$0.tmp" "$0"; exit 0`;
    // The reader starts once the stage is gone (its pid reaped by exec: its exit handled).
    const reader = `until [ -s "$0" ] && ! [ -e "/proc/$(cat "$0")" ]; do sleep 0.02; done; cat`;
    // strace holds exec's second fork (mkfifo is the first: masked, its own TMPDIR, so no spare pipes) while the
    // SIGTERM comes, then exec's first kill (the SIGTERM passed on) 3 s, so the stage has its trap by then. Both longer
    // than the other tests' (1.5 s and 1 s): a loaded CI machine (2 cores, a full run beside) missed the held fork once
    // or had the stage, forked by Node under strace -f, not at its trap yet.
    const traced = ['strace', '-f', '-qq', '-o', '/dev/null', '-e', `trace=${held},kill`, '-e', hold(2, 4_000_000), '-e', 'inject=kill:delay_enter=3000000:when=1', process.execPath, BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', stage, ended];
    const line = `"$@" | sh -c '${reader}' "${ended}"; echo "exec=\${PIPESTATUS[0]}" >&2`;
    const shell = spawn('bash', ['-c', line, 'bash', ...traced], { cwd: t.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const done = collect(shell);
    let exited = false;
    void done.then(() => (exited = true));
    const exec = await heldInFork(() => tracedCliUnderShell(shell.pid!), () => exited);
    expect(exited, 'exec ended before its fork').toBe(false);
    process.kill(exec, 'SIGTERM');
    const r = await done;
    const said = r.stderr.split('\n').filter((l) => l && !l.startsWith('strace: '));
    // strace ends as exec did: by SIGTERM (143 to bash).
    expect(said).toEqual(['exec=143']);
    const lines = r.stdout.split('\n');
    expect([lines.length, lines.at(-2)]).toEqual([20001, '20000']);
    const runs = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs;
    // Recorded as the shell saw exec end (by SIGTERM: failed), never as a success; the stage's own exit code kept.
    expect(runs[0]).toMatchObject({ status: 'failed', exit_code: 0, signal: 'SIGTERM' });
  });
});
