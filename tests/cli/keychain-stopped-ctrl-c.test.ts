// Ctrl-C while a command that changes the vault (set, delete) waits for a keychain that stopped answering (as when
// an unlock prompt hangs), before it changed anything: it ends cancelled (exit 130), saying so, and nothing changed.
// With no signal listener while the vault was opened, the signal's default action ended the process: exit 130 and
// not a word of whether the key was stored or deleted.
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { inPrivateSession, UNTIL_ON_BUS } from '../helpers/private-session';

// The daemon that owns org.freedesktop.secrets on this private session's bus: its own, never another test's. Each
// command runs with it stopped, gets Ctrl-C 1.5 s in; then the daemon goes on and the vault is read back.
const SCRIPT = `set -u
old="hf_$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \\n')"
printf '%s' "$old" | "$NODE" "$CLI" set huggingface token 2>/dev/null || exit 11
daemon=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets | sed 's/.* \\([0-9]*\\),)$/\\1/')
interrupted() {
  kill -STOP "$daemon"
  printf 'sk-%s' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \\n')" | "$NODE" "$CLI" "$@" >out.txt 2>err.txt & pid=$!
  ${UNTIL_ON_BUS}
  sleep 1.5
  kill -INT $pid
  wait $pid; code=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  kill -CONT "$daemon"
  echo "{\\"command\\": \\"$1\\", \\"code\\": $code, \\"ms\\": $ms, \\"stdout\\": \\"$(tr -d '\\n"' < out.txt)\\", \\"stderr\\": \\"$(tr -d '\\n"' < err.txt)\\"}"
}
interrupted set openai api_key
interrupted delete huggingface token --yes
now=$("$NODE" "$CLI" get huggingface token 2>/dev/null)
echo "{\\"kept\\": $([ "$now" = "$old" ] && echo true || echo false), \\"openai\\": \\"$("$NODE" "$CLI" get openai api_key 2>&1 >/dev/null | head -c 40 | tr -d '\\n"')\\"}"
`;

describe('Ctrl-C while set or delete waits for a stopped keychain', () => {
  it('ends each cancelled (exit 130) at once, saying nothing changed; the key is neither stored nor deleted', async () => {
    const r = await inPrivateSession('unlocked', ['bash', '-c', SCRIPT], { env: { NODE: process.execPath, CLI: BIN } });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const runs = lines.filter((l) => 'command' in l) as { command: string; code: number; ms: number; stdout: string; stderr: string }[];
    expect(runs.map((x) => x.command)).toEqual(['set', 'delete']);
    for (const run of runs) {
      expect({ command: run.command, code: run.code, stdout: run.stdout }).toEqual({ command: run.command, code: 130, stdout: '' });
      expect(run.stderr, run.command).toMatch(/^cancelled: nothing changed/);
      expect(run.stderr, run.command).not.toMatch(/sk-|KEYCHAIN_TIMEOUT|Stored|Deleted|✓/);
      // Not held until the keychain's deadline: the Ctrl-C came 1.5 s in.
      expect(run.ms, run.command).toBeLessThan(7_000);
    }
    expect(lines.at(-1)).toEqual({ kept: true, openai: expect.stringMatching(/^error \[CREDENTIAL_MISSING\] openai\.api_ke/) });
  }, 90_000);
});
