import { connectBus, type BusSocket } from './bus-socket';
import { Inbox } from './inbox';
import { Reader, Writer, marshal, parseSignature } from './wire';

export { sessionBusPath } from './bus-address';

/** A method call to send. */
export interface DbusCall {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: readonly unknown[];
}

/** A received message (reply, error or signal). */
export interface DbusMessage {
  type: number;
  serial: number;
  replySerial?: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  sender?: string;
  signature: string;
  body: unknown[];
}

/** An error reply from the peer (`name` is the D-Bus error name). */
export class DbusError extends Error {
  constructor(override readonly name: string, message: string) {
    super(message);
  }
}

/** The peer did not answer within the deadline. */
export class DbusTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`no answer to ${what} within ${Math.round(ms / 100) / 10} s`);
  }
}

/** The connection failed or closed before an answer. */
export class DbusDisconnected extends Error {
  /** The socket's errno code (ECONNREFUSED, EMFILE), when the connection failed with one. */
  readonly code: string | undefined;

  constructor(message: string, code?: string) {
    super(message);
    this.code = code;
  }
}

/** A call awaiting its answer, and its deadline's timer. */
interface Waiter {
  resolve: (m: DbusMessage) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout | undefined;
}

const TYPE = { call: 1, reply: 2, error: 3, signal: 4 } as const;
const FIELD = { path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, sender: 7, signature: 8 } as const;
const HEADER_FIELDS = parseSignature('a(yv)')[0]!;
/** The largest message the D-Bus specification allows (128 MiB). */
const MAX_MESSAGE = 2 ** 27;
/** The longest authentication reply line awaited (a bus answers in ~40 bytes): a peer sending bytes without one is not a bus. */
const MAX_AUTH_LINE = 16384;

/**
 * One connection to a D-Bus bus: EXTERNAL authentication, Hello, method
 * calls with a deadline each, and signals. Nothing here can block the
 * process: a call that gets no answer rejects at its deadline, and
 * {@link close} destroys the socket, so a stuck peer never holds up exit.
 * The socket is unref-ed while no call is pending.
 */
export class DbusConnection {
  private serial = 1;
  private corked = false;
  /** When the peer last answered one of our calls (ms since the epoch). */
  private lastAnswerAt = 0;
  private readonly pending = new Map<number, Waiter>();
  private readonly signalHandlers = new Set<(m: DbusMessage) => void>();
  private readonly inbox = new Inbox();
  private authenticated = false;
  private closedWith: Error | undefined;
  /** Our unique bus name, once Hello answered. */
  uniqueName: string | undefined;

  private constructor(private readonly socket: BusSocket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(new DbusDisconnected(`D-Bus connection failed: ${err.code ?? err.message}`, err.code)));
    socket.on('close', () => this.fail(new DbusDisconnected('the D-Bus connection closed')));
    socket.unref();
  }

  /**
   * Connects and authenticates. Authentication, BEGIN and Hello are sent in
   * one write (pipelined, as sd-bus does), so a call made right after costs
   * no extra round trip; the first reply proves the handshake worked.
   */
  static open(path: string): DbusConnection {
    const socket = connectBus(path);
    const conn = new DbusConnection(socket);
    const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
    const hexUid = Buffer.from(String(uid), 'ascii').toString('hex');
    socket.write(`\0AUTH EXTERNAL ${hexUid}\r\nBEGIN\r\n`);
    conn.send({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello' }).then(
      (m) => (conn.uniqueName = m.body[0] as string),
      () => {},
    );
    return conn;
  }

  /** Calls a method; resolves with the reply, rejects with DbusError / DbusTimeout / DbusDisconnected. */
  async call(call: DbusCall, timeoutMs: number): Promise<DbusMessage> {
    return this.send(call, timeoutMs);
  }

  /**
   * The deadline of call `serial`: `timeoutMs` without an answer. A peer still working through a queue of our calls
   * (the 10,000 searches of a migration plan, sent at once) answers one after another and is not hung; a peer that
   * stopped answers nothing, and every call fails `timeoutMs` after it was sent. The timer lives with the waiter
   * (cleared by its answer or the connection's end), not in a promise raced against the reply: that was ~1.3 KB of
   * heap a call, and a `get` makes six.
   */
  private deadline(serial: number, call: DbusCall, timeoutMs: number): NodeJS.Timeout {
    const sentAt = Date.now();
    const expire = () => {
      const waiter = this.pending.get(serial);
      if (!waiter) return;
      const left = Math.max(sentAt, this.lastAnswerAt) + timeoutMs - Date.now();
      if (left > 0) {
        waiter.timer = setTimeout(expire, left);
        return;
      }
      this.pending.delete(serial);
      this.refresh();
      waiter.reject(new DbusTimeout(`${call.interface}.${call.member}`, timeoutMs));
    };
    return setTimeout(expire, timeoutMs);
  }

  /** Registers a signal handler (add a match rule with AddMatch for the bus to route signals here). */
  onSignal(handler: (m: DbusMessage) => void): () => void {
    this.signalHandlers.add(handler);
    return () => this.signalHandlers.delete(handler);
  }

  /** Destroys the socket: pending calls reject, nothing keeps the process alive. */
  close(): void {
    this.fail(new DbusDisconnected('the D-Bus connection was closed'));
    this.socket.destroy();
  }

  private send(call: DbusCall, timeoutMs?: number): Promise<DbusMessage> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const serial = this.serial++;
    const body = call.signature ? marshal(call.signature, call.body ?? []) : Buffer.alloc(0);
    const fields: Array<[number, [string, unknown]]> = [
      [FIELD.path, ['o', call.path]],
      [FIELD.interface, ['s', call.interface]],
      [FIELD.member, ['s', call.member]],
      [FIELD.destination, ['s', call.destination]],
    ];
    if (call.signature) fields.push([FIELD.signature, ['g', call.signature]]);
    const w = new Writer();
    w.bytes(Buffer.from([0x6c, TYPE.call, 0, 1])); // 'l' little endian, method call, no flags, protocol 1
    w.u32(body.length);
    w.u32(serial);
    w.write(HEADER_FIELDS, fields);
    w.align(8);
    w.bytes(body);
    const promise = new Promise<DbusMessage>((resolve, reject) => this.pending.set(serial, { resolve, reject, timer: timeoutMs === undefined ? undefined : this.deadline(serial, call, timeoutMs) }));
    this.refresh();
    // Calls made in the same tick (a batch: 1,000 searches of a migration plan) leave in one write, not 1,000.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(w.done());
    return promise;
  }

  /** Keeps the process alive only while an answer is awaited. */
  private refresh(): void {
    if (this.pending.size) this.socket.ref();
    else this.socket.unref();
  }

  private fail(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  private receive(chunk: Buffer): void {
    this.inbox.push(chunk);
    if (!this.authenticated && !this.authenticate()) return;
    for (;;) {
      let message: DbusMessage | undefined;
      try {
        message = this.takeMessage();
      } catch (err) {
        // A message we cannot parse: the stream is out of step; nothing after it can be trusted.
        this.fail(new DbusDisconnected(`a malformed D-Bus message arrived (${(err as Error).message})`));
        this.socket.destroy();
        return;
      }
      if (!message) return;
      this.dispatch(message);
    }
  }

  /** Reads the bus's answer to AUTH (its line): true once it accepted, false while more bytes are needed or it refused. */
  private authenticate(): boolean {
    const head = this.inbox.peek(Math.min(this.inbox.length, MAX_AUTH_LINE));
    const end = head.indexOf('\r\n');
    if (end < 0 || end >= MAX_AUTH_LINE) {
      if (this.inbox.length < MAX_AUTH_LINE) return false;
      this.fail(new DbusDisconnected(`the D-Bus bus sent no authentication reply in its first ${MAX_AUTH_LINE} bytes`));
      this.socket.destroy();
      return false;
    }
    const line = this.inbox.take(end + 2).toString('ascii', 0, end);
    if (!line.startsWith('OK ')) {
      this.fail(new DbusDisconnected(`the D-Bus bus refused authentication (${line.split(' ')[0]})`));
      this.socket.destroy();
      return false;
    }
    this.authenticated = true;
    return true;
  }

  /** Parses one complete message off the inbox, or undefined when more bytes are needed. */
  private takeMessage(): DbusMessage | undefined {
    if (this.inbox.length < 16) return undefined;
    const buf = this.inbox.peek(16);
    // 'l' little-endian, 'B' big-endian: anything else is a stream out of step.
    if (buf[0] !== 0x6c && buf[0] !== 0x42) throw new Error(`unknown byte order ${buf[0]}`);
    const little = buf[0] === 0x6c;
    const head = new Reader(buf, little, 4);
    const bodyLength = head.u32();
    const serial = head.u32();
    const fieldsLength = head.u32();
    const headerEnd = 16 + fieldsLength + ((8 - ((16 + fieldsLength) % 8)) % 8);
    const total = headerEnd + bodyLength;
    // Past the specification's largest message: refused now, not buffered until the call's deadline.
    if (total > MAX_MESSAGE) throw new Error(`a message of ${total} bytes`);
    if (this.inbox.length < total) return undefined;
    // Allocation-light (no Map of the fields, no closures): a `get` parses ~6 replies, and their heap made it pay a collection.
    const message = this.inbox.take(total);
    const r = new Reader(message, little, 12);
    const m: DbusMessage = { type: message[1]!, serial, signature: '', body: [] };
    const fields = r.read(HEADER_FIELDS) as Array<[number, [string, unknown]]>;
    for (let i = 0; i < fields.length; i++) {
      const code = fields[i]![0];
      const v = fields[i]![1][1];
      if (code === FIELD.replySerial) m.replySerial = v as number;
      else if (code === FIELD.path) m.path = v as string;
      else if (code === FIELD.interface) m.interface = v as string;
      else if (code === FIELD.member) m.member = v as string;
      else if (code === FIELD.errorName) m.errorName = v as string;
      else if (code === FIELD.sender) m.sender = v as string;
      else if (code === FIELD.signature) m.signature = v as string;
    }
    const body = new Reader(message, little, headerEnd, headerEnd);
    const types = parseSignature(m.signature);
    for (let i = 0; i < types.length; i++) m.body.push(body.read(types[i]!));
    return m;
  }

  private dispatch(m: DbusMessage): void {
    if (m.type === TYPE.signal) {
      for (const h of this.signalHandlers) h(m);
      return;
    }
    if (m.type !== TYPE.reply && m.type !== TYPE.error) return;
    const waiter = m.replySerial === undefined ? undefined : this.pending.get(m.replySerial);
    if (!waiter) return;
    this.lastAnswerAt = Date.now();
    clearTimeout(waiter.timer);
    this.pending.delete(m.replySerial!);
    this.refresh();
    if (m.type === TYPE.reply) waiter.resolve(m);
    else waiter.reject(new DbusError(m.errorName ?? 'org.freedesktop.DBus.Error.Failed', typeof m.body[0] === 'string' ? m.body[0] : m.errorName ?? 'error'));
  }
}
