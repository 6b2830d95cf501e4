/**
 * The credential journal: how a change to credentials is made safe against a
 * crash or a signal at any instant. It lives inside the profile (names only,
 * never a value), so committing the index and the journal is one atomic
 * write. Pure: the credential store (shared/node/credentials) does the I/O.
 *
 * A transaction, in order:
 *  1. intent: the journal gains the transaction (`pending`) naming every
 *     credential it will change and whether it had a previous value;
 *  2. stash: each previous value is copied in the secret store under a
 *     stash account ({@link stashAccount}), never on disk;
 *  3. write: each new value is written and read back;
 *  4. commit: one profile write puts the new metadata in the index and marks
 *     the transaction `committed`;
 *  5. cleanup: the stashes are deleted and the transaction dropped.
 * A `pending` transaction whose owner is gone is rolled back (stashes put
 * back, values that had none deleted, files it created removed); a
 * `committed` one only needs its cleanup finished.
 */
import type { CredentialId } from './credential';

/** One credential a transaction changes, and how to undo it. */
export interface JournalOp {
  id: CredentialId;
  /** 'absent': undo = delete; 'stashed': undo = restore the stash. */
  previous: 'absent' | 'stashed';
}

/** Who runs a transaction: a pid is only meaningful on its host and boot. */
export interface TxOwner {
  pid: number;
  host: string;
  boot: string;
}

/** One transaction in the journal. */
export interface Transaction {
  id: string;
  owner: TxOwner;
  started_at: string;
  state: 'pending' | 'committed';
  ops: JournalOp[];
  /** Files this transaction created (a migration's backup): removed on rollback. */
  files?: string[];
}

/** The account a previous value is kept under until its transaction ends. `#` never occurs in a credential id. */
export function stashAccount(tx: Pick<Transaction, 'id'>, id: CredentialId): string {
  return `${id}#rollback-${tx.id}`;
}

/** True for an account name made by {@link stashAccount}. */
export function isStashAccount(account: string): boolean {
  return /#rollback-[0-9a-f]+$/.test(account);
}

/** The transactions of a raw profile document (tolerant: anything malformed is ignored, never thrown). */
export function journalOf(doc: unknown): Transaction[] {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return [];
  const journal = (doc as Record<string, unknown>)['journal'];
  if (!Array.isArray(journal)) return [];
  return journal.filter((t): t is Transaction => t !== null && typeof t === 'object' && typeof (t as Transaction).id === 'string' && Array.isArray((t as Transaction).ops));
}

/** A copy of `doc` with its journal replaced by `transactions` (the field is dropped when empty). */
export function withJournal<T extends object>(doc: T, transactions: readonly Transaction[]): T {
  const next = { ...doc } as T & { journal?: Transaction[] };
  if (transactions.length) next.journal = [...transactions];
  else delete next.journal;
  return next;
}
