import { catalogEntry } from '../../core/catalog';
import type { CredentialId } from '../../core/credential';
import type { PipelinePreferences } from '../../core/preferences';
import { AI_PROVIDERS } from '../../core/workflows';

type Env = Readonly<Record<string, string | undefined>>;

/** An env var exported empty or blank (`CPW_VAULT_BIN=`) is unset, as a credential's is (`HF_TOKEN=` still gets the stored value). */
const unset = (value: string | undefined) => value === undefined || value.trim() === '';

/** What the child of `exec` gets, and which other credentials were kept out of (or let into) its environment. */
export interface ChildEnv {
  env: Record<string, string>;
  /** Credentials whose env vars, inherited from the parent, were removed. */
  stripped: CredentialId[];
  /** Credentials whose env vars were inherited on purpose (`--inherit-secrets`). */
  inherited: CredentialId[];
}

/** What {@link childEnv} needs. */
export interface ChildEnvInput {
  parent: Env;
  /** The workflow's variables (every alias of each credential it uses). */
  injected: Readonly<Record<string, string>>;
  /** The credentials the workflow uses. */
  uses: readonly CredentialId[];
  /** Every catalog and custom credential with the env vars that carry it. */
  carriers: ReadonlyMap<CredentialId, readonly string[]>;
  inheritSecrets: boolean;
  preferences: PipelinePreferences;
  /** The command line of the cpw-vault running exec (`'node' '/x/bin/cpw-vault.cjs'`): the stage's CPW_VAULT_BIN unless it has one. */
  self?: string | undefined;
  /** The profile exec reads when `--profile` named it (an absolute path): the stage's CPW_PROFILE. */
  profile?: string | undefined;
}

/** A command line that runs this very cpw-vault (Node, then the launcher), each word single-quoted (sh and Python's shlex). */
export function selfCommand(argv1 = process.argv[1]): string | undefined {
  const quote = (w: string) => `'${w.replace(/'/g, `'"'"'`)}'`;
  return argv1 ? `${quote(process.execPath)} ${quote(argv1)}` : undefined;
}

/** The pipeline preferences as stages read them: CPW_AI_PROVIDER, CPW_SOURCE_LANGUAGE, CPW_COST_TRACKING ("1"/"0"). */
export function preferenceVars(p: ChildEnvInput['preferences']): Record<string, string> {
  return { CPW_AI_PROVIDER: p.ai_provider, CPW_SOURCE_LANGUAGE: p.default_source_language, CPW_COST_TRACKING: p.enable_cost_tracking ? '1' : '0' };
}

/**
 * The preferences with ai_provider set to the provider whose key the workflow
 * uses, when the preferred one has no key (summarize then uses another): a
 * stage reading CPW_AI_PROVIDER=anthropic with only OPENAI_API_KEY injected
 * looked for a key that was not there.
 */
function withProviderUsed(p: PipelinePreferences, uses: readonly CredentialId[]): PipelinePreferences {
  if (uses.includes(`${p.ai_provider}.api_key`)) return p;
  const used = AI_PROVIDERS.find((provider) => uses.includes(`${provider}.api_key`));
  return used ? { ...p, ai_provider: used } : p;
}

/**
 * The least-privilege environment of `exec --workflow W`: the parent's
 * environment without the env vars of any other secret credential (catalog
 * or custom) unless `inheritSecrets`, plus the workflow's own variables and
 * the pipeline preferences (a value the parent already exports wins, as env
 * vars win everywhere in cpw-vault; an empty or blank one does not). Pure.
 */
export function childEnv(input: ChildEnvInput): ChildEnv {
  // No prototype: `env['__proto__'] = v` on a plain object sets its prototype (a string: ignored), and the stage
  // lost a variable of that name that the parent had.
  const env = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(input.parent)) if (v !== undefined) env[k] = v;
  const stripped: CredentialId[] = [];
  const inherited: CredentialId[] = [];
  for (const [id, names] of input.carriers) {
    if (input.uses.includes(id) || catalogEntry(id)?.secret === false) continue;
    const present = names.filter((n) => env[n] !== undefined);
    if (!present.length) continue;
    if (input.inheritSecrets) inherited.push(id);
    else {
      for (const n of present) delete env[n];
      stripped.push(id);
    }
  }
  for (const [k, v] of Object.entries(preferenceVars(withProviderUsed(input.preferences, input.uses)))) if (unset(env[k])) env[k] = v;
  Object.assign(env, input.injected);
  // A stage has nobody watching its keychain dialogs: a cpw-vault it runs fails at the normal deadline instead of waiting 60 s.
  env['CPW_VAULT_STAGE'] = '1';
  // The stage's own cpw-vault calls (the Python package, a shell step) reach this one even when it is not on PATH (npx, node bin/...).
  if (input.self && unset(env['CPW_VAULT_BIN'])) env['CPW_VAULT_BIN'] = input.self;
  // And read the profile exec reads: under `cpw-vault --profile team.profile exec`, a stage's own cpw-vault calls (a
  // --with it forgot, the Python package) read the default profile, the user's main vault, in its place.
  if (input.profile) env['CPW_PROFILE'] = input.profile;
  return { env, stripped, inherited };
}
