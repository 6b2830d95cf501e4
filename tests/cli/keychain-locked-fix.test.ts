// The fix line of a locked gnome-keyring said "run: gnome-keyring-daemon --unlock --components=secrets (type the
// password, then Ctrl-D)". With the daemon running (it always is when its keyring is locked: D-Bus started it), that
// command ends at once and leaves the keyring locked: the user typed the password and got the same error again.
// Here the fix's command is run as written, the password typed on its stdin, and the same `get` is tried again.
import { expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { inPrivateSession } from '../helpers/private-session';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'LockedFix1'.repeat(4)}`;

it('the fix of a locked keyring names a shell command that unlocks it, run as written', async () => {
  const t = makeTempHome();
  const cpw = `'${process.execPath}' '${BIN}'`;
  const seed = `printf %s '${HF}' | ${cpw} set huggingface token`;
  // The command after "run: " in the fix line, up to " (type"; the keyring's password is START_KEYRING's.
  const script = [
    `${cpw} get huggingface token 2>"$HOME/first.err"; echo "first exit $?"`,
    `command=$(sed -n 's/.*run: \\(.*\\) (type.*/\\1/p' "$HOME/first.err" | head -n 1)`,
    `echo "command: $command"`,
    `printf private-pw | bash -c "$command" >/dev/null 2>&1`,
    `for i in $(seq 1 100); do gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets/aliases/default --method org.freedesktop.DBus.Properties.Get org.freedesktop.Secret.Collection Locked | grep -q false && break; sleep 0.1; done`,
    `${cpw} get huggingface token; status=$?; echo; echo "second exit $status"`,
    `cat "$HOME/first.err" >&2`,
  ].join('\n');
  const r = await inPrivateSession('locked', ['bash', '-c', script], { home: t, setup: seed });
  expect(r.stderr).toMatch(/KEYCHAIN_LOCKED/);
  expect(r.stdout).toMatch(/^first exit 4$/m);
  expect(r.stdout).toMatch(/^command: gnome-keyring-daemon .*--unlock/m);
  expect(r.stdout).toContain(`${HF}\nsecond exit 0`);
}, 60_000);
