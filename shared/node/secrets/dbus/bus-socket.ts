// The socket a D-Bus connection (connection.ts) talks over: the addon's (native/spawn/socket.c) where it is built,
// node:net's otherwise. node:net is loaded only then: its load and its first Socket (streams, async hooks) cost a
// `cpw-vault get` ~4 ms of its ~50, where the keytar floor it is measured against pays none of it.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { nativeAddon, type NativeAddon } from '../../native-addon';

/** `CPW_VAULT_DBUS=net`: node:net's socket, as before the addon (a system where it misbehaves; the tests of both). */
const SOCKET_SWITCH = 'CPW_VAULT_DBUS';

/** What a D-Bus connection uses of its socket: node:net's Socket has it, and so has {@link NativeSocket}. */
export type BusSocket = Pick<Socket, 'on' | 'write' | 'cork' | 'uncork' | 'ref' | 'unref' | 'destroy'>;

/** A connection to the Unix socket `path` (a leading NUL: a Linux abstract name), as net.connect makes one. */
export function connectBus(path: string, env: NodeJS.ProcessEnv = process.env): BusSocket {
  const addon = env[SOCKET_SWITCH] === 'net' ? undefined : nativeAddon();
  return addon?.socketConnect ? (new NativeSocket(addon, path) as unknown as BusSocket) : process.getBuiltinModule('node:net').connect({ path });
}

const DATA = 1;
const END = 2;

/**
 * The addon's socket, with the events and calls of node:net's that connection.ts uses: 'data', 'error' (an Error
 * with the errno name as `code`), then 'close', each after the call that caused it returned, as net emits them.
 */
class NativeSocket extends EventEmitter {
  private handle: object | undefined;
  private corked: Buffer[] | undefined;

  constructor(private readonly addon: NativeAddon, path: string) {
    super();
    try {
      this.handle = addon.socketConnect!(Buffer.from(path, 'utf8'), (kind, value) => this.event(kind, value));
    } catch (err) {
      process.nextTick(() => this.failed(err as NodeJS.ErrnoException));
    }
  }

  write(data: string | Buffer): boolean {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.corked) this.corked.push(bytes);
    else this.send(bytes);
    return true;
  }

  cork(): void {
    this.corked ??= [];
  }

  uncork(): void {
    const queued = this.corked;
    this.corked = undefined;
    if (queued?.length) this.send(queued.length === 1 ? queued[0]! : Buffer.concat(queued));
  }

  ref(): this {
    if (this.handle) this.addon.socketRef!(this.handle, true);
    return this;
  }

  unref(): this {
    if (this.handle) this.addon.socketRef!(this.handle, false);
    return this;
  }

  destroy(): this {
    if (!this.handle) return this;
    this.addon.socketClose!(this.handle);
    this.handle = undefined;
    process.nextTick(() => this.emit('close'));
    return this;
  }

  private send(bytes: Buffer): void {
    if (!this.handle) return;
    const rc = this.addon.socketWrite!(this.handle, bytes);
    if (rc < 0) {
      const handle = this.handle;
      process.nextTick(() => handle === this.handle && this.failed(errnoError(-rc)));
    }
  }

  private event(kind: number, value: Buffer | string | undefined): void {
    if (kind === DATA) this.emit('data', value);
    else if (kind === END) this.destroy();
    else this.failed(Object.assign(new Error(`socket error ${String(value)}`), { code: String(value) }));
  }

  private failed(err: NodeJS.ErrnoException): void {
    const connected = !!this.handle;
    this.emit('error', err);
    // 'close' follows, once (destroy says it, unless a listener destroyed the socket already).
    if (connected) this.destroy();
    else process.nextTick(() => this.emit('close'));
  }
}

/** An Error with `code` the errno name of `errno` (EPIPE for 32), as node:net gives a failed write. */
function errnoError(errno: number): NodeJS.ErrnoException {
  const code = Object.entries(process.getBuiltinModule('node:os').constants.errno).find(([, n]) => n === errno)?.[0] ?? `errno ${errno}`;
  return Object.assign(new Error(`socket error ${code}`), { code });
}
