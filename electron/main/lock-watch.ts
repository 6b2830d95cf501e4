/**
 * Main's watch on the vault file's lock state: its unlock agent starting or stopping wherever that was done. The app
 * learnt of it only when one of its own calls failed: after `cpw-vault lock` in a terminal, Credentials and Workflows
 * went on showing the vault open until an action failed; after `cpw-vault unlock`, the full-screen unlock form stayed
 * and asked for the passphrase again.
 *
 * An agent listens on a socket file in a private folder (socket-dir.ts) and removes it when it stops, so the folder
 * is watched (a file watch, no polling: one event when the socket comes or goes). One thing changes no file: an agent
 * killed by -9 leaves its socket behind, no longer listened on. A check every few seconds finds that (and any change
 * a file watch missed: a full inotify table, a file system without events). It reads only which sockets are
 * listened on (/proc/net/unix, where there is one), never connects to an agent nor asks the keychain: cheap enough to
 * run for as long as the window is open, and a stopped agent cannot make it hang.
 *
 * The window is told only that something changed, never what: it asks main again through its usual calls.
 */
import { dirname } from 'node:path';
import { agentSocketPaths, socketDirRefusal } from '../../shared/node/agent/socket-dir';
import { socketsListening } from '../../shared/node/agent/silent-agent';
import { vaultFilesFor } from '../../shared/node/secrets/vault-files';
import { watchProfile } from '../../shared/node/profile/watch';

/** How often the sockets are checked besides the file watch: "a few seconds" for a kill -9 or a missed file event. */
export const LOCK_RECHECK_MS = 5_000;

/** Quiet time after a socket file changes: its bind and listen are one change. */
const DEBOUNCE_MS = 150;

/** What the lock watch reads. */
export interface LockWatchDeps {
  vault: { readonly profilePath: string };
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The socket paths an unlock agent of this profile's vault file may listen on: the name of the identity file as it
 * really is, and as spelled (an agent an older cpw-vault started through a linked folder), in the agent folder.
 */
function agentSockets(deps: LockWatchDeps): string[] {
  return agentSocketPaths(vaultFilesFor(deps.vault.profilePath).identity, deps.env);
}

/**
 * Which of the sockets are listened on, as one comparable string; never a throw (this runs in main's timers). One
 * read of the socket table: a check read it once per socket and twice more, ~4 reads every 5 s for a profile reached
 * through a linked folder, each holding main's event loop (8 ms for 5,000 sockets, 34 ms for 19,000). A socket in a
 * folder not the user's own is none (see ownFolder): /proc/net/unix lists theirs too, and one they listened on and
 * closed in turn made the window read everything again at each check.
 */
function listening(deps: LockWatchDeps): string {
  try {
    const sockets = agentSockets(deps);
    return socketsListening(sockets).map((on, i) => (on && ownFolder(dirname(sockets[i]!)) ? '1' : '0')).join('');
  } catch {
    return 'unknown';
  }
}

/**
 * Whether socket folder `dir` may hold an agent of ours (see socketDirRefusal): under a world-writable
 * XDG_RUNTIME_DIR, another user can put a link to a folder of theirs in its place, where no agent of ours ever
 * listens; the watch followed it, and each file they touched there made the window read everything again (~7 times a
 * second, for as long as they liked).
 */
function ownFolder(dir: string): boolean {
  try {
    return !socketDirRefusal(dir);
  } catch {
    return false;
  }
}

/**
 * Calls `onChange` when an unlock agent of the vault file starts or stops, by any process. Returns the function that
 * stops watching (the window closed). `recheckMs`: the periodic check's interval (tests shorten it).
 */
export function watchVaultLock(deps: LockWatchDeps, onChange: () => void, recheckMs = LOCK_RECHECK_MS): () => void {
  let last = listening(deps);
  const check = (always: boolean) => {
    const now = listening(deps);
    // A socket file that came or went is reported even when /proc/net/unix does not show it yet (bound, not yet
    // listening): the window's read settles it, and the next check reports the listen once it shows.
    if (!always && now === last) return;
    last = now;
    onChange();
  };
  // Each socket's folder is watched (watchProfile): a socket folder not there yet (no unlock so far) is looked for
  // until the first unlock makes it.
  let sockets: string[] = [];
  try {
    sockets = agentSockets(deps);
  } catch {
    // No socket folder can be named (an unsafe XDG_RUNTIME_DIR): the periodic check still runs.
  }
  const watches = sockets.map((path) => watchProfile(path, () => ownFolder(dirname(path)) && check(true), DEBOUNCE_MS));
  const timer = setInterval(() => check(false), recheckMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    watches.forEach((stop) => stop());
  };
}
