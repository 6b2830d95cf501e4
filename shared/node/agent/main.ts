/**
 * The unlock agent process (bundled alone as dist/agent.cjs). Started,
 * detached, by `cpw-vault unlock`: reads its configuration — the unlocked
 * identity included — as one JSON line on stdin (never argv, never env),
 * starts serving, answers one JSON line on stdout ({"ready":true,"pid"} or
 * {"ready":false,"code","message"}), closes both pipes and runs until its
 * TTL, `cpw-vault lock`, or a change of the identity file. It writes
 * nothing anywhere: no log, no file but its socket.
 */
import { closeSync, readdirSync, readFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { toVaultError, VaultError } from '../../core/errors';
import { ENDING } from '../exec/stage-signals';
import { AGENT_TITLE } from './protocol';
import { serveAgent, type AgentConfig } from './server';

/** Linux's O_CLOEXEC, as /proc/self/fdinfo shows it (octal flags). */
const O_CLOEXEC = 0o2000000;

/**
 * Closes the descriptors this process inherited beyond stdio (Linux): a
 * shell's `200>&1`, a CI runner's or make's pipe to whoever ran `unlock`.
 * Held for the agent's whole TTL, they kept that pipe open, and the
 * wrapper waiting for its end waited hours. Node opens its own with
 * O_CLOEXEC, so those without it are the inherited ones.
 */
function closeInherited(): void {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return; // no /proc: nothing to go by
  }
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd <= 2) continue;
    try {
      const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) === 0) closeSync(fd);
    } catch {
      // gone already (the folder's own descriptor)
    }
  }
}

/** Most of stdin read for the configuration line: an identity and three paths, far under it. */
const MAX_CONFIG_BYTES = 1024 * 1024;

async function readConfig(): Promise<AgentConfig> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += (chunk as Buffer).toString('utf8');
    if (text.includes('\n')) break;
    // A stdin without the line's end (`node dist/agent.cjs < /dev/zero`) was read until memory ran out.
    if (text.length > MAX_CONFIG_BYTES) throw new VaultError('INVALID_ARGUMENT', `The unlock agent's stdin ran on past ${MAX_CONFIG_BYTES} bytes without the end of its configuration line: it was not started by cpw-vault unlock.`, 'Start it with: cpw-vault unlock');
  }
  return JSON.parse(text.slice(0, text.indexOf('\n'))) as AgentConfig;
}

/**
 * Signals that stop the agent (its key leaves memory, its socket removed): those every command takes as an interrupt
 * ({@link ENDING}). SIGUSR1 too: Node would start its inspector, a debugger on 127.0.0.1:9229 without authentication
 * that any local user could attach to and read the key with, for the agent's hours. SIGUSR2, SIGALRM, SIGPWR and the
 * others killed it by their default action: the key gone too, but its socket left for the next lock to remove.
 */
const STOP_SIGNALS = ENDING;

/**
 * A SIGUSR1 in the milliseconds before {@link run} took it started Node's
 * inspector (Node 20 cannot be told not to): a debugger anyone on this host
 * could attach to. It is closed, and the agent never holds the key.
 */
function refuseIfInspected(): void {
  if (!inspector.url()) return;
  inspector.close();
  throw new VaultError('VAULT_AGENT_UNSAFE', 'A debugger was started in the unlock agent as it began (SIGUSR1); it was closed, and the agent did not keep the key.', 'Run cpw-vault unlock again.');
}

async function run(): Promise<void> {
  process.title = AGENT_TITLE;
  closeInherited();
  let config: AgentConfig | undefined;
  let serving: Awaited<ReturnType<typeof serveAgent>> | undefined;
  // From the start: before it serves, one ends it as it would by default (the unlock waiting for it says so).
  for (const signal of STOP_SIGNALS) process.on(signal, () => (serving ? serving.stop(signal) : process.exit(1)));
  try {
    refuseIfInspected();
    config = await readConfig();
    // Once more with the key read: a SIGUSR1 just before the listeners above may start the inspector a moment later.
    refuseIfInspected();
    const agent = (serving = await serveAgent(config));
    config = undefined; // the key lives on only inside the running agent
    process.stdout.write(`${JSON.stringify({ ready: true, pid: agent.pid, expires_at: agent.expiresAt.toISOString() })}\n`);
    process.stdin.destroy();
    process.stdout.end();
    await agent.stopped;
    process.exit(0);
  } catch (err) {
    const e = toVaultError(err);
    process.stdout.write(`${JSON.stringify({ ready: false, code: e.code, message: e.message, fix: e.fix })}\n`);
    process.exit(1);
  }
}

void run();
