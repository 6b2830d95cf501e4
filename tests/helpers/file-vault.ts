import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AGENT_TITLE } from '../../shared/node/agent/protocol';
import { agentSocketFor } from '../../shared/node/agent/socket-dir';
import { createFileVault } from '../../shared/node/secrets/vault-admin';
import { vaultFilesFor, type VaultFiles } from '../../shared/node/secrets/vault-files';
import { BIN } from './cli';
import { collect, type ChildResult } from './children';
import { makeTempHome, type TempHome } from './temp';

/** A temp HOME whose profile uses the age vault file backend, with the vault created. */
export interface FileVaultHome extends TempHome {
  files: VaultFiles;
  /** XDG_RUNTIME_DIR of this home (0700): where its unlock agent listens. */
  runtime: string;
  passphrase: string;
  /** A 0600 file holding the passphrase (for --passphrase-file). */
  passFile: string;
}

/** A profile that names the file backend (the interim switch: `storage.backend`). */
export function writeFileBackendProfile(profile: string): void {
  mkdirSync(resolve(profile, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(profile, `${JSON.stringify({ version: '2.0', credentials: {}, storage: { backend: 'file' } }, null, 2)}\n`, { mode: 0o600 });
}

/**
 * A temp HOME on the file backend. `logN` lowers scrypt for tests that
 * are not about age interop (the default, 18, is age's own).
 */
export async function makeFileVaultHome(options: { logN?: number; passphrase?: string } = {}): Promise<FileVaultHome> {
  const t = makeTempHome();
  const runtime = join(t.root, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  chmodSync(runtime, 0o700);
  writeFileBackendProfile(t.profile);
  const passphrase = options.passphrase ?? 'correct horse battery staple 42';
  const files = vaultFilesFor(t.profile);
  await createFileVault(files, passphrase, { dedicatedDir: true, ...(options.logN ? { logN: options.logN } : {}) });
  const passFile = join(t.root, 'pass.txt');
  writeFileSync(passFile, `${passphrase}\n`, { mode: 0o600 });
  return { ...t, files, runtime, passphrase, passFile };
}

/** The environment of a CLI run on a file-backend home: no D-Bus session at all, its own runtime dir. */
export function fileEnv(h: FileVaultHome, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = { ...process.env, HOME: h.home, XDG_RUNTIME_DIR: h.runtime, CPW_KEYCHAIN_SERVICE: h.service, DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined, ...extra };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env as NodeJS.ProcessEnv;
}

/** Starts `cpw-vault ...args` on a file-backend home, no terminal, and returns the child (for inTurn, tests/helpers/in-turn.ts). */
export function fileStart(h: FileVaultHome, args: string[], env?: Record<string, string | undefined>): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: h.cwd, env: fileEnv(h, env), stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs `cpw-vault ...args` on a file-backend home, no terminal; `fd3` is written to file descriptor 3 when given. */
export function fileCli(h: FileVaultHome, args: string[], options: { input?: string; fd3?: string; env?: Record<string, string | undefined> } = {}): Promise<ChildResult> {
  const stdio: Array<'pipe'> = options.fd3 !== undefined ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: h.cwd, env: fileEnv(h, options.env), stdio });
  if (options.fd3 !== undefined) {
    const fd3 = child.stdio[3] as NodeJS.WritableStream;
    fd3.on('error', () => {}); // a command that refuses its arguments exits without reading it
    fd3.end(options.fd3);
  }
  return collect(child, options.input ?? '');
}

/** The bytes of both vault files, to prove an operation changed nothing. */
export function vaultBytes(h: { files: VaultFiles }): { vault: string; identity: string } {
  return { vault: readFileSync(h.files.vault).toString('base64'), identity: readFileSync(h.files.identity).toString('base64') };
}

/** The agent sockets of a home's runtime dir (empty when no agent listens). */
export function agentSockets(h: FileVaultHome): string[] {
  try {
    return readdirSync(join(h.runtime, 'cpw-vault')).filter((n) => n.endsWith('.sock'));
  } catch {
    return [];
  }
}

/** Runs a command in a real pseudo-terminal (tests/helpers/pty_drive.py), answering prompts; colours stripped. */
export function inPty(cwd: string, env: NodeJS.ProcessEnv, command: string[], steps: Array<{ expect: string; send?: string; signal?: 'TERM' | 'HUP' | 'INT' | 'USR1'; cooked?: boolean }>): Promise<{ screen: string; code: number | null; stuck_at?: string }> {
  const child = spawn('/usr/bin/python3', [resolve(import.meta.dirname, 'pty_drive.py'), JSON.stringify(steps), ...command], { cwd, env: { ...env, TERM: 'xterm' }, stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(child).then((r) => {
    const out = JSON.parse(r.stdout) as { screen: string; code: number | null; stuck_at?: string };
    return { ...out, screen: out.screen.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '') };
  });
}

/** SIGKILL to `pid`, if it still runs (an agent the test stopped or stood in for). */
export function killIfRunning(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/**
 * `cpw-vault unlock --passphrase-file` of `h`'s vault file: the unlock agent's pid. Throws when the unlock fails.
 * `onFinished` (vitest's `ctx.onTestFinished`) gets its kill, so a test that stops it (kill -STOP) leaves nothing running.
 */
export async function unlockAgent(h: FileVaultHome, onFinished?: (fn: () => void) => void, env?: Record<string, string | undefined>): Promise<number> {
  const up = await fileCli(h, ['unlock', '--passphrase-file', h.passFile, '--json'], env ? { env } : {});
  if (up.code !== 0) throw new Error(`unlock exited ${up.code}: ${up.stderr}`);
  const { pid } = JSON.parse(up.stdout) as { pid: number };
  onFinished?.(() => killIfRunning(pid));
  return pid;
}

/**
 * Stands in for an unlock agent busy past a hello's 5 s (a vault file near 16 MiB decrypting for another client, on a
 * loaded machine) or hung: a process titled as the agent that listens on `h`'s agent socket, reads, and answers
 * nothing. Resolves once it listens; `onFinished` gets its kill (vitest's `ctx.onTestFinished`).
 */
export async function startSilentAgent(h: FileVaultHome, onFinished: (fn: () => void) => void): Promise<ChildProcess> {
  const sock = agentSocketFor(h.files.identity, { XDG_RUNTIME_DIR: h.runtime });
  mkdirSync(sock.dir, { mode: 0o700 });
  const script = `process.title = ${JSON.stringify(AGENT_TITLE)}; const s = require('node:net').createServer((c) => c.on('data', () => {})); s.listen(process.argv[1], () => { require('node:fs').chmodSync(process.argv[1], 0o600); console.log('ready'); });`;
  const agent = spawn(process.execPath, ['-e', script, sock.path], { stdio: ['ignore', 'pipe', 'inherit'] });
  onFinished(() => killIfRunning(agent.pid!));
  await new Promise((r) => agent.stdout!.once('data', r));
  return agent;
}
