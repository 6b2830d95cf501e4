import { existsSync } from 'node:fs';
import type { AgentClient } from '../node/agent/client';
import type { AuditEvent } from '../core/records';
import { answeringAgent as nodeAnsweringAgent, type CutOff } from '../node/agent/lock-agents';
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

/** The unlock agent of this vault ({@link nodeAnsweringAgent}), its warning on stderr. */
export async function answeringAgent(ctx: CliContext, socket: AgentSocket): Promise<AgentClient | CutOff | undefined> {
  return nodeAnsweringAgent(socket, (line) => ctx.io.err(line));
}

export { isCutOff, type CutOff } from '../node/agent/lock-agents';
