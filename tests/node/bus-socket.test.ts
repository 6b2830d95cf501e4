// The socket a D-Bus connection talks over (shared/node/secrets/dbus/bus-socket.ts): the addon's (native/spawn/socket.c)
// must behave as node:net's does where connection.ts relies on it — every byte in order both ways (a peer that reads
// or writes more than the socket holds at once), one 'close' after the peer hangs up or a failed connect, nothing
// after destroy. (That `cpw-vault get` loads no node:net, the point of it, is in tests/cli/hot-paths.test.ts.)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { connectBus, type BusSocket } from '../../shared/node/secrets/dbus/bus-socket';
import { DbusConnection, sessionBusPath } from '../../shared/node/secrets/dbus/connection';
import { busPathOverflow } from '../../shared/node/secrets/dbus/bus-address';
import { nativeAddon, packageRoot } from '../../shared/node/native-addon';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** A Unix socket server at a fresh path; `onSocket` gets each connection. */
async function server(onSocket: (s: Socket) => void, name = 'sock'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cpw-bus-socket-'));
  const path = join(dir, name);
  const srv: Server = createServer((s) => {
    s.on('error', () => {});
    onSocket(s);
  });
  cleanups.push(() => {
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await new Promise<void>((resolve) => srv.listen(path, resolve));
  return path;
}

/** What a socket emitted: its data joined, its errors' codes and its 'close' count, once it has closed. */
function events(socket: BusSocket) {
  const chunks: Buffer[] = [];
  const errors: string[] = [];
  let closes = 0;
  socket.on('data', (d: Buffer) => void chunks.push(d));
  socket.on('error', (e: NodeJS.ErrnoException) => void errors.push(e.code ?? e.message));
  const closed = new Promise<void>((resolve) => socket.on('close', () => ((closes += 1), resolve())));
  return { data: () => Buffer.concat(chunks), errors, closes: () => closes, closed };
}

/** Bytes whose every position differs from its neighbours', so a chunk dropped, doubled or reordered shows. */
const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) & 0xff));

describe.runIf(process.platform === 'linux')("the keychain connection's socket (the addon's)", () => {
  it('is built here and is the one connections use, unless CPW_VAULT_DBUS=net', async () => {
    expect(nativeAddon()?.socketConnect).toBeTypeOf('function');
    const path = await server((s) => s.end());
    const native = connectBus(path, {});
    const net = connectBus(path, { CPW_VAULT_DBUS: 'net' });
    expect(native.constructor.name).not.toBe('Socket');
    expect(net.constructor.name).toBe('Socket');
    await Promise.all([events(native).closed, events(net).closed]);
  });

  it('carries 8 MiB each way in order, to a peer that reads only once its own 8 MiB are written, and the reverse', async () => {
    const size = 8 * 1024 * 1024;
    const sent = pattern(size);
    let received: Promise<Buffer> | undefined;
    const path = await server((s) => {
      s.pause(); // reads nothing yet: the client's writes fill the socket and wait in the addon
      s.write(sent, () => {
        const got: Buffer[] = [];
        received = new Promise((resolve) => {
          s.on('data', (d: Buffer) => {
            got.push(d);
            if (Buffer.concat(got).length >= size) {
              resolve(Buffer.concat(got));
              s.end();
            }
          });
        });
        s.resume();
      });
    });
    const socket = connectBus(path, {});
    const seen = events(socket);
    socket.ref();
    socket.write(sent.subarray(0, 1000));
    socket.cork();
    socket.write(sent.subarray(1000, 5000));
    socket.write(sent.subarray(5000));
    socket.uncork();
    await seen.closed;
    expect(seen.errors).toEqual([]);
    expect(seen.data().equals(sent)).toBe(true);
    expect((await received!).equals(sent)).toBe(true);
    expect(seen.closes()).toBe(1);
  });

  it.each([
    ['a path with nothing listening', (dir: string) => join(dir, 'none'), 'ENOENT'],
    ['a path with a NUL byte inside', (dir: string) => join(dir, 'a\0b'), 'EINVAL'],
    ['a path longer than a socket address holds', (dir: string) => join(dir, 'x'.repeat(200)), 'EINVAL'],
  ])('%s: one error (%s), then one close, and writes after it go nowhere', async (_, at, code) => {
    const dir = mkdtempSync(join(tmpdir(), 'cpw-bus-socket-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const socket = connectBus(at(dir), {});
    const seen = events(socket);
    socket.write('after');
    await seen.closed;
    socket.write('after close');
    socket.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.errors).toEqual([code]);
    expect(seen.closes()).toBe(1);
  });

  // dbus-launch and some dbus-run-session builds give `unix:abstract=...`. Node 20's node:net pads an abstract name to
  // the whole address (its own servers bind so) and never reached such a bus: ECONNREFUSED, "no keychain".
  it('a session bus at a Linux abstract address (unix:abstract=): the connection reaches it and calls', async () => {
    const daemon = spawn('dbus-daemon', ['--session', `--address=unix:abstract=/tmp/cpw-bus-socket-${process.pid}`, '--print-address=1', '--nofork'], { stdio: ['ignore', 'pipe', 'ignore'] });
    cleanups.push(() => daemon.kill());
    const address = await new Promise<string>((resolve) => daemon.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
    expect(address).toMatch(/^unix:abstract=/);
    const conn = DbusConnection.open(sessionBusPath({ DBUS_SESSION_BUS_ADDRESS: address })!);
    try {
      const id = await conn.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'GetId' }, 10_000);
      expect(id.body[0]).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      conn.close();
    }
  });

  it('after destroy: no data, no second close, though the peer goes on writing', async () => {
    let peer: Socket | undefined;
    const path = await server((s) => (peer = s));
    const socket = connectBus(path, {});
    const seen = events(socket);
    socket.ref();
    socket.write('x');
    while (!peer) await new Promise((resolve) => setTimeout(resolve, 5));
    socket.destroy();
    await seen.closed;
    peer.write('late');
    await new Promise((resolve) => peer!.on('close', resolve));
    expect(seen.data().length).toBe(0);
    expect(seen.closes()).toBe(1);
  });

  // A bus that writes as fast as it is read (hostile, or a runaway signal storm): the addon read on until the socket was
  // empty, which it never was, and nothing else ran meanwhile: a call's deadline seconds late, Ctrl-C unanswered.
  // Here the peer writes its next chunk the moment one arrives, so the socket is never empty, as node:net's would see.
  it('a peer that never stops writing: the event loop still turns between its chunks', async () => {
    let peer: Socket | undefined;
    const path = await server((s) => (peer = s));
    const socket = connectBus(path, {});
    socket.ref();
    socket.write('x');
    while (!peer) await new Promise((resolve) => setTimeout(resolve, 5));
    const chunk = Buffer.alloc(4096, 0x6c);
    const CAP = 10_000;
    let chunks = 0;
    let turned = false;
    const before = new Promise<number>((resolve) => {
      socket.on('data', () => {
        if (++chunks === 1) setImmediate(() => (turned = true));
        if (turned || chunks >= CAP) {
          socket.destroy();
          resolve(chunks);
        } else peer!.write(chunk);
      });
    });
    peer.write(chunk);
    expect(await before).toBeLessThan(CAP);
  });

  // A library user's worker thread that ends with its keychain socket open, or closed the moment before: an open one
  // aborted the process ("uv_loop_close() while having open handles"), and the addon, unloaded with the worker before
  // libuv ran its close callback, crashed it (SIGSEGV).
  it.each([
    ['ends with the socket open', ''],
    ['closes it and ends at once', 'm.exports.socketClose(h);'],
  ])('a worker thread that %s: the process goes on', async (_, last) => {
    const path = await server(() => {});
    const addon = resolve(import.meta.dirname, '../../native/spawn/build/Release/cpw_spawn.node');
    for (let i = 0; i < 5; i++) {
      const worker = new Worker(`
        const m = { exports: {} };
        process.dlopen(m, ${JSON.stringify(addon)});
        const h = m.exports.socketConnect(Buffer.from(${JSON.stringify(path)}), () => {});
        m.exports.socketRef(h, true);
        m.exports.socketWrite(h, Buffer.from('x'));
        ${last}
        require('node:worker_threads').parentPort.postMessage('connected');
      `, { eval: true });
      const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
      await new Promise((resolve) => worker.once('message', resolve));
      await worker.terminate();
      // 1: terminated; 0: a worker left with no handle (its socket closed) may end on its own first, on a loaded machine.
      expect([0, 1]).toContain(await exited);
    }
  });
});

// The addon is looked for in the package only: the app's main (dist/app/) looked for it in the folder above the
// package, where (in /tmp, say) any user could have planted a .node that ran as this user.
describe('where the addon is looked for', () => {
  it.each([
    ['/opt/cpw-vault/dist', '/opt/cpw-vault'],
    ['/opt/cpw-vault/dist/app', '/opt/cpw-vault'],
    ['/opt/cpw-vault/shared/node', '/opt/cpw-vault'],
    ['/tmp/cpw-vault/app', undefined],
    ['/tmp/lib', undefined],
    ['/', undefined],
  ])('code in %s: the package at %s', (here, root) => {
    expect(packageRoot(here)).toBe(root);
  });
});

// DBUS_SESSION_BUS_ADDRESS as a user or a broken session script sets it: a malformed %-escape (`unix:path=/tmp/a%zz`)
// threw URIError out of the keychain's first call, and every command said "[INTERNAL] Unexpected error: URI malformed
// ... This is a bug in cpw-vault", exit 1. An entry that cannot be read is skipped, as one of another transport is.
describe('the session bus address', () => {
  it.each([
    ['unix:path=/tmp/a%zz', undefined],
    ['unix:abstract=%E0%A4%A', undefined],
    ['unix:path=/tmp/a%zz;unix:path=/run/user/1000/bus', '/run/user/1000/bus'],
    ['unix:path=/tmp/a%20b', '/tmp/a b'],
  ])('%s: the bus at %s', (address, path) => {
    expect(sessionBusPath({ DBUS_SESSION_BUS_ADDRESS: address })).toBe(path);
  });

  // sockaddr_un holds 108 bytes, a path's ending NUL among them: node:net cut a longer path to 107 and looked there.
  it.each([
    ['/'.padEnd(107, 'a'), undefined],
    ['/'.padEnd(108, 'a'), { bytes: 108, room: 107 }],
    [`/${'é'.repeat(54)}`, { bytes: 109, room: 107 }],
    [`\0${'a'.repeat(107)}`, undefined],
    [`\0${'a'.repeat(108)}`, { bytes: 109, room: 108 }],
  ])('socket address %# (its bytes, a leading NUL: abstract): overflow %o', (path, overflow) => {
    expect(busPathOverflow(path)).toEqual(overflow);
  });
});
