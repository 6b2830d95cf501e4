import { lstatSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { VaultError } from '../../core/errors';
import { corruptFile, unsafeSocketDir, vaultLocked } from '../secrets/vault-errors';
import { lineSplitter, type AgentHello, type AgentReply, type AgentRequest } from './protocol';
import { knownSilent, rememberSilent, socketFileId } from './silent-memory';
import { checkSocketDir, type AgentSocket } from './socket-dir';

/** Longest wait for one answer of the agent (it answers in milliseconds; a stopped agent must not hang a pipeline). */
export const AGENT_TIMEOUT_MS = 5_000;
/**
 * Added to that wait for each MiB a decrypt sends: the agent decrypts the whole vault file, and one near its 16 MiB
 * limit took ~4.5 s (decrypt, base64 and JSON) on a loaded 2-core machine; 5 s flat failed it as "did not answer".
 */
export const AGENT_MS_PER_MIB = 1_000;

/**
 * An agent that answered that it is stopping (its time to live reached, its identity file changed or gone): the
 * vault is locked for reads (VAULT_LOCKED); `lock` and `unlock` wait for it to end (its `pid`).
 */
export class AgentStopping extends VaultError {
  constructor(readonly pid: number | undefined, readonly why: string) {
    const e = vaultLocked(`the unlock agent is stopping (${why})`);
    super(e.code, e.message, e.fix);
  }
}

const uid = (): number => (typeof process.getuid === 'function' ? process.getuid() : 0);

interface Waiter {
  resolve: (reply: AgentReply) => void;
  reject: (err: Error) => void;
}

/**
 * A connection to a running unlock agent. Idle, it does not keep the
 * process alive (the socket is unref-ed between requests); `close()` ends it.
 */
export class AgentClient {
  private waiter: Waiter | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private dead: Error | undefined;
  hello!: AgentHello;

  /** `at`: the socket path and which file it was when connected, remembered if the agent does not answer. */
  private constructor(private readonly socket: Socket, private readonly timeoutMs: number, private readonly at: { path: string; file: string }) {
    const split = lineSplitter((line) => this.onLine(line), () => this.fail(vaultLocked('the unlock agent sent an oversized answer')));
    socket.on('data', split);
    socket.on('error', () => this.fail(vaultLocked('the unlock agent went away')));
    socket.on('close', () => this.fail(vaultLocked('the unlock agent went away')));
  }

  /**
   * Connects to the agent at `sock` and greets it. Undefined when none runs
   * (no folder, no socket, a stale socket). Throws VAULT_AGENT_UNSAFE when
   * the folder or socket is not this user's, VAULT_LOCKED when an agent is
   * there but does not answer in time, or at once when it did not answer
   * this process less than `timeoutMs` ago (on any connection).
   */
  static async connect(sock: AgentSocket, timeoutMs = AGENT_TIMEOUT_MS): Promise<AgentClient | undefined> {
    if (!checkSocketDir(sock.dir, false)) return undefined;
    const s = lstatSync(sock.path, { throwIfNoEntry: false });
    if (!s) return undefined;
    if (!s.isSocket() || s.uid !== uid()) throw unsafeSocketDir(sock.dir, `${sock.path} is not a socket of this user`);
    // A read whose answer timed out is tried again on a new connection (the agent may have been replaced): to the same
    // agent, still stopped, its hello waited 5 s more (get, list, doctor took 10 s for "did not answer within 5 s").
    const file = socketFileId(s);
    const silent = knownSilent(sock.path, file);
    if (silent) throw vaultLocked(silent);
    const socket = await new Promise<Socket | undefined>((resolve) => {
      const c = createConnection(sock.path);
      c.once('connect', () => resolve(c));
      c.once('error', () => resolve(undefined)); // refused: a stale socket of an agent that was killed
    });
    if (!socket) return undefined;
    socket.unref();
    const client = new AgentClient(socket, timeoutMs, { path: sock.path, file });
    try {
      const hello = await client.request({ op: 'hello' });
      if (!hello.ok && hello.code === 'VAULT_LOCKED') throw new AgentStopping(hello.pid, hello.why);
      if (!hello.ok || !('recipient' in hello)) throw vaultLocked('the unlock agent refused to answer');
      client.hello = hello;
      return client;
    } catch (err) {
      client.close();
      if (err instanceof VaultError && /went away/.test(err.message)) return undefined; // it was stopping
      throw err;
    }
  }

  /** Decrypts an age file encrypted to the vault identity. Throws VAULT_CORRUPT (about `file`) or VAULT_LOCKED. */
  async decrypt(bytes: Uint8Array, file: string): Promise<string> {
    const limitMs = this.timeoutMs + Math.round((bytes.length / 2 ** 20) * AGENT_MS_PER_MIB);
    const reply = await this.request({ op: 'decrypt', data: Buffer.from(bytes).toString('base64') }, limitMs);
    if (reply.ok && 'text' in reply) return reply.text;
    if (!reply.ok && reply.code === 'VAULT_CORRUPT') throw corruptFile(file, reply.why);
    throw vaultLocked(!reply.ok ? reply.why : 'the unlock agent gave an unexpected answer');
  }

  /** Asks the agent to stop. Resolves once it has stopped listening. */
  async lock(): Promise<void> {
    await this.request({ op: 'lock' });
    this.close();
  }

  /** Ends the connection (the agent keeps running). */
  close(): void {
    this.dead ??= vaultLocked('the connection to the unlock agent was closed');
    this.socket.destroy();
  }

  /** One request, one answer, in order; at most `limitMs` each (`timeoutMs` by default). */
  request(req: AgentRequest, limitMs = this.timeoutMs): Promise<AgentReply> {
    const run = () =>
      new Promise<AgentReply>((resolve, reject) => {
        if (this.dead) return reject(this.dead);
        const timer = setTimeout(() => {
          const why = `the unlock agent did not answer within ${Math.round(limitMs / 1000)} s`;
          rememberSilent(this.at.path, this.at.file, why, this.timeoutMs);
          this.fail(vaultLocked(why));
          this.socket.destroy();
        }, limitMs);
        const done = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          this.socket.unref();
        };
        this.waiter = { resolve: (r) => (done(), resolve(r)), reject: (e) => (done(), reject(e)) };
        // Referenced while a request is pending: the process must not exit before the answer.
        this.socket.ref();
        this.socket.write(`${JSON.stringify(req)}\n`);
      });
    const p = this.chain.then(run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private onLine(line: string): void {
    let reply: AgentReply;
    try {
      reply = JSON.parse(line) as AgentReply;
    } catch {
      return this.fail(vaultLocked('the unlock agent sent an unreadable answer'));
    }
    this.waiter?.resolve(reply);
  }

  private fail(err: Error): void {
    this.dead ??= err;
    this.waiter?.reject(err);
  }
}
