/**
 * The document inside an export file (`cpw-vault export --to FILE`, an age
 * file encrypted with its own passphrase), and its pure reader for import:
 *
 *   {
 *     "format": "cpw-vault-export",
 *     "version": 1,
 *     "exported_at": "2026-11-21T10:00:00.000Z",
 *     "credentials": [
 *       { "id": "huggingface.token", "value": "hf_...",
 *         "meta": { "created_at": "...", "updated_at": "...", "hint": "••••abcd", "storage": "keychain", ... } }
 *     ]
 *   }
 *
 * `meta` is the profile's credential metadata as it was (label, dates,
 * custom env var...), but for `storage`: where the value was, the backend
 * named ("keychain", "file" for the age vault file, or "profile"), where the
 * profile's index says "keychain" for whichever secret store (see storedIn).
 * Import reads neither: the importing vault's backend decides. The reader checks the structure only; whether each id
 * and value may be stored is the import plan's call (invalid rows), exactly
 * as for migration. Errors never quote the text.
 */
import { catalogEntry, labelProblem } from './catalog';
import { ENV_VAR_NAME, isCredentialId } from './credential';
import { customEnvVar, envVarProblem } from './env-var-names';
import { VaultError } from './errors';
import { hasControlChars } from './control-chars';
import type { MigrationPlan, PlanRow } from './migration-plan';
import type { ParsedSource } from './migration-sources';

/** The `format` marker of an export document. */
export const EXPORT_FORMAT = 'cpw-vault-export';
/** Version of the export document this build writes and reads. */
export const EXPORT_VERSION = 1;
/**
 * Most credentials one export may carry: a sanity bound for a hostile file (its bytes are bounded too, by
 * MAX_EXPORT_BYTES), above what any vault holds (the profile's 16 MiB indexes ~60,000). It was 10,000, which a vault
 * can pass: `export` wrote a backup of 10,001 that `import` then refused, so it could never be restored.
 */
export const MAX_EXPORT_CREDENTIALS = 100_000;

/** One exported credential: its id, its value as found, its metadata. */
export interface ExportedCredential {
  id: string;
  /** The value as stored. Import checks it with the value rule (it may be anything in a hostile file). */
  value: unknown;
  meta?: Record<string, unknown>;
}

/** A whole export document. */
export interface ExportDocument {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exported_at: string;
  credentials: ExportedCredential[];
}

/** Builds the export document for `credentials` at `now`. */
export function buildExport(credentials: ExportedCredential[], now: Date): ExportDocument {
  return { format: EXPORT_FORMAT, version: EXPORT_VERSION, exported_at: now.toISOString(), credentials };
}

/**
 * Reads a decrypted export document. Throws EXPORT_INVALID naming what is
 * wrong (never a value): not JSON, not an export, a newer version, a
 * credential without an id, an id given twice, too many credentials.
 */
export function parseExport(text: string): ExportDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    throw invalid('it is not JSON');
  }
  if (!isObject(doc) || doc['format'] !== EXPORT_FORMAT) throw invalid('it is not a cpw-vault export');
  if (typeof doc['version'] === 'number' && doc['version'] > EXPORT_VERSION) {
    throw new VaultError('EXPORT_INVALID', `This export was written by a newer cpw-vault (export format ${doc['version']}).`, 'Update cpw-vault on this machine, then import again.');
  }
  if (doc['version'] !== EXPORT_VERSION) throw invalid('it has no known format version');
  const list = doc['credentials'];
  if (!Array.isArray(list)) throw invalid('it has no credentials list');
  if (list.length > MAX_EXPORT_CREDENTIALS) throw invalid(`it lists ${list.length} credentials, over the ${MAX_EXPORT_CREDENTIALS} limit`);
  const seen = new Set<string>();
  const credentials = list.map((item, i): ExportedCredential => {
    if (!isObject(item) || typeof item['id'] !== 'string') throw invalid(`credential ${i + 1} has no id`);
    if (seen.has(item['id'])) throw invalid(`credential ${i + 1} repeats an id given before`);
    seen.add(item['id']);
    const meta = item['meta'];
    if (meta !== undefined && !isObject(meta)) throw invalid(`credential ${i + 1} has metadata that is not an object`);
    return { id: item['id'], value: item['value'], ...(meta ? { meta: { ...meta } } : {}) };
  });
  return { format: EXPORT_FORMAT, version: EXPORT_VERSION, exported_at: exportedAt(doc['exported_at']), credentials };
}

/**
 * The export's time when it is one (ISO 8601, as export writes it), else '' ("at an unknown time"): any other text was
 * printed in the plan's header as the time, `exported 2026-11-21; then run: curl ... | sh` from a file someone sent.
 */
function exportedAt(v: unknown): string {
  const text = printable(v, 64);
  return text !== undefined && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(Date.parse(text)) ? text : '';
}

/** `v` when it is text of at most `max` characters without control characters (safe to print or store), else undefined. */
function printable(v: unknown, max: number): string | undefined {
  return typeof v === 'string' && v.length <= max && !hasControlChars(v) ? v : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function invalid(why: string): VaultError {
  return new VaultError('EXPORT_INVALID', `This file decrypts, but ${why}.`, 'Check that you chose a file written by cpw-vault export.');
}

/**
 * An export as an import source, planned exactly like a migration (import /
 * identical / conflict / invalid). Every well-formed id is a target: a
 * custom credential keeps the env var its metadata names (else SERVICE_KEY).
 * An id that is not one (a hostile file) is an invalid row.
 */
export function exportAsSource(doc: ExportDocument, path: string): ParsedSource {
  return {
    kind: 'export',
    path,
    duplicateKeys: [],
    entries: doc.credentials.map((c) => {
      // Custom credentials are targets too: a different value stored under one is a conflict, as for a catalog one.
      const id: string = c.id;
      if (!isCredentialId(id)) return { sourceKey: c.id.slice(0, 80).replace(/[^\x20-\x7e]/g, '?'), target: undefined, value: c.value };
      return { sourceKey: id, target: id, value: c.value };
    }),
  };
}

/** The label an exported credential carried, when it is one `set --label` accepts (one line, no escape sequences, not blank, not a catalog credential's). */
export function exportedLabel(c: ExportedCredential | undefined): string | undefined {
  // labelProblem alone: it counts the 80 in characters (code points) as set --label does, and refuses control characters.
  const label = c?.meta?.['label'];
  return typeof label === 'string' && c && !labelProblem(c.id, label) ? label : undefined;
}

/** The env var an imported custom credential carries (its exported one, else SERVICE_KEY); undefined for a catalog credential. */
export function exportedEnvVar(c: ExportedCredential): string | undefined {
  if (catalogEntry(c.id)) return undefined;
  return importedEnvVar(c.id, c.meta?.['env_var']);
}

/**
 * The env var a custom credential brought in from a file (an export, a team
 * file) gets: the one the file names when `set --env-var` would accept it
 * too, else SERVICE_KEY, else CUSTOM_SERVICE_KEY. A file never gives a
 * credential a name the loader, a shell or a runtime reads (LD_PRELOAD,
 * BASH_ENV, PYTHONSTARTUP...) or one a catalog credential owns (HF_TOKEN).
 */
export function importedEnvVar(id: string, named: unknown): string {
  const usable = (name: string) => ENV_VAR_NAME.test(name) && !envVarProblem(name, id);
  if (typeof named === 'string' && usable(named)) return named;
  const fallback = id.replace(/[.-]/g, '_').toUpperCase();
  return usable(fallback) ? fallback : customEnvVar(id);
}

/**
 * `plan` with a warning on each custom row whose file (`namedOf`: the env
 * var it names) asked for a name its credential cannot carry, which
 * {@link importedEnvVar} replaced: the plan shown says so, as it says a
 * name moved because another credential has it.
 */
export function withRefusedEnvVarNotes(plan: MigrationPlan, namedOf: (row: PlanRow) => unknown): MigrationPlan {
  const rows = plan.rows.map((r) => {
    const named = r.target && r.envVar ? namedOf(r) : undefined;
    if (typeof named !== 'string' || importedEnvVar(r.target!, named) === named) return r;
    // Shown only when printable: a hostile file's name could hold escape sequences.
    const why = /^[\x21-\x7e]{1,64}$/.test(named) ? `the file's ${named} is not a name a credential may carry` : 'the name the file gives is not one a credential may carry';
    const note = `${r.target} is stored with the env var ${r.envVar}: ${why}.`;
    return { ...r, warning: r.warning ? `${r.warning}; ${note}` : note };
  });
  return { ...plan, rows };
}
