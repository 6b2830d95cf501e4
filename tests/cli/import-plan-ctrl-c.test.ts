// Ctrl-C while import reads the keychain for its plan (a keychain that stopped answering after the vault opened, as when
// an unlock prompt hangs): the command ends cancelled (exit 130), nothing changed, no plan printed. It was held until the
// keychain's deadline, then said KEYCHAIN_TIMEOUT (exit 4), as if the user had not asked to stop.
import { describe, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { expectPlanRunsCancelled } from '../helpers/plan-ctrl-c';
import { inPrivateSession } from '../helpers/private-session';

// The passphrase comes through a FIFO the script holds, so the keyring is stopped once the vault is open (its status
// read) and before the plan reads it; the daemon is this private session's own, never another test's.
const SCRIPT = `set -u
cli() { "$NODE" "$CLI" "$@"; }
printf 'export file passphrase\\n' > pass && chmod 600 pass
printf 'sk-%s' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \\n')" | cli set openai api_key 2>/dev/null
cli export --to v.age --passphrase-file pass 2>/dev/null || exit 11
cli delete openai api_key --yes 2>/dev/null || exit 12
daemon=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets | sed 's/.* \\([0-9]*\\),)$/\\1/')
mkfifo fifo
for args in "--dry-run" "--yes"; do
  start=$(date +%s%N)
  "$NODE" "$CLI" import v.age $args --passphrase-fd 3 3<fifo >out.txt 2>err.txt & pid=$!
  exec 4>fifo
  sleep 2
  kill -STOP "$daemon"
  cat pass >&4; exec 4>&-
  sleep 3
  kill -INT $pid
  wait $pid; code=$?
  kill -CONT "$daemon"
  echo "{\\"args\\": \\"$args\\", \\"code\\": $code, \\"ms\\": $(( ($(date +%s%N) - start) / 1000000 )), \\"stdout\\": \\"$(tr -d '\\n"' < out.txt)\\", \\"stderr\\": \\"$(tr -d '\\n"' < err.txt)\\"}"
done
cli which openai api_key >/dev/null 2>&1; echo "{\\"which\\": $?}"
`;

describe('Ctrl-C while import reads the keychain for its plan', () => {
  it('ends the command cancelled (exit 130), nothing imported, no plan printed: not a KEYCHAIN_TIMEOUT after the deadline', async () => {
    const r = await inPrivateSession('unlocked', ['bash', '-c', SCRIPT], { env: { NODE: process.execPath, CLI: BIN } });
    // The Ctrl-C comes 5 s after the start; the keychain's deadline (9 s) would come past 10 s. Nothing stored: the key deleted before is still missing (exit 3).
    expectPlanRunsCancelled(r, 9_000);
  }, 90_000);
});
