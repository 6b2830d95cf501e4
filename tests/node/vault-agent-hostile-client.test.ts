import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent } from '../../shared/node/agent/start';
import { agentSocketFor, type AgentSocket } from '../../shared/node/agent/socket-dir';
import { openIdentity } from '../../shared/node/secrets/vault-admin';
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

async function realAgent(): Promise<{ pid: number; socket: AgentSocket }> {
  const h = await makeFileVaultHome({ logN: 10 });
  const { key } = await openIdentity(h.files, h.passphrase);
  const socket = agentSocketFor(h.files.identity, { XDG_RUNTIME_DIR: h.runtime });
  const { pid } = await startAgent({ key, files: h.files, socket, ttlMs: 600_000, agentScript: join(import.meta.dirname, '../../dist/agent.cjs') });
  started.push(pid);
  return { pid, socket };
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

describe('the unlock agent against a hostile client of the same user', () => {
  it('answers JSON that is not an object (null, a number, a string) as an unknown request, and lives on', async () => {
    const { pid, socket } = await realAgent();
    for (const line of ['null', '5', '"hello"', '[]', 'true']) {
      expect(JSON.parse((await ask(socket.path, `${line}\n`)) || '{}'), line).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', why: 'unknown request' });
      expect(alive(pid), line).toBe(true);
    }
    expect(JSON.parse(await ask(socket.path, '{"op":"hello"}\n'))).toMatchObject({ ok: true, pid });
  }, 60_000);
});
