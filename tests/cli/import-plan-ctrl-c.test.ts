// Ctrl-C while import reads the keychain for its plan (a keychain that stopped answering after the vault opened, as when
// an unlock prompt hangs): the command ends cancelled (exit 130), nothing changed, no plan printed. It was held until the
// keychain's deadline, then said KEYCHAIN_TIMEOUT (exit 4), as if the user had not asked to stop.
import { describe, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { expectPlanRunsCancelled, PLAN_RUN } from '../helpers/plan-ctrl-c';
import { inPrivateSession } from '../helpers/private-session';

// The keyring is stopped at the instant the plan starts, the export decrypted (PLAN_RUN says how).
const SCRIPT = `set -u
cli() { "$NODE" "$CLI" "$@"; }
printf 'export file passphrase\\n' > pass && chmod 600 pass
printf 'sk-%s' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \\n')" | cli set openai api_key 2>/dev/null
cli export --to v.age --passphrase-file pass 2>/dev/null || exit 11
cli delete openai api_key --yes 2>/dev/null || exit 12
${PLAN_RUN}
for args in "--dry-run" "--yes"; do plan_run import v.age $args --passphrase-file pass; done
cli which openai api_key >/dev/null 2>&1; echo "{\\"which\\": $?}"
`;

describe('Ctrl-C while import reads the keychain for its plan', () => {
  it('ends the command cancelled (exit 130), nothing imported, no plan printed: not a KEYCHAIN_TIMEOUT after the deadline', async () => {
    const r = await inPrivateSession('unlocked', ['bash', '-c', SCRIPT], { env: { NODE: process.execPath, CLI: BIN } });
    // The Ctrl-C comes 2 s after the keyring stopped; the keychain's deadline (9 s) would come past 8 s. Nothing stored: the key deleted before is still missing (exit 3).
    expectPlanRunsCancelled(r, 7_000);
  }, 90_000);
});
