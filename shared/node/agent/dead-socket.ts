import { lstatSync, unlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { socketFileId } from './silent-memory';
import { checkSocketDir, type AgentSocket } from './socket-dir';

const uid = (): number => (typeof process.getuid === 'function' ? process.getuid() : 0);

/** True when connecting to `path` is refused: a socket file with no process listening on it. */
function refused(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => (c.destroy(), resolve(false)));
    c.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/**
 * Removes the socket file of an unlock agent that is gone (killed with -9,
 * it never removed it): `lock` said "nothing to lock" and left it, and every
 * later look at the folder found an agent's socket. Only this user's own
 * socket (lstat: a link, a file, another user's is never touched), in its
 * private socket folder (checked: throws VAULT_AGENT_UNSAFE otherwise),
 * when connecting to it is refused. Returns true when it was removed.
 */
export async function removeDeadSocket(sock: AgentSocket): Promise<boolean> {
  if (!checkSocketDir(sock.dir, false)) return false;
  const before = lstatSync(sock.path, { throwIfNoEntry: false });
  if (!before?.isSocket() || before.uid !== uid()) return false;
  // Refused, not "did not answer": a stopped agent still accepts connections (the kernel queues them).
  if (!(await refused(sock.path))) return false;
  // An unlock that started meanwhile binds a new socket file in its place: that one is left alone.
  const now = lstatSync(sock.path, { throwIfNoEntry: false });
  if (!now || socketFileId(now) !== socketFileId(before)) return false;
  unlinkSync(sock.path);
  return true;
}
