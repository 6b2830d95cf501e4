// Ctrl-C while team pull reads the keychain for its plan (a keychain that stopped answering, as when an unlock prompt
// hangs): the command ends cancelled (exit 130), nothing pulled, no plan printed. It was held until the keychain's
// deadline, then said KEYCHAIN_TIMEOUT (exit 4), as if the user had not asked to stop.
import { describe, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { expectPlanRunsCancelled, PLAN_RUN } from '../helpers/plan-ctrl-c';
import { inPrivateSession } from '../helpers/private-session';

// The keyring is stopped at the instant the plan starts (PLAN_RUN says how).
const SCRIPT = `set -u
cli() { "$NODE" "$CLI" "$@"; }
age-keygen -o id.txt 2>/dev/null && chmod 600 id.txt || exit 10
printf '0123456789abcdef0123456789abcdef' | cli set tmdb api_key 2>/dev/null || exit 11
cli team init --file team.age --identity-file id.txt --name alice --add tmdb.api_key >/dev/null 2>&1 || exit 12
cli delete tmdb api_key --yes >/dev/null 2>&1 || exit 13
${PLAN_RUN}
for args in "--dry-run" "--yes"; do plan_run team pull $args --file team.age --identity-file id.txt; done
cli which tmdb api_key >/dev/null 2>&1; echo "{\\"which\\": $?}"
`;

describe('Ctrl-C while team pull reads the keychain for its plan', () => {
  it('ends the command cancelled (exit 130), nothing pulled, no plan printed: not a KEYCHAIN_TIMEOUT after the deadline', async () => {
    const r = await inPrivateSession('unlocked', ['bash', '-c', SCRIPT], { env: { NODE: process.execPath, CLI: BIN } });
    // The Ctrl-C comes 2 s after the keyring stopped; the keychain's deadline (9 s) would come past 8 s. Nothing stored: the key deleted before is still missing (exit 3).
    expectPlanRunsCancelled(r, 7_000);
  }, 120_000);
});
