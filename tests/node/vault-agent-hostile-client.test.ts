import { existsSync, readFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentClient } from '../../shared/node/agent/client';
import { startAgent } from '../../shared/node/agent/start';
import { agentSocketFor, type AgentSocket } from '../../shared/node/agent/socket-dir';
import { openIdentity } from '../../shared/node/secrets/vault-admin';
import { sealToRecipient } from '../../shared/node/secrets/vault-crypto';
import { makeFileVaultHome } from '../helpers/file-vault';

/**
 * The unlock agent against a hostile client of the same user (a compromised tool in a pipeline): whatever it
 * sends, the agent process — the real bundle, dist/agent.cjs — must not die, must not grow without bound, and
 * must go on serving everyone else.
 */

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

async function realAgent(): Promise<{ pid: number; socket: AgentSocket; recipient: string }> {
  const h = await makeFileVaultHome({ logN: 10 });
  const { key } = await openIdentity(h.files, h.passphrase);
  const socket = agentSocketFor(h.files.identity, { XDG_RUNTIME_DIR: h.runtime });
  const { pid } = await startAgent({ key, files: h.files, socket, ttlMs: 600_000, agentScript: join(import.meta.dirname, '../../dist/agent.cjs') });
  started.push(pid);
  return { pid, socket, recipient: key.recipient };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

/** One request line, its first answer line ('' when the connection closed without one). */
function ask(path: string, line: string): Promise<string> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    let out = '';
    c.on('data', (d) => {
      out += d.toString();
      if (!out.includes('\n')) return;
      c.destroy();
      resolve(out.slice(0, out.indexOf('\n')));
    });
    c.on('error', () => resolve(''));
    c.on('close', () => resolve(out));
    c.write(line);
  });
}

/** The agent's resident memory in MiB (/proc). */
const rssMiB = (pid: number): number => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** Resolves once `c` can take more, or has closed; its listeners go with it (one `once` each left behind piled up past Node's 10). */
function drainedOrClosed(c: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => (c.off('drain', done), c.off('close', done), resolve());
    c.on('drain', done).on('close', done);
  });
}

describe('the unlock agent against a hostile client of the same user', () => {
  it('answers JSON that is not an object (null, a number, a string) as an unknown request, and lives on', async () => {
    const { pid, socket } = await realAgent();
    for (const line of ['null', '5', '"hello"', '[]', 'true']) {
      expect(JSON.parse((await ask(socket.path, `${line}\n`)) || '{}'), line).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', why: 'unknown request' });
      expect(alive(pid), line).toBe(true);
    }
    expect(JSON.parse(await ask(socket.path, '{"op":"hello"}\n'))).toMatchObject({ ok: true, pid });
  }, 60_000);

  it('a client that sends requests and never reads the answers: the agent stops reading it, its memory stays bounded, others are served, none is lost', async () => {
    const { pid, socket } = await realAgent();
    const before = rssMiB(pid);
    const flood: Socket = createConnection(socket.path);
    flood.on('error', () => {});
    await new Promise((r) => flood.once('connect', r));
    flood.pause(); // never reads
    const chunk = Buffer.from('{"op":"hello"}\n'.repeat(64 * 1024)); // 64 Ki requests, ~1 MiB
    let sent = 0;
    // Up to 96 MiB of requests (~6 M answers, ~1.5 GiB of replies). Each chunk waits for the agent to take the last one
    // (drain), while the agent's memory is watched; a client whose writes the agent no longer takes has been cut off.
    for (let i = 0; i < 96; i++) {
      sent += 64 * 1024;
      if (flood.write(chunk)) continue;
      const outcome = await new Promise<'drained' | 'grew' | 'stopped reading'>((resolve) => {
        let quiet = 0;
        const poll = setInterval(() => {
          if (rssMiB(pid) > before + 150) return finish('grew');
          if (++quiet >= 30) finish('stopped reading'); // 3 s without taking a byte: it paused this client
        }, 100);
        const onDrain = () => finish('drained');
        const finish = (o: 'drained' | 'grew' | 'stopped reading') => (clearInterval(poll), flood.off('drain', onDrain), resolve(o));
        flood.once('drain', onDrain);
      });
      expect(outcome).not.toBe('grew');
      if (outcome === 'stopped reading') break;
    }
    expect(rssMiB(pid)).toBeLessThan(before + 150);
    expect(alive(pid)).toBe(true);
    expect(JSON.parse(await ask(socket.path, '{"op":"hello"}\n'))).toMatchObject({ ok: true, pid });
    // Once the client reads, every request it sent is answered, in order.
    let lines = 0;
    await new Promise<void>((resolve) => {
      flood.on('data', (d: Buffer) => {
        for (let at = d.indexOf(10); at !== -1; at = d.indexOf(10, at + 1)) lines++;
        if (lines >= sent) resolve();
      });
      flood.resume();
    });
    expect(lines).toBe(sent);
    flood.destroy();
  }, 180_000);
  it('many clients each sending a line that never ends: what they hold together is bounded; the agent lives and serves', async () => {
    const { pid, socket } = await realAgent();
    const before = rssMiB(pid);
    // 24 clients x 20 MiB, each under the one-line limit (24 MiB): 480 MiB held by the agent, with no bound on the count.
    const part = Buffer.alloc(1024 * 1024, 'x');
    const clients = await Promise.all(
      Array.from({ length: 24 }, async () => {
        const c = createConnection(socket.path);
        c.on('error', () => {});
        await new Promise((r) => c.once('connect', r));
        // Each waits for the agent to take (or drop) what it sent: the agent holds it then.
        for (let i = 0; i < 20 && !c.destroyed; i++) if (!c.write(part)) await drainedOrClosed(c);
        return c;
      }),
    );
    expect(rssMiB(pid) - before).toBeLessThan(150);
    expect(alive(pid)).toBe(true);
    expect(JSON.parse(await ask(socket.path, '{"op":"hello"}\n'))).toMatchObject({ ok: true, pid });
    for (const c of clients) c.destroy();
  }, 180_000);

  // The request that met what other clients hold was dropped, and an honest `get` said "the unlock agent went away"
  // (lock, then unlock) though it ran: it is told that the agent is busy, and why.
  it('a request that meets the lines other clients hold unfinished is refused as busy, not dropped; served once they go', async () => {
    const { socket, recipient } = await realAgent();
    const part = Buffer.alloc(512 * 1024, 'x');
    // Two clients hold 47 MiB of the 48 together, each under the one-line limit.
    const stuck = await Promise.all(
      [0, 1].map(async () => {
        const c = createConnection(socket.path);
        c.on('error', () => {});
        await new Promise((r) => c.once('connect', r));
        for (let i = 0; i < 47 && !c.destroyed; i++) if (!c.write(part)) await drainedOrClosed(c);
        return c;
      }),
    );
    const file = await sealToRecipient(recipient, 'v'.repeat(2 * 1024 * 1024));
    const honest = await AgentClient.connect(socket);
    const refused = await honest!.decrypt(file, 'vault.age').then(() => undefined, (err: unknown) => err);
    honest!.close();
    expect(refused).toMatchObject({ code: 'VAULT_LOCKED' });
    expect(String(refused)).toMatch(/the unlock agent is busy: other connections hold 48 MiB/);
    for (const c of stuck) c.destroy();
    // Their bytes are given back as the agent sees them close: it serves the same request then.
    let text: string | undefined;
    for (let i = 0; i < 200 && text === undefined; i++) {
      const again = await AgentClient.connect(socket);
      text = await again!.decrypt(file, 'vault.age').catch(() => undefined);
      again!.close();
    }
    expect(text?.length).toBe(2 * 1024 * 1024);
  }, 180_000);
});

describe('the unlock agent process', () => {
  it('can never write a core dump (hard limit 0): a crash would have written the key to disk', async () => {
    const { pid } = await realAgent();
    const core = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max core file size'));
    expect(core?.split(/\s{2,}/).slice(1, 3)).toEqual(['0', '0']);
  }, 60_000);
});
