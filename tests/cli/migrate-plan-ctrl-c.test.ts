// Ctrl-C while migrate waits for the keychain (one that stopped answering, as when an unlock prompt hangs): the
// command ends cancelled (exit 130), nothing changed. It said KEYCHAIN_TIMEOUT (exit 4) once the keychain's deadline
// passed, as if the user had not asked to stop, and a --dry-run whose plan read was slow printed the plan, exit 0.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { inPrivateSession, UNTIL_ON_BUS } from '../helpers/private-session';

// The daemon that owns org.freedesktop.secrets on this private session's bus: its own, never another test's.
const SCRIPT = `set -u
printf 'OPENAI_API_KEY=sk-%s\\n' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \\n')" > .env && chmod 600 .env
daemon=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets | sed 's/.* \\([0-9]*\\),)$/\\1/')
kill -STOP "$daemon"
for args in "--dry-run" "--yes"; do
  "$NODE" "$CLI" migrate --from .env $args >/dev/null 2>err.txt & pid=$!
  ${UNTIL_ON_BUS}
  sleep 1.5
  kill -INT $pid
  wait $pid; code=$?
  echo "{\\"args\\": \\"$args\\", \\"code\\": $code, \\"ms\\": $(( ($(date +%s%N) - start) / 1000000 )), \\"stderr\\": \\"$(tr -d '\\n"' < err.txt)\\"}"
done
kill -CONT "$daemon"
`;

describe('Ctrl-C while migrate reads the keychain for its plan', () => {
  it('ends the command cancelled (exit 130), nothing changed, no plan printed: not a KEYCHAIN_TIMEOUT after the deadline', async () => {
    const r = await inPrivateSession('unlocked', ['bash', '-c', SCRIPT], { env: { NODE: process.execPath, CLI: BIN } });
    expect(r.code, r.stderr).toBe(0);
    const runs = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { args: string; code: number; ms: number; stderr: string });
    expect(runs.map((x) => x.args)).toEqual(['--dry-run', '--yes']);
    for (const run of runs) {
      expect({ args: run.args, code: run.code, stderr: run.stderr }).toEqual({ args: run.args, code: 130, stderr: expect.stringContaining('cancelled: nothing changed') });
      expect(run.stderr).not.toMatch(/KEYCHAIN_TIMEOUT|Plan for/);
      // Opening the vault still waits for its own keychain call (up to the 9.3 s deadline, from the process's start); the
      // plan's read no longer does. Bounded with room for a loaded machine's exit: not the keychain's deadline twice.
      expect(run.ms, run.args).toBeLessThan(14_000);
    }
    expect(readdirSync(r.home.cwd).filter((f) => f.includes('backup'))).toEqual([]);
    expect(existsSync(join(r.home.cwd, '.env'))).toBe(true);
  }, 60_000);
});
