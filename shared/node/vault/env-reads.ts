/**
 * Which env vars carry a credential, and its value read from them: a catalog
 * credential's names, a custom one's own name (else its SERVICE_KEY), none
 * where another credential carries that name too. Functions of the
 * environment and the read view; the VaultReader (reader.ts) offers them.
 */
import { catalogEntry } from '../../core/catalog';
import type { CredentialId } from '../../core/credential';
import { carriedByAnother, catalogEnvVarOwner, defaultEnvVar, envVarClashIn, isReservedEnvVar, otherOwners, type EnvVarClash } from '../../core/env-var-names';
import { VaultError } from '../../core/errors';
import { alteredEnvVars } from '../exec/env-bytes';
import type { ReadView } from './read-view';
import type { CredentialValue } from './reader';

/** The environment the reads see. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Env vars that carry `id`, in precedence order. */
export function envVarsOf(id: CredentialId, view: ReadView | undefined): string[] {
  const entry = catalogEntry(id);
  if (entry) return [...entry.envVars];
  const custom = view?.kind === 'profile' ? view.index.meta(id)?.env_var : undefined;
  // A name stored before such names were refused (PATH, LD_PRELOAD, ...) carries nothing: get never reads
  // $PATH as the secret, exec never strips the stage's PATH nor puts a secret there.
  // One that other custom credentials name as theirs too (a hand-edited profile, sets racing in an older version)
  // carries nothing: whose value the shell's variable holds cannot be known (see envVarClashOf).
  // One that is a catalog credential's (HF_TOKEN, by a hand edit: set refuses it) stays the catalog one's: `get` of the
  // custom credential read the Hugging Face token from the shell.
  if (custom !== undefined && !isReservedEnvVar(custom)) return catalogEnvVarOwner(custom) !== undefined || (view?.kind === 'profile' && otherOwners(view.index.metadata, id, custom).length) ? [] : [custom];
  // The name it would get (SERVICE_KEY), unless another credential carries it: `get hf token` read $HF_TOKEN,
  // huggingface.token's, where `set hf token` refuses that name. Only for a credential without a name of its own
  // (not stored yet; stored by a first version).
  const name = defaultEnvVar(id);
  if (isReservedEnvVar(name) || catalogEnvVarOwner(name) !== undefined) return [];
  return view?.kind === 'profile' && carriedByAnother(view.index.metadata, id, name) ? [] : [name];
}

/**
 * Why custom credential `id` carries no env var: without one of its own, the SERVICE_KEY it would take is another
 * credential's too (a catalog one's, or custom ones' that fold to it: `my-svc.api_key` and `my_svc.api_key`), or
 * other custom credentials name its own as theirs. Undefined when it carries its name. Said by exec --with (which
 * refuses it), list, which and doctor: the stage would otherwise get one's value in place of the other's.
 */
export function envVarClashOf(id: CredentialId, view: ReadView | undefined): EnvVarClash | undefined {
  if (catalogEntry(id) || view?.kind !== 'profile') return undefined;
  return envVarClashIn(view.index.metadata, id);
}

/** The value of `id` in `env`, from the first of its env vars that is set, if any (see {@link handedOnFrom} before giving it out). */
export function valueFromEnv(env: Env, id: CredentialId, view: ReadView | undefined, names?: readonly string[]): CredentialValue | undefined {
  for (const name of names ?? envVarsToRead(env, id, view)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') return { value: value.trim(), source: { kind: 'env', name } };
  }
  return undefined;
}

/**
 * {@link envVarsOf}, but [] for a custom credential whose own name is not set here: whether others name it too
 * needs the whole profile parsed, and a `get` finds one from the lookup index alone. Unset, it gives nothing either way.
 */
function envVarsToRead(env: Env, id: CredentialId, view: ReadView | undefined): readonly string[] {
  const own = catalogEntry(id) || view?.kind !== 'profile' ? undefined : view.index.meta(id)?.env_var;
  if (own !== undefined && !isReservedEnvVar(own) && !env[own]?.trim()) return [];
  return envVarsOf(id, view);
}

/**
 * `found`, about to be given out (get, a workflow's environment): one from
 * an env var that is not UTF-8 is refused (CREDENTIAL_INVALID, naming the
 * variable). Node reads it with U+FFFD in place of its bytes, and get, env
 * and exec handed that altered key on without a word. Only what is handed
 * on: such a variable of a credential a command does not give out (list,
 * another workflow's key) changes nothing.
 */
export function handedOnFrom<T extends CredentialValue | undefined>(env: Env, found: T): T {
  if (found?.source.kind !== 'env') return found;
  const name = found.source.name;
  const raw = env[name] ?? '';
  if (raw.includes('\uFFFD') && alteredEnvVars({ [name]: raw }).length) {
    throw new VaultError('CREDENTIAL_INVALID', `${name} is not valid UTF-8: it cannot be passed on unchanged (its invalid bytes would become U+FFFD).`, `Set ${name} to the key as text (UTF-8), or unset it to use the stored value.`);
  }
  return found;
}
