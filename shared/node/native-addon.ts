// The package's native addon (native/spawn, built by scripts/build-native.mjs): exec's posix_spawn
// (exec/native-spawn.ts) and the keychain's D-Bus socket (secrets/dbus/bus-socket.ts). Linux only; loaded once, and
// never required: without it each part does as it did before it (Node's spawn, node:net).
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the addon exports (a part absent from an addon built before it is optional). */
export interface NativeAddon {
  /** The child's pid, or -errno when it could not be started. */
  spawn(file: string, args: readonly string[], env: readonly string[], fds: readonly [number, number, number], onExit: () => void): number;
  /** The exited child's exit code, or -(its signal's number). */
  reap(pid: number): number;
  /** A new pipe's [read end, write end], both close-on-exec, or -errno. */
  pipe?(): [number, number] | number;
  /** A connected Unix stream socket (see native/spawn/socket.c); throws an Error with `code` when it cannot connect. */
  socketConnect?(address: Buffer, onEvent: (kind: number, value: Buffer | string | undefined) => void): object;
  /** 0, or -errno: what the socket does not take now is sent when it can. */
  socketWrite?(handle: object, data: Buffer): number;
  socketRef?(handle: object, keep: boolean): void;
  socketClose?(handle: object): void;
  /** A handle as socketConnect's over `fd` (a pipe's read end), which it then owns; throws, the fd still the caller's, when it cannot. */
  socketAdopt?(fd: number, onEvent: (kind: number, value: Buffer | string | undefined) => void): object;
  /** Stops reading the handle (true) or reads again (false). */
  socketPause?(handle: object, paused: boolean): void;
}

/** Where the addon is built, from the package's root. */
const ADDON = join('native', 'spawn', 'build', 'Release', 'cpw_spawn.node');

let addon: NativeAddon | null | undefined;

/**
 * The package's root, from the folder of the code running: dist/ (the CLI's and the library's bundles), dist/app/ (the
 * app's main process) or shared/node/ (the sources, under test). Undefined anywhere else: never a folder above the
 * package (an addon looked for there, in /tmp say, could be one any user planted, then run as this user).
 */
export function packageRoot(here: string): string | undefined {
  if (basename(here) === 'dist') return dirname(here);
  if (basename(here) === 'app' && basename(dirname(here)) === 'dist') return dirname(dirname(here));
  if (basename(here) === 'node' && basename(dirname(here)) === 'shared') return dirname(dirname(here));
  return undefined;
}

/** The addon, on Linux, when built and loadable here; undefined otherwise. */
export function nativeAddon(): NativeAddon | undefined {
  if (addon === undefined) {
    addon = null;
    // Its own file: __filename where the bundle has one (CommonJS, and the ESM library's banner), where import.meta.url
    // would cost the CommonJS bundle node:url's pathToFileURL (~0.7 ms of each exec); the URL otherwise.
    const root = process.platform === 'linux' ? packageRoot(dirname(typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url))) : undefined;
    const path = root && join(root, ADDON);
    if (path && existsSync(path)) {
      try {
        // process.dlopen, as require does for a .node file, without loading node:module (~0.5 ms of each exec).
        const module = { exports: {} };
        process.dlopen(module, path);
        addon = module.exports as NativeAddon;
      } catch {
        // built for another Node or system: without it
      }
    }
  }
  return addon ?? undefined;
}
