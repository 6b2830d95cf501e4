import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AgentClient } from '../../shared/node/agent/client';
import { serveAgent, type RunningAgent } from '../../shared/node/agent/server';
import { agentSocketFor } from '../../shared/node/agent/socket-dir';
import { createFileSecretStore } from '../../shared/node/secrets/file-store';
import { changePassphrase, openIdentity } from '../../shared/node/secrets/vault-admin';
import { collect } from '../helpers/children';
import { rejected } from '../helpers/errors';
import { makeFileVaultHome, type FileVaultHome } from '../helpers/file-vault';

// Not an interop test: a low scrypt work factor keeps these fast.
const LOG_N = 10;
const HF = `hf_${'AgEnT'.repeat(7)}`;

const running: RunningAgent[] = [];
afterEach(() => {
  for (const a of running.splice(0)) a.stop('test over');
});

async function agentFor(h: FileVaultHome, ttlMs = 60_000, runtime = h.runtime, env: Record<string, string> = { XDG_RUNTIME_DIR: runtime }) {
  const { key } = await openIdentity(h.files, h.passphrase);
  const socket = agentSocketFor(h.files.identity, env);
  const agent = await serveAgent({ identity: key.identity, recipient: key.recipient, identityPath: h.files.identity, socketDir: socket.dir, socketPath: socket.path, ttlMs });
  running.push(agent);
  return { agent, socket, key };
}

/** One raw request line to a socket, one answer line back. */
function raw(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let out = '';
    c.on('data', (d) => {
      out += d.toString();
      if (!out.includes('\n')) return;
      c.destroy();
      resolve(out.trim());
    });
    c.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve(`closed: ${err.code}`) : reject(err)));
    c.on('close', () => resolve(out.trim()));
    c.write(line);
  });
}

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<never>((_, r) => setTimeout(() => r(new Error(`not within ${ms} ms`)), ms))]);

describe('the unlock agent', () => {
  it('serves reads and writes without asking anything, in a 0700 folder with a 0600 socket, and never sends the key', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const { socket, key } = await agentFor(h);
    expect(statSync(socket.dir).mode & 0o777).toBe(0o700);
    expect(statSync(socket.path).mode & 0o777).toBe(0o600);
    const store = createFileSecretStore({ profilePath: h.profile, env: { XDG_RUNTIME_DIR: h.runtime } });
    await store.set('huggingface.token', HF);
    expect(await store.get('huggingface.token')).toBe(HF);
    expect(await store.status()).toMatchObject({ ok: true, backend: expect.stringContaining('unlocked by agent pid') });
    const hello = await raw(socket.path, '{"op":"hello"}\n');
    expect(JSON.parse(hello)).toMatchObject({ ok: true, recipient: key.recipient, identity: h.files.identity });
    expect(hello).not.toContain('AGE-SECRET-KEY');
    expect(JSON.parse(await raw(socket.path, '{"op":"give me the key"}\n'))).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(JSON.parse(await raw(socket.path, 'not json\n'))).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    // A file encrypted to another key is refused with a fixed text.
    expect(JSON.parse(await raw(socket.path, `${JSON.stringify({ op: 'decrypt', data: Buffer.from('age-encryption.org/v1\n-> X25519 abc\n').toString('base64') })}\n`))).toMatchObject({ ok: false, code: 'VAULT_CORRUPT' });
    await store.close();
  });

  it('an agent reporting a recipient that is not its key: a write is refused before the vault is replaced, every value kept', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const { key } = await openIdentity(h.files, h.passphrase);
    const own = createFileSecretStore({ profilePath: h.profile, env: {}, key });
    await own.set('huggingface.token', HF);
    const socket = agentSocketFor(h.files.identity, { XDG_RUNTIME_DIR: h.runtime });
    const other = await identityToRecipient(await generateX25519Identity());
    running.push(await serveAgent({ identity: key.identity, recipient: other, identityPath: h.files.identity, socketDir: socket.dir, socketPath: socket.path, ttlMs: 60_000 }));
    const store = createFileSecretStore({ profilePath: h.profile, env: { XDG_RUNTIME_DIR: h.runtime } });
    expect(await store.get('huggingface.token')).toBe(HF);
    const before = readFileSync(h.files.vault);
    const err = await rejected(store.set('tmdb.api_key', '00112233445566778899aabbccddeeff'));
    expect(err.code).toBe('VAULT_LOCKED');
    expect(err.message).toBe(`The unlock agent's key does not open a file sealed to the recipient it reported (${other}): ${h.files.vault} was not written, and nothing was changed.`);
    expect(err.fix).toContain('cpw-vault lock; cpw-vault unlock');
    expect(readFileSync(h.files.vault).equals(before)).toBe(true);
    await store.close();
    // The vault still opens with its own key, its values intact.
    expect(await own.get('huggingface.token')).toBe(HF);
    expect(await own.get('tmdb.api_key')).toBeUndefined();
  });

  it('stops at its time to live: the socket goes and reads say VAULT_LOCKED', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const { agent, socket } = await agentFor(h, 1_500);
    expect(await within(agent.stopped, 5_000)).toBe('ttl');
    expect(existsSync(socket.path)).toBe(false);
    const store = createFileSecretStore({ profilePath: h.profile, env: { XDG_RUNTIME_DIR: h.runtime } });
    expect((await rejected(store.get('huggingface.token'))).code).toBe('VAULT_LOCKED');
  });

  it('stops when the identity file changes passphrase, and on lock', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const first = await agentFor(h);
    await changePassphrase(h.files, await openIdentity(h.files, h.passphrase), 'the second passphrase', { logN: LOG_N });
    expect(await within(first.agent.stopped, 5_000)).toBe('identity changed');
    h.passphrase = 'the second passphrase';
    const second = await agentFor(h);
    const client = await AgentClient.connect(second.socket);
    await client!.lock();
    expect(await within(second.agent.stopped, 5_000)).toBe('lock');
    expect(existsSync(second.socket.path)).toBe(false);
    expect(await AgentClient.connect(second.socket)).toBeUndefined();
  });

  it('replaces the stale socket of a killed agent; a client treats it as "no agent"', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const socket = agentSocketFor(h.files.identity, { XDG_RUNTIME_DIR: h.runtime });
    mkdirSync(socket.dir, { mode: 0o700 });
    const r = spawnSync('/usr/bin/python3', ['-c', 'import os,socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); os.kill(os.getpid(), 9)', socket.path]);
    expect(r.signal).toBe('SIGKILL');
    expect(existsSync(socket.path)).toBe(true);
    expect(await AgentClient.connect(socket)).toBeUndefined();
    await agentFor(h);
    expect((await AgentClient.connect(socket))?.hello.pid).toBe(process.pid);
  });

  it('refuses a socket folder others can reach or that is a symlink, as agent and as client', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const socket = agentSocketFor(h.files.identity, { XDG_RUNTIME_DIR: h.runtime });
    mkdirSync(socket.dir, { mode: 0o700 });
    chmodSync(socket.dir, 0o755);
    expect((await rejected(agentFor(h))).code).toBe('VAULT_AGENT_UNSAFE');
    expect((await rejected(AgentClient.connect(socket))).message).toMatch(/other users can reach it \(mode 0755\)/);
    rmSync(socket.dir, { recursive: true });
    const elsewhere = mkdtempSync(join(h.root, 'elsewhere-'));
    symlinkSync(elsewhere, socket.dir);
    expect((await rejected(agentFor(h))).message).toMatch(/not a plain directory/);
    const store = createFileSecretStore({ profilePath: h.profile, env: { XDG_RUNTIME_DIR: h.runtime } });
    expect((await rejected(store.get('huggingface.token'))).code).toBe('VAULT_AGENT_UNSAFE');
  });

  it('an agent that does not answer (stopped, hung): VAULT_LOCKED saying so, never "no unlock agent is running"', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const socket = agentSocketFor(h.files.identity, { XDG_RUNTIME_DIR: h.runtime });
    mkdirSync(socket.dir, { mode: 0o700 });
    const silent = createServer(() => {}); // accepts, never answers
    await new Promise<void>((r) => silent.listen(socket.path, r));
    try {
      const err = await rejected(AgentClient.connect(socket, 1000));
      expect(err.code).toBe('VAULT_LOCKED');
      expect(err.message).toBe('The vault file cannot be read: the unlock agent did not answer within 1 s. Only a cpw-vault command run from a terminal asks for the passphrase; the Node library and commands with no terminal (a stage, cron, CI) never do.');
      expect(err.fix).toContain('cpw-vault lock; cpw-vault unlock');
    } finally {
      silent.close();
    }
  });

  it('a large vault is given time in proportion to its size: 5 s was too short for 16 MiB on a loaded machine', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const socket = agentSocketFor(h.files.identity, { XDG_RUNTIME_DIR: h.runtime });
    mkdirSync(socket.dir, { mode: 0o700 });
    // An agent that answers hello at once and a decrypt only when the whole request is in, after `lag` ms more (as
    // a real one decrypting megabytes under load would).
    const lag = 1200;
    const slow = createServer((c) => {
      let chunks: Buffer[] = [];
      c.on('data', (d: Buffer) => {
        chunks.push(d);
        if (!d.includes(10)) return; // one request at a time: a line is whole when its chunk holds the line end
        const line = Buffer.concat(chunks).toString().trim();
        chunks = [];
        const req = JSON.parse(line) as { op: string };
        if (req.op === 'hello') c.write(`${JSON.stringify({ ok: true, pid: 1, recipient: 'age1x', expires_at: new Date(Date.now() + 60_000).toISOString(), identity: h.files.identity })}\n`);
        else setTimeout(() => c.write(`${JSON.stringify({ ok: true, text: 'opened' })}\n`), lag);
      });
    });
    await new Promise<void>((r) => slow.listen(socket.path, r));
    try {
      const client = await AgentClient.connect(socket, 1000);
      // 4 MiB: its own second for each MiB on top of the 1 s a small request gets.
      expect(await client!.decrypt(new Uint8Array(4 * 1024 * 1024), h.files.vault)).toBe('opened');
      // A small one still gets only its 1 s.
      const err = await rejected(client!.decrypt(new Uint8Array(100), h.files.vault));
      expect(err.message).toContain('did not answer within 1 s');
      client!.close();
    } finally {
      slow.close();
    }
  });

  it('an agent that did not answer is not waited on again at once, but a new one (a new unlock) is asked straight away', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const { key } = await openIdentity(h.files, h.passphrase);
    await createFileSecretStore({ profilePath: h.profile, env: {}, key }).set('huggingface.token', HF);
    const socket = agentSocketFor(h.files.identity, { XDG_RUNTIME_DIR: h.runtime });
    mkdirSync(socket.dir, { mode: 0o700 });
    const silent = createServer(() => {}); // accepts, never answers
    await new Promise<void>((r) => silent.listen(socket.path, r));
    const store = createFileSecretStore({ profilePath: h.profile, env: { XDG_RUNTIME_DIR: h.runtime }, agentTimeoutMs: 3000 });
    expect((await rejected(store.get('huggingface.token'))).message).toContain('did not answer within 3 s');
    // Asked again at once: the same answer, without a second wait (check asked for its read, then for the status).
    const status = await store.status();
    expect(status).toMatchObject({ ok: false, code: 'VAULT_LOCKED' });
    silent.close();
    rmSync(socket.path, { force: true });
    await agentFor(h);
    expect(await store.get('huggingface.token')).toBe(HF);
    await store.close();
  });

  it('cuts off a request line over the size limit', async () => {
    const h = await makeFileVaultHome({ logN: LOG_N });
    const { socket } = await agentFor(h);
    const answer = await raw(socket.path, 'x'.repeat(25 * 1024 * 1024));
    expect(answer).toMatch(/^(closed: .*)?$/); // no answer: the connection was dropped
    expect(JSON.parse(await raw(socket.path, '{"op":"hello"}\n')).ok).toBe(true);
  });
});

// Needs root to create a second OS user (CI runs as root).
const isRoot = process.getuid?.() === 0;
describe.runIf(isRoot)('another OS user', () => {
  const user = `cpwv${process.pid}`;
  let uid = 0;
  let gid = 0;
  const shared = mkdtempSync(join(tmpdir(), 'cpw-xuser-'));
  afterAll(() => {
    spawnSync('userdel', [user]);
    rmSync(shared, { recursive: true, force: true });
  });

  /** Connects to a Unix socket as the other user: "connected ..." or the OS error name. Async: the agent under test runs in this process. */
  async function connectAs(path: string): Promise<string> {
    const child = spawn('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '/usr/bin/python3', '-c',
      'import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.settimeout(10)\ntry:\n  s.connect(sys.argv[1]); s.sendall(b\'{"op":"hello"}\\n\'); print("connected", s.recv(4096).decode())\nexcept OSError as e:\n  print(type(e).__name__)', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await collect(child);
    return `${r.stdout}${r.stderr}`.trim();
  }

  it('cannot connect to the agent; a socket folder it planted is refused by agent and clients', async () => {
    expect(spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]).status).toBe(0);
    uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout);
    gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout);
    chmodSync(shared, 0o755); // the runtime dir itself is reachable: only cpw-vault's own 0700 folder stands in the way
    const h = await makeFileVaultHome({ logN: LOG_N });
    const { socket } = await agentFor(h, 60_000, shared);
    expect(await connectAs(socket.path)).toBe('PermissionError');
    // Control: the same client, as that user, does connect where nothing forbids it (so the check above can fail).
    const open = join(shared, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    const { createServer } = await import('node:net');
    const server = createServer((c) => c.end('{"ok":true}\n'));
    await new Promise<void>((r) => server.listen(join(open, 's'), r));
    chmodSync(join(open, 's'), 0o777);
    expect(await connectAs(join(open, 's'))).toMatch(/^connected/);
    server.close();

    // The other user plants the folder where a vault's agent would listen (XDG_RUNTIME_DIR unset: /tmp/cpw-vault-<uid>-like).
    const h2 = await makeFileVaultHome({ logN: LOG_N });
    const runtime2 = join(shared, 'second');
    mkdirSync(runtime2, { mode: 0o755 });
    const planted = agentSocketFor(h2.files.identity, { XDG_RUNTIME_DIR: runtime2 });
    mkdirSync(planted.dir, { mode: 0o700 });
    chownSync(planted.dir, uid, gid);
    expect((await rejected(agentFor(h2, 60_000, runtime2))).message).toMatch(new RegExp(`belongs to another user \\(uid ${uid}\\)`));
    const store = createFileSecretStore({ profilePath: h2.profile, env: { XDG_RUNTIME_DIR: runtime2 } });
    expect((await rejected(store.get('huggingface.token'))).code).toBe('VAULT_AGENT_UNSAFE');
    expect(readFileSync(h2.files.vault).length).toBeGreaterThan(0);
  });

  it('refuses a sticky folder that other user owns above the socket folder (TMPDIR pointed at it): its owner could swap ours for theirs', async () => {
    // Runs after the test above made the user.
    const h = await makeFileVaultHome({ logN: LOG_N });
    const theirs = join(shared, 'theirs');
    mkdirSync(theirs, { mode: 0o1777 });
    chmodSync(theirs, 0o1777);
    chownSync(theirs, uid, gid);
    const socket = agentSocketFor(h.files.identity, { TMPDIR: theirs });
    expect(socket.dir.startsWith(theirs)).toBe(true);
    const refused = await rejected(agentFor(h, 60_000, undefined, { TMPDIR: theirs }));
    // The folder at fault is named as the variable the user set, not as "a folder above it".
    expect(refused.message).toMatch(new RegExp(`TMPDIR is ${theirs}, which belongs to another user \\(uid ${uid}\\)`));
    // Nothing was made in their folder, and the fix is not to remove our own folder ("if it is not yours").
    expect(existsSync(socket.dir)).toBe(false);
    expect(refused.fix).toBe('Unset TMPDIR (cpw-vault then uses a private folder of its own), or point it at a private folder of yours: mkdir -m 700 -p ~/.cpw-run && export TMPDIR=~/.cpw-run');
    // A client finds no folder there and no agent: the same refusal as unlock's, not "no agent is running, unlock it" (unlock could only refuse).
    const store = createFileSecretStore({ profilePath: h.profile, env: { TMPDIR: theirs } });
    const read = await rejected(store.get('huggingface.token'));
    expect(read.code).toBe('VAULT_AGENT_UNSAFE');
    expect([read.message, read.fix]).toEqual([refused.message, refused.fix]);
    // Reached through a link of the user's own (TMPDIR=~/tmplink pointing there): refused as well.
    const link = join(h.root, 'tmplink');
    symlinkSync(theirs, link);
    expect((await rejected(agentFor(h, 60_000, undefined, { TMPDIR: link }))).message).toMatch(new RegExp(`a folder above it, ${theirs}, belongs to another user`));
    // The same folder owned by root (as /tmp is) is fine.
    chownSync(theirs, 0, 0);
    const { socket: ok } = await agentFor(h, 60_000, undefined, { TMPDIR: theirs });
    expect(ok.dir.startsWith(theirs)).toBe(true);
  });
});
