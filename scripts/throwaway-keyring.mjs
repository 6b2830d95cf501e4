// A throwaway HOME, D-Bus session and unlocked gnome-keyring, shared by
// `npm test` and `npm run bench`, so neither ever touches a developer's real
// keyring or ~/.cp-whisperx.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const PASSWORD = 'throwaway-keyring-password\n';

/** System tools the keychain tests need (and age, for the vault file interop tests), with the Debian package providing each. */
export const TOOLS = [
  ['dbus-run-session', 'dbus'],
  ['dbus-send', 'dbus'],
  ['gnome-keyring-daemon', 'gnome-keyring'],
  ['secret-tool', 'libsecret-tools'],
  ['gdbus', 'libglib2.0-bin'],
  ['age', 'age'],
];

/** Tools missing from PATH, with their packages. */
export function missingTools() {
  return TOOLS.filter(([tool]) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0);
}

const CREDENTIAL_ENV = ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'PYANNOTE_API_TOKEN', 'TMDB_API_KEY', 'OPENAI_API_KEY', 'OPENAI_ORG_ID', 'ANTHROPIC_API_KEY', 'GOOGLE_API_KEY', 'GEMINI_API_KEY', 'YOUTUBE_API_KEY', 'VIMEO_ACCESS_TOKEN'];

/** A fresh temp root and an environment pointing HOME and XDG_* into it, with no outer bus or display. */
export function throwawayEnv(prefix, service) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const env = { ...process.env };
  for (const [name, sub] of Object.entries({ HOME: 'home', XDG_DATA_HOME: 'data', XDG_CONFIG_HOME: 'config', XDG_CACHE_HOME: 'cache', XDG_RUNTIME_DIR: 'run' })) {
    env[name] = join(root, sub);
    mkdirSync(env[name], { recursive: true, mode: 0o700 });
    chmodSync(env[name], 0o700);
  }
  // A prompt can never appear, and the only keyring reachable is the throwaway one.
  for (const v of ['DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'WAYLAND_DISPLAY', 'CPW_PROFILE', ...CREDENTIAL_ENV]) delete env[v];
  // Provider calls in tests go only where a test points them: no outer proxy or endpoint variable.
  for (const v of Object.keys(env)) if (/^(https?_proxy|all_proxy|no_proxy)$/i.test(v) || /^CPW_VAULT_ENDPOINT_|^(HF_ENDPOINT|OPENAI_BASE_URL|ANTHROPIC_BASE_URL|NODE_EXTRA_CA_CERTS|CPW_VAULT_BIN)$/.test(v)) delete env[v];
  env.CPW_KEYCHAIN_SERVICE = service;
  return { root, env };
}

/**
 * The session bus's configuration: the standard one, except that the bus
 * itself starts the keyring UNLOCKED when a call asks for it and none runs.
 * The standard activation file starts gnome-keyring-daemon locked: a call in
 * the instant between a daemon's death and the keeper's restart (below) got
 * that locked daemon, and a `secret-tool lookup` then waited for ever for an
 * unlock prompt nobody can answer (a CI run hung on it, its vitest worker
 * blocked in spawnSync). A servicedir listed before the standard ones wins.
 */
export function sessionConfig(dir) {
  mkdirSync(join(dir, 'services'), { recursive: true, mode: 0o700 });
  const start = join(dir, 'start-keyring.sh');
  writeFileSync(start, `#!/bin/sh\nprintf '%s\\n' '${PASSWORD.trim()}' | exec gnome-keyring-daemon --foreground --unlock --components=secrets\n`, { mode: 0o700 });
  writeFileSync(join(dir, 'services', 'org.freedesktop.secrets.service'), `[D-BUS Service]\nName=org.freedesktop.secrets\nExec=${start}\n`);
  const config = join(dir, 'session.conf');
  writeFileSync(config, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n<busconfig>\n  <servicedir>${join(dir, 'services')}</servicedir>\n  <include>/usr/share/dbus-1/session.conf</include>\n</busconfig>\n`);
  return config;
}

/** Re-runs `script --inside ...args` inside a private D-Bus session; resolves with its exit code. */
export function runInSession(script, args, env) {
  const config = sessionConfig(mkdtempSync(join(env.XDG_RUNTIME_DIR ?? tmpdir(), 'bus-')));
  const child = spawn('dbus-run-session', [`--config-file=${config}`, '--', process.execPath, script, '--inside', ...args], { env, stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
}

function ownsSecretsName() {
  const r = spawnSync('gdbus', ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.NameHasOwner', 'org.freedesktop.secrets'], { encoding: 'utf8', timeout: 5000 });
  return /true/.test(r.stdout ?? '');
}

/**
 * Restarts allowed in one session (a daemon that keeps dying is not hidden behind endless restarts). A full test run
 * SIGKILLs cpw-vault thousands of times mid-request: 5 was once used up, and the sixth death, no longer counted, failed
 * a test that would have run again. A test still runs again at most twice (tests/helpers/keyring-restarts.ts).
 */
const MAX_RESTARTS = 30;

/** Starts the daemon in the foreground (so its exit is seen), unlocked; `replace` takes over from any other. */
function launch(replace) {
  // Its own chatter (a warning per item re-registered under load) stays out of the test output; its exit does not.
  const daemon = spawn('gnome-keyring-daemon', ['--foreground', ...(replace ? ['--replace'] : []), '--unlock', '--components=secrets'], { stdio: ['pipe', 'ignore', 'ignore'] });
  daemon.stdin.end(PASSWORD);
  daemon.once('error', (err) => {
    process.stderr.write(`warning: gnome-keyring-daemon could not be started: ${err.message}\n`);
    process.exit(1);
  });
  return daemon;
}

/** Waits until the daemon owns its bus name and stores and reads a probe value. */
async function answering() {
  // Wait until the daemon owns its bus name: a request before that would make D-Bus start a second daemon,
  // and the two would hand the name over while tests run (seen as "UnknownMethod" answers).
  for (let i = 0; i < 200 && !ownsSecretsName(); i++) await sleep(50);
  for (let i = 0; i < 100; i++) {
    const store = spawnSync('secret-tool', ['store', '--label=cpw-vault probe', 'service', 'cpw-vault-probe', 'account', 'probe'], { input: 'ok', timeout: 5000 });
    const look = spawnSync('secret-tool', ['lookup', 'service', 'cpw-vault-probe', 'account', 'probe'], { timeout: 5000 });
    if (store.status === 0 && String(look.stdout) === 'ok') return;
    await sleep(100);
  }
  throw new Error('the throwaway gnome-keyring never answered on the session bus');
}

/** Where the keeper counts its restarts of the daemon (one line each), in the session's runtime folder. */
export function restartLog() {
  return join(process.env.XDG_RUNTIME_DIR ?? tmpdir(), 'cpw-vault-keyring-restarts');
}

/** True while the session bus answers (false once dbus-run-session has ended it). */
function busAnswers() {
  return spawnSync('gdbus', ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.GetId'], { stdio: 'ignore', timeout: 5000 }).status === 0;
}

/**
 * The keeper (a process of its own, so a parent busy in spawnSync, as the
 * bench is, never delays it): runs the daemon and, for as long as the
 * session bus lives, starts it again, unlocked, whenever it dies.
 */
function keepKeyring() {
  let restarts = 0;
  const keep = (daemon) =>
    daemon.once('exit', (code, signal) => {
      if (!busAnswers()) process.exit(0); // the session is over
      if (restarts++ >= MAX_RESTARTS) {
        process.stderr.write(`warning: the throwaway gnome-keyring-daemon exited (${signal ?? code}) again; not restarted (${MAX_RESTARTS} restarts already)\n`);
        process.exit(1);
      }
      process.stderr.write(`warning: the throwaway gnome-keyring-daemon exited (${signal ?? code}); started again, unlocked (a keychain call at that moment may have failed)\n`);
      // Counted where tests can see it (tests/helpers/keyring-restarts.ts): a test whose keychain went away under it may run again.
      try {
        appendFileSync(restartLog(), `${new Date().toISOString()} ${signal ?? code}\n`);
      } catch {
        // only a hint for the tests
      }
      keep(launch(true));
    });
  keep(launch(false));
}

/**
 * Inside the session: starts and unlocks the throwaway keyring, and waits
 * until it answers. For as long as the session lasts, a daemon that dies is
 * started again, unlocked, with a warning: left to D-Bus, the next keychain
 * call would start one that opens the keyring LOCKED, and every later test
 * would fail with "locked". gnome-keyring (42 here, 50 elsewhere) aborts on
 * an assertion when a client disconnects while its request waits in the
 * daemon's queue (gkd_secret_service_get_pkcs11_session: assertion 'client'
 * failed). Short-lived clients trigger it, whether killed mid-request (as
 * tests do) or just quick to leave: seen in a full run and in the bench.
 */
export async function startKeyring() {
  const keeper = spawn(process.execPath, [fileURLToPath(import.meta.url), '--keep-keyring'], { stdio: ['ignore', 'ignore', 'inherit'] });
  keeper.unref();
  await answering();
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--keep-keyring') keepKeyring();
