import { checkFormat, plainSlotProblem } from './catalog';
import { splitCredentialId, valueProblem, type CredentialId } from './credential';
import { distinctEnvVars, movedEnvVarText, type MovedEnvVar } from './env-var-names';
import type { ParsedSource, SourceKind } from './migration-sources';
import { maySecret } from './secret-likeness';
import { NEVER_SHARED_ID } from './team-document';

/** What migration will do with one source entry. */
export type RowAction = 'import' | 'identical' | 'conflict' | 'unknown' | 'invalid';

/** One row of the plan: printable, never holds a value. */
export interface PlanRow {
  /** Index of the entry in the parsed source (apply takes the value from there). */
  index: number;
  sourceKey: string;
  target: CredentialId | undefined;
  action: RowAction;
  /** Whether apply writes this row (imports; conflicts chosen for overwrite; unknowns chosen for import). */
  apply: boolean;
  reason?: string;
  /** Said to the user with the row: a format mismatch (imported anyway: it is the user's existing key), an env var moved. */
  warning?: string;
  /** Custom credentials: the env var they will carry. */
  envVar?: string;
}

/** A row's note as shown: why (`reason`: the row's, or the caller's words for it), the env var a custom credential gets (unless the reason names it), and any warning. */
export function planRowNote(r: PlanRow, reason = r.reason): string {
  const env = r.envVar && !reason?.includes(`env ${r.envVar}`) ? `env ${r.envVar}` : undefined;
  return [reason, env, r.warning].filter(Boolean).join('; ');
}

/** The whole plan. */
export interface MigrationPlan {
  source: { kind: SourceKind; path: string };
  rows: PlanRow[];
  duplicateKeys: string[];
  counts: Record<RowAction, number> & { apply: number };
}

/** What is stored now for a credential, compared with the source value (the caller reads the keychain). */
export type StoredComparison = 'absent' | 'same' | 'different';

/** Choices that turn rows on. */
export interface PlanChoices {
  /** Conflicts to overwrite: credential ids or source keys; 'all' for every conflict. */
  overwrite?: ReadonlySet<string> | 'all';
  /** Import unknown keys as custom credentials. */
  includeUnknown?: boolean;
}

/** Sources a person wrote by hand, settings and keys together (an export or a team file holds only credentials someone stored). */
const PLAINTEXT: ReadonlySet<SourceKind> = new Set(['secrets-json', 'seed-profile', 'dotenv', 'hf-token-file']);

/**
 * A value with spaces or tabs at either end: cpw-vault stores values trimmed
 * (a pasted key often carries them), so taking this one would store another
 * value than the file's (a quoted `" pass word "` in a .env is one both
 * python-dotenv and Node keep as written). A line break at the end is not
 * one of them: a copied key's final newline is no part of it.
 */
function edgeSpaces(value: unknown): string | undefined {
  // As trim() sees spaces (a no-break space, U+3000, a BOM: a key with one at its end was stored without it).
  const given = typeof value === 'string' ? value.replace(/\r?\n$/, '') : undefined;
  return given !== undefined && given !== given.trim() ? 'spaces or line breaks at the start or end, which cpw-vault does not keep (it would store another value): not imported; if the key is right without them, store it with cpw-vault set' : undefined;
}

/**
 * Why a file's `cpw-vault.team_identity` is never taken (an import, a migration; a team file drops it on read): the
 * one who wrote the file knows that key, and every team file encrypted to it afterwards would be theirs to read.
 */
export const TEAM_IDENTITY_REFUSED = 'a team identity is never taken from a file: whoever wrote the file knows it and could read every team file encrypted to you; not imported (your own, from an export you made: cpw-vault team identity --from-export FILE)';

/**
 * Plans a migration: one row per source entry — import, identical (already
 * stored with the same value), conflict (a different value is stored:
 * skipped unless chosen for overwrite), unknown (reported; imported as a
 * custom credential when chosen), invalid (non-string, empty, too long,
 * a second entry for the same credential, a team identity other than the
 * one stored: see TEAM_IDENTITY_REFUSED). Pure: `compare` says what is
 * stored. The plan holds no value.
 */
export function planMigration(source: ParsedSource, compare: (id: CredentialId, value: string) => StoredComparison, choices: PlanChoices = {}): MigrationPlan {
  const claimed = new Map<CredentialId, string>();
  const rows = source.entries.map((entry, index): PlanRow => {
    const base = { index, sourceKey: entry.sourceKey };
    const bad = entry.problem ?? valueProblem(entry.value)?.text ?? edgeSpaces(entry.value);
    const target = entry.target ?? entry.customTarget?.id;
    if (bad) return { ...base, target, action: 'invalid', apply: false, reason: bad };
    if (!target) return { ...base, target: undefined, action: 'invalid', apply: false, reason: entry.keyShapedName ? 'the name has the shape of a key (a value where a name goes): not imported; if it is a key, store it under a name with cpw-vault set, and remove it from this file' : 'not a usable credential name' };
    const first = claimed.get(target);
    if (first !== undefined) return { ...base, target, action: 'invalid', apply: false, reason: `duplicate: ${first} already maps to ${target}` };
    claimed.set(target, entry.sourceKey);
    const value = (entry.value as string).trim();
    // A custom credential already stored is the user's, as a known one is: the same value again is identical (a second
    // run changes nothing), a different one a conflict (kept unless chosen for overwrite).
    const stored = compare(target, value);
    // Before every choice: no --overwrite-all or --include-unknown turns it on.
    if (target === NEVER_SHARED_ID && stored !== 'same') return { ...base, target, action: 'invalid', apply: false, reason: TEAM_IDENTITY_REFUSED };
    if (!entry.target && stored === 'absent') {
      const envVar = entry.customTarget!.envVar;
      // Whatever --include-unknown says: unticked, the row promised that the flag would import it, which it then refused.
      if (PLAINTEXT.has(source.kind) && !maySecret(entry.sourceKey, value)) {
        // Found by a new-user pass: `PORT=3000` became a secret, and exec then took PORT from every stage and masked "3000" in its output.
        const { service, key } = splitCredentialId(target);
        return { ...base, target, action: 'unknown', apply: false, envVar, reason: `looks like a setting, not a secret; not imported (if it is one: cpw-vault set ${service} ${key} --env-var ${envVar})` };
      }
      return { ...base, target, action: 'unknown', apply: !!choices.includeUnknown, envVar, reason: choices.includeUnknown ? `not a known credential; imported as custom ${target} (env ${envVar})` : `not a known credential; not imported (--include-unknown imports it as custom ${target}, env ${envVar})` };
    }
    const plain = plainSlotProblem(target, value);
    if (plain) return { ...base, target, action: 'invalid', apply: false, reason: `${plain.reason}: not imported` };
    const format = entry.target ? checkFormat(target, value) : undefined;
    const warning = format && !format.ok ? { warning: format.warning } : {};
    if (stored === 'same') return { ...base, target, action: 'identical', apply: false, reason: 'already stored with the same value' };
    if (stored === 'different') {
      const chosen = choices.overwrite === 'all' || !!choices.overwrite?.has(target) || !!choices.overwrite?.has(entry.sourceKey);
      // A custom credential replaced keeps the env var it has: a plaintext file's key names the credential, not a new name.
      return { ...base, target, action: 'conflict', apply: chosen, reason: chosen ? 'a different value is stored; it will be replaced' : 'a different value is stored; kept (--overwrite ID, or Overwrite in the app, replaces it)', ...warning };
    }
    return { ...base, target, action: 'import', apply: true, ...warning };
  });
  const counts = { import: 0, identical: 0, conflict: 0, unknown: 0, invalid: 0, apply: 0 };
  for (const r of rows) {
    counts[r.action]++;
    if (r.apply) counts.apply++;
  }
  return { source: { kind: source.kind, path: source.path }, rows, duplicateKeys: source.duplicateKeys, counts };
}

/** Per-row outcome of apply. */
export interface RowResult {
  sourceKey: string;
  target: CredentialId | undefined;
  /** `not_undone`: written, and the undo of the failed run could not put the previous value back (a keychain that stopped answering). */
  status: 'imported' | 'identical' | 'skipped' | 'invalid' | 'failed' | 'rolled_back' | 'not_undone';
  /** A failed row: what went wrong, its code and what to do (a keychain that locked mid-run: unlock it, run again). */
  error?: string;
  code?: string;
  fix?: string;
}

export interface ApplyResult {
  ok: boolean;
  rows: RowResult[];
  imported: number;
  /** The backup of the source (absent when nothing needed importing, or after --remove-plaintext); on a failed run, the one its unfinished undo left. */
  backup?: string;
  /** Plaintext files still on disk after the run. */
  plaintextLeft: string[];
  removed: string[];
  /** Why --remove-plaintext kept files (one sentence per reason). */
  kept?: string;
  /** The plaintext files --remove-plaintext kept (a non-zero exit for the CLI). */
  keptFiles?: string[];
  /** Without --remove-plaintext: why it would have kept the files too (the summary then offers no rm line that loses it). */
  keepWhy?: string;
  /** A failed run: the credentials its undo could not put back (they may keep the new value). */
  notUndone?: CredentialId[];
}

/** What a failed apply left behind, for its one-line summary: every change undone, or the credentials the undo could not put back. */
export function undoOutcome(result: { notUndone?: readonly string[]; rows?: ApplyResult['rows']; failedCode?: string }): string {
  const left = result.notUndone ?? [];
  if (!left.length) return 'every change was undone';
  // Said as the failed write's error said it: a keyring locked mid-run was "stopped answering" here, KEYCHAIN_LOCKED below.
  const code = result.failedCode ?? failedCode(result.rows ?? []);
  const [why, until] = UNDO_STOPPED[code ?? ''] ?? [`the keychain failed${code ? `: ${code}` : ''}`, 'works again'];
  return `the undo did not finish (${why}): ${left.join(', ')} may keep the new value. The next command, once the keychain ${until}, makes the index describe what it holds`;
}

/** The error code of a failed apply's failed write (its rows carry it), if it had one. */
export function failedCode(rows: ApplyResult['rows']): string | undefined {
  return rows.find((r) => r.code !== undefined)?.code;
}

/** Why an undo stopped, and when the next command can finish it, by the failed write's error code. */
const UNDO_STOPPED: Readonly<Record<string, readonly [string, string]>> = {
  KEYCHAIN_TIMEOUT: ['the keychain stopped answering', 'answers'],
  KEYCHAIN_LOCKED: ['the keychain was locked', 'is unlocked'],
  KEYCHAIN_DENIED: ['access to the keychain was refused', 'allows it'],
  KEYCHAIN_UNAVAILABLE: ['the keychain could not be reached', 'can be reached'],
};

/**
 * `plan` with `envVarOf`'s names on its custom rows (import, team pull) and
 * no two credentials on one env var (see distinctEnvVars): every row that
 * applies and carries a name is checked against `stored` (name to id, the
 * user's custom credentials) and the rows before it. A stored credential
 * that comes in keeping its own name keeps it; one coming in under a new
 * name frees its old one. The rows' reasons name what will be stored, and
 * a moved row says why in its warning, so the plan shown (the CLI's table,
 * --dry-run, --json, the app's) is what apply does and why.
 */
export function withDistinctEnvVars(plan: MigrationPlan, stored: ReadonlyMap<string, string>, envVarOf?: (row: PlanRow) => string | undefined): { plan: MigrationPlan; moved: MovedEnvVar[] } {
  const current = new Map([...stored].map(([name, id]) => [id, name]));
  // A row that writes nothing (identical, a conflict kept) shows the name its credential carries now, not the file's.
  const kept = (r: PlanRow): PlanRow => {
    const { envVar: _file, ...rest } = r;
    const now = current.get(r.target!);
    return now === undefined ? rest : { ...rest, envVar: now };
  };
  const named = (envVarOf ? plan.rows.map((r) => (r.target ? { ...r, envVar: envVarOf(r) } : r)) : plan.rows).map((r) => ((r.action === 'identical' || r.action === 'conflict') && !r.apply && r.envVar !== undefined ? kept(r) : r));
  const claiming = named.filter((r) => r.apply && r.target && r.envVar);
  const renaming = new Set(claiming.filter((r) => stored.get(r.envVar!) !== r.target).map((r) => r.target!));
  // (A renamed credential whose new name is taken falls back to its current one, if nothing claimed it meanwhile.)
  const taken = new Map([...stored].filter(([, id]) => !renaming.has(id)));
  const { items, moved } = distinctEnvVars(claiming.map((r) => ({ ...r, id: r.target! })), taken, current);
  if (!moved.length && !envVarOf && named.every((r, i) => r === plan.rows[i])) return { plan, moved };
  const got = new Map(items.map((i) => [i.index, i.envVar]));
  const moves = new Map(moved.map((m) => [`${m.id}\0${m.got}`, m])); // a file of 10,000 clashing names: no quadratic search
  const rows = named.map((r) => {
    const name = got.get(r.index);
    if (name === undefined || name === r.envVar) return r;
    const move = moves.get(`${r.target}\0${name}`);
    const warning = [r.warning, move && movedEnvVarText(move)].filter(Boolean).join('; ');
    return { ...r, envVar: name, ...(r.reason ? { reason: r.reason.replace(`env ${r.envVar}`, `env ${name}`) } : {}), ...(warning ? { warning } : {}) };
  });
  return { plan: { ...plan, rows }, moved };
}
