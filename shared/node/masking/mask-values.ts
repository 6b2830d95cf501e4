import type { Vault } from '../vault/vault';

type Env = Readonly<Record<string, string | undefined>>;

/** Values shorter than this are not masked: they would shred ordinary output (same threshold as redaction). */
export const MIN_MASK_LENGTH = 4;

/**
 * Every value a child of `exec` might print that must not reach a log: the
 * ones injected into it, every secret stored in the vault, and every
 * credential env var of the parent (stripped or not). A stored value the
 * keychain will not give is reported through `warn` and skipped.
 */
export async function valuesToMask(vault: Vault, injected: Readonly<Record<string, string>>, parent: Env, warn: (m: string) => void): Promise<string[]> {
  const values = new Set(Object.values(injected));
  for (const c of vault.listCredentials()) {
    for (const name of c.envVars) {
      const v = parent[name];
      if (v?.trim()) values.add(v).add(v.trim());
    }
    if (!c.stored || !c.secret || c.meta?.storage === 'profile') continue;
    try {
      const stored = await vault.storedValue(c.id);
      if (stored) values.add(stored);
    } catch (err) {
      warn(`could not read ${c.id} to mask it in the output: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const short = [...values].filter((v) => v.length < MIN_MASK_LENGTH);
  if (short.length) warn(`${short.length} value(s) shorter than ${MIN_MASK_LENGTH} characters cannot be masked without shredding the output; they are not masked.`);
  return [...values].filter((v) => v.length >= MIN_MASK_LENGTH);
}
