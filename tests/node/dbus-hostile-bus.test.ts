// The D-Bus client against a bus that misbehaves: one that never answers, closes mid-call, answers late, or sends
// malformed messages. Each call ends (answer, DbusTimeout, DbusDisconnected) and leaves no deadline timer running:
// since a call's timer lives with its waiter (5ccc77b), a path that dropped a waiter without clearing it would hold
// `cpw-vault get` up to the deadline (9 s) at exit after a failure.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DbusConnection, DbusDisconnected, DbusTimeout, type DbusCall } from '../../shared/node/secrets/dbus/connection';
import { Writer, marshal, parseSignature } from '../../shared/node/secrets/dbus/wire';

const CALL: DbusCall = { destination: 'org.example', path: '/x', interface: 'org.example.T', member: 'M' };
const HEADER = parseSignature('a(yv)')[0]!;
type Field = [number, [string, unknown]];

/** A message as a bus sends it: `fields` as given, `declared` the body length the header claims. */
function message(type: number, fields: Field[], body: Uint8Array = Buffer.alloc(0), options: { declared?: number; order?: number } = {}): Buffer {
  const w = new Writer();
  w.bytes(Buffer.from([options.order ?? 0x6c, type, 0, 1]));
  w.u32(options.declared ?? body.length);
  w.u32(1000);
  w.write(HEADER, fields);
  w.align(8);
  w.bytes(body);
  return w.done();
}

/** A reply to call `serial` with `signature` and `values`. */
const reply = (serial: number, signature: string, values: unknown[], extra: Field[] = []) =>
  message(2, [[5, ['u', serial]], [8, ['g', signature]], ...extra], marshal(signature, values));

/** Replies to Hello (serial 1), so the calls under test are serial 2, 3, ... */
const HELLO = reply(1, 's', [':1.1']);

const servers: Array<{ server: Server; dir: string }> = [];
afterEach(() => {
  for (const { server, dir } of servers.splice(0)) {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** A fake bus: accepts EXTERNAL auth, then hands each method call's serial (2, 3, ...) to `onCall`. */
async function fakeBus(onCall: (socket: Socket, serial: number) => void, greeting = 'OK 0123456789abcdef\r\n'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cpw-fake-bus-'));
  const path = join(dir, 'bus');
  const server = createServer((socket) => {
    let authed = false;
    let serial = 0;
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      if (!authed) {
        authed = true;
        socket.write(greeting);
      }
      // Each call starts 'l', 1 (method call), 0, 1; the client's calls here carry no such bytes in their bodies.
      for (let at = d.indexOf('6c010001', 0, 'hex'); at >= 0; at = d.indexOf('6c010001', at + 1, 'hex')) onCall(socket, ++serial);
    });
  });
  servers.push({ server, dir });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return path;
}

/** Every timer set from now on; `running()` lists those neither fired nor cleared. */
function watchTimers(): { running: () => number } {
  const live = new Set<unknown>();
  const set = globalThis.setTimeout;
  const clear = globalThis.clearTimeout;
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
    const t = set(() => {
      live.delete(t);
      fn();
    }, ms);
    live.add(t);
    return t;
  }) as typeof setTimeout);
  vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((t?: NodeJS.Timeout) => {
    live.delete(t);
    clear(t);
  }) as typeof clearTimeout);
  return { running: () => live.size };
}

const outcome = (p: Promise<unknown>) => p.then(() => 'answered', (e: Error) => e);

// Over both sockets a connection may use (dbus/bus-socket.ts): the addon's, and node:net's where it is not built.
describe.each([
  ["the addon's socket", ''],
  ["node:net's socket", 'net'],
])('the D-Bus client against a hostile or broken bus, over %s', (_, transport) => {
  beforeEach(() => void vi.stubEnv('CPW_VAULT_DBUS', transport));

  it('a bus that never answers: each call times out at its deadline and no timer is left', async () => {
    const timers = watchTimers();
    const conn = DbusConnection.open(await fakeBus(() => {}));
    const started = Date.now();
    const errors = await Promise.all([conn.call(CALL, 300), conn.call(CALL, 300)].map(outcome));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    for (const e of errors) expect(e).toBeInstanceOf(DbusTimeout);
    expect(timers.running()).toBe(0);
    conn.close();
  });

  it('a bus that closes mid-call: every pending call rejects at once, no 9 s timer left', async () => {
    const timers = watchTimers();
    let calls = 0;
    const conn = DbusConnection.open(await fakeBus((socket, serial) => {
      if (serial === 1) socket.write(HELLO);
      else if (++calls === 3) socket.destroy();
    }));
    const errors = await Promise.all([1, 2, 3].map(() => outcome(conn.call(CALL, 9_000))));
    for (const e of errors) expect(e).toBeInstanceOf(DbusDisconnected);
    expect(timers.running()).toBe(0);
  });

  it('a reply after its call timed out is ignored; the next call gets its own answer', async () => {
    let late: (() => void) | undefined;
    const conn = DbusConnection.open(await fakeBus((socket, serial) => {
      if (serial === 1) socket.write(HELLO);
      else if (serial === 2) late = () => socket.write(reply(2, 's', ['late']));
      else socket.write(reply(serial, 's', ['second']));
    }));
    expect(await outcome(conn.call(CALL, 200))).toBeInstanceOf(DbusTimeout);
    late!();
    const next = await conn.call(CALL, 5_000);
    expect(next.body).toEqual(['second']);
    conn.close();
  });

  it.each([
    ['a body shorter than declared', (s: number) => message(2, [[5, ['u', s]], [8, ['g', 's']]], marshal('s', ['abc']).subarray(0, 6), { declared: 6 })],
    ['a body longer than its string says', (s: number) => message(2, [[5, ['u', s]], [8, ['g', 's']]], Buffer.from([200, 0, 0, 0, 0x61, 0, 0, 0]))],
    ['a variant with a non-ASCII signature', (s: number) => message(2, [[5, ['u', s]], [8, ['g', 'v']]], Buffer.from([2, 0xc3, 0xa9, 0, 0, 0, 0, 0]))],
    ['a variant with an unknown type code', (s: number) => message(2, [[5, ['u', s]], [8, ['g', 'v']]], Buffer.from([1, 0x7a, 0, 0]))],
    ['a variant whose signature byte is 0xf3 (ASCII decoding read it as "s")', (s: number) => message(2, [[5, ['u', s]], [8, ['g', 'v']]], Buffer.from([1, 0xf3, 0, 0, 3, 0, 0, 0, 0x61, 0x62, 0x63, 0]))],
    ['an unknown byte-order flag', (s: number) => message(2, [[5, ['u', s]]], Buffer.alloc(0), { order: 0x78 })],
    ['a reply in the wrong byte order that claims 4 GB', (s: number) => message(2, [[5, ['u', s]]], Buffer.alloc(0), { order: 0x42 })],
  ])('%s: the call fails as a malformed message, the connection closes, no timer is left', async (_, bad) => {
    const timers = watchTimers();
    const conn = DbusConnection.open(await fakeBus((socket, serial) => socket.write(serial === 1 ? HELLO : bad(serial))));
    const e = await outcome(conn.call(CALL, 9_000));
    expect(e).toBeInstanceOf(DbusDisconnected);
    expect((e as Error).message).toMatch(/^a malformed D-Bus message arrived/);
    expect(timers.running()).toBe(0);
    expect(await outcome(conn.call(CALL, 9_000))).toBeInstanceOf(DbusDisconnected);
  });

  it.each([
    ['a reply serial sent as a string', (s: number) => message(2, [[5, ['s', String(s)]]])],
  ])('%s answers no call: it times out at its deadline, no timer left', async (_, bad) => {
    const timers = watchTimers();
    const conn = DbusConnection.open(await fakeBus((socket, serial) => socket.write(serial === 1 ? HELLO : bad(serial))));
    expect(await outcome(conn.call(CALL, 300))).toBeInstanceOf(DbusTimeout);
    expect(timers.running()).toBe(0);
    conn.close();
  });

  it('a 64 MiB reply in 64 KiB chunks is joined once: the bytes copied stay within twice its size (it was ~32 GiB)', async () => {
    const body = Buffer.alloc(64 * 1024 * 1024, 0x61);
    const big = reply(2, 'ay', [body]);
    const conn = DbusConnection.open(await fakeBus((socket, serial) => {
      if (serial === 1) return void socket.write(HELLO);
      for (let at = 0; at < big.length; at += 65536) socket.write(big.subarray(at, at + 65536));
    }));
    const concat = Buffer.concat.bind(Buffer);
    let copied = 0;
    vi.spyOn(Buffer, 'concat').mockImplementation((list, total) => {
      const joined = concat(list, total);
      copied += joined.length;
      return joined;
    });
    const answer = await conn.call(CALL, 30_000);
    expect((answer.body[0] as Buffer).equals(body)).toBe(true);
    expect(copied).toBeLessThanOrEqual(2 * body.length);
    conn.close();
  });

  it('a peer that answers AUTH with 1 MiB and no line end: the call fails at once as no authentication reply', async () => {
    const conn = DbusConnection.open(await fakeBus(() => {}, 'OK '.padEnd(1024 * 1024, 'x')));
    const e = await outcome(conn.call(CALL, 9_000));
    expect(e).toBeInstanceOf(DbusDisconnected);
    expect((e as Error).message).toBe('the D-Bus bus sent no authentication reply in its first 16384 bytes');
  });

  it('unknown header fields are skipped; a 255-character variant signature and 1,000 distinct ones are read', async () => {
    const timers = watchTimers();
    const sig = (n: number) => `(${'y'.repeat((n % 200) + 1)}${'u'.repeat(Math.floor(n / 200))})`;
    const values = (n: number) => [...Array<number>((n % 200) + 1).fill(7), ...Array<number>(Math.floor(n / 200)).fill(9)];
    const conn = DbusConnection.open(await fakeBus((socket, serial) => {
      if (serial === 1) return void socket.write(HELLO);
      const n = serial - 2;
      const long = `(${'s'.repeat(253)})`;
      socket.write(n === 1000 ? reply(serial, 'v', [[long, Array<string>(253).fill('q')]], [[99, ['s', 'x']], [200, ['au', [1, 2]]]]) : reply(serial, 'v', [[sig(n), values(n)]]));
    }));
    for (let n = 0; n < 1000; n++) expect((await conn.call(CALL, 5_000)).body, `signature ${n}`).toEqual([[sig(n), values(n)]]);
    const last = await conn.call(CALL, 5_000);
    expect((last.body[0] as [string, string[]])[1]).toHaveLength(253);
    expect(timers.running()).toBe(0);
    conn.close();
  });
});
