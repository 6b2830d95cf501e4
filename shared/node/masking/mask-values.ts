import type { CredentialId } from '../../core/credential';
import type { CredentialCarrier } from '../../core/views';
import { agreeing, counted } from '../../core/plural';

/** What masking needs of a vault: its credentials and their stored values (one batch). */
export interface MaskSource {
  listCredentials(): readonly CredentialCarrier[];
  storedValues(ids: readonly CredentialId[]): Promise<Map<CredentialId, string | undefined>>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Values shorter than this are not masked: they would shred ordinary output (same threshold as redaction). */
export const MIN_MASK_LENGTH = 4;

/** The credentials whose stored values a child's output is masked for: every stored secret (not the profile-slot ones). */
export function maskedIds(credentials: readonly CredentialCarrier[]): CredentialId[] {
  return credentials.filter((c) => c.stored && c.secret && c.meta?.storage !== 'profile').map((c) => c.id);
}

/**
 * Whether {@link valuesToMask} may find anything to mask, known before any
 * stored value is read: a value injected or a credential variable of the
 * parent long enough to mask, or a stored secret (whose value is read only
 * once a child prints something: see exec's masking).
 */
export function mayMask(credentials: readonly CredentialCarrier[], injected: Readonly<Record<string, string>>, parent: Env): boolean {
  const maskable = (v: string | undefined) => !!v?.trim() && v.length >= MIN_MASK_LENGTH;
  return maskedIds(credentials).length > 0 || Object.values(injected).some(maskable) || credentials.some((c) => c.envVars.some((name) => maskable(parent[name])));
}

/**
 * Every value a child of `exec` might print that must not reach a log: the
 * ones injected into it, every secret stored in the vault, and every
 * credential env var of the parent (stripped or not). A stored value the
 * keychain will not give is reported through `warn` and skipped.
 */
export async function valuesToMask(vault: MaskSource, injected: Readonly<Record<string, string>>, parent: Env, warn: (m: string) => void): Promise<string[]> {
  const values = new Set(Object.values(injected));
  const credentials = vault.listCredentials();
  for (const c of credentials) {
    for (const name of c.envVars) {
      const v = parent[name];
      if (v?.trim()) values.add(v).add(v.trim());
    }
  }
  const stored = maskedIds(credentials);
  try {
    for (const v of (await vault.storedValues(stored)).values()) if (v) values.add(v);
  } catch (err) {
    warn(`could not read the stored values to mask them in the output: ${err instanceof Error ? err.message : String(err)}`);
  }
  const short = [...values].filter((v) => v.length < MIN_MASK_LENGTH);
  if (short.length) warn(`${counted(short.length, 'value')} shorter than ${MIN_MASK_LENGTH} characters cannot be masked without shredding the output; ${agreeing(short.length, 'it is', 'they are')} not masked.`);
  return [...values].filter((v) => v.length >= MIN_MASK_LENGTH);
}
