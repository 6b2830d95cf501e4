import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { AGENT_TITLE } from './protocol';

/** Linux's __SO_ACCEPTCON in /proc/net/unix: a listening socket. */
const LISTENING = 0x10000;

const uid = (): number | undefined => (typeof process.getuid === 'function' ? process.getuid() : undefined);

/** The inode of the socket listening on `path`, from /proc/net/unix (Linux); undefined when none or no /proc. */
function listeningInode(path: string): string | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return undefined;
  }
  // Num RefCount Protocol Flags Type St Inode Path: the path is the rest of the line (it may hold spaces).
  for (const line of table.split('\n')) {
    const m = /^\S+:\s+\S+\s+\S+\s+([0-9A-Fa-f]+)\s+\S+\s+\S+\s+(\d+)\s(.*)$/.exec(line);
    if (m && m[3] === path && parseInt(m[1]!, 16) & LISTENING) return m[2];
  }
  return undefined;
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
 * Ends the unlock agent of this user that listens on `socketPath` but did not
 * answer: a stopped one (kill -STOP, a laptop's frozen session) or a hung one
 * kept the unlocked key in its memory until its time to live, hours after
 * `lock` said "Locked". SIGKILL, the one signal a stopped process acts on.
 * Found by the socket's inode (/proc/net/unix) among this user's processes
 * titled cpw-vault-agent, never by name alone. Returns its pid, or undefined
 * when none is found (no /proc, another PID namespace) or it cannot be ended.
 */
export function endSilentAgent(socketPath: string): number | undefined {
  const inode = listeningInode(socketPath);
  if (!inode) return undefined;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  } catch {
    return undefined;
  }
  const pid = pids.find((p) => isOwnAgent(p) && holds(p, inode));
  if (!pid) return undefined;
  try {
    process.kill(Number(pid), 'SIGKILL');
    return Number(pid);
  } catch {
    return undefined;
  }
}
