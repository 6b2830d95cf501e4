import { notAnsweringWhy, resumeStopped, type AgentNotAnswering, type KeychainStatus } from '../core/secret-store';
import { agentForStatus } from '../node/agent/lock-agents';
import type { AgentSocket } from '../node/agent/socket-dir';

/** The vault file's unlock agent as `backend` and `doctor` show it ({@link agentForStatus}). */
export type AgentFound = Awaited<ReturnType<typeof agentForStatus>>;

/**
 * The unlock agent on `socket`, for the vault file's `status`: the status's own finding first (one attempt, its
 * state: an agent that did not answer is not asked again, 5 s more), else one connect ({@link agentForStatus}).
 */
export async function agentOfStatus(status: KeychainStatus, socket: AgentSocket): Promise<AgentFound> {
  return status.agentNotAnswering ? { notAnswering: status.agentNotAnswering } : agentForStatus(socket);
}

/**
 * The line saying an agent that is there did not answer, or cannot be asked, with what to do; undefined for one that
 * answered or none. A stopped one (kill -STOP, a suspended session) is resumed by SIGCONT, unlocked as it was: said
 * with its pids, beside `cpw-vault lock`, which ends it and its key.
 */
export function agentTrouble(found: AgentFound, status: KeychainStatus): string | undefined {
  if (found && 'unknown' in found) {
    const { code, message } = found.unknown;
    return `unlock agent: not known, it cannot be asked (${code}${!status.ok && status.code === code ? ', above' : `: ${message}`})`;
  }
  if (found && 'notAnswering' in found) return notAnsweringLine(found.notAnswering);
  return undefined;
}

function notAnsweringLine(silent: AgentNotAnswering): string {
  const resume = resumeStopped(silent);
  return `not answering: the unlock agent${silent.pids.length ? ` (pid ${silent.pids.join(', ')})` : ''} ${notAnsweringWhy(silent)}; it may still hold the key in memory: cpw-vault lock ends it, its key with it${resume ? `; or ${resume}` : ''}`;
}
