/**
 * The credential journal: how a change to credentials is made safe against a
 * crash or a signal at any instant. Pure: the credential store
 * (shared/node/credentials) does the I/O; the journal is a small file beside
 * the profile holding names only, never a value.
 *
 * A transaction, in order:
 *  1. intent: the journal gains the transaction, naming every credential it
 *     will change (and the index fields a new one needs: label, env var);
 *  2. write: each new value is written to the secret store and read back
 *     (each deletion done); the previous values are kept in memory only;
 *  3. commit: one atomic profile write puts the new entries in the index;
 *  4. the journal drops the transaction.
 * A failure or a signal in this process rolls back from memory (previous
 * values back, new ones removed, files it created deleted; the profile was
 * never written). A crash leaves the transaction in the journal, and the
 * next start rolls it forward: each credential it names has its index entry
 * made to describe what the secret store actually holds (the old value or
 * the new one), so the two always agree, a concurrent writer's later value
 * is never overwritten, and nothing has to be kept on disk to undo it.
 */
import type { CredentialId } from './credential';

/** One credential a transaction changes. */
export interface JournalOp {
  id: CredentialId;
  kind: 'set' | 'delete';
  /** For a set: what a new index entry needs besides the value. */
  label?: string;
  env_var?: string;
}

/** Who runs a transaction: a pid is only meaningful on its host and boot, inside its pid namespace. */
export interface TxOwner {
  pid: number;
  host: string;
  boot: string;
  /** The pid namespace (Linux, "pid:[4026531836]"); absent in records of older versions and elsewhere. */
  pidns?: string;
}

/** One transaction in the journal. */
export interface Transaction {
  id: string;
  owner: TxOwner;
  started_at: string;
  ops: JournalOp[];
  /** Files this transaction created (a migration's backup of plaintext): removed when it does not complete. */
  files?: string[];
  /**
   * Its owner has ended it with its undo incomplete (a keychain that stopped answering): no longer live, though its
   * owner runs (the app), so any cpw-vault's next start rolls it forward.
   */
  ended?: true;
}

/**
 * The transactions of a journal document (tolerant: anything malformed is
 * ignored, never thrown). The file may come from another version, a
 * container sharing the home, or a hand edit: an op that is not a
 * credential change (a null, a number, an id that is not text) is dropped
 * and the rest of its transaction kept, so recovery neither crashes on it
 * (every command used to end INTERNAL) nor leaves it in the journal for
 * ever; a label or env var that is not text is dropped, and `files` keeps
 * only what a transaction can have created: absolute paths of migration
 * backups (recovery removes them; a planted journal must not name any other
 * file, nor a relative path, for it to delete).
 */
export function journalOf(doc: unknown): Transaction[] {
  const list = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>)['transactions'] : undefined;
  if (!Array.isArray(list)) return [];
  const out: Transaction[] = [];
  for (const t of list as unknown[]) {
    if (!t || typeof t !== 'object') continue;
    const { ops, files, ...tx } = t as Partial<Transaction> & { ops?: unknown; files?: unknown };
    if (typeof tx.id !== 'string' || !Array.isArray(ops) || !tx.owner || typeof tx.owner !== 'object' || typeof tx.owner.pid !== 'number' || typeof tx.started_at !== 'string') continue;
    const texts = Array.isArray(files) ? files.filter(isBackupPath) : [];
    out.push({ ...(tx as Transaction), ops: (ops as unknown[]).flatMap(opOf), ...(texts.length ? { files: texts } : {}) });
  }
  return out;
}

/** The name a migration gives its backup of a plaintext source: `<name>.backup-<UTC time>-<6 hex>`. */
export const BACKUP_NAME = /\.backup-\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/**
 * Whether `file` is the name of a backup a migration made of a source named
 * `source` (`<source>.backup-<UTC time>[-<6 hex>]`; the earliest versions
 * wrote no hex), not merely a name starting like one.
 */
export function isBackupName(source: string, file: string): boolean {
  const prefix = `${source}.backup-`;
  return file.startsWith(prefix) && /^\d{8}T\d{6}Z(-[0-9a-f]{6})?$/.test(file.slice(prefix.length));
}

/** An absolute path whose last part is a migration backup's name (POSIX or Windows). */
function isBackupPath(value: unknown): value is string {
  return typeof value === 'string' && /^(\/|[A-Za-z]:[\\/])/.test(value) && !/[\0\n]/.test(value) && BACKUP_NAME.test(value);
}

function opOf(value: unknown): JournalOp[] {
  if (!value || typeof value !== 'object') return [];
  const op = value as Record<string, unknown>;
  if (typeof op['id'] !== 'string') return [];
  // Recovery needs only the id (it makes the index describe what the store holds): a kind of a newer version is kept as a set.
  const label = op['label'];
  const envVar = op['env_var'];
  return [{ id: op['id'], kind: op['kind'] === 'delete' ? 'delete' : 'set', ...(typeof label === 'string' ? { label } : {}), ...(typeof envVar === 'string' ? { env_var: envVar } : {}) }];
}

/** The credentials a failed commit could not put back, by the error it threw. */
const NOT_UNDONE = new WeakMap<object, readonly CredentialId[]>();

/** `err`, recorded as the error of a commit whose undo left `ids` possibly changed. */
export function markNotUndone<E extends object>(err: E, ids: readonly CredentialId[]): E {
  NOT_UNDONE.set(err, ids);
  return err;
}

/** The credentials a failed or cancelled commit could not put back (a keychain that stopped answering mid-undo): they may keep the change. Empty when the undo was complete. */
export function notUndone(err: unknown): readonly CredentialId[] {
  return (typeof err === 'object' && err !== null && NOT_UNDONE.get(err)) || [];
}
