import { agreeing } from './plural';
import { shellWord } from './control-chars';
import { NEVER_SHARED_ID, plantedIdentityReason, type TeamDocument } from './team-document';

/**
 * What the team commands other than pull say of the `cpw-vault.team_identity` rows planted in a team file
 * (TeamDocument.planted): `status` and the app warn of them, `diff` lists them, and a command that rewrites the
 * file (add, remove, a push that sends a value) removes them, which it says once. Never quotes a value.
 */

/** A planted row as reported: its place in the file's credentials list, and whether it holds the user's own identity. */
export interface PlantedRow {
  id: typeof NEVER_SHARED_ID;
  row: number;
  own: boolean;
}

/** Whether planted text `value` holds `identity` (the user's AGE-SECRET-KEY-1... line, or the file it came from). */
export function holdsIdentity(value: string | undefined, identity: string | undefined): boolean {
  return !!identity?.trim() && !!value?.includes(identity.trim());
}

/** The planted rows of `doc`, each marked `own` when it holds `identity` (the identity this run decrypted with). */
export function plantedRows(doc: TeamDocument, identity: string | undefined): PlantedRow[] {
  return (doc.planted ?? []).map((p) => ({ id: NEVER_SHARED_ID, row: p.row, own: holdsIdentity(p.value, identity) }));
}

/** `team status`'s warning of each planted row (one line each, for stderr): the pull's reason, and what removes it. */
export function plantedWarnings(file: string, rows: readonly PlantedRow[]): string[] {
  return rows.map((r) => `warning: ${plantedIdentityReason(file, r.row, r.own)}; the next change of the file (team add, team remove, or a team push that sends a value) removes it`);
}

/** Why a rewrite removed planted row `r` of `file` (its --json `reason`). */
export function removedReason(file: string, r: PlantedRow): string {
  if (r.own) return 'it was your own team identity, which every member could read (git history keeps it): make a new one (age-keygen -o NEW; cpw-vault team identity --import NEW --force) and ask a member to remove you and add you with its key';
  return `cpw-vault never writes one; see who added it: git log -- ${shellWord(file)}`;
}

/** The one stderr line of a rewrite of `file` that removed `rows` ('' when none): which rows, and why. */
export function removedText(file: string, rows: readonly PlantedRow[]): string {
  if (!rows.length) return '';
  const places = (rs: readonly PlantedRow[]) => `${agreeing(rs.length, 'credential', 'credentials')} ${rs.map((r) => r.row).join(', ')}`;
  const foreign = rows.filter((r) => !r.own);
  const own = rows.filter((r) => r.own);
  const parts = [
    foreign.length ? `removed ${foreign.length} planted ${NEVER_SHARED_ID} ${agreeing(foreign.length, 'row', 'rows')} (${places(foreign)}) from the team file: ${removedReason(file, foreign[0]!)}` : '',
    own.length ? `removed your own team identity from the team file (${places(own)}): ${removedReason(file, own[0]!)}` : '',
  ];
  return `${parts.filter(Boolean).join('; ')}\n`;
}
