// `exec` pushed where pipelines push it: output that cannot be written, a
// stage that dies of a signal, Ctrl-C with stdin redirected. Each case here
// once went wrong (see each test).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect } from '../helpers/children';
import { FIFO_EXEC, mkfifosAtWork, noPool, onlySpares, POOL, poolEntries } from '../helpers/pipe-pool';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';
import { childStartHook, heldInFork, STAGE_SPAWNS, theTracedCli, tracedCli } from '../helpers/traced';

const HF = `hf_${'Edge'.repeat(9)}`;
const PTY = resolve(import.meta.dirname, '../helpers/pty_drive.py');

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

  it('a stage that writes again after its output failed runs on to its end (its cleanup runs): the run fails with 1, never 141', async () => {
    const t = await ready();
    // exec closed the stage's pipe at the first ENOSPC: its next write (after the pause) got SIGPIPE, so a stage that
    // would have gone on after a failed write (as sh does) died, its cleanup never ran, and exec said 141.
    const stage = 'echo "token $HF_TOKEN"; sleep 0.3; echo more; touch "$0"';
    const cleaned = join(t.root, 'cleaned');
    const r = spawnSync('sh', ['-c', `"$0" "$1" exec --workflow transcribe -- sh -c '${stage}' "$2" > /dev/full`, process.execPath, BIN, cleaned], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 60_000 });
    expect([r.status, r.stderr]).toEqual([1, 'error: the output of sh could not be written (ENOSPC): it is incomplete.\n']);
    expect(existsSync(cleaned)).toBe(true);
  });

  it('stderr on a full disk: stdout still complete, the run fails', async () => {
    const t = await ready();
    const r = spawnSync('sh', ['-c', `"$0" "$1" exec --workflow transcribe -- sh -c 'echo out; echo "err $HF_TOKEN" >&2' 2> /dev/full`, process.execPath, BIN], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 60_000 });
    expect([r.status, r.stdout]).toEqual([1, 'out\n']);
  });
});

/** Waits (polling, no fixed sleep) until `path` exists; false after `ms`. */
async function appears(path: string, ms = 60_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (existsSync(path)) return true;
  return false;
}

describe('exec: a program that cannot start', () => {
  it('its name reaches the terminal without its escape sequences (a name that cleared the screen, or set the title), and the run lists it the same', async () => {
    const t = await ready();
    const evil = './no\u001b[2J\u001b]0;PWN\u0007such';
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', evil]);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('error: cannot start no?[2J?]0;PWN?such: command not found');
    expect(r.stderr).not.toMatch(/[\u001b\u0007]/);
    const runs = await cli(t, ['runs', '--json']);
    expect(runs.stdout).not.toMatch(/\\u001b|\\u0007/);
    expect(JSON.parse(runs.stdout).runs[0].program).toBe('no?[2J?]0;PWN?such');
  });

  // `exec -- "$STAGE"` with STAGE unset: "error: cannot start : ERR_INVALID_ARG_VALUE" (Node's code, no name), exit 126,
  // a run recorded; and `/` (a folder, no base name) was "cannot start : EACCES".
  it('an empty program is a usage error, nothing started or recorded; a program with no base name is named as typed', async () => {
    const t = await ready();
    for (const args of [['--', ''], [''], ['--', '', 'arg']]) {
      const r = await cli(t, ['exec', '--workflow', 'transcribe', ...args]);
      expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/^error \[INVALID_ARGUMENT\] The command to run is empty: exec started nothing\.\nfix: Give the stage after --/)]);
    }
    // Before --verify asks a provider (one that cannot be reached said "unreachable", exit 5) or --team reads its file.
    const env = { CPW_VAULT_ENDPOINT_HUGGINGFACE: 'http://127.0.0.1:9' };
    for (const extra of [['--verify'], ['--team', join(t.root, 'no-such-team.vault')]]) {
      const r = await cli(t, ['exec', '--workflow', 'transcribe', ...extra, '--', ''], { env });
      expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/^error \[INVALID_ARGUMENT\] The command to run is empty/)]);
    }
    expect(JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs).toEqual([]);
    const root = await cli(t, ['exec', '--workflow', 'transcribe', '--', '/']);
    expect([root.code, root.stderr]).toEqual([126, 'error: cannot start /: EACCES\n']);
    expect(JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs.map((run: { program: string }) => run.program)).toEqual(['/']);
  });

  // Node throws at once, instead of emitting 'error' as for ENOENT and EACCES, where the program cannot even be looked
  // up: exec said "error [INTERNAL] Unexpected error: spawn ENOTDIR ... This is a bug", exit 1, the run left interrupted.
  it('a path through a file (ENOTDIR) or a link loop (ELOOP) is a program that cannot start: said, 126, recorded failed', async () => {
    const t = await ready();
    symlinkSync('loop', join(t.root, 'loop'));
    for (const [program, code] of [[join(t.root, 'loop'), 'ELOOP'], ['/etc/passwd/stage', 'ENOTDIR']] as const) {
      const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', program]);
      expect([r.code, r.stderr]).toEqual([126, `error: cannot start ${program.split('/').pop()}: ${code}\n`]);
    }
    const runs = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs;
    expect(runs.map((run: { program: string; status: string; exit_code: number }) => [run.program, run.status, run.exit_code])).toEqual([['stage', 'failed', 126], ['loop', 'failed', 126]]);
  });

  // The shell's habit, `exec --workflow W HF_TOKEN=... ./stage`: the assignment is taken as the program, which is not
  // found. Its name, value and all, was said on stderr and kept in plain text in runs.jsonl, `runs` and the app.
  it('a name holding a key (an env assignment typed as the shell takes it) is redacted on stderr and in the history', async () => {
    const t = await ready();
    const openai = `sk-proj-${'Zq9'.repeat(12)}`;
    for (const program of [`HF_TOKEN=${HF}`, `OPENAI_API_KEY=${openai}`]) {
      const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', program, 'true']);
      expect(r.code).toBe(127);
      expect(r.stderr).toMatch(/^error: cannot start \w+=\[REDACTED\]: command not found\n/);
    }
    const list = await cli(t, ['runs', '--json']);
    expect(JSON.parse(list.stdout).runs.map((run: { program: string }) => run.program)).toEqual(['OPENAI_API_KEY=[REDACTED]', 'HF_TOKEN=[REDACTED]']);
    const folder = join(t.home, '.cp-whisperx');
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (!statSync(path).isFile()) continue;
      const text = readFileSync(path, 'utf8');
      expect(text, name).not.toContain(HF);
      expect(text, name).not.toContain(openai);
    }
  });

  // Only a key of a known shape, or one this exec had read, was redacted: a custom credential's stored value (or a new
  // key being tried) typed as the assignment stayed whole, on stderr and in runs.jsonl, and so did the stored one in a
  // run refused as not ready (no value read then).
  it('an env assignment taken as the program keeps its name, never its value, whatever the value\'s shape', async () => {
    const t = await ready();
    const stored = 'deepl-Secret-Value-42xyz';
    expect((await cli(t, ['set', 'deepl', 'api_key'], { input: stored })).code).toBe(0);
    const tried = 'MyNewDeeplKey/zzz99';
    const ran = await cli(t, ['exec', '--workflow', 'transcribe', '--with', 'deepl.api_key', '--', `DEEPL_API_KEY=${tried}`, 'true']);
    expect([ran.code, ran.stderr]).toEqual([127, 'error: cannot start DEEPL_API_KEY=[REDACTED]: command not found\n']);
    const refused = await cli(t, ['exec', '--workflow', 'summarize', '--', `DEEPL_API_KEY=${stored}`, 'true']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).not.toContain(stored);
    const list = await cli(t, ['runs', '--json']);
    expect(JSON.parse(list.stdout).runs.map((run: { program: string }) => run.program)).toEqual(['DEEPL_API_KEY=[REDACTED]', 'DEEPL_API_KEY=[REDACTED]']);
    const history = readFileSync(join(t.home, '.cp-whisperx', 'runs.jsonl'), 'utf8');
    expect(history).not.toContain(stored);
    expect(history).not.toContain(tried);
  });
});

describe('exec: a stage that dies of a signal', () => {
  // exec used to exit 128+n: Python's subprocess saw 143 where the stage alone gives -15, and bash (which waits for a
  // command to die of SIGINT before it stops a script at Ctrl-C) went on with the next turn of a loop.
  it('ends exec by the same signal, masked or not; a core-dumping one gives 128+n; the run records both', async () => {
    const t = await ready();
    for (const mask of ['--mask', '--no-mask']) {
      for (const sig of ['TERM', 'INT', 'HUP', 'USR1', 'PIPE']) {
        const r = spawnSync(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', mask, '--', 'sh', '-c', `echo "out $HF_TOKEN"; kill -${sig} $$`], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 60_000 });
        expect([r.status, r.signal, r.stdout], `${mask} ${sig}: ${r.stderr}`).toEqual([null, `SIG${sig}`, mask === '--mask' ? 'out ****\n' : `out ${HF}\n`]);
      }
    }
    const segv = spawnSync(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'kill -SEGV $$'], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 60_000 });
    expect([segv.status, segv.signal]).toEqual([139, null]);
    const runs = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs;
    expect(runs[0]).toMatchObject({ status: 'failed', exit_code: 139, signal: 'SIGSEGV' });
    expect(runs[1]).toMatchObject({ status: 'failed', exit_code: 141, signal: 'SIGPIPE' });
  });

  // `timeout -s ALRM`, a supervisor's alarm, a SIGVTALRM, a SIGIO, a UPS daemon's SIGPWR, a SIGSTKFLT, a batch
  // scheduler's SIGXCPU: exec died of it (its default action), the stage ran on with its keys, no one to wait for it,
  // and the run showed as interrupted (until each was made one of those exec passes on, as SIGTERM or SIGUSR2).
  it('a SIGALRM, SIGVTALRM, SIGIO, SIGPWR, SIGSTKFLT or SIGXCPU sent to exec is passed on to the stage: exec ends as the stage does, and the run records that end', async () => {
    const t = await ready();
    // No core of the stage for SIGXCPU: its death is a core dump's (exec then gives 128+n, as for SIGQUIT).
    const wait = 'ulimit -c 0; echo ready; i=0; while [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done';
    for (const signal of ['SIGALRM', 'SIGVTALRM', 'SIGIO', 'SIGPWR', 'SIGSTKFLT', 'SIGXCPU'] as const) {
      const n = constants.signals[signal];
      for (const trapped of [true, false]) {
        // By number: dash knows no STKFLT.
        const stage = `${trapped ? `trap "echo got-it; exit 7" ${n}; ` : ''}${wait}`;
        const child = spawn(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', stage], { cwd: t.cwd, env: envOf(t), stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.once('data', () => child.kill(signal));
        const r = await collect(child);
        const run = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs[0];
        const seen = { code: r.code, signal: r.signal, stdout: r.stdout, run: { status: run.status, exit_code: run.exit_code, signal: run.signal } };
        const cored = signal === 'SIGXCPU';
        const dead = { code: cored ? 128 + n : null, signal: cored ? null : signal, stdout: 'ready\n', run: { status: 'failed', exit_code: 128 + n, signal } };
        expect(seen, `${signal} ${trapped}: ${r.stderr}`).toEqual(trapped ? { code: 7, signal: null, stdout: 'ready\ngot-it\n', run: { status: 'failed', exit_code: 7, signal: null } } : dead);
      }
    }
  });

  it('Ctrl-C (SIGINT to the process group) stops a bash loop of execs, as it stops a loop of the stage alone', async () => {
    const t = await ready();
    for (const wrapped of [false, true]) {
      const marker = join(t.root, `started-${wrapped}`);
      const stage = `echo run; [ -e "${marker}" ] && exit 0; touch "${marker}"; while :; do sleep 0.05; done`;
      const loop = `for i in 1 2; do ${wrapped ? '"$0" "$1" exec --workflow transcribe -- ' : ''}sh -c '${stage}'; done; echo after`;
      const bash = spawn('bash', ['-c', loop, process.execPath, BIN], { cwd: t.cwd, env: envOf(t), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const done = collect(bash);
      expect(await appears(marker)).toBe(true);
      process.kill(-bash.pid!, 'SIGINT');
      const end = await done;
      expect([end.signal, end.stdout], `${wrapped ? 'under exec' : 'alone'}: ${end.stderr}`).toEqual(['SIGINT', 'run\n']);
    }
  });
});

describe('exec: Ctrl-C at a terminal whose stdin is redirected', () => {
  // The terminal sends Ctrl-C to the whole foreground group, the stage included; exec forwarded it again whenever its
  // stdin was not the terminal (`find ... | cpw-vault exec`, `< list.txt`), and the second KeyboardInterrupt cut short
  // the cleanup the stage ran on the first (a traceback instead of "cleaned up").
  const stage = `
import sys, time
print("ready", flush=True)
try:
    while True: time.sleep(0.05)
except KeyboardInterrupt:
    t = time.time()
    while time.time() - t < 1.0: pass
    print("cleaned up", flush=True)
    sys.exit(5)
`;
  it('the stage gets the one SIGQUIT a Ctrl-\\ sent (it got two: Node hands a listener the signal\'s number too)', async () => {
    const t = await ready();
    const counter = 'import signal, sys, time\nn = 0\ndef on(*_):\n    global n\n    n += 1\nsignal.signal(signal.SIGQUIT, on)\nprint("ready", flush=True)\nend = time.time() + 1.5\nwhile time.time() < end: time.sleep(0.05)\nprint("quits=%d" % n, flush=True)';
    for (const mask of ['--no-mask', '--mask']) {
      const r = spawnSync('python3', [PTY, JSON.stringify([{ expect: 'ready', send: '\u001c' }]), process.execPath, BIN, 'exec', '--workflow', 'transcribe', mask, '--', 'python3', '-c', counter], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 60_000 });
      const { screen } = JSON.parse(r.stdout) as { screen: string };
      expect(screen, mask).toContain('quits=1\r\n');
    }
  });

  it('the stage gets the one SIGINT the terminal sent, finishes its cleanup, and its exit code comes through', async () => {
    const t = await ready();
    for (const mask of ['--no-mask', '--mask']) {
      const line = `"$0" "$1" exec --workflow transcribe ${mask} -- python3 -c "$2" < /dev/null; echo "rc=$?"`;
      const r = spawnSync('python3', [PTY, JSON.stringify([{ expect: 'ready', send: '\u0003' }]), 'bash', '-c', line, process.execPath, BIN, stage], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 60_000 });
      const { screen } = JSON.parse(r.stdout) as { screen: string };
      expect(screen, mask).toMatch(/cleaned up\r\nrc=5\r\n$/);
      expect(screen, mask).not.toContain('KeyboardInterrupt');
    }
  });
});

describe('exec: Ctrl-C typed as the stage is being started', () => {
  // Typed just before the fork, the terminal's SIGINT reached exec alone, and exec, taking it that the stage (in the
  // same process group) had it too, did not pass it on: the stage ran to the end, exec exited 0. The fork is held by
  // strace (which ignores the Ctrl-C: -o FILE), /proc says when, and the Ctrl-C is typed then.
  const driver = `
import json, os, pty, sys, time
bin, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
def traced():
    for c in open(f"/proc/{pid}/task/{pid}/children").read().split():
        try:
            # by its arguments (node, then the launcher): strace's own command line, and its probing children's, name it too
            if open(f"/proc/{c}/cmdline", encoding="latin-1").read().split("\\0")[1:2] == [bin]: return int(c)
        except OSError: pass
    return 0
def in_fork(p):
    # clone (Node's fork) or clone3 (the native spawn's vfork, waiting for the stage's held execve)
    try: return open(f"/proc/{p}/syscall").read().split(" ")[0] in (("220", "435") if os.uname().machine == "aarch64" else ("56", "435"))
    except OSError: return False
exec_pid, was, end = 0, False, time.time() + 60
while time.time() < end:
    exec_pid = exec_pid or traced()
    now = exec_pid > 0 and in_fork(exec_pid)
    if now and was: break
    was = now
    time.sleep(0.01)
os.write(fd, b"\\x03")
screen = b""
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk: break
    screen += chunk
_, status = os.waitpid(pid, 0)
print(json.dumps({"signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None, "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None, "screen": screen.decode("utf-8", "replace")}))
`;
  it.each(STAGE_SPAWNS)('the stage gets it (it never started on its own): exec ends by SIGINT, the stage does not run to the end: $how', async ({ env, traced, hold }) => {
    const t = await ready();
    const marker = join(t.root, 'stage-ran');
    const log = join(t.root, 'strace.log');
    const argv = ['strace', '-f', '-qq', '-o', log, '-e', `trace=${traced}`, '-e', hold(1), process.execPath, BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', `sleep 2; touch "${marker}"`];
    const r = spawnSync('python3', ['-c', driver, BIN, ...argv], { cwd: t.cwd, env: { ...envOf(t), ...env }, encoding: 'utf8', timeout: 60_000 });
    const out = JSON.parse(r.stdout) as { signal: number | null; code: number | null; screen: string };
    // strace ends as its tracee did: by SIGINT (2).
    expect([out.signal ?? out.code, existsSync(marker)], out.screen).toEqual([2, false]);
  });
});

describe('exec: a terminal that hangs up', () => {
  // Closing the window (or a dropped ssh) signals the session's leader, which may tell the whole process group (a shell,
  // the kernel as the leader exits) or exec alone (timeout --foreground, a supervisor; exec itself as the leader): the
  // stage must hear of it either way. And exec, which outlives the terminal until its stage ends, aborted at exit.
  const driver = `
import os, pty, signal, sys, time
result, line = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    signal.signal(signal.SIGHUP, signal.SIG_DFL)  # as in a terminal's session (a test runner may ignore it, and bash keeps that)
    os.execvp("bash", ["bash", "-c", line, *sys.argv[3:]])
seen = b""
while b"ready\\n" not in seen.replace(b"\\r", b""):
    seen += os.read(fd, 4096)
os.close(fd)  # the window closes: the terminal hangs up
end = time.time() + 60
while not os.path.exists(result) and time.time() < end:
    time.sleep(0.02)
print(open(result).read() if os.path.exists(result) else "no result")
`;
  // Counts each SIGHUP it is delivered (the wakeup fd gets a byte per delivery); after the first it asks exec for a
  // SIGUSR1, which exec forwards (mostly after what it forwarded for the hangup): then it writes the count and ends.
  const stage = `
import os, signal, sys
r, w = os.pipe()
os.set_blocking(w, False)
signal.set_wakeup_fd(w)
for s in (signal.SIGHUP, signal.SIGUSR1, signal.SIGCONT):
    signal.signal(s, lambda *a: None)
os.write(1, b"ready\\n")  # one write: the terminal may hang up right after it
hups = 0
while True:
    for b in os.read(r, 64):
        if b == signal.SIGHUP:
            hups += 1
            if hups == 1: os.kill(os.getppid(), signal.SIGUSR1)
        if b == signal.SIGUSR1:
            # exec's forwarded SIGHUP may come after its SIGUSR1 (the hangup can land on another of exec's threads, whose
            # handler runs later on a loaded machine), and Python puts SIG_DFL back as it exits: it must not kill us then.
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            with open(sys.argv[1] + ".tmp", "w") as f: f.write(f"hups={hups}")
            os.rename(sys.argv[1] + ".tmp", sys.argv[1])
            sys.exit(0)
`;
  it('the stage hears of it, under a shell, as the session leader, and under a leader that tells exec alone; exec ends as the stage did, no abort', async () => {
    const t = await ready();
    // exec under strace (to see how it ends), its stderr to a file: Node 20 aborted at exit restoring the dead terminal.
    const traced = 'strace -f -q -e trace=exit_group -o "$3" "$0" "$1" exec --workflow transcribe';
    const leaders = [
      ['under bash, --no-mask', `${traced} --no-mask -- python3 -c "$2" "$4" 2>"$3.err"; echo "rc=$?"`],
      ['under bash, --mask', `${traced} --mask -- python3 -c "$2" "$4" 2>"$3.err"; echo "rc=$?"`],
      // timeout --foreground passes the SIGHUP it gets to its child's pid only (strace would keep it): exec must pass it on.
      ['timeout --foreground as leader', 'exec timeout --foreground 300 "$0" "$1" exec --workflow transcribe -- python3 -c "$2" "$4" 2>"$3.err"'],
    ] as const;
    for (const [i, [name, line]] of leaders.entries()) {
      const result = join(t.cwd, `hup-${i}`);
      const trace = `${result}.trace`;
      writeFileSync(trace, '');
      const r = spawnSync('python3', ['-c', driver, result, line, process.execPath, BIN, stage, trace, result], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 90_000 });
      expect(r.stdout.trim(), `${name} ${r.stderr}`).toMatch(/^hups=[12]$/);
      // exec ends after the stage wrote its count: waited for until every process in the trace has its end there.
      const allEnded = () => {
        const text = readFileSync(trace, 'utf8');
        const ended = new Set([...text.matchAll(/^(\d+) \+\+\+ (exited|killed)/gm)].map((m) => m[1]));
        return (text.match(/^\d+/gm) ?? []).every((pid) => ended.has(pid));
      };
      for (const end = Date.now() + 30_000; !allEnded() && Date.now() < end; ) await new Promise((res) => setTimeout(res, 20));
      expect(readFileSync(trace, 'utf8'), name).not.toMatch(/killed by|SIGABRT|SIGSEGV/);
      expect(readFileSync(`${trace}.err`, 'utf8'), name).toBe('');
    }
    const result = join(t.cwd, 'hup-leader');
    const line = 'exec "$0" "$1" exec --workflow transcribe -- python3 -c "$2" "$3"';
    const r = spawnSync('python3', ['-c', driver, result, line, process.execPath, BIN, stage, result], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 90_000 });
    expect(r.stdout.trim(), r.stderr).toBe('hups=1');
  }, 240_000);
});

describe('exec: the shapes a Python stage prints a value in', () => {
  // Only JavaScript's shapes were masked (JSON.stringify, encodeURIComponent): a custom key with a non-ASCII letter,
  // a "/" or a space reached the log through Python's json.dumps, quote, quote_plus and urlencode (what requests puts
  // in a logged URL), though the README promises the JSON-escaped and URL-encoded forms are masked.
  it('json.dumps, quote, quote(safe=""), quote_plus, urlencode and URLSearchParams forms are masked too', async () => {
    const t = await ready();
    const value = 'Päss/w0rd+ key!(x)*~😀';
    expect((await cli(t, ['set', 'deepl', 'api_key'], { input: value })).code).toBe(0);
    const stage = `
import json, sys, urllib.parse
v = sys.argv[1]
for form in (v, json.dumps(v), json.dumps(v, ensure_ascii=False), urllib.parse.quote(v), urllib.parse.quote(v, safe=""),
             urllib.parse.quote_plus(v), urllib.parse.urlencode({"key": v})):
    print("form:", form)
`;
    const forms = spawnSync('python3', ['-c', stage, value], { encoding: 'utf8' }).stdout;
    const js = spawnSync(process.execPath, ['-e', 'console.log("form: " + new URLSearchParams({ key: process.argv[1] }))', value], { encoding: 'utf8' }).stdout;
    // The value (from argv here, as a stage could get it anywhere) printed in each shape; each shape differs from the raw value.
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'python3 -c "$0" "$1"; node -e "console.log(\'form: \' + new URLSearchParams({ key: process.argv[1] }))" "$1"', stage, value]);
    expect(r.code, r.stderr).toBe(0);
    expect(new Set((forms + js).split('\n')).size).toBe(9);
    expect(r.stdout).toBe('form: ****\nform: "****"\nform: "****"\nform: ****\nform: ****\nform: ****\nform: key=****\nform: key=****\n');
  });
});

describe('exec: stdout and stderr into one file', () => {
  // The README's own example, `exec ... > asr.log 2>&1`: masked, the stage's two streams came through two pipes, read
  // as two queues, and the log had every stdout line first and the stderr ones after (a traceback far from the
  // progress lines it interrupted). One pipe for both now keeps the stage's order.
  it('> log 2>&1 and 2>&1 | cat keep the order the stage wrote in, masked', async () => {
    const t = await ready();
    const stage = 'i=0; while [ $i -lt 50 ]; do i=$((i+1)); echo "out $i $HF_TOKEN"; echo "err $i" >&2; done';
    const want = Array.from({ length: 50 }, (_, i) => `out ${i + 1} ****\nerr ${i + 1}\n`).join('');
    const log = join(t.root, 'stage.log');
    const file = spawnSync('sh', ['-c', `"$0" "$1" exec --workflow transcribe -- sh -c '${stage}' > "${log}" 2>&1`, process.execPath, BIN], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 60_000 });
    expect(file.status, file.stderr).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe(want);
    const piped = spawnSync('sh', ['-c', `"$0" "$1" exec --workflow transcribe -- sh -c '${stage}' 2>&1 | cat`, process.execPath, BIN], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 60_000 });
    expect(piped.stdout).toBe(want);
    // The stage's fds 1 and 2: one real pipe (the addon's, anonymous), whatever TMPDIR is: nothing is made there.
    const open = join(t.root, 'open-tmp');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const own = join(t.root, 'own-tmp');
    mkdirSync(own, { mode: 0o700 });
    const fds = 'stat -L -c "%F %i" /proc/$$/fd/1 /proc/$$/fd/2';
    const ends = (tmp: string, env: Record<string, string> = {}) => spawnSync('sh', ['-c', `"$0" "$1" exec --workflow transcribe -- sh -c '${fds}' 2>&1 | cat`, process.execPath, BIN], { cwd: t.cwd, env: { ...envOf(t), TMPDIR: tmp, ...env }, encoding: 'utf8', timeout: 60_000 }).stdout.trim().split('\n');
    for (const tmp of [own, open]) {
      const [one, two] = ends(tmp);
      expect([one, one === two, readdirSync(tmp)], tmp).toEqual([expect.stringMatching(/^fifo /), true, []]);
    }
    // With FIFOs (Node's spawn): one FIFO in a TMPDIR of ours (the pool's); in one others can write without the sticky
    // bit (they could swap the pipe's folder), Node's two pipes (socket pairs), nothing left in it.
    const [one, two] = ends(own, FIFO_EXEC);
    expect([one, one === two]).toEqual([expect.stringMatching(/^fifo /), true]);
    expect(onlySpares(own)).toBe(true);
    const [outFd, errFd] = ends(open, FIFO_EXEC);
    expect([outFd, outFd === errFd]).toEqual([expect.stringMatching(/^socket /), false]);
    expect(readdirSync(open)).toEqual([]);
    // Two files stay two streams.
    const err = join(t.root, 'err.log');
    const apart = spawnSync('sh', ['-c', `"$0" "$1" exec --workflow transcribe -- sh -c '${stage}' 2> "${err}"`, process.execPath, BIN], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 60_000 });
    expect(apart.stdout).toBe(Array.from({ length: 50 }, (_, i) => `out ${i + 1} ****\n`).join(''));
    expect(readFileSync(err, 'utf8')).toBe(Array.from({ length: 50 }, (_, i) => `err ${i + 1}\n`).join(''));
  });
});

describe('exec: a stage that opens /dev/stdout or /dev/stderr by name', () => {
  // Masked, the stage's streams were Node's pipes, which are sockets, and a socket cannot be opened by name:
  // `echo warning > /dev/stderr`, `tee /dev/stdout` and Python's open("/dev/stdout") failed with "No such device or
  // address" under exec, and only there. Real pipes now: anonymous ones by the addon, FIFOs (gone from disk before the
  // stage starts) with Node's spawn.
  const stage = 'echo "a $HF_TOKEN" > /dev/stdout; echo "b $HF_TOKEN" > /dev/stderr; echo "c $HF_TOKEN" | tee /dev/stdout; echo "d $HF_TOKEN" | tee /dev/stderr >/dev/null';
  const py = 'import os; t = os.environ["HF_TOKEN"]; open("/dev/stdout", "w").write("e " + t + "\\n"); open("/dev/stderr", "w").write("f " + t + "\\n")';

  it.each(STAGE_SPAWNS)('works in bash, dash and Python, to a pipe, to files and to one file (> log 2>&1), masked, leaving nothing in TMPDIR: $how', async ({ how, env: spawnEnv }) => {
    const t = await ready();
    const tmp = join(t.root, 'tmp');
    mkdirSync(tmp, { mode: 0o700 });
    const env = { ...envOf(t), TMPDIR: tmp, ...spawnEnv };
    // Nothing at all (anonymous pipes), or nothing but the pool of spare FIFOs (empty, in a private folder).
    const nothingLeft = () => (how === 'native spawn' ? readdirSync(tmp).length === 0 : onlySpares(tmp));
    const run = (cmd: string) => spawnSync('bash', ['-c', cmd, process.execPath, BIN], { cwd: t.cwd, env, encoding: 'utf8', timeout: 60_000 });
    const log = join(t.root, 'stage.log');
    const err = join(t.root, 'err.log');
    for (const shell of ['bash', 'dash']) {
      const piped = run(`"$0" "$1" exec --workflow transcribe -- ${shell} -c '${stage}' 2> "${err}" | cat; exit \${PIPESTATUS[0]}`);
      expect([piped.status, piped.stdout, readFileSync(err, 'utf8')]).toEqual([0, 'a ****\nc ****\nc ****\n', 'b ****\nd ****\n']);
      const merged = run(`"$0" "$1" exec --workflow transcribe -- ${shell} -c '${stage}' > "${log}" 2>&1`);
      expect([merged.status, readFileSync(log, 'utf8')]).toEqual([0, 'a ****\nb ****\nc ****\nc ****\nd ****\n']);
    }
    const python = run(`"$0" "$1" exec --workflow transcribe -- python3 -c '${py}' 2> "${err}" | cat`);
    expect([python.status, python.stdout, readFileSync(err, 'utf8')]).toEqual([0, 'e ****\n', 'f ****\n']);
    expect(nothingLeft()).toBe(true);
    // TMPDIR a symlink to a private folder: the folder it names is used.
    const link = join(t.root, 'tmp-link');
    symlinkSync(tmp, link);
    const linked = spawnSync('bash', ['-c', `"$0" "$1" exec --workflow transcribe -- dash -c '${stage}' 2> "${err}" | cat`, process.execPath, BIN], { cwd: t.cwd, env: { ...env, TMPDIR: link }, encoding: 'utf8', timeout: 60_000 });
    expect([linked.status, linked.stdout, readFileSync(err, 'utf8')]).toEqual([0, 'a ****\nc ****\nc ****\n', 'b ****\nd ****\n']);
    expect(nothingLeft()).toBe(true);
    // Unmasked, it is the caller's own pipe (as before).
    const plain = run(`"$0" "$1" exec --workflow transcribe --no-mask -- dash -c 'echo "a $HF_TOKEN" > /dev/stdout' | cat`);
    expect(plain.stdout).toBe(`a ${HF}\n`);
  });

  it.each(STAGE_SPAWNS)('a stage that opens /dev/stdout again after its reader went away (| head -1) gets the error a pipe gives, never waits for ever: $how', async ({ env: spawnEnv }) => {
    // Opening a FIFO to write waits for a reader (an anonymous pipe's open, the addon's, does not): with exec's read end
    // closed, such a loop (Python ignores SIGPIPE) sat in open() for ever, and exec with it (the loop outlives `head`).
    const t = await ready();
    const loop = 'import sys\nfor i in range(1000):\n    try:\n        with open("/dev/stdout", "w") as f: f.write("line %d\\n" % i)\n    except OSError: pass\nsys.stderr.write("done\\n")';
    const shloop = 'trap "" PIPE; i=0; while [ $i -lt 1000 ]; do i=$((i+1)); echo "x $HF_TOKEN" > /dev/stdout; done 2>/dev/null; echo done >&2';
    for (const stage of [['python3', '-c', loop], ['sh', '-c', shloop]]) {
      const r = spawnSync('bash', ['-c', `"$0" "$1" exec --workflow transcribe -- "\${@:2}" | head -1`, process.execPath, BIN, ...stage], { cwd: t.cwd, env: { ...envOf(t), ...spawnEnv }, encoding: 'utf8', timeout: 30_000 });
      expect(r.error, 'exec hung').toBeUndefined();
      expect([r.stdout, r.stderr]).toEqual([expect.stringMatching(/^(line 0|x \*\*\*\*)\n$/), 'done\n']);
    }
  });

  it('Ctrl-C, SIGTERM or SIGHUP while the FIFOs are made leaves nothing in TMPDIR, and ends exec by that signal', async () => {
    // FIFOs: exec starting its stages with Node's spawn (FIFO_EXEC). mkfifo made slow with strace's fault injection, so
    // the folder surely exists when the signal is sent. (Watched for in its few milliseconds of life, a loaded machine's
    // test sometimes saw it only after exec had ended.)
    const t = await ready();
    // In the pool (pipe-pool.ts: empty here, as every exec below is stopped before it makes spares), and in a folder of
    // exec's own (the pool unusable). SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGIO, SIGPWR and SIGSTKFLT too: their
    // default action ends exec, and left the folder. Each case has its TMPDIR and marker: all 20 run at once (one after
    // another, the test waited out 20 held mkfifos), and one look through /proc a turn finds each one's mkfifo at work.
    const cases = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGVTALRM', 'SIGIO', 'SIGPWR', 'SIGSTKFLT'].flatMap((s) => [[s, true], [s, false]] as const).map(([signal, pooled]) => {
      const tmp = join(t.root, `tmp-${signal}-${pooled}`);
      const marker = join(t.root, `stage-ran-${signal}-${pooled}`);
      mkdirSync(tmp, { mode: 0o700 });
      if (!pooled) noPool(tmp);
      const child = spawn('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=mknod,mknodat', '-e', 'inject=mknod,mknodat:delay_enter=1000000', process.execPath, BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', `touch "${marker}"`], { cwd: t.cwd, env: { ...envOf(t), TMPDIR: tmp, ...FIFO_EXEC }, stdio: ['ignore', 'pipe', 'pipe'] });
      const c = { signal, tmp, marker, child, done: collect(child, ''), exited: false, signalled: false };
      void c.done.then(() => (c.exited = true));
      return c;
    });
    for (let waiting = cases; waiting.length; await new Promise((r) => setTimeout(r, 5))) {
      const at = mkfifosAtWork(waiting.map((c) => c.tmp));
      for (const c of waiting.filter((w) => !w.exited && at.has(w.tmp))) {
        process.kill(theTracedCli(c.child.pid!), c.signal);
        c.signalled = true;
      }
      waiting = waiting.filter((w) => !w.exited && !w.signalled);
    }
    for (const c of cases) {
      expect(c.signalled, `${c.signal}: exec ended before its pipes were made`).toBe(true);
      const r = await c.done;
      expect([r.signal ?? r.code, existsSync(c.marker)], `${c.signal}: ${r.stderr}`).toEqual([c.signal, false]);
      expect(onlySpares(c.tmp), c.signal).toBe(true);
    }
  });

  it('exec never lets go of its last Ctrl-C, SIGTERM or SIGHUP listener before the stage starts: a signal at that instant would be dropped', async () => {
    // Node drops a signal libuv has read but not yet handed to a listener when the last listener goes. The pipes' own
    // hold was removed before exec's forwarder came: a SIGHUP then was lost, and the stage ran to the end (exit 0).
    // This preload sends the signal at exactly such an instant, if there is one before the stage is spawned.
    const t = await ready();
    const preload = join(t.root, 'gap.cjs');
    writeFileSync(preload, `
      const fs = require('node:fs');
      let staged = false;
      ${childStartHook("(file) => { if (!file.endsWith('mkfifo')) staged = true; }")}
      for (const name of ['off', 'removeListener']) {
        const original = process[name];
        process[name] = function (event, fn) {
          const sig = process.env.GAP_SIGNAL;
          if (event === sig && !staged && process.listeners(sig).length === 1 && process.listeners(sig)[0] === fn) {
            fs.writeFileSync(process.env.GAP_FIRED, sig);
            process.kill(process.pid, sig);
          }
          return original.call(this, event, fn);
        };
      }`);
    const marker = join(t.root, 'stage-ran');
    const fired = join(t.root, 'fired');
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const r = spawnSync(process.execPath, ['--require', preload, BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', `touch "${marker}"`], { cwd: t.cwd, env: { ...envOf(t), GAP_SIGNAL: signal, GAP_FIRED: fired }, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 });
      // Either there was no such instant (the stage ran, exec exited 0), or the signal sent then ended exec before the stage.
      const outcome = existsSync(fired) ? { gap: true, ended: r.signal, ran: existsSync(marker) } : { gap: false, ended: r.status, ran: existsSync(marker) };
      expect(outcome, r.stderr).toEqual({ gap: false, ended: 0, ran: true });
      rmSync(marker, { force: true });
    }
  });

  it('a signal while mkfifo is still making the pipes stops it, then removes the folder: no crash, nothing left', async () => {
    // Removed at once by the signal's listener while mkfifo went on (its first FIFO made, its second to come), the
    // folder got the second FIFO between the removal's unlink and its rmdir: ENOTEMPTY thrown from the listener (a
    // stack trace, exit 1), the folder left. mkfifo's first mknod and exec's last rmdir are held by strace. (FIFOs:
    // exec starting its stages with Node's spawn.)
    const t = await ready();
    const marker = join(t.root, 'stage-ran');
    // In a folder of exec's own (the pool unusable), and in the pool (pipe-pool.ts), empty: mkfifo makes exec's FIFOs.
    for (const pooled of [false, true]) {
      const tmp = join(t.root, `tmp-mkfifo-${pooled}`);
      mkdirSync(tmp, { mode: 0o700 });
      if (!pooled) noPool(tmp);
      // stdout and stderr masked into two pipes: two FIFOs.
      const child = spawn('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=mknod,mknodat,rmdir', '-e', 'inject=mknod,mknodat:delay_exit=1000000:when=1', '-e', 'inject=rmdir:delay_enter=2000000:when=2', process.execPath, BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', `touch "${marker}"`], { cwd: t.cwd, env: { ...envOf(t), TMPDIR: tmp, ...FIFO_EXEC }, stdio: ['ignore', 'pipe', 'pipe'] });
      const done = collect(child, '');
      let exited = false;
      void done.then(() => (exited = true));
      // exec's own first FIFO (`out` in its folder; its claimed name in the pool), not a spare.
      const firstMade = () => readdirSync(tmp).some((d) => existsSync(join(tmp, d, 'out')) || poolEntries(tmp).some((n) => n.startsWith('cpw-vault-exec-')));
      while (!exited && !firstMade()) await new Promise((r) => setTimeout(r, 5));
      expect(exited, 'exec ended before its first pipe was made').toBe(false);
      const exec = theTracedCli(child.pid!);
      process.kill(exec, 'SIGTERM');
      const r = await done;
      // strace's own notes aside (it says it lost a delayed tracee).
      const said = r.stderr.split('\n').filter((l) => l && !l.startsWith('strace: '));
      expect([r.signal ?? r.code, said, existsSync(marker)]).toEqual(['SIGTERM', [], false]);
      expect(onlySpares(tmp)).toBe(true);
    }
  });

  it.each(STAGE_SPAWNS)('a signal that comes while the stage is being forked ends exec by it: the stage quick to end, or not found (exit 127): $how', async ({ how, env, traced, hold }) => {
    // Handled after the fork, it went to a stage that had already exited (exec exited 0), or was dropped with the
    // listener when the stage could not start (exec exited 127). The fork is held by strace; /proc says when.
    const t = await ready();
    const marker = join(t.root, 'stage-ran');
    // --no-mask: the stage is exec's first child; masked (stderr is a pipe here), mkfifo is. A program not found is
    // never forked by the native spawn (it looks the PATH up first): nothing to hold there.
    const cases = [[['--no-mask', '--', 'sh', '-c', `touch "${marker}"`], 1], [['--', 'sh', '-c', `touch "${marker}"`], 2], ...(how === 'native spawn' ? [] : [[['--no-mask', '--', 'no-such-stage-program'], 1]] as const)] as const;
    for (const [args, nth] of cases) {
      // A TMPDIR of its own: its pool empty, so mkfifo is forked (with spares ready, only the stage is).
      const tmp = mkdtempSync(join(t.root, 'tmp-'));
      const child = spawn('strace', ['-f', '-qq', '-o', '/dev/null', '-e', `trace=${traced}`, '-e', hold(nth), process.execPath, BIN, 'exec', '--workflow', 'transcribe', ...args], { cwd: t.cwd, env: { ...envOf(t), TMPDIR: tmp, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      const done = collect(child, '');
      let exited = false;
      void done.then(() => (exited = true));
      const exec = await heldInFork(() => tracedCli(child.pid!), () => exited);
      expect(exited, `${args.join(' ')}: exec ended before its fork`).toBe(false);
      process.kill(exec, 'SIGTERM');
      const r = await done;
      expect(r.signal ?? r.code, `${args.join(' ')}: ${r.stderr}`).toBe('SIGTERM');
    }
  });

  it('a signal that arrives while the FIFOs\' folder is being removed is acted on, never lost (the stage does not run)', async () => {
    // FIFOs: exec starting its stages with Node's spawn. The removal made slow with strace's fault injection: a signal
    // caught in that synchronous stretch waited in the event loop, and dropping the listener dropped it with it: exec
    // went on and ran the stage to the end, exit 0.
    const t = await ready();
    const tmp = join(t.root, 'tmp-slow');
    mkdirSync(tmp, { mode: 0o700 });
    // The folder of exec's own: the pool (pipe-pool.ts) unusable here.
    noPool(tmp);
    const marker = join(t.root, 'stage-ran');
    const child = spawn('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=rmdir', '-e', 'inject=rmdir:delay_enter=1500000', process.execPath, BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', `touch "${marker}"`], { cwd: t.cwd, env: { ...envOf(t), TMPDIR: tmp, ...FIFO_EXEC }, stdio: ['ignore', 'pipe', 'pipe'] });
    const done = collect(child, '');
    // The folder there and already empty: its FIFOs are unlinked, its rmdir is being delayed.
    const emptied = async () => {
      for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 5))) {
        const [dir] = readdirSync(tmp).filter((n) => n !== POOL);
        if (dir && readdirSync(join(tmp, dir)).length === 0) return true;
      }
      return false;
    };
    expect(await emptied()).toBe(true);
    const exec = theTracedCli(child.pid!);
    process.kill(exec, 'SIGTERM');
    const r = await done;
    expect(r.signal ?? r.code).toBe('SIGTERM');
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(tmp)).toEqual([POOL]);
  });

  it('output to /dev/null is not masked (nothing can read it back): no pipes are made for it', async () => {
    const t = await ready();
    // The stage's own fds, written to a file of the test's (stderr is a pipe here: masked, a FIFO).
    const r = spawnSync('sh', ['-c', `"$0" "$1" exec --workflow transcribe -- sh -c 'f=$(stat -L -c %F /proc/$$/fd/1 /proc/$$/fd/2); echo "$f" > "$0"' "$2" > /dev/null`, process.execPath, BIN, join(t.root, 'fd1')], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(t.root, 'fd1'), 'utf8')).toBe('character special file\nfifo\n');
  });

  it('a reader that goes away (| head -1) stops the stage as a direct pipe would, and a hung-up child of the stage keeps exec waiting only while it holds the pipe', async () => {
    const t = await ready();
    const r = spawnSync('bash', ['-c', `"$0" "$1" exec --workflow transcribe -- sh -c 'while :; do echo "$HF_TOKEN"; done' | head -1; echo "\${PIPESTATUS[0]}"`, process.execPath, BIN], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toBe('****\n141\n');
    // The stage's own child keeps the write end: exec ends once it does (as a pipe's reader would see EOF).
    const bg = spawnSync('bash', ['-c', `"$0" "$1" exec --workflow transcribe -- sh -c '(sleep 0.3; echo late "$HF_TOKEN") & echo now' | cat`, process.execPath, BIN], { cwd: t.cwd, env: envOf(t), encoding: 'utf8', timeout: 60_000 });
    expect(bg.stdout).toBe('now\nlate ****\n');
  });
});
