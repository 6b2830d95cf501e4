import type { Transaction } from '../../core/journal';
import type { UnfinishedChange, UnfinishedSwitch } from '../../core/views';
import type { MoveRecord } from './move-record';
import { ABANDONED_AFTER_MS, isCurrentProcess, ownerIsGone, ownerName, ownerPlace, shown } from '../profile/owner';

/**
 * The journal's transactions that no cpw-vault here will finish yet: their
 * owner runs (a pid alive here), or cannot be seen from here (another pid
 * namespace, another host) and started less than an hour ago. A writer
 * killed in a container is one of them for that hour: its credentials may
 * be in the keychain and not yet in the index. Doctor names them, who runs
 * them and from when they are finished here, so the hour is not silent.
 */
export function unfinishedChanges(journal: readonly Transaction[], now = Date.now()): UnfinishedChange[] {
  return journal.flatMap((tx) => {
    const started = Date.parse(tx.started_at);
    if (isCurrentProcess(tx.owner) || tx.ended === true || ownerIsGone(tx.owner, started, ABANDONED_AFTER_MS, now)) return [];
    const seen = ownerPlace(tx.owner) === 'here';
    return [{
      credentials: tx.ops.map((op) => shown(op.id)),
      started_at: shown(tx.started_at),
      owner: ownerName(tx.owner),
      ...(seen || !Number.isFinite(started) ? {} : { abandoned_at: new Date(started + ABANDONED_AFTER_MS).toISOString() }),
    }];
  });
}

/**
 * A backend switch's record still there after the start that finishes it
 * (credentials/backend-move.ts): its owner runs here, cannot be seen from
 * here (and started less than an hour ago), or is gone and finishing failed.
 * Doctor reports it as a problem: both backends hold the secrets meanwhile.
 */
export function unfinishedSwitch(record: MoveRecord, inUse: string, now = Date.now()): UnfinishedSwitch {
  const started = Date.parse(record.started_at);
  const gone = !isCurrentProcess(record.owner) && ownerIsGone(record.owner, started, ABANDONED_AFTER_MS, now);
  const unseen = !gone && ownerPlace(record.owner) !== 'here';
  return {
    from: shown(record.from),
    to: shown(record.to),
    in_use: shown(inUse),
    started_at: shown(record.started_at),
    owner: ownerName(record.owner),
    state: gone ? 'interrupted' : unseen ? 'unseen' : 'running',
    ...(unseen && Number.isFinite(started) ? { abandoned_at: new Date(started + ABANDONED_AFTER_MS).toISOString() } : {}),
  };
}
