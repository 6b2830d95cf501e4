// The read end of a masked stage's pipe as a stream. The addon's (native/spawn/socket.c: socketAdopt) where exec
// starts its stages with it; node:net's Socket otherwise. node:net's load and its first Socket (its streams, async
// hooks, perf hooks) cost each masked `exec` ~3.5 ms, where the rest of exec loads none of it.
import { Readable } from 'node:stream';
import type { NativeAddon } from '../native-addon';
import { execAddon } from './native-spawn';

const DATA = 1;
const END = 2;

type PipeAddon = Required<Pick<NativeAddon, 'socketAdopt' | 'socketPause' | 'socketClose'>>;

/**
 * A stream reading `fd` (the read end of a pipe or FIFO of ours), which it owns from now on: destroying the stream
 * closes it. Throws (the fd still the caller's) when it cannot be watched.
 */
export function pipeReader(fd: number, env: NodeJS.ProcessEnv = process.env): Readable {
  const addon = execAddon(env);
  if (addon?.socketAdopt && addon.socketPause && addon.socketClose) return new NativePipeReader(addon as PipeAddon, fd);
  return new (process.getBuiltinModule('node:net').Socket)({ fd, readable: true, writable: false });
}

/**
 * The addon's reader: what it reads is pushed, and it stops reading while the stream's buffer is full (so a slow
 * reader of exec's output slows the stage, as a direct pipe would), until the stream asks for more. 'error' carries
 * an Error with the errno name as `code`, as node:net's.
 */
class NativePipeReader extends Readable {
  private handle: object | undefined;

  constructor(
    private readonly addon: PipeAddon,
    fd: number,
  ) {
    super();
    this.handle = addon.socketAdopt(fd, (kind, value) => this.event(kind, value));
  }

  override _read(): void {
    if (this.handle) this.addon.socketPause(this.handle, false);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.close();
    done(err);
  }

  private event(kind: number, value: Buffer | string | undefined): void {
    if (kind === DATA) {
      if (!this.push(value) && this.handle) this.addon.socketPause(this.handle, true);
    } else if (kind === END) {
      this.close();
      this.push(null);
    } else {
      this.destroy(Object.assign(new Error(`pipe error ${String(value)}`), { code: String(value) }));
    }
  }

  private close(): void {
    if (!this.handle) return;
    this.addon.socketClose(this.handle);
    this.handle = undefined;
  }
}
