import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import { isVaultError } from '../core/errors';
import { AgentClient, AgentStopping } from '../node/agent/client';
import type { AuditEvent } from '../core/records';
import { AGENT_TITLE } from '../node/agent/protocol';
import { endSilentAgent, endStoppingAgent } from '../node/agent/silent-agent';
import { agentSocketFor, type AgentSocket } from '../node/agent/socket-dir';
import { sidecarPath } from '../node/profile/paths';
import { AuditLog } from '../node/records/audit-log';
import { vaultNotFound } from '../node/secrets/vault-errors';
import { vaultFilesFor, type VaultFiles } from '../node/secrets/vault-files';
import { profilePathsOf, type CliContext } from './context';

/** The vault files and agent socket of the profile a command runs on (same resolution as the vault itself). */
export function vaultFilesOf(ctx: CliContext): { files: VaultFiles; socket: AgentSocket; audit: AuditLog } {
  const paths = profilePathsOf(ctx);
  const files = vaultFilesFor(paths.profile);
  return { files, socket: agentSocketFor(files.identity, ctx.io.env), audit: new AuditLog(sidecarPath(paths, 'audit.log')) };
}

/** Throws VAULT_NOT_FOUND unless both vault files exist. */
export function assertVaultExists(files: VaultFiles): void {
  const identity = existsSync(files.identity);
  const vault = existsSync(files.vault);
  if (!identity) throw vaultNotFound(files.identity, vault ? files.vault : undefined);
  if (!vault) throw vaultNotFound(files.vault, files.identity);
}

/** Appends an audit event as the CLI; a failed append is a warning, never the command's failure. */
export async function auditCli(ctx: CliContext, audit: AuditLog, event: Omit<AuditEvent, 'ts' | 'caller'>): Promise<void> {
  try {
    await audit.append({ ...event, caller: 'cli' });
  } catch (err) {
    ctx.io.err(`warning: could not write the audit log: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

/**
 * The unlock agent of this vault, undefined when none runs. One that is
 * there but does not answer (stopped with kill -STOP, hung) would block
 * every lock and unlock: the process is ended (its key leaves memory), its
 * socket removed (that agent, if it could not be ended and resumes, leaves a
 * socket that is not its own alone, so a new agent is safe), nothing reads
 * through it any more, and the user is told.
 */
export async function answeringAgent(ctx: CliContext, socket: AgentSocket): Promise<AgentClient | CutOff | undefined> {
  try {
    return await AgentClient.connect(socket);
  } catch (err) {
    // One stopping already (its time to live, its identity file changed or gone): waited for, ended if it lingers.
    if (err instanceof AgentStopping) return { cutOff: true, ended: err.pid !== undefined && (await endStoppingAgent(err.pid)) ? [err.pid] : [], stopping: err.why };
    if (!isVaultError(err, 'VAULT_LOCKED') || !/did not answer/.test(err.message)) throw err;
    const ended = endSilentAgent(socket.path);
    if (lstatSync(socket.path, { throwIfNoEntry: false })?.isSocket()) unlinkSync(socket.path);
    ctx.io.err(
      ended.length
        ? `warning: the unlock agent of this vault (pid ${ended.join(', ')}) did not answer (stopped or hung): it was ended, its key with it, and its socket removed.\n`
        : `warning: the unlock agent of this vault did not answer (stopped or hung) and could not be ended: its socket was removed, so nothing reads through it any more. The process ends at its time to live (see it with: pgrep -a ${AGENT_TITLE}).\n`,
    );
    return { cutOff: true, ended };
  }
}

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
