// gnome-keyring-daemon aborts on an assertion when a client leaves while its
// request waits in the daemon's queue (gkd_secret_service_get_pkcs11_session:
// assertion 'client' failed: an upstream bug). The tests that SIGKILL cpw-vault
// hundreds of times mid-request hit it now and then; the harness's keeper
// (scripts/throwaway-keyring.mjs) then starts the daemon again, unlocked, and
// counts the restart. A test body that failed while the daemon was restarted
// under it runs again, fresh; any other failure is the test's own.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const LOG = join(process.env['XDG_RUNTIME_DIR'] ?? tmpdir(), 'cpw-vault-keyring-restarts');
/** Longest wait for the keeper to count a dead daemon (milliseconds, seconds on a loaded machine), then for the new one to answer. */
const NOTICE_MS = 10_000;
const SETTLE_MS = 20_000;

/** How many times the keeper has restarted the daemon in this session. */
export function keyringRestarts(log = LOG): number {
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pid of the process that owns the Secret Service name now, if any. */
function secretsOwner(): number | undefined {
  const r = spawnSync('gdbus', ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.GetConnectionUnixProcessID', 'org.freedesktop.secrets'], { encoding: 'utf8', timeout: 5000 });
  const pid = /uint32 (\d+)/.exec(r.stdout ?? '')?.[1];
  return pid ? Number(pid) : undefined;
}

/**
 * Whether the daemon was restarted since `count` (waiting a moment for the keeper to notice), or another one than
 * `owner` answers now (one D-Bus started, or one the keeper started past its restart limit), and then answers again.
 */
async function restartedSince(count: number, owner: number | undefined, log: string): Promise<boolean> {
  const noticed = Date.now() + NOTICE_MS;
  while (keyringRestarts(log) === count) {
    const now = secretsOwner();
    if (owner !== undefined && now !== undefined && now !== owner) break;
    if (Date.now() > noticed) return false;
    await sleep(100);
  }
  const until = Date.now() + SETTLE_MS;
  while (Date.now() < until) {
    const probe = spawnSync('secret-tool', ['lookup', 'service', 'cpw-vault-probe', 'account', 'probe'], { encoding: 'utf8', timeout: 5000 });
    if (probe.stdout === 'ok') return true;
    await sleep(100);
  }
  return true;
}

/**
 * Runs `body`; when it fails and the keyring daemon was restarted (or replaced) meanwhile
 * (its abort, not cpw-vault's), runs it again (at most `attempts` times in
 * all), saying so on stderr. A failure with no restart is thrown as is.
 */
export async function againIfKeyringRestarted<T>(label: string, body: () => Promise<T>, attempts = 3, log = LOG): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const before = keyringRestarts(log);
    const owner = secretsOwner();
    try {
      return await body();
    } catch (err) {
      if (attempt >= attempts || !(await restartedSince(before, owner, log))) throw err;
      process.stderr.write(`${label}: gnome-keyring-daemon was restarted under attempt ${attempt} (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); running it again\n`);
    }
  }
}
