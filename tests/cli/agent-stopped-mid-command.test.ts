// An unlock agent stopped (SIGSTOP) in the middle of a command: after it answered the command's hello, before it
// answered its first read. The read timed out after 5 s and was tried again on a new connection, whose hello to the
// same stopped agent waited 5 s more: doctor, get, list, which and check took 10 s to say "did not answer within 5 s".
// And a command on a terminal hands over to the full CLI (dist/cli.cjs), which waited on the agent again.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { fileCli, fileEnv, fileStart, inPty, makeFileVaultHome, unlockAgent, type FileVaultHome } from '../helpers/file-vault';
import { inTurn } from '../helpers/in-turn';

const HF = `hf_${'PiPeLiNe'.repeat(5)}`;
/** The fixed path waits 5 s once; twice is 10 s. */
const BOUND_MS = 8_500;

/** SIGKILL to `pid`, if it still runs. */
function killIfRunning(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** The state letter of process `pid` (/proc/<pid>/stat): T stopped, t stopped while traced. */
function stateOf(pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0]!;
}

/** A fresh unlock agent of `h` serving a stored value; its pid. */
async function freshAgent(h: FileVaultHome): Promise<number> {
  const pid = await unlockAgent(h);
  expect((await fileCli(h, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
  return pid;
}

/**
 * Stops agent `pid` with SIGSTOP the instant it has written its next answer (the next command's hello): strace sends
 * the signal as that write returns, so the stop lands between the hello and the first read every time, where a
 * `kill -STOP` after a delay hit it once in four. Resolves once strace holds the agent.
 */
async function stopAfterNextAnswer(pid: number, log: string): Promise<ChildProcess> {
  const strace = spawn('strace', ['-qq', '-s', '48', '-p', String(pid), '-o', log, '-e', 'trace=write', '-e', 'inject=write:signal=SIGSTOP:when=1'], { stdio: 'ignore' });
  const traced = () => /^TracerPid:\s+[1-9]/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  for (const end = Date.now() + 20_000; Date.now() < end && !traced(); ) await new Promise((r) => setTimeout(r, 20));
  expect(traced()).toBe(true);
  return strace;
}

/** Asserts the agent answered one hello (its pid, no value) and was stopped right after. */
function stoppedAfterHello(pid: number, log: string): void {
  expect(stateOf(pid)).toMatch(/[tT]/);
  const writes = readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('write('));
  expect(writes).toHaveLength(1);
  expect(writes[0]).toContain(`\\"pid\\":${pid},\\"recipient`); // as strace prints it (quotes escaped)
}

describe('an unlock agent stopped between its hello and the first read of a command', () => {
  it('doctor, get, list, which and check wait on it once (5 s, not 10 s), say it did not answer, exit 4', async (ctx) => {
    const cases: Array<{ args: string[]; says: string | ((pid: number) => string) }> = [
      { args: ['doctor'], says: 'VAULT_LOCKED The vault file cannot be read: the unlock agent did not answer within 5 s' },
      { args: ['get', 'huggingface', 'token'], says: 'error [VAULT_LOCKED] The vault file cannot be read: the unlock agent did not answer within 5 s' },
      // Stopped (by strace: state t), and said so with its pid: not "busy or hung", nor a bare "not answering".
      { args: ['list'], says: (pid) => `? sources unknown: vault file's unlock agent not answering (pid ${pid}: stopped) (shown from the index, not checked)` },
      { args: ['which', 'huggingface', 'token'], says: (pid) => `? sources unknown: vault file's unlock agent not answering (pid ${pid}: stopped) (shown from the index, not checked)` },
      { args: ['check', 'transcribe'], says: 'the unlock agent did not answer within 5 s' },
    ];
    // A vault and agent of its own for each command (one agent per vault), made at once; then each command waits on its
    // stopped agent while the next starts (in-turn.ts), each timed from its own start.
    const stops = await Promise.all(
      cases.map(async (_, i) => {
        const h = await makeFileVaultHome({ logN: 10 });
        const pid = await freshAgent(h);
        ctx.onTestFinished(() => killIfRunning(pid));
        const log = join(h.root, `agent-${i}.strace`);
        const strace = await stopAfterNextAnswer(pid, log);
        ctx.onTestFinished(() => void strace.kill());
        return { h, pid, log };
      }),
    );
    const results = await inTurn(cases.map(({ args }, i) => ({ start: () => fileStart(stops[i]!.h, args) })));
    for (const [i, { args, says }] of cases.entries()) {
      const { pid, log } = stops[i]!;
      const r = results[i]!;
      stoppedAfterHello(pid, log);
      expect(r.ms, args.join(' ')).toBeLessThan(BOUND_MS);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(4);
      expect(r.stderr, args.join(' ')).toContain(typeof says === 'string' ? says : says(pid));
      expect(r.stdout).not.toContain(HF);
    }
  }, 120_000);

  it('on a terminal, get hands over to the full CLI, which does not wait on the stopped agent again', async (ctx) => {
    const h = await makeFileVaultHome({ logN: 10 });
    const pid = await freshAgent(h);
    ctx.onTestFinished(() => killIfRunning(pid));
    const log = join(h.root, 'agent.strace');
    const strace = await stopAfterNextAnswer(pid, log);
    ctx.onTestFinished(() => void strace.kill());
    const started = Date.now();
    const r = await inPty(h.cwd, fileEnv(h), [process.execPath, BIN, 'get', 'huggingface', 'token'], []);
    const took = Date.now() - started;
    stoppedAfterHello(pid, log);
    expect(took).toBeLessThan(BOUND_MS);
    expect(r.code, r.screen).toBe(4);
    expect(r.screen).toContain('error [VAULT_LOCKED] The vault file cannot be read: the unlock agent did not answer within 5 s');
    expect(r.screen).not.toContain('INTERNAL');
  }, 60_000);
});
