import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, VaultError, type ErrorCode } from '../../core/errors';
import type { VaultKey } from '../secrets/vault-crypto';
import type { VaultFiles } from '../secrets/vault-files';
import type { AgentConfig } from './server';
import { checkSocketDir, type AgentSocket } from './socket-dir';

/** Longest wait for a new agent to say it listens (a loaded CI machine can be slow to start node). */
const START_TIMEOUT_MS = 20_000;

/** The agent bundle: dist/agent.cjs, beside the bundle this code runs from (dist/cli.cjs, dist/index.mjs). */
export function defaultAgentScript(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'agent.cjs');
}

/**
 * The command that runs the agent bundle: through /bin/sh, which sets the core file limit to 0 (soft and hard) and
 * execs node in its place (same pid). Node can neither set a resource limit nor call prctl(PR_SET_DUMPABLE): with a
 * desktop's `ulimit -c unlimited` (systemd-coredump, apport), an agent that crashed or was sent SIGABRT or SIGSEGV
 * wrote its memory, the unlocked key in it, to disk for days.
 */
function agentCommand(script: string): [string, string[]] {
  if (process.platform === 'win32' || !existsSync('/bin/sh')) return [process.execPath, [script]];
  // The shell's own variables go too (dash exports PWD): the agent's environment stays what it is given, nothing more.
  return ['/bin/sh', ['-c', 'ulimit -c 0 && unset PWD OLDPWD SHLVL && exec "$0" "$@"', process.execPath, script]];
}

/**
 * The variables CI runners find a job's processes by, to end them when the job ends or is cancelled: GitHub Actions'
 * runner (RUNNER_TRACKING_ID) and Azure Pipelines' (VSTS_PROCESS_LOOKUP_ID) kill every process whose environment holds
 * the job's id, Jenkins' ProcessTreeKiller its JENKINS_NODE_COOKIE or BUILD_ID. The agent runs in a session of its own,
 * so a cancel's signals to the job's process group never reach it: started with none of them, it outlived the job on a
 * self-hosted runner, the vault open to every later job until its TTL (8 h by default). Ids the runner made up, no
 * secret; they are all of the job's environment the agent gets.
 */
const CI_JOB_TRACKING = ['RUNNER_TRACKING_ID', 'VSTS_PROCESS_LOOKUP_ID', 'JENKINS_NODE_COOKIE', 'BUILD_ID'] as const;

/** The agent's environment: the CI job's tracking ids ({@link CI_JOB_TRACKING}), and ELECTRON_RUN_AS_NODE from the app. */
function agentEnv(from: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of CI_JOB_TRACKING) {
    const value = from[name];
    // An id: printable ASCII, short. Anything else is not a runner's and stays out.
    if (value && value.length <= 200 && /^[\x21-\x7e]+$/.test(value)) env[name] = value;
  }
  // From the desktop app, process.execPath is Electron: run it as plain node.
  if (process.versions['electron']) env['ELECTRON_RUN_AS_NODE'] = '1';
  return env;
}

/** Options of {@link startAgent}. */
export interface StartAgentOptions {
  key: VaultKey;
  files: VaultFiles;
  socket: AgentSocket;
  ttlMs: number;
  /** The agent bundle (default: dist/agent.cjs beside this bundle). */
  agentScript?: string;
}

/**
 * Starts the unlock agent for an unlocked key: a detached node process (own
 * session, cwd /, an environment of a CI job's tracking ids alone) that receives the key over a pipe —
 * never argv, never an env var, never a file — and listens on `socket`.
 * Resolves when it listens. Throws VAULT_AGENT_UNSAFE for an unsafe socket
 * folder, VAULT_LOCKED when an agent already runs, INTERNAL when it could
 * not start.
 */
export async function startAgent(options: StartAgentOptions): Promise<{ pid: number; expiresAt: Date }> {
  const script = options.agentScript ?? defaultAgentScript();
  if (!existsSync(script)) throw new VaultError('INTERNAL', `The unlock agent program is missing (${script}).`, 'Reinstall cpw-vault (npm install), or build it: npm run build:cli');
  checkSocketDir(options.socket.dir, true);
  const config: AgentConfig = {
    identity: options.key.identity,
    recipient: options.key.recipient,
    identityPath: options.files.identity,
    socketDir: options.socket.dir,
    socketPath: options.socket.path,
    ttlMs: options.ttlMs,
  };
  const child = spawn(...agentCommand(script), { detached: true, cwd: '/', env: agentEnv(process.env), stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdin.end(`${JSON.stringify(config)}\n`);
  const answer = await new Promise<string>((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve(''), START_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      if (!text.includes('\n')) return;
      clearTimeout(timer);
      resolve(text.slice(0, text.indexOf('\n')));
    });
    child.once('exit', () => (clearTimeout(timer), resolve(text)));
    child.once('error', () => (clearTimeout(timer), resolve('')));
  });
  child.stdout.destroy();
  child.unref();
  let reply: { ready?: boolean; pid?: number; expires_at?: string; code?: string; message?: string; fix?: string } = {};
  try {
    reply = JSON.parse(answer) as typeof reply;
  } catch {
    // no answer: reported below
  }
  if (reply.ready && reply.pid && reply.expires_at) return { pid: reply.pid, expiresAt: new Date(reply.expires_at) };
  child.kill();
  if ((ERROR_CODES as readonly string[]).includes(reply.code ?? '') && reply.message) throw new VaultError(reply.code as ErrorCode, reply.message, reply.fix ?? '');
  throw new VaultError('INTERNAL', 'The unlock agent did not start.', 'Retry: cpw-vault unlock. If it keeps failing, check that node can run from this shell.');
}
