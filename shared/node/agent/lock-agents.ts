import { lstatSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { isVaultError, toVaultError, type VaultError } from '../../core/errors';
import type { AgentNotAnswering } from '../../core/secret-store';
import { AgentClient, AgentStopping } from './client';
import { AGENT_TITLE, type AgentHello } from './protocol';
import { agentSocketsElsewhere, agentsListeningOn, agentStopped, endSilentAgent, endStoppingAgent } from './silent-agent';
import { agentSocketNames, type AgentSocket } from './socket-dir';

/** What {@link answeringAgent} gives for an agent that did not answer: its socket removed, the process ended (its pid) if it could be. */
export interface CutOff {
  cutOff: true;
  /** The agents ended (pids): the silent one, and any stale one still bound to that name. */
  ended: number[];
  /** Set when the agent answered that it was stopping (why): it was not silent, and has ended since. */
  stopping?: string;
}

/** True for {@link answeringAgent}'s answer about an agent that did not answer. */
export function isCutOff(found: AgentClient | CutOff | undefined): found is CutOff {
  return !!found && 'cutOff' in found;
}

/** True for what {@link AgentClient.connect} throws when an agent is there but did not answer in time (or did not, this process, less than that ago). */
function didNotAnswer(err: unknown): boolean {
  return isVaultError(err, 'VAULT_LOCKED') && /did not answer/.test(err.message);
}

/**
 * For an error {@link AgentClient.connect} (or a request) threw on `socket`: the agent that did not answer while its
 * process is still there, its pids (none where that cannot be told: no /proc), and whether it is stopped (kill -STOP)
 * or runs (busy: a vault file near 16 MiB being decrypted for another client; or hung), where /proc tells it.
 * Undefined for any other error, or when no agent of this user listens there any more (it went away since). Looks
 * only: nothing is sent to it, ended or remembered. For a status that says "not answering" rather than "locked".
 */
export function notAnswering(err: unknown, socket: AgentSocket): AgentNotAnswering | undefined {
  if (!didNotAnswer(err)) return undefined;
  const pids = agentsListeningOn(socket.path);
  if (pids?.length === 0) return undefined;
  const stopped = (pids ?? []).map(agentStopped);
  if (!stopped.length || stopped.includes(undefined)) return { pids: pids ?? [] };
  return { pids: pids!, state: stopped.every(Boolean) ? 'stopped' : 'running' };
}

/**
 * The unlock agent on `socket` as a status shows it: its hello when it answered; `notAnswering` when it is there (its
 * process alive) but did not answer, see {@link notAnswering}; undefined when none runs (or one is stopping); `unknown`
 * (why) when it cannot be asked: a folder not safe to talk through (VAULT_AGENT_UNSAFE), an agent that refused. Taken
 * for none, that said "locked" (the app's unlockedUntil null, backend's "no unlock agent runs") where an agent may run.
 * One connect, closed at once: nothing is ended, and nothing remembered beyond what connect remembers of an agent that
 * did not answer. Used by the app's Security status and `cpw-vault backend`.
 */
export async function agentForStatus(socket: AgentSocket): Promise<{ hello: AgentHello } | { notAnswering: AgentNotAnswering } | { unknown: VaultError } | undefined> {
  try {
    const a = await AgentClient.connect(socket);
    a?.close();
    return a && { hello: a.hello };
  } catch (err) {
    if (err instanceof AgentStopping) return undefined;
    const silent = notAnswering(err, socket);
    return silent ? { notAnswering: silent } : { unknown: toVaultError(err) };
  }
}

/**
 * The unlock agent on `socket`, undefined when none runs. One that is there
 * but does not answer (stopped with kill -STOP, hung) would block every lock
 * and unlock: the process is ended (its key leaves memory), its socket
 * removed (that agent, if it could not be ended and resumes, leaves a socket
 * that is not its own alone, so a new agent is safe), nothing reads through
 * it any more, and `warn` is told (one line, ending in a newline). Throws
 * what {@link AgentClient.connect} throws otherwise (VAULT_AGENT_UNSAFE, ...).
 * Used by the CLI (lock, unlock) and Electron main alike.
 */
export async function answeringAgent(socket: AgentSocket, warn: (line: string) => void): Promise<AgentClient | CutOff | undefined> {
  try {
    return await AgentClient.connect(socket);
  } catch (err) {
    // One stopping already (its time to live, its identity file changed or gone): waited for, ended if it lingers.
    if (err instanceof AgentStopping) return { cutOff: true, ended: err.pid !== undefined && (await endStoppingAgent(err.pid)) ? [err.pid] : [], stopping: err.why };
    if (!didNotAnswer(err)) throw err;
    const ended = endSilentAgent(socket.path);
    if (lstatSync(socket.path, { throwIfNoEntry: false })?.isSocket()) unlinkSync(socket.path);
    warn(
      ended.length
        ? `warning: the unlock agent of this vault (pid ${ended.join(', ')}) did not answer (stopped or hung): it was ended, its key with it, and its socket removed.\n`
        : `warning: the unlock agent of this vault did not answer (stopped or hung) and could not be ended: its socket was removed, so nothing reads through it any more. The process ends at its time to live (see it with: pgrep -a ${AGENT_TITLE}).\n`,
    );
    return { cutOff: true, ended };
  }
}

/** What {@link lockAgents} did to one agent of the vault: stopped it (it answered), or ended it (it did not; its pids when found), or saw it end (it was stopping: why). */
export interface StoppedAgent {
  pids: number[];
  answered: boolean;
  /** The folder it listened in. */
  where: string;
  stopping?: string;
}

/** True when that agent did not answer and no process of it could be ended: its socket is gone, its key may still be in memory. */
export function notEnded(a: StoppedAgent): boolean {
  return !a.answered && !a.stopping && !a.pids.length;
}

/**
 * Stops every unlock agent of the vault whose identity file is `identity`,
 * wherever it listens: `socket` (the folder this environment names), and any
 * other folder an agent of this vault (this user's) listens in, started under
 * another TMPDIR / XDG_RUNTIME_DIR. One that answers is asked to stop; one
 * that does not is ended ({@link answeringAgent}; `warn` is told). Throws what
 * connecting to `socket` throws (VAULT_AGENT_UNSAFE, ...), or a failed request
 * to stop; a folder elsewhere that is not safe to talk through is left alone.
 */
export async function lockAgents(identity: string, socket: AgentSocket, warn: (line: string) => void): Promise<StoppedAgent[]> {
  const sockets: AgentSocket[] = [socket, ...agentSocketsElsewhere(agentSocketNames(identity), socket.path).map((path) => ({ dir: dirname(path), path }))];
  const stopped: StoppedAgent[] = [];
  for (const s of sockets) {
    const agent = await answeringAgent(s, warn).catch((err: unknown) => {
      if (s === socket) throw err;
      return undefined; // a folder elsewhere that is not safe to talk through is left alone (the agent ends at its TTL)
    });
    if (!agent) continue;
    if (isCutOff(agent)) {
      stopped.push({ pids: agent.ended, answered: false, where: s.dir, ...(agent.stopping ? { stopping: agent.stopping } : {}) });
      continue;
    }
    stopped.push({ pids: [agent.hello.pid], answered: true, where: s.dir });
    await agent.lock();
  }
  return stopped;
}
