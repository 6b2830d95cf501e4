import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { VaultError } from '../../core/errors';
import { sameStamp, stampOf, type FileStamp } from '../profile/secure-fs';
import { CORRUPT_WHY, openWithIdentity } from '../secrets/vault-crypto';
import { lineSplitter, MAX_LINE_BYTES, type AgentReply, type LineBudget } from './protocol';
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

/** Requests of one connection read but not yet answered (and sent) past which it is read no more until they are. */
const MAX_UNANSWERED = 64;

/**
 * Bytes of unfinished request lines all connections may hold together: two of the longest. Each line is capped, but
 * not their number: 24 clients sending 20 MiB with no newline made the agent hold 480 MiB, and more clients, more.
 */
const MAX_HELD_BYTES = 2 * MAX_LINE_BYTES;

/** Why a request that met {@link MAX_HELD_BYTES} was refused: other connections hold it (a lock ends them). */
const BUSY_WHY = `the unlock agent is busy: other connections hold ${MAX_HELD_BYTES / 1024 / 1024} MiB of requests they have not finished sending`;

/** The agent's state: one key, one socket, the connections being served. */
class Agent implements RunningAgent {
  readonly pid = process.pid;
  readonly expiresAt: Date;
  readonly stopped: Promise<string>;
  private resolveStopped!: (reason: string) => void;
  private stopping: string | undefined;
  private readonly connections = new Set<Socket>();
  private readonly held: LineBudget = { left: MAX_HELD_BYTES };
  private readonly identityStamp: FileStamp | undefined;
  /** The socket file this agent made (see socketStamp). */
  private socketId: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly server: Server;

  constructor(private readonly config: AgentConfig) {
    this.expiresAt = new Date(Date.now() + config.ttlMs);
    this.identityStamp = stampOf(config.identityPath);
    this.stopped = new Promise<string>((r) => (this.resolveStopped = r));
    this.server = createServer((conn) => this.serve(conn));
  }

  /** Starts the checks once the socket listens. */
  started(): void {
    this.socketId = socketStamp(this.config.socketPath);
    this.timer = setInterval(() => {
      const reason = this.endReason() ?? (this.socketId !== socketStamp(this.config.socketPath) ? 'socket removed' : undefined);
      if (reason) this.stop(reason);
    }, CHECK_EVERY_MS);
  }

  /** Stops listening at once (the socket goes first, so no new client gets in); `answering` still gets its reply. */
  stop(reason: string, answering?: Socket): void {
    if (this.stopping) return;
    this.stopping = reason;
    clearInterval(this.timer);
    // libuv removes the socket file by name when a listening socket closes: when the file there is not ours any more
    // (a new agent replaced this one while it was stopped or hung), closing would remove the new agent's. The
    // server is then left open (unreferenced) until the process exits, which closes it without touching the file.
    if (socketStamp(this.config.socketPath) === this.socketId) this.server.close();
    else this.server.unref();
    for (const c of this.connections) if (c !== answering) c.destroy();
    if (!answering) this.resolveStopped(reason);
    else setTimeout(() => this.resolveStopped(reason), 2_000); // in case that last reply can never be flushed
  }

  /** Why the agent must stop now: its TTL passed, or the identity file changed (a passphrase change). */
  private endReason(): 'ttl' | 'identity changed' | undefined {
    if (Date.now() >= this.expiresAt.getTime()) return 'ttl';
    try {
      return sameStamp(stampOf(this.config.identityPath), this.identityStamp) ? undefined : 'identity changed';
    } catch {
      return 'identity changed'; // unreadable now: stop
    }
  }

  private async answer(line: string, conn: Socket): Promise<AgentReply> {
    // Checked on every request too, so no request is ever served past the TTL or after a passphrase change.
    const end = this.endReason();
    if (end) {
      this.stop(end, conn);
      return { ok: false, code: 'VAULT_LOCKED', why: end === 'ttl' ? 'it reached its time to live' : 'its identity file changed or is gone', pid: this.pid };
    }
    let req: { op?: unknown; data?: unknown };
    try {
      req = JSON.parse(line) as typeof req;
    } catch {
      return { ok: false, code: 'INVALID_ARGUMENT', why: 'unreadable request' };
    }
    // `null` is JSON too: reading its .op threw, and that one line ended the agent.
    if (typeof req !== 'object' || req === null) return { ok: false, code: 'INVALID_ARGUMENT', why: 'unknown request' };
    if (req.op === 'hello') return { ok: true, pid: this.pid, recipient: this.config.recipient, expires_at: this.expiresAt.toISOString(), identity: this.config.identityPath };
    if (req.op === 'lock') {
      this.stop('lock', conn);
      return { ok: true };
    }
    if (req.op === 'decrypt' && typeof req.data === 'string') return this.decrypt(req.data);
    return { ok: false, code: 'INVALID_ARGUMENT', why: 'unknown request' };
  }

  private async decrypt(base64: string): Promise<AgentReply> {
    try {
      return { ok: true, text: await openWithIdentity(Buffer.from(base64, 'base64'), this.config.identity, 'the vault file') };
    } catch (err) {
      const why = Object.values(CORRUPT_WHY).find((w) => err instanceof VaultError && err.message.includes(w));
      return { ok: false, code: 'VAULT_CORRUPT', why: why ?? CORRUPT_WHY.altered };
    }
  }

  private serve(conn: Socket): void {
    this.connections.add(conn);
    let queue = Promise.resolve();
    let unanswered = 0;
    const reply = async (line: string) => {
      const text = `${JSON.stringify(await this.answer(line, conn))}\n`;
      // The last answer of a stopping agent is flushed before the process ends.
      if (this.stopping) conn.end(text, () => this.resolveStopped(this.stopping!));
      else if (!conn.write(text) && !conn.destroyed) await drained(conn);
    };
    // A client that sends requests but does not read the answers: they piled up in memory without bound (~1 GiB of
    // answers for 60 MiB of requests). Its requests are no longer read while its answers wait to be sent.
    const onLine = (line: string) => {
      if (++unanswered === MAX_UNANSWERED) conn.pause();
      queue = queue
        .then(() => reply(line))
        .catch(() => void conn.destroy()) // never an unhandled rejection: that ends the agent, for every client
        .finally(() => {
          if (--unanswered === MAX_UNANSWERED - 1) conn.resume();
        });
    };
    // Past the shared budget, the connection whose line does not fit is read no more (its bytes given back). It is
    // told why first: an honest client's request that met the lines other clients hold said "the unlock agent went
    // away", though it runs. What it still sends is read and dropped; it holds nothing.
    const onOverflow = (why: 'line' | 'budget') => {
      if (why === 'line') return void conn.destroy();
      const busy: AgentReply = { ok: false, code: 'VAULT_LOCKED', why: BUSY_WHY };
      queue = queue.then(() => void conn.end(`${JSON.stringify(busy)}\n`));
    };
    const split = lineSplitter(onLine, onOverflow, this.held);
    conn.on('data', split);
    conn.on('error', () => conn.destroy());
    conn.on('close', () => (split.release(), this.connections.delete(conn)));
  }
}

/** Resolves once `conn` has sent what it holds, or closed. */
function drained(conn: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => (conn.off('drain', done), conn.off('close', done), resolve());
    conn.on('drain', done).on('close', done);
  });
}

/**
 * Which socket file is at `path` now: its inode and change time to the
 * nanosecond, undefined when none. The inode alone is not enough: a socket
 * removed (an agent that stopped answering, replaced) frees its inode, and
 * the next agent's socket often gets the same number, so the old agent, once
 * resumed, took the new one for its own and removed it.
 */
function socketStamp(path: string): string | undefined {
  const s = lstatSync(path, { throwIfNoEntry: false, bigint: true });
  return s ? `${s.ino}:${s.ctimeNs}` : undefined;
}

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
  const agent = new Agent(config);
  await listen(agent.server, config.socketPath);
  agent.started();
  return agent;
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
