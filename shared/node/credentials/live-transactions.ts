import type { Transaction } from '../../core/journal';
import { ABANDONED_AFTER_MS, isCurrentProcess, ownerIsGone, ownerPlace } from '../profile/owner';

/** Transactions running in this process: never recovered by it. */
export const ACTIVE = new Set<string>();

/**
 * How long a writer waits its turn behind a transaction whose owner cannot be
 * seen (a container, another host): a change takes a second or two, so one
 * started longer ago is taken as stopped here (as a lock is after 10 s
 * without a heartbeat); recovery still leaves it its hour.
 */
const UNSEEN_TURN_MS = 10_000;

/** A transaction someone still runs, for a writer of the same credential: this process's (ACTIVE), a live pid here, or one that cannot be seen and started under UNSEEN_TURN_MS ago. */
export function liveTransaction(t: Transaction): boolean {
  if (t.ended === true) return false;
  if (isCurrentProcess(t.owner)) return ACTIVE.has(t.id);
  const seen = ownerPlace(t.owner) === 'here';
  return !ownerIsGone(t.owner, Date.parse(t.started_at), seen ? ABANDONED_AFTER_MS : UNSEEN_TURN_MS);
}
