// Ctrl-C while team pull reads the keychain for its plan (a keychain that stopped answering, as when an unlock prompt
// hangs): the command ends cancelled (exit 130), nothing pulled, no plan printed. It was held until the keychain's
// deadline, then said KEYCHAIN_TIMEOUT (exit 4), as if the user had not asked to stop.
import { describe, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { expectPlanRunsCancelled } from '../helpers/plan-ctrl-c';
import { inPrivateSession } from '../helpers/private-session';

// The keyring is stopped at the instant the plan starts: strace stops cpw-vault as it opens the profile for the plan
// (its last open before the plan's keychain read; the team file and the identity file are read, the vault opened, by
// then); the daemon is then stopped and cpw-vault let go. The daemon is this private session's own, never another test's.
const SCRIPT = `set -u
cli() { "$NODE" "$CLI" "$@"; }
age-keygen -o id.txt 2>/dev/null && chmod 600 id.txt || exit 10
printf '0123456789abcdef0123456789abcdef' | cli set tmdb api_key 2>/dev/null || exit 11
cli team init --file team.age --identity-file id.txt --name alice --add tmdb.api_key >/dev/null 2>&1 || exit 12
cli delete tmdb api_key --yes >/dev/null 2>&1 || exit 13
daemon=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets | sed 's/.* \\([0-9]*\\),)$/\\1/')
for args in "--dry-run" "--yes"; do
  rm -f strace.log
  bash -c 'kill -STOP $$; exec "$@"' bash "$NODE" "$CLI" team pull $args --file team.age --identity-file id.txt >out.txt 2>err.txt & pid=$!
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
  echo "{\\"args\\": \\"$args\\", \\"code\\": $code, \\"ms\\": $(( ($(date +%s%N) - start) / 1000000 )), \\"stdout\\": \\"$(tr -d '\\n"' < out.txt)\\", \\"stderr\\": \\"$(tr -d '\\n"' < err.txt)\\"}"
done
cli which tmdb api_key >/dev/null 2>&1; echo "{\\"which\\": $?}"
`;

describe('Ctrl-C while team pull reads the keychain for its plan', () => {
  it('ends the command cancelled (exit 130), nothing pulled, no plan printed: not a KEYCHAIN_TIMEOUT after the deadline', async () => {
    const r = await inPrivateSession('unlocked', ['bash', '-c', SCRIPT], { env: { NODE: process.execPath, CLI: BIN } });
    // The Ctrl-C comes 2 s after the keyring stopped; the keychain's deadline (9 s) would come past 8 s. Nothing stored: the key deleted before is still missing (exit 3).
    expectPlanRunsCancelled(r, 7_000);
  }, 120_000);
});
