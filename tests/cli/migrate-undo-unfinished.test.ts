// A migrate whose keychain stops answering mid-apply (kill -STOP of the keyring daemon): the write fails, and so does
// its undo. Its plaintext backup of the source is then left on disk until the next start finishes the undo; the summary
// said "Keep .env" and never named that backup, a second plaintext copy of every key.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { inPrivateSession } from '../helpers/private-session';

// The daemon that owns org.freedesktop.secrets on this private session's bus: its own, never another test's.
const SCRIPT = `set -u
for i in $(seq 1 40); do printf 'SVC%02d_TOKEN=tok-%s\\n' $i "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n')"; done > .env && chmod 600 .env
daemon=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets | sed 's/.* \\([0-9]*\\),)$/\\1/')
"$NODE" "$CLI" migrate --from .env --include-unknown --yes >/dev/null 2>err.txt & pid=$!
for i in $(seq 1 1000); do grep -q '^\\[5/' err.txt 2>/dev/null && break; sleep 0.02; done
kill -STOP "$daemon"
wait $pid; echo "migrate exit $?"
ls -a > files-after-migrate.txt
kill -CONT "$daemon"
"$NODE" "$CLI" list >/dev/null 2>list-err.txt; echo "list exit $?"
`;

describe('a migrate whose undo did not finish (the keychain stopped mid-apply)', () => {
  it('names the plaintext backup it leaves and says the next full start deletes it, which `list` then does', async () => {
    const r = await inPrivateSession('unlocked', ['bash', '-c', SCRIPT], { env: { NODE: process.execPath, CLI: BIN } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('migrate exit 1');
    const err = readFileSync(join(r.home.cwd, 'err.txt'), 'utf8');
    const backup = readFileSync(join(r.home.cwd, 'files-after-migrate.txt'), 'utf8').split('\n').find((f) => f.startsWith('.env.backup-'));
    expect(backup, err).toBeDefined();
    expect(err).toContain('the undo did not finish');
    // The backup is named, with what becomes of it: not "keep it" (the next start deletes it), and no rm line.
    expect(err).toContain(`Backup: ${join(r.home.cwd, backup!)} (0600) holds every key of .env in plaintext until the undo is finished:`);
    expect(err).toContain('deletes this backup');
    expect(err).toContain('Keep .env:');
    expect(err).not.toMatch(/Keep [^\n]*backup-|\brm\b/);
    // And so it does: the next command that opens the vault, once the keychain answers.
    expect(r.stdout).toContain('list exit 0');
    expect(readdirSync(r.home.cwd).filter((f) => f.includes('backup'))).toEqual([]);
    expect(existsSync(join(r.home.cwd, '.env'))).toBe(true);
  }, 90_000);
});
