import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { VaultError } from '../../core/errors';
import { sameStamp, stampOf } from '../profile/secure-fs';
import { CORRUPT_WHY, openWithIdentity } from '../secrets/vault-crypto';
import { lineSplitter, type AgentReply } from './protocol';
import { checkSocketDir } from './socket-dir';

/** What the agent is started with (sent by `cpw-vault unlock` over a pipe, never argv or env). */
export interface AgentConfig {
  identity: string;
  recipient: string;
  identityPath: string;
  socketDir: string;
  socketPath: string;
  ttlMs: number;
}

/** A running agent. */
export interface RunningAgent {
  pid: number;
  expiresAt: Date;
  /** Resolves when the agent has stopped (TTL, lock, identity changed, stop()). */
  stopped: Promise<string>;
  stop(reason: string): void;
}

/** How often the agent checks its TTL, its identity file and its socket. */
const CHECK_EVERY_MS = 1_000;

/**
 * Serves one unlocked vault identity on a Unix socket, like ssh-agent:
 * decrypts age files for clients and never hands out the key. Listens in a
 * private folder (checked, or created 0700), socket 0600. Stops at the TTL,
 * on `lock`, when the identity file changes (a passphrase change), or when
 * its socket is removed. Throws VAULT_AGENT_UNSAFE for a folder that is not
 * this user's, VAULT_LOCKED ("already running") when a live agent holds the socket.
 */
export async function serveAgent(config: AgentConfig): Promise<RunningAgent> {
  checkSocketDir(config.socketDir, true);
  const identityStamp = stampOf(config.identityPath);
  const expiresAt = new Date(Date.now() + config.ttlMs);
  const connections = new Set<Socket>();
  const server = createServer((conn) => serve(conn));
  await listen(server, config.socketPath);
  const socketIno = lstatSync(config.socketPath).ino;

  let resolveStopped!: (reason: string) => void;
  const stopped = new Promise<string>((r) => (resolveStopped = r));
  let stopping: string | undefined;
  /** Stops listening at once (the socket goes first, so no new client gets in); `answering` still gets its reply. */
  const stop = (reason: string, answering?: Socket) => {
    if (stopping) return;
    stopping = reason;
    clearInterval(timer);
    server.close();
    // Remove the socket only if it is still ours (a new agent may have replaced a stale one).
    if (lstatSync(config.socketPath, { throwIfNoEntry: false })?.ino === socketIno) unlinkSync(config.socketPath);
    for (const c of connections) if (c !== answering) c.destroy();
    if (!answering) resolveStopped(reason);
    else setTimeout(() => resolveStopped(reason), 2_000); // in case that last reply can never be flushed
  };
  const expired = () => Date.now() >= expiresAt.getTime();
  const identityChanged = () => {
    try {
      return !sameStamp(stampOf(config.identityPath), identityStamp);
    } catch {
      return true; // unreadable now: treat as changed, and stop
    }
  };
  const timer = setInterval(() => {
    if (expired()) stop('ttl');
    else if (identityChanged()) stop('identity changed');
    else if (lstatSync(config.socketPath, { throwIfNoEntry: false })?.ino !== socketIno) stop('socket removed');
  }, CHECK_EVERY_MS);

  async function answer(line: string, conn: Socket): Promise<AgentReply> {
    // Checked on every request too, so no request is ever served past the TTL or after a passphrase change.
    if (expired() || identityChanged()) {
      stop(expired() ? 'ttl' : 'identity changed', conn);
      return { ok: false, code: 'VAULT_LOCKED', why: expired() ? 'the unlock agent reached its time to live' : 'the vault passphrase was changed' };
    }
    let req: { op?: unknown; data?: unknown };
    try {
      req = JSON.parse(line) as typeof req;
    } catch {
      return { ok: false, code: 'INVALID_ARGUMENT', why: 'unreadable request' };
    }
    if (req.op === 'hello') return { ok: true, pid: process.pid, recipient: config.recipient, expires_at: expiresAt.toISOString(), identity: config.identityPath };
    if (req.op === 'lock') {
      stop('lock', conn);
      return { ok: true };
    }
    if (req.op === 'decrypt' && typeof req.data === 'string') {
      try {
        return { ok: true, text: await openWithIdentity(Buffer.from(req.data, 'base64'), config.identity, 'the vault file') };
      } catch (err) {
        const why = Object.values(CORRUPT_WHY).find((w) => err instanceof VaultError && err.message.includes(w));
        return { ok: false, code: 'VAULT_CORRUPT', why: why ?? CORRUPT_WHY.altered };
      }
    }
    return { ok: false, code: 'INVALID_ARGUMENT', why: 'unknown request' };
  }

  function serve(conn: Socket): void {
    connections.add(conn);
    let queue = Promise.resolve();
    const reply = async (line: string) => {
      const text = `${JSON.stringify(await answer(line, conn))}\n`;
      // The last answer of a stopping agent is flushed before the process ends.
      if (stopping) conn.end(text, () => resolveStopped(stopping!));
      else conn.write(text);
    };
    const split = lineSplitter((line) => (queue = queue.then(() => reply(line))), () => conn.destroy());
    conn.on('data', split);
    conn.on('error', () => conn.destroy());
    conn.on('close', () => connections.delete(conn));
  }

  return { pid: process.pid, expiresAt, stopped, stop };
}

/** Listens on `path` with mode 0600; replaces a stale socket, refuses when a live agent answers there. */
async function listen(server: Server, path: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
      chmodSync(path, 0o600);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt > 0) throw err;
      if (await answers(path)) throw new VaultError('VAULT_LOCKED', 'An unlock agent is already running for this vault.', 'Use it, or stop it first: cpw-vault lock');
      unlinkSync(path);
    }
  }
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}
