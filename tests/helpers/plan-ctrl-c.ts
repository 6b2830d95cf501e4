import { expect } from 'vitest';
import type { ChildResult } from './children';

/**
 * A bash function for a Ctrl-C-during-the-plan script: `plan_run ARGS...` runs `"$NODE" "$CLI" ARGS...` (stdout to
 * out.txt, stderr to err.txt) and stops the session's keyring at the instant its plan starts. strace stops cpw-vault
 * as it first opens the profile (its last open before the plan's keychain read: the export or team file read, its
 * scrypt done, the vault opened, by then); the daemon is then stopped and cpw-vault let go. The Ctrl-C comes 2 s
 * later. It prints one JSON line: args, exit code, ms from the keyring's stop, stdout, stderr. Waiting for these
 * conditions, not for fixed times from the start, keeps a loaded machine's slow start or scrypt out of the figure
 * (an import run 5 s from its start once measured 13 s of scrypt under CI's load). The daemon is the private
 * session's own, never another test's.
 */
export const PLAN_RUN = `daemon=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets | sed 's/.* \\([0-9]*\\),)$/\\1/')
plan_run() {
  rm -f strace.log
  bash -c 'kill -STOP $$; exec "$@"' bash "$NODE" "$CLI" "$@" >out.txt 2>err.txt & pid=$!
  until grep -q '^State:.*T' /proc/$pid/status; do sleep 0.01; done
  strace -qq -o strace.log -p $pid -P "$HOME/.cp-whisperx/user.profile" -e trace=openat -e inject=openat:signal=SIGSTOP:when=1 & tracer=$!
  until grep -q '^TracerPid:[[:space:]]*[1-9]' /proc/$pid/status; do sleep 0.01; done
  kill -CONT $pid
  until grep -q user.profile strace.log 2>/dev/null; do sleep 0.01; done
  kill -STOP "$daemon"
  start=$(date +%s%N)
  kill -CONT $pid
  sleep 2
  kill -INT $pid
  wait $pid; code=$?
  kill -CONT "$daemon"
  kill $tracer 2>/dev/null; wait $tracer 2>/dev/null
  echo "{\\"args\\": \\"$*\\", \\"code\\": $code, \\"ms\\": $(( ($(date +%s%N) - start) / 1000000 )), \\"stdout\\": \\"$(tr -d '\\n"' < out.txt)\\", \\"stderr\\": \\"$(tr -d '\\n"' < err.txt)\\"}"
}`;

/**
 * The JSON lines a Ctrl-C-during-the-plan script prints (one per run of `plan_run`, whose args end with `--dry-run` or
 * `--yes`; then `which`'s exit code), checked: each run ended cancelled (exit 130) within `withinMs` of the keyring's
 * stop, no plan printed and no keychain timeout, and nothing was stored (`which` exit 3).
 */
export function expectPlanRunsCancelled(r: ChildResult, withinMs: number): void {
  expect(r.code, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const runs = lines.filter((l) => 'args' in l) as { args: string; code: number; ms: number; stdout: string; stderr: string }[];
  expect(runs.map((x) => x.args.split(' ').find((a) => a === '--dry-run' || a === '--yes'))).toEqual(['--dry-run', '--yes']);
  for (const run of runs) {
    expect({ args: run.args, code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ args: run.args, code: 130, stdout: '', stderr: expect.stringContaining('cancelled: nothing changed') });
    expect(run.stderr).not.toMatch(/KEYCHAIN_TIMEOUT|Plan for/);
    expect(run.ms, run.args).toBeLessThan(withinMs);
  }
  expect(lines.find((l) => 'which' in l)).toEqual({ which: 3 });
}
