// Ctrl-C while export waits for a keychain that stopped answering (as when an unlock prompt hangs): export ends
// cancelled (exit 130) at once, saying so, no file written. With no signal listener around its keychain reads, the
// signal's default action ended the process: exit 130 and not a word of what became of the export.
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { inPrivateSession, UNTIL_ON_BUS } from '../helpers/private-session';

// The daemon that owns org.freedesktop.secrets on this private session's bus: its own, never another test's.
const SCRIPT = `set -u
printf 'hf_%s' "$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \\n')" | "$NODE" "$CLI" set huggingface token 2>/dev/null || exit 11
printf 'export file passphrase\\n' > pass && chmod 600 pass
daemon=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets | sed 's/.* \\([0-9]*\\),)$/\\1/')
kill -STOP "$daemon"
"$NODE" "$CLI" export --to out.age --passphrase-file pass >out.txt 2>err.txt & pid=$!
${UNTIL_ON_BUS}
sleep 1.5
kill -INT $pid
wait $pid; code=$?
kill -CONT "$daemon"
echo "{\\"code\\": $code, \\"ms\\": $(( ($(date +%s%N) - start) / 1000000 )), \\"stdout\\": \\"$(tr -d '\\n"' < out.txt)\\", \\"stderr\\": \\"$(tr -d '\\n"' < err.txt)\\", \\"file\\": $(test -e out.age && echo true || echo false)}"
`;

describe('Ctrl-C while export waits for the keychain', () => {
  it('ends the command cancelled (exit 130) at once, says so, writes no export file', async () => {
    const r = await inPrivateSession('unlocked', ['bash', '-c', SCRIPT], { env: { NODE: process.execPath, CLI: BIN } });
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as { code: number; ms: number; stdout: string; stderr: string; file: boolean };
    expect({ code: run.code, stdout: run.stdout, file: run.file }).toEqual({ code: 130, stdout: '', file: false });
    expect(run.stderr).toMatch(/^cancelled: nothing changed/);
    expect(run.stderr).not.toMatch(/KEYCHAIN_TIMEOUT|Exported|Encrypting/);
    // Not held until the keychain's deadline (9.3 s from the start): the Ctrl-C came 1.5 s in.
    expect(run.ms).toBeLessThan(7_000);
  }, 60_000);
});
