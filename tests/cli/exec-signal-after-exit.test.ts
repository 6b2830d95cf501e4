// Ctrl-C or SIGTERM reaching exec just after its stage exited (exec still writing the stage's output or recording the
// run's end) ends exec by that signal, as it should; but exec died before the end was recorded, and the run showed as
// `interrupted`, no exit code, though the stage's was known (~1 in 40 Ctrl-Cs in a pty loop). Made certain here: the
// stage leaves a child holding its output open (exec keeps draining it), which signals exec once exec has reaped the
// stage (its /proc entry gone: exec has handled its exit), then waits for exec to be gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentOwner } from '../../shared/node/profile/owner';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { inPrivateSession } from '../helpers/private-session';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'AfterExit'.repeat(4)}`;

type Run = { program: string; status: string; exit_code: number | null; signal: string | null; finished_at: string | null };

async function ready(): Promise<TempHome> {
  const t = makeTempHome();
  expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
  return t;
}

/**
 * A stage that prints a line and exits `code`, leaving a child with its output open that sends `kill` (`-INT -$e`:
 * the process group, as a terminal's Ctrl-C; `-TERM $e`: exec alone) once the stage is reaped, then stays until exec
 * is gone (bounded: 60 s). `$e` is exec's pid, the stage's parent.
 */
function stageSignallingExec(kill: string, code: number): string {
  const wait = (cond: string) => `n=0; while ${cond} && [ $n -lt 6000 ]; do sleep 0.01; n=$((n+1)); done`;
  return `e=$PPID; s=$$; ( ${wait('[ -e /proc/$s ]')}; kill ${kill}; ${wait('kill -0 $e 2>/dev/null')} ) & echo "out $HF_TOKEN"; exit ${code}`;
}

/** exec of `stage` (masked: its output is a pipe), leading its own process group as a terminal's foreground job does. */
function execOf(t: TempHome, stage: string): ChildProcess {
  return spawn(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', stage], {
    cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
}

async function runs(t: TempHome): Promise<Run[]> {
  const r = await cli(t, ['runs', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).runs as Run[];
}

describe('exec: a signal that comes after its stage exited', () => {
  it('ends exec by that signal, with the output read written, and the run recorded as failed by it with the stage\'s exit code (never interrupted, never succeeded)', async () => {
    const t = await ready();
    // SIGALRM, SIGVTALRM, SIGIO, SIGPWR and SIGSTKFLT (16: dash knows no name for it) too: left to their default action
    // then, exec died before the end was recorded.
    const cases = [['-INT -$e', 0, 'SIGINT'], ['-TERM $e', 3, 'SIGTERM'], ['-INT -$e', 5, 'SIGINT'], ['-HUP $e', 0, 'SIGHUP'], ['-ALRM $e', 4, 'SIGALRM'], ['-VTALRM $e', 0, 'SIGVTALRM'], ['-IO $e', 0, 'SIGIO'], ['-PWR $e', 6, 'SIGPWR'], ['-16 $e', 0, 'SIGSTKFLT']] as const;
    for (const [kill, code, signal] of cases) {
      const r = await collect(execOf(t, stageSignallingExec(kill, code)));
      expect([r.signal, r.code, r.stdout], `${kill}, exit ${code}: ${r.stderr}`).toEqual([signal, null, 'out ****\n']);
      expect(r.stderr).not.toContain(HF);
      const [run] = await runs(t);
      // As the shell saw exec end (by the signal), not as a success: `runs` said succeeded where bash said 130.
      expect(run, `${kill}, exit ${code}`).toMatchObject({ program: 'sh', status: 'failed', exit_code: code, signal, finished_at: expect.any(String) });
    }
    expect((await runs(t)).map((r) => r.status)).not.toContain('interrupted');
  }, 120_000);

  // The stored secrets exec masks for besides the workflow's are read at the stage's first byte: output read before
  // they are in waits for them. A signal after the stage exited ended exec at once, and that output was lost.
  it('output waiting for the values it is masked for is written before exec ends by the signal; a second signal does not wait', async () => {
    const t = makeTempHome();
    const seed = [`printf %s '${HF}' | '${process.execPath}' '${BIN}' set huggingface token`, `printf %s 0123456789abcdef0123456789abcdef | '${process.execPath}' '${BIN}' set tmdb api_key`].join(' && ');
    // The stage stops the keychain (its own session's) before it prints: exec's read for the masking waits its deadline.
    const keyring = `gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets | sed -E 's/.* ([0-9]+),.*/\\1/'`;
    const run = (kill: string) => {
      const stage = `kill -STOP $k; ${stageSignallingExec(kill, 0)}`;
      return `k=$(${keyring}); k=$k '${process.execPath}' '${BIN}' exec --workflow transcribe -- sh -c '${stage.replace(/'/g, `'\\''`)}' > '${t.root}/out' 2> '${t.root}/err'; echo $?; kill -CONT $k`;
    };
    const once = await inPrivateSession('unlocked', ['bash', '-c', run('-HUP $e')], { home: t, setup: seed });
    expect([once.stdout.trim(), readFileSync(join(t.root, 'out'), 'utf8')]).toEqual(['129', 'out ****\n']);
    expect(readFileSync(join(t.root, 'err'), 'utf8')).toMatch(/^warning: could not read the stored values to mask them in the output: The keychain did not answer in time\./m);
    const twice = await inPrivateSession('unlocked', ['bash', '-c', run('-HUP $e; sleep 0.1; kill -TERM $e')], { home: t });
    expect([twice.stdout.trim(), readFileSync(join(t.root, 'out'), 'utf8')]).toEqual(['143', '']);
  }, 120_000);

  // A Ctrl-C (or a SIGTERM) the stage got, then one after it exited while its output waited for those values: exec
  // waited again, up to the keychain's deadline (9 s here), and only a third signal ended it. The user asked twice.
  it('a signal after one the stage got while it ran does not wait for output held for the values', async () => {
    const t = makeTempHome();
    const seed = [`printf %s '${HF}' | '${process.execPath}' '${BIN}' set huggingface token`, `printf %s 0123456789abcdef0123456789abcdef | '${process.execPath}' '${BIN}' set tmdb api_key`].join(' && ');
    const keyring = `gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets | sed -E 's/.* ([0-9]+),.*/\\1/'`;
    // The stage stops the keychain and prints (held), then has exec send it a SIGTERM it ends on (its trap: it is alive
    // when exec passes it on); its child sends exec a second one once the stage is reaped.
    const stage = `kill -STOP $k; trap 'exit 0' TERM; ${stageSignallingExec('-TERM $e', 0).replace(/; exit 0$/, '')}; kill -TERM $e; while :; do sleep 0.01; done`;
    const run = `k=$(${keyring}); k=$k '${process.execPath}' '${BIN}' exec --workflow transcribe -- sh -c '${stage.replace(/'/g, `'\\''`)}' > '${t.root}/out' 2> '${t.root}/err'; echo $?; kill -CONT $k`;
    const r = await inPrivateSession('unlocked', ['bash', '-c', run], { home: t, setup: seed });
    // Ended by the second signal before the keychain's deadline: no warning of it, the held line not written.
    expect([r.stdout.trim(), readFileSync(join(t.root, 'err'), 'utf8'), readFileSync(join(t.root, 'out'), 'utf8')]).toEqual(['143', '', '']);
  }, 120_000);

  it('with the history\'s lock held throughout by another process: exec still ends by the signal, its run\'s end in a file beside the history', async () => {
    const t = await ready();
    const dir = join(t.home, '.cp-whisperx');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const holder = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, 'runs.jsonl.lock'), JSON.stringify({ ...currentOwner(), pid: holder.pid, nonce: 'planted', since: new Date().toISOString() }), { mode: 0o600 });
      const r = await collect(execOf(t, stageSignallingExec('-TERM $e', 4)));
      expect([r.signal, r.stdout], r.stderr).toEqual(['SIGTERM', 'out ****\n']);
      expect(readdirSync(dir).filter((n) => n.startsWith('runs.jsonl.late-')).length).toBeGreaterThan(0);
      const [run] = await runs(t);
      expect(run).toMatchObject({ program: 'sh', status: 'failed', exit_code: 4, signal: 'SIGTERM' });
    } finally {
      holder.kill('SIGKILL');
    }
  }, 60_000);
});
