import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { procStatFields } from '../builtins';
import { AGENT_TITLE } from './protocol';

/** Linux's __SO_ACCEPTCON in /proc/net/unix: a listening socket. */
const LISTENING = 0x10000;

const uid = (): number | undefined => (typeof process.getuid === 'function' ? process.getuid() : undefined);

/**
 * Whether something listens on the Unix socket `path`, without connecting to
 * it (a stopped agent held a connect 5 s): /proc/net/unix on Linux, else
 * whether the socket file is there. A file an agent killed by -9 left is not
 * a listener.
 */
export function socketListening(path: string): boolean {
  return socketsListening([path])[0]!;
}

/**
 * {@link socketListening} for each of `paths`, from one read of /proc/net/unix: main's lock watch asks of two paths
 * every 5 s, and a read of a table of 5,000 sockets holds main's event loop about 8 ms (once per path, and twice more
 * to pick the folder, for a profile reached through a linked folder).
 */
export function socketsListening(paths: readonly string[]): boolean[] {
  const table = unixTable();
  if (table === undefined) return paths.map((path) => existsSync(path));
  const listening = listeningIn(table);
  return paths.map((path) => listening.some((s) => samePlace(s.path, path)));
}

/**
 * True when socket paths `a` and `b` name one socket: equal, or the same name
 * in one real folder. /proc/net/unix lists a socket under the path its agent
 * bound, spelled as that shell had XDG_RUNTIME_DIR or TMPDIR (through a link,
 * /var/run for /run, a trailing `/.`): compared as strings, a running agent
 * was "none" to a shell spelling it otherwise (list said the vault file was
 * locked; a stopped agent could not be ended).
 */
function samePlace(a: string, b: string): boolean {
  if (a === b) return true;
  if (basename(a) !== basename(b)) return false;
  const realDir = (p: string) => {
    try {
      return realpathSync(dirname(p));
    } catch {
      return undefined;
    }
  };
  const here = realDir(a);
  return here !== undefined && here === realDir(b);
}

function unixTable(): string | undefined {
  try {
    return readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return undefined;
  }
}

/** The listening Unix sockets of the system (Linux: /proc/net/unix), inode and path; none without /proc. */
function listeningSockets(): Array<{ inode: string; path: string }> {
  const table = unixTable();
  return table === undefined ? [] : listeningIn(table);
}

function listeningIn(table: string): Array<{ inode: string; path: string }> {
  // Num RefCount Protocol Flags Type St Inode Path: the path is the rest of the line (it may hold spaces).
  return table.split('\n').flatMap((line) => {
    const m = /^\S+:\s+\S+\s+\S+\s+([0-9A-Fa-f]+)\s+\S+\s+\S+\s+(\d+)\s(.*)$/.exec(line);
    return m && parseInt(m[1]!, 16) & LISTENING ? [{ inode: m[2]!, path: m[3]! }] : [];
  });
}

/** This user's processes titled cpw-vault-agent (their pids, from /proc); none without /proc. */
function ownAgents(): string[] {
  try {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid && isOwnAgent(name));
  } catch {
    return [];
  }
}

/**
 * Where this user's unlock agents of one vault listen besides `except`: the
 * sockets named one of `names` (named after the identity file, whatever the folder)
 * held by an agent of this user. An agent started under another TMPDIR or
 * XDG_RUNTIME_DIR (an ssh session, a tmux pane, another CI step) listens
 * where this shell does not look, and `lock` said "nothing to lock" while it
 * served the key.
 */
export function agentSocketsElsewhere(names: readonly string[], except: string): string[] {
  const candidates = listeningSockets().filter((s) => names.includes(basename(s.path)) && !samePlace(s.path, except));
  if (!candidates.length) return [];
  const agents = ownAgents();
  return candidates.filter((s) => agents.some((pid) => holds(pid, s.inode))).map((s) => s.path);
}

/** True when `pid` is an unlock agent of this user (its title), read from /proc. */
function isOwnAgent(pid: string): boolean {
  try {
    return statSync(`/proc/${pid}`).uid === uid() && readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith(AGENT_TITLE);
  } catch {
    return false; // gone, or not ours to look at
  }
}

/** True when process `pid` holds the socket with `inode`. */
function holds(pid: string, inode: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/**
 * Ends the unlock agent(s) of this user that listen on `socketPath` but did not
 * answer: a stopped one (kill -STOP, a laptop's frozen session) or a hung one
 * kept the unlocked key in its memory until its time to live, hours after
 * `lock` said "Locked". SIGKILL, the one signal a stopped process acts on.
 * Found by the socket's inode (/proc/net/unix) among this user's processes
 * titled cpw-vault-agent, never by name alone. Returns the pids ended: none
 * when none is found (no /proc, another PID namespace) or could be ended.
 */
export function endSilentAgent(socketPath: string): number[] {
  return (agentsListeningOn(socketPath) ?? []).filter((p) => {
    try {
      process.kill(p, 'SIGKILL');
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The pids of this user's unlock agents that listen on `socketPath` (alive, stopped or not), found as
 * {@link endSilentAgent} finds them; nothing is sent to them. Undefined where that cannot be told (no /proc).
 */
export function agentsListeningOn(socketPath: string): number[] | undefined {
  const table = unixTable();
  if (table === undefined) return undefined;
  // Every socket bound to that name, not the first: an agent stopped earlier, whose file was removed and then taken by
  // a new one, still lists the same path (first). It can never be reached again and holds the same key: it counts too.
  const inodes = listeningIn(table).filter((s) => samePlace(s.path, socketPath)).map((s) => s.inode);
  if (!inodes.length) return [];
  return ownAgents().filter((p) => inodes.some((inode) => holds(p, inode))).map(Number);
}

/**
 * Whether this user's unlock agent `pid` is stopped (kill -STOP, a suspended session: /proc/<pid>/stat state T, or t
 * under a debugger), looking only. Undefined where that cannot be told (no /proc, gone). A process that is not
 * stopped (running, sleeping) but did not answer is busy or hung: nothing in /proc tells those apart.
 */
export function agentStopped(pid: number): boolean | undefined {
  const state = procStatFields(pid)?.[0];
  return state ? state === 'T' || state === 't' : undefined;
}

/**
 * Waits (at most `ms`) for this user's unlock agent `pid`, which said it is stopping, to end, and ends it (SIGKILL)
 * if it is still there then: `lock` confirms that no key stays in memory. True once it is gone; false where that
 * cannot be told (no /proc) or it could not be ended.
 */
export async function endStoppingAgent(pid: number, ms = 3_000): Promise<boolean> {
  if (!existsSync('/proc/self')) return false;
  const there = () => isOwnAgent(String(pid)); // a zombie has no command line: gone, its memory with it
  const settle = async (until: number) => {
    while (there() && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  };
  await settle(Date.now() + ms);
  if (!there()) return true;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return false;
  }
  await settle(Date.now() + 1_000);
  return !there();
}
