import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { collect, fixture, type ChildResult } from './children';
import { makeTempHome, type TempHome } from './temp';

/** The keychain situation a child process runs in. */
export type KeyringState = 'unlocked' | 'locked' | 'no-provider' | 'no-bus';

/** A session bus config with no service directories: nothing can be activated, so no Secret Service. */
export function noServiceConfig(dir: string): string {
  const file = join(dir, 'no-services.conf');
  writeFileSync(file, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:tmpdir=${dir}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>\n`);
  return file;
}

/** Starts an unlocked gnome-keyring in the session; waits for it to own its name before the first request, so D-Bus never activates a second one. */
export const START_KEYRING = `printf 'private-pw' | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
for i in $(seq 1 200); do gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.NameHasOwner org.freedesktop.secrets 2>/dev/null | grep -q true && break; sleep 0.05; done
for i in $(seq 1 100); do printf ok | secret-tool store --label=probe service cpw-probe account probe 2>/dev/null && break; sleep 0.1; done`;
/**
 * Waits (in a test's bash script) until the command started as `$pid` has connected to the session bus (its first
 * keychain request: its signal listeners are on by then), or has ended. A Ctrl-C timed from the command's start met a
 * loaded machine's slow start-up instead. Then `start` is set, for the time from there.
 */
export const UNTIL_ON_BUS = `until ! kill -0 $pid 2>/dev/null || ls -l /proc/$pid/fd 2>/dev/null | grep -q socket; do sleep 0.01; done; start=$(date +%s%N)`;
/** Locks the session's default collection (gnome-keyring's login). */
export const LOCK_KEYCHAIN = `gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets --method org.freedesktop.Secret.Service.Lock "['/org/freedesktop/secrets/aliases/default']" >/dev/null`;

/**
 * Runs a command in its own throwaway D-Bus session (so locking a collection
 * never disturbs other tests), with its own HOME and keyring. `setup` runs in
 * that session first (e.g. to store a value before locking).
 */
export function inPrivateSession(
  state: KeyringState,
  command: string[],
  options: { input?: string; env?: Record<string, string>; home?: TempHome; setup?: string } = {},
): Promise<ChildResult & { home: TempHome }> {
  const home = options.home ?? makeTempHome();
  const child = inPrivateSessionSpawn(state, command, { ...options, home });
  return collect(child, options.input ?? '').then((r) => ({ ...r, home }));
}

/** Like inPrivateSession, but returns the running child (stdin/stdout piped, stderr inherited). */
export function inPrivateSessionSpawn(state: KeyringState, command: string[], options: { env?: Record<string, string>; home: TempHome; setup?: string }): ChildProcess {
  const home = options.home;
  const data = join(home.root, 'xdg-data');
  const run = join(home.root, 'xdg-run');
  mkdirSync(data, { recursive: true });
  mkdirSync(run, { recursive: true });
  chmodSync(run, 0o700);
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home.home,
    XDG_DATA_HOME: data,
    XDG_RUNTIME_DIR: run,
    CPW_KEYCHAIN_SERVICE: 'cp-whisperx-test',
    ...options.env,
  };
  const quoted = command.map((c) => `'${c.replace(/'/g, `'\\''`)}'`).join(' ');
  let argv: string[];
  if (state === 'no-bus') {
    argv = ['bash', '-c', `exec ${quoted}`];
  } else {
    const config = state === 'no-provider' ? ['--config-file', noServiceConfig(home.root)] : [];
    const prepare = state === 'no-provider' ? '' : `${START_KEYRING}\n${options.setup ?? ''}\n${state === 'locked' ? LOCK_KEYCHAIN : ''}`;
    argv = ['dbus-run-session', ...config, '--', 'bash', '-c', `${prepare}\nexec ${quoted}`];
  }
  return spawn(argv[0]!, argv.slice(1), { env, cwd: home.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs the vault-op fixture in a private session. */
export function vaultOp(state: KeyringState, request: Record<string, unknown>, options: Parameters<typeof inPrivateSession>[2] = {}) {
  return inPrivateSession(state, [process.execPath, fixture('vault-op')], { ...options, input: JSON.stringify(request) });
}
