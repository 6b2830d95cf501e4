// The record of a backend move in progress (backend-move.ts), read by recovery, doctor and start-up: apart from the
// move itself, so what only asks whether one exists (the light doctor, every vault start) loads none of it.
import type { CredentialId } from '../../core/credential';
import { isVaultError } from '../../core/errors';
import type { TxOwner } from '../../core/journal';
import { parseJson } from '../../core/json';
import { readSecureFile, stampOf } from '../profile/secure-fs';

/** The record of a move in progress (a sidecar of the profile; no value ever). */
export interface MoveRecord {
  id: string;
  owner: TxOwner;
  started_at: string;
  from: string;
  to: string;
  /** Every credential moved. */
  ids: CredentialId[];
  /** Those the target did not hold before: what a rollback deletes from it. */
  written: CredentialId[];
  /** Files the move created for the target (a new vault file): removed on rollback. */
  target_files: string[];
  /** Files of the source (the vault files left behind): removed on roll forward. */
  source_files: string[];
}

/** The move record at `path`, or undefined when there is none or it does not parse (recovery ignores it then). */
export function readMoveRecord(path: string): MoveRecord | undefined {
  if (!stampOf(path)) return undefined;
  try {
    const parsed = parseJson(readSecureFile(path, { warn: () => {} }).text);
    if (!parsed.ok) return undefined;
    const r = parsed.value as Partial<MoveRecord> | null;
    const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
    if (!r || typeof r !== 'object' || typeof r.from !== 'string' || typeof r.to !== 'string' || !r.owner || !strings(r.ids) || !strings(r.written) || !strings(r.target_files) || !strings(r.source_files)) return undefined;
    return r as MoveRecord;
  } catch (err) {
    if (isVaultError(err)) return undefined;
    throw err;
  }
}

/** True when a move record exists (one stat): what start-up checks before doing anything. */
export function moveRecorded(path: string): boolean {
  return !!stampOf(path);
}
