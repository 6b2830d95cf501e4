/**
 * What the age vault file holds once decrypted: a small JSON document
 *
 *   { "version": 1, "entries": { "<account>": "<value>", ... } }
 *
 * where an account is the secret store's account name (`huggingface.token`).
 * Pure: the Node layer encrypts and decrypts, this file only builds and
 * checks the document. Errors never quote the text (it holds secrets).
 */
import { VaultError } from './errors';

/** Version of the decrypted vault document this build reads and writes. */
export const VAULT_CONTENT_VERSION = 1;

/** The entries of a vault: account name -> value. A Map, so no key can reach a prototype. */
export type VaultEntries = Map<string, string>;

/** The JSON text of a vault document holding `entries` (accounts sorted, so equal vaults serialise equally). */
export function serializeVaultContent(entries: VaultEntries): string {
  const sorted: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const account of [...entries.keys()].sort()) sorted[account] = entries.get(account)!;
  return JSON.stringify({ version: VAULT_CONTENT_VERSION, entries: sorted });
}

/**
 * The entries of a decrypted vault document. Throws VAULT_CORRUPT when the
 * text is not a version-1 document of string values (the message names the
 * file, never its content).
 */
export function parseVaultContent(text: string, file: string): VaultEntries {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // V8's message quotes the text: never pass it on.
    throw corrupt(file, 'its decrypted content is not JSON');
  }
  if (!isObject(doc)) throw corrupt(file, 'its decrypted content is not a JSON object');
  if (doc['version'] !== VAULT_CONTENT_VERSION) {
    const newer = typeof doc['version'] === 'number' && doc['version'] > VAULT_CONTENT_VERSION;
    if (newer) throw new VaultError('VAULT_CORRUPT', `${file} was written by a newer cpw-vault (vault format ${String(doc['version'])}).`, 'Update cpw-vault to read it.');
    throw corrupt(file, 'it has no known format version');
  }
  const raw = doc['entries'];
  if (!isObject(raw)) throw corrupt(file, 'it has no entries object');
  const entries: VaultEntries = new Map();
  for (const [account, value] of Object.entries(raw)) {
    if (typeof value !== 'string') throw corrupt(file, 'an entry is not text');
    entries.set(account, value);
  }
  return entries;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function corrupt(file: string, why: string): VaultError {
  return new VaultError('VAULT_CORRUPT', `${file} decrypts, but ${why}.`, `Restore ${file} from a backup or an export (cpw-vault export). Nothing was changed.`);
}
