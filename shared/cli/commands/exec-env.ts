/**
 * The stage's environment for `cpw-vault exec`: the workflow's credentials, those `--with` adds (each checked to
 * carry an env var of its own), and which of the shell's credential variables it keeps. exec.ts runs the stage in it.
 */
import { agreeing, counted } from '../../core/plural';
import { catalogEntry } from '../../core/catalog';
import { checkedCredentialId, splitCredentialId, type CredentialId } from '../../core/credential';
import { envVarClashFix, envVarClashText } from '../../core/env-var-names';
import { VaultError } from '../../core/errors';
import { nearCatalogId } from '../../core/near-names';
import type { CredentialCarrier } from '../../core/views';
import { fixLine } from '../../core/workflows';
import { childEnv, selfCommand, type ChildEnv } from '../../node/exec/child-env';
import { alteredEnvVars, shownEnvName, unnamedEnvVars } from '../../node/exec/env-bytes';
import type { ResolvedWorkflow } from '../../node/vault/workflow-reads';
import type { CliContext, ReadVault } from '../context';

/** What {@link stageEnv} is built from. */
export interface StageEnvInput {
  /** exec's `--with`, `--inherit-secrets` and workflow. */
  args: { with?: string[] | undefined; inheritSecrets?: boolean | undefined };
  ctx: CliContext;
  vault: ReadVault;
  /** The workflow, resolved and ready. */
  resolved: ResolvedWorkflow;
  /** Every credential the vault lists (their env vars: what the shell's variables carry). */
  credentials: readonly CredentialCarrier[];
  /** Records the run as refused, with the credentials that refused it (a `--with` one missing or shared). */
  refused: (ids: CredentialId[]) => Promise<void>;
}

/** The stage's environment, and what it was made of. */
export interface StageEnv {
  /** The credentials' env vars given to the stage (the workflow's and --with's), to their values. */
  vars: Record<string, string>;
  /** The credentials the stage uses: the workflow's, then --with's. */
  uses: CredentialId[];
  /** Each credential's env vars, as the shell would carry it (those a stage does not use are stripped). */
  carriers: Map<CredentialId, string[]>;
  child: ChildEnv;
}

/**
 * The stage's environment: the workflow's credentials and `--with`'s (read; throws as {@link withCredentials}
 * does), the parent's variables without the other credentials' (unless --inherit-secrets), and the pipeline
 * preferences. Variables of the parent that are not UTF-8 are warned of, once: the stage gets them altered, or
 * (a name that is not UTF-8) not at all.
 */
export async function stageEnv(input: StageEnvInput): Promise<StageEnv> {
  const { args, ctx, vault, resolved, credentials } = input;
  const extra = await withCredentials(args.with, vault, input.refused);
  const vars = { ...(await vault.environmentOf(resolved)), ...extra.vars };
  const { uses: used } = resolved.status;
  const uses = [...used, ...extra.ids.filter((id) => !used.includes(id))];
  // A custom credential whose env var others carry too (its SERVICE_KEY, or a name both name as their own) carries
  // none, but its shell's variable is still a secret the workflow does not use (unless a catalog credential's: that
  // one's own carrier decides).
  const carriers = new Map(credentials.map((c) => [c.id, c.envVars.length || !c.custom ? c.envVars : clashedName(vault, c.id)]));
  const child = childEnv({ parent: ctx.io.env, injected: vars, uses, carriers, inheritSecrets: !!args.inheritSecrets, preferences: vault.pipelinePreferences(), self: selfCommand(), profile: ctx.globals.profile ? vault.profilePath : undefined });
  const warning = notUtf8Warning(unnamedEnvVars(), alteredEnvVars(child.env).filter((name) => !Object.hasOwn(vars, name)));
  if (warning) ctx.io.err(warning);
  return { vars, uses, carriers, child };
}

/** How many of those names the warning shows, and how much of each. */
const SHOWN_NAMES = 20;
const SHOWN_NAME_CHARS = 40;

/**
 * One warning for the parent's variables the stage cannot get as they are (Node passes only text): those whose name
 * is not UTF-8 (`unnamed`: Node drops them, and they went missing silently) and those whose value is not (`altered`:
 * passed with U+FFFD). How many, why, and their names (escaped); never a value. Empty when there are none.
 */
function notUtf8Warning(unnamed: readonly Buffer[], altered: readonly string[]): string {
  const count = unnamed.length + altered.length;
  if (!count) return '';
  // A few names, each cut short: the environment is anyone's to fill (10,000 such names made a 109 KB line).
  const list = (names: ReadonlyArray<Buffer | string>) => {
    const shown = names.slice(0, SHOWN_NAMES).map((name) => shownEnvName(name, SHOWN_NAME_CHARS)).join(', ');
    return names.length > SHOWN_NAMES ? `${shown}, and ${names.length - SHOWN_NAMES} more` : shown;
  };
  const parts = [
    unnamed.length ? `does not get ${unnamed.length} whose name is not UTF-8 (${list(unnamed)})` : '',
    altered.length ? `gets ${altered.length} with U+FFFD in place of the invalid bytes of ${agreeing(altered.length, 'its value', 'their values')} (${list(altered)})` : '',
  ].filter(Boolean);
  return `warning: ${counted(count, 'variable')} of the environment ${agreeing(count, 'is', 'are')} not valid UTF-8, and Node passes only text: the stage ${parts.join(', and ')}. Set ${agreeing(count, 'it', 'them')} in UTF-8, or have the stage read ${agreeing(count, 'it', 'them')} from a file.\n`;
}

/**
 * The credentials of `--with` (custom ones: a workflow names only catalog
 * credentials, so a custom credential reached a stage no other way), each
 * under every env var that carries it, from the environment or the vault.
 * One that is not set refuses the run (CREDENTIAL_MISSING, exit 3),
 * recorded as refused like a workflow that is not ready.
 */
async function withCredentials(withs: readonly string[] | undefined, vault: ReadVault, refused: (ids: CredentialId[]) => Promise<void>): Promise<{ ids: CredentialId[]; vars: Record<string, string> }> {
  const ids = [...new Set((withs ?? []).map((w) => {
    const dot = w.indexOf('.');
    if (dot <= 0) throw new VaultError('INVALID_ARGUMENT', '--with takes a credential as SERVICE.KEY.', 'For example: cpw-vault exec --workflow transcribe --with deepl.api_key -- ./stage.sh');
    return checkedCredentialId(w.slice(0, dot), w.slice(dot + 1));
  }))];
  const vars: Record<string, string> = {};
  const carrier = new Map<string, CredentialId>();
  for (const id of ids) {
    await refuseSharedEnvVar(id, vault, carrier, () => refused([id]));
    const { service, key } = splitCredentialId(id);
    const found = await vault.findCredential(service, key);
    if (!found) {
      await refused([id]);
      // A typo of a catalog name (`--with tmdb.apikey`) is said to be one, as get says it: `set tmdb apikey` is refused.
      const near = nearCatalogId(id);
      throw new VaultError('CREDENTIAL_MISSING', `${id} (--with) is not set; the stage was not started.`, near ? `Did you mean ${near}? Use: --with ${near}` : fixLine(id));
    }
    for (const name of vault.envVarsFor(id)) {
      carrier.set(name, id);
      vars[name] = found.value;
    }
  }
  return { ids, vars };
}

/**
 * Refuses `--with id` (CREDENTIAL_INVALID, the run recorded as refused by `refused`) when its env var is another
 * credential's too: one without a name of its own whose SERVICE_KEY another carries (`my-svc.api_key` and
 * `my_svc.api_key`), one naming as its own a name other custom ones name as theirs (see VaultReader.envVarClash), or
 * one naming as its own a variable an earlier `--with` credential set (`carrier`: a catalog one's, stored so by an
 * older version). Under that name the stage would read one value in place of the other, and nothing said so.
 */
async function refuseSharedEnvVar(id: CredentialId, vault: ReadVault, carrier: ReadonlyMap<string, CredentialId>, refused: () => Promise<void>): Promise<void> {
  const clash = vault.envVarClash(id);
  const shared = clash ? undefined : vault.envVarsFor(id).find((name) => carrier.has(name));
  if (!clash && shared === undefined) return;
  await refused();
  if (clash) throw new VaultError('CREDENTIAL_INVALID', `${envVarClashText(clash)} The stage was not started.`, envVarClashFix(clash));
  const other = carrier.get(shared!)!;
  throw new VaultError('CREDENTIAL_INVALID', `${other} and ${id} (--with) both take the env var ${shared}: the stage would get one value in place of the other. The stage was not started.`, envVarClashFix({ id, name: shared!, others: [other] }));
}

/** The env var custom credential `id` shares with other custom ones (see refuseSharedEnvVar), as a list of carriers. */
function clashedName(vault: ReadVault, id: CredentialId): string[] {
  const clash = vault.envVarClash(id);
  return clash && !clash.others.some((o) => catalogEntry(o)) ? [clash.name] : [];
}
