// The read end of a masked stage's pipe (shared/node/exec/pipe-reader.ts): the addon's reader (native/spawn/socket.c,
// socketAdopt) must behave as the node:net Socket it replaces where exec relies on it — every byte in order, a slow
// reader slowing the writer (not a buffer growing without end), 'end' then 'close' at EOF, its descriptor closed by
// destroy, and a descriptor it cannot watch refused without closing it. (That exec loads no node:net, the point of
// it, is in tests/cli/hot-paths.test.ts.)
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pipeReader } from '../../shared/node/exec/pipe-reader';
import { nativePipe, nativeSpawnAvailable } from '../../shared/node/exec/native-spawn';

/** A new pipe by the addon: [read end, write end]. */
function pipe(): [number, number] {
  const made = nativePipe();
  if (!made) throw new Error('the addon made no pipe');
  return made;
}

/** Whether descriptor `fd` is open in this process on the pipe `ino` (a closed number may be reused for another file). */
function isOpen(fd: number, ino = fstatSync(fd).ino): boolean {
  try {
    return fstatSync(fd).ino === ino;
  } catch {
    return false;
  }
}

describe.runIf(nativeSpawnAvailable())('the addon\'s pipe reader', () => {
  it('is the addon\'s where exec spawns with it, node:net\'s Socket with CPW_VAULT_SPAWN=node', () => {
    for (const [env, net] of [[{}, false], [{ CPW_VAULT_SPAWN: 'node' }, true]] as const) {
      const [read, write] = pipe();
      const reader = pipeReader(read, env);
      expect(reader instanceof Socket).toBe(net);
      reader.destroy();
      closeSync(write);
    }
  });

  it('reads 8 MiB a child writes, in order, into a reader slower than the child: the child waits, the buffer stays small', async () => {
    const [read, write] = pipe();
    const ino = fstatSync(read).ino;
    const reader = pipeReader(read);
    // Each 64 KiB block starts with its number: order is checked block by block.
    const child = spawn(process.execPath, ['-e', `const b = Buffer.alloc(65536); for (let i = 0; i < 128; i++) { b.writeUInt32BE(i, 0); b.fill(i & 255, 4); require('fs').writeSync(1, b); }`], { stdio: ['ignore', write, 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    closeSync(write);
    const chunks: Buffer[] = [];
    let largest = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        largest = Math.max(largest, reader.readableLength);
        setTimeout(done, chunks.length % 8 ? 0 : 2);
      },
    });
    const ended = new Promise<void>((resolve) => slow.on('finish', resolve));
    reader.pipe(slow);
    await ended;
    await exited;
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(8 * 1024 * 1024);
    for (let i = 0; i < 128; i++) {
      expect(all.readUInt32BE(i * 65536)).toBe(i);
      expect(all[i * 65536 + 65535]).toBe(i & 255);
    }
    // Paused while the writable is full: at most the stream's own mark and one read's chunk past it.
    expect(largest).toBeLessThanOrEqual(16 * 1024 + 65536);
    expect(isOpen(read, ino)).toBe(false);
  });

  it('says \'end\' then \'close\' once every writer closed the pipe, and closes its descriptor', async () => {
    const [read, write] = pipe();
    const ino = fstatSync(read).ino;
    const reader = pipeReader(read);
    const seen: string[] = [];
    reader.on('data', (d: Buffer) => seen.push(`data ${d.toString()}`));
    reader.on('end', () => seen.push('end'));
    const closed = new Promise<void>((resolve) => reader.on('close', () => resolve(void seen.push('close'))));
    writeSync(write, 'hello');
    closeSync(write);
    await closed;
    expect(seen).toEqual(['data hello', 'end', 'close']);
    expect(isOpen(read, ino)).toBe(false);
  });

  it('closes its descriptor on destroy, at once, with the writer still there; nothing is said after it but \'close\'', async () => {
    const [read, write] = pipe();
    const ino = fstatSync(read).ino;
    const reader = pipeReader(read);
    const seen: string[] = [];
    reader.on('data', () => seen.push('data'));
    reader.on('end', () => seen.push('end'));
    reader.destroy();
    expect(isOpen(read, ino)).toBe(false);
    // The writer sees the reader gone, as with a direct pipe: EPIPE (Node ignores SIGPIPE).
    expect(() => writeSync(write, 'late')).toThrow(/EPIPE/);
    await new Promise((resolve) => reader.on('close', resolve));
    closeSync(write);
    expect(seen).toEqual([]);
  });

  it('refuses a descriptor that is not open (EBADF) or cannot be polled (EPERM), and leaves one it could not take to its caller as it was', () => {
    const [read, write] = pipe();
    closeSync(read);
    expect(() => pipeReader(read)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => pipeReader(-1)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(isOpen(write)).toBe(true);
    closeSync(write);
    // A file that cannot be polled: libuv's own error (it said ENOMEM), the descriptor left open and as it was.
    const file = openSync(process.execPath, 'r');
    const flags = readFileSync(`/proc/self/fdinfo/${file}`, 'utf8');
    expect(() => pipeReader(file)).toThrow(expect.objectContaining({ code: 'EPERM' }));
    expect(readFileSync(`/proc/self/fdinfo/${file}`, 'utf8').match(/^flags:.*$/m)?.[0]).toBe(flags.match(/^flags:.*$/m)?.[0]);
    closeSync(file);
  });
});
