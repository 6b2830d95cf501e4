import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KeychainReason } from '../../core/secret-store';

/** What the Secret Service says about itself, found out for real over D-Bus. */
export type SecretServiceState = 'ready' | 'no-default-collection' | KeychainReason;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * True when this environment has a session bus to talk to: an explicit
 * address, the systemd user bus socket, or a display D-Bus can autolaunch on.
 * Pure file/env checks: costs no process.
 */
export function hasSessionBus(env: Env): boolean {
  if (env['DBUS_SESSION_BUS_ADDRESS']) return true;
  if (env['XDG_RUNTIME_DIR'] && existsSync(join(env['XDG_RUNTIME_DIR'], 'bus'))) return true;
  return !!env['DISPLAY'];
}

async function dbusSend(args: string[], env: Env, timeoutMs: number): Promise<{ ok: boolean; out: string }> {
  // Loaded here, not at start-up: the probe only runs when keytar found nothing or failed.
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile('dbus-send', ['--session', '--print-reply', `--reply-timeout=${timeoutMs}`, ...args], { env: env as NodeJS.ProcessEnv, timeout: timeoutMs + 500 }, (err, stdout, stderr) => {
      resolve({ ok: !err, out: `${stdout}${stderr}` });
    });
  });
}

/**
 * Asks the Secret Service, over D-Bus, whether it exists and whether its
 * default collection is locked. keytar cannot tell: a locked collection reads
 * as "no such item". Uses `dbus-send`, which ships with D-Bus itself, so it
 * is there wherever a session bus is (and costs nothing on the hot path:
 * only called when keytar returned nothing or failed).
 */
export async function probeSecretService(env: Env, timeoutMs = 3000): Promise<SecretServiceState> {
  if (process.platform !== 'linux') return 'ready';
  if (!hasSessionBus(env)) return 'KEYCHAIN_UNAVAILABLE';
  const owner = await dbusSend(['--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'], env, timeoutMs);
  if (!owner.ok) return /NoReply|Timeout/i.test(owner.out) ? 'KEYCHAIN_TIMEOUT' : 'KEYCHAIN_UNAVAILABLE';
  if (!/boolean true/.test(owner.out)) {
    const activatable = await dbusSend(['--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.ListActivatableNames'], env, timeoutMs);
    if (!/"org\.freedesktop\.secrets"/.test(activatable.out)) return 'KEYCHAIN_NO_PROVIDER';
  }
  const locked = await dbusSend(
    ['--dest=org.freedesktop.secrets', '/org/freedesktop/secrets/aliases/default', 'org.freedesktop.DBus.Properties.Get', 'string:org.freedesktop.Secret.Collection', 'string:Locked'],
    env,
    timeoutMs,
  );
  if (/boolean true/.test(locked.out)) return 'KEYCHAIN_LOCKED';
  if (/boolean false/.test(locked.out)) return 'ready';
  if (/NoReply|Timeout/i.test(locked.out)) return 'KEYCHAIN_TIMEOUT';
  if (/UnknownObject|No such object|UnknownMethod|NoSuchObject/i.test(locked.out)) return 'no-default-collection';
  if (/ServiceUnknown/i.test(locked.out)) return 'KEYCHAIN_NO_PROVIDER';
  return 'KEYCHAIN_ERROR';
}
