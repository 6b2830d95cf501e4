import { existsSync } from 'node:fs';
import { join } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * A value of the address with its %-escapes decoded; '' (no usable value: the entry is skipped, as one of another
 * transport is) for a malformed escape, which threw URIError out of the keychain's first call ("[INTERNAL] ... a bug").
 */
function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}

/**
 * The session bus socket: DBUS_SESSION_BUS_ADDRESS (unix:path / unix:abstract,
 * the first usable of a ';' list), else the systemd user bus at
 * $XDG_RUNTIME_DIR/bus. Undefined when there is none (no desktop session).
 */
export function sessionBusPath(env: Env): string | undefined {
  const address = env['DBUS_SESSION_BUS_ADDRESS'];
  if (address) {
    for (const entry of address.split(';')) {
      const colon = entry.indexOf(':');
      if (entry.slice(0, colon) !== 'unix') continue;
      const params = new Map(entry.slice(colon + 1).split(',').map((kv) => {
        const eq = kv.indexOf('=');
        return [kv.slice(0, eq), decoded(kv.slice(eq + 1))] as const;
      }));
      if (params.get('path')) return params.get('path');
      // Linux abstract socket namespace: Node connects to it with a leading NUL.
      if (params.get('abstract')) return `\0${params.get('abstract')}`;
    }
    return undefined;
  }
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime && existsSync(join(runtime, 'bus'))) return join(runtime, 'bus');
  return undefined;
}

/**
 * sockaddr_un's sun_path on Linux: 108 bytes. A path needs its ending NUL among them (node:net cut a longer one to 107
 * bytes and connected to whatever file those name; the addon's socket refused it, EINVAL); an abstract name (its
 * leading NUL counted here) has none.
 */
const SUN_PATH = 108;

/** The bytes the socket `path` (see {@link sessionBusPath}) takes and the most a Unix socket's address holds, when it does not fit. */
export function busPathOverflow(path: string): { bytes: number; room: number } | undefined {
  const bytes = Buffer.byteLength(path, 'utf8');
  const room = path.startsWith('\0') ? SUN_PATH : SUN_PATH - 1;
  return bytes > room ? { bytes, room } : undefined;
}
