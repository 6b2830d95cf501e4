/**
 * The unlock agent process (bundled alone as dist/agent.cjs). Started,
 * detached, by `cpw-vault unlock`: reads its configuration — the unlocked
 * identity included — as one JSON line on stdin (never argv, never env),
 * starts serving, answers one JSON line on stdout ({"ready":true,"pid"} or
 * {"ready":false,"code","message"}), closes both pipes and runs until its
 * TTL, `cpw-vault lock`, or a change of the identity file. It writes
 * nothing anywhere: no log, no file but its socket.
 */
import { toVaultError } from '../../core/errors';
import { serveAgent, type AgentConfig } from './server';

async function readConfig(): Promise<AgentConfig> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += (chunk as Buffer).toString('utf8');
    if (text.includes('\n')) break;
  }
  return JSON.parse(text.slice(0, text.indexOf('\n'))) as AgentConfig;
}

async function run(): Promise<void> {
  process.title = 'cpw-vault-agent';
  let config: AgentConfig | undefined;
  try {
    config = await readConfig();
    const agent = await serveAgent(config);
    config = undefined; // the key lives on only inside the running agent
    process.stdout.write(`${JSON.stringify({ ready: true, pid: agent.pid, expires_at: agent.expiresAt.toISOString() })}\n`);
    process.stdin.destroy();
    process.stdout.end();
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => agent.stop(signal));
    await agent.stopped;
    process.exit(0);
  } catch (err) {
    const e = toVaultError(err);
    process.stdout.write(`${JSON.stringify({ ready: false, code: e.code, message: e.message, fix: e.fix })}\n`);
    process.exit(1);
  }
}

void run();
