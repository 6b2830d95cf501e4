// The Node library in a long-running stage whose keychain daemon restarts under it: gnome-keyring aborts now and then
// (its upstream assertion, see the README) and the desktop session starts it again; a logout and login does the same.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { inPrivateSession, START_KEYRING } from '../helpers/private-session';
import { makeTempHome } from '../helpers/temp';

const LIBRARY = resolve(import.meta.dirname, '../../dist/index.mjs');
const TMDB = '0123456789abcdef0123456789abcdef';
const HF = `hf_${'R3st'.repeat(9)}`;

// Reads tmdb.api_key once per line on stdin and answers its length or the error's code: never a value.
const STAGE = `
  import { getCredential, workflowEnv } from ${JSON.stringify(LIBRARY)};
  import { createInterface } from 'node:readline';
  for await (const line of createInterface({ input: process.stdin })) {
    const read = line === 'env' ? async () => (await workflowEnv('subtitle')).TMDB_API_KEY : async () => (await getCredential('tmdb', 'api_key')).value;
    try { process.stdout.write(\`\${(await read()).length}\\n\`); } catch (e) { process.stdout.write(\`\${e.code}\\n\`); }
  }
`;

// In the private session: the stage as a coprocess, asked once; this session's gnome-keyring-daemon (found by its
// bus address, never by name alone) stopped and waited for, started again unlocked; the stage asked again.
const RESTART = `
coproc STAGE { ${JSON.stringify(process.execPath)} --input-type=module -e "$STAGE_SCRIPT"; }
ask() { echo "$1" >&\${STAGE[1]}; read -r answer <&\${STAGE[0]}; echo "$answer"; }
ask get
pid=
for p in $(pgrep -x gnome-keyring-d); do
  tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep -qxF "DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS" && pid=$p
done
[ -n "$pid" ] || { echo "no keyring daemon of this session" >&2; exit 9; }
kill "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
${START_KEYRING}
secret-tool lookup service cp-whisperx-test account tmdb.api_key >/dev/null || { echo "the value did not survive the restart" >&2; exit 9; }
ask get
ask env
ask get
exec {STAGE[1]}>&-
wait
`;

describe('the Node library when the keychain daemon restarts', () => {
  // The store kept the transfer session it had opened: the new daemon answered every read with NoSession, and the
  // stage failed with KEYCHAIN_ERROR until it was restarted, while the CLI read the same value.
  it('a long-running stage reads its key again once the restarted keychain answers, without a restart of its own', async () => {
    const t = makeTempHome();
    const cliLine = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`;
    const r = await inPrivateSession('unlocked', ['bash', '-c', RESTART], {
      home: t,
      env: { STAGE_SCRIPT: STAGE },
      setup: [`printf ${TMDB} | ${cliLine} set tmdb api_key`, `printf ${HF} | ${cliLine} set huggingface token`].map((c) => `${c} >/dev/null 2>&1`).join('\n'),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${TMDB.length}\n${TMDB.length}\n${TMDB.length}\n${TMDB.length}\n`);
    expect(`${r.stdout}${r.stderr}`).not.toContain(TMDB);
    expect(`${r.stdout}${r.stderr}`).not.toContain(HF);
  }, 120_000);
});
