import { catalogEntry } from '../../core/catalog';
import { checkedCredentialId, type CredentialId } from '../../core/credential';
import { VaultError } from '../../core/errors';
import type { TeamDocument } from '../../core/team-document';
import { sourceLabel } from '../../core/views';
import { WORKFLOWS, isWorkflowName, validateWorkflow, type AiProvider, type WorkflowName } from '../../core/workflows';
import { createContext, printJson, type CliContext, type ReadVault } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { table } from '../format';
import type { ExecArgs } from './exec';
import { openTeam, type TeamTarget } from './team-common';

/**
 * Read-through of a team file without importing it: `get --team F`,
 * `exec --team F` and `which --team F`. Precedence per credential: the
 * environment, then the personal vault, then the team file. Whether the
 * personal vault has a credential is decided by its index (no secret-store
 * call), so a CI runner without a keychain and without a profile reads the
 * team file alone. Team values never touch the disk or argv.
 */

/** Where `id` comes from before the team file: env var or personal vault (by its index), or null. */
function personalSource(reader: ReadVault, id: CredentialId): 'env' | 'stored' | null {
  if (reader.envValue(id) !== undefined) return 'env';
  return reader.listCredentials().find((c) => c.id === id)?.stored ? 'stored' : null;
}

/** `get --team F <service> <key>`: the env var or personal value when there is one, else the team file's. */
export async function teamGet(args: TeamTarget & { service: string; key: string }, ctx: CliContext): Promise<ExitCode> {
  const id = checkedCredentialId(args.service, args.key);
  const reader = await ctx.reader();
  if (personalSource(reader, id)) return (await import('./get')).get(args, ctx);
  const { doc, files, notes } = await openTeam(ctx, args);
  const found = doc.credentials.find((c) => c.id === id);
  if (!found) throw new VaultError('CREDENTIAL_MISSING', `${id} is not set: ${reader.envVarsFor(id).map((n) => `not in ${n}, `).join('')}not in your vault, not in ${files.file}.`, `Ask a member to add it: cpw-vault team push --add ${id}`);
  if (ctx.globals.json) printJson(ctx.io, { service: args.service, key: args.key, value: found.value, source: { kind: 'team', path: files.file }, ...notes });
  else ctx.io.out(ctx.io.stdoutIsTTY ? `${found.value}\n` : found.value);
  return EXIT.ok;
}

/** The credential ids a workflow may use (every alternative of every requirement). */
function workflowIds(workflow: string): Set<CredentialId> {
  if (!isWorkflowName(workflow)) throw new VaultError('WORKFLOW_UNKNOWN', 'Unknown workflow name.', `Use one of: ${Object.keys(WORKFLOWS).join(', ')}.`);
  return new Set(WORKFLOWS[workflow].requires.flatMap((r) => r.anyOf));
}

/** The env vars the team file adds for a workflow: each of its credentials neither env nor the personal vault has. */
export function teamOverlay(reader: ReadVault, doc: TeamDocument, workflow: string): Record<string, string> {
  const usable = workflowIds(workflow);
  const overlay: Record<string, string> = {};
  for (const c of doc.credentials) {
    if (!usable.has(c.id) || !catalogEntry(c.id) || personalSource(reader, c.id)) continue;
    overlay[reader.envVarsFor(c.id)[0]!] = c.value;
  }
  return overlay;
}

/**
 * `exec --team F --workflow W -- cmd`: exec, with the team's values for the
 * workflow's credentials that neither the environment nor the personal
 * vault has. They reach the stage as its environment (masked in its output
 * like any value), never its command line.
 */
export async function teamExec(args: TeamTarget & ExecArgs & { verify?: boolean }, ctx: CliContext): Promise<number> {
  if (args.verify) throw new VaultError('INVALID_ARGUMENT', '--verify and --team cannot be combined yet.', 'Check the keys first: cpw-vault team pull, then cpw-vault verify --workflow W.');
  const reader = await ctx.reader();
  workflowIds(args.workflow); // an unknown workflow is named before anything is opened
  // What the environment and the personal vault give already needs no team file: with no team identity (a member
  // removed, a laptop that never joined) or no file at all, exec failed though every key was there.
  const personal = validateWorkflow(args.workflow as WorkflowName, (id) => !!personalSource(reader, id), reader.pipelinePreferences().ai_provider as AiProvider);
  // Only when each need is met by its first choice: an HF token used in place of pyannote's (a note) is still a need
  // the team file may meet better.
  const overlay = personal.ready && !personal.warnings.length && !personal.notes.length ? {} : teamOverlay(reader, (await openTeam(ctx, args)).doc, args.workflow);
  (await ctx.vault()).close();
  // A fresh context whose environment carries the team's values at the lowest precedence (computed above).
  const inner = createContext({ ...ctx.io, env: { ...ctx.io.env, ...overlay } }, ctx.globals);
  const { exec } = await import('./exec');
  return exec({ workflow: args.workflow, command: args.command, ...(args.history !== undefined ? { history: args.history } : {}), ...(args.inheritSecrets ? { inheritSecrets: true } : {}), ...(args.mask !== undefined ? { mask: args.mask } : {}), ...(args.with ? { with: args.with } : {}) }, inner);
}

/** `which --team F`: like which, with "team F" for what only the team file gives. */
export async function teamWhich(args: TeamTarget & { service?: string; key?: string; all?: boolean }, ctx: CliContext): Promise<ExitCode> {
  const reader = await ctx.reader();
  const { doc, files, notes } = await openTeam(ctx, args);
  const inTeam = new Set(doc.credentials.map((c) => c.id));
  let ids: CredentialId[];
  if (args.all) ids = [...new Set([...reader.listCredentials().map((c) => c.id), ...inTeam])];
  else if (args.service && args.key) ids = [checkedCredentialId(args.service, args.key)];
  else throw new VaultError('INVALID_ARGUMENT', 'which needs <service> <key> or --all.', 'Example: cpw-vault which --team cpw-team.age tmdb api_key');
  const views = new Map(reader.listCredentials().map((c) => [c.id, c]));
  const rows = ids.map((id) => {
    const view = views.get(id);
    const own = personalSource(reader, id) ? sourceLabel(view?.source ?? { kind: 'env', name: reader.envVarsFor(id)[0]! }) : null;
    const source = own ?? (inTeam.has(id) ? `team ${files.file}` : 'missing');
    return { id, source, team: inTeam.has(id) };
  });
  if (ctx.globals.json) printJson(ctx.io, { credentials: rows, ...notes });
  else ctx.io.out(table(['CREDENTIAL', 'SOURCE'], rows.map((r) => [r.id, r.source + (r.team && !r.source.startsWith('team') ? ` (also in the team file)` : '')])));
  return !args.all && rows[0]?.source === 'missing' ? EXIT.missing : EXIT.ok;
}
