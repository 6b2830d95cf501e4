import type { TeamDocument } from '../../core/team-document';

/**
 * Running the same `team add` / `team remove` again after one was killed. A change writes the team file first and
 * the recipients list second (updateTeamFile), so a kill between the two leaves the list one step behind, and
 * the rerun finds the change already in the team file: it then rewrites the list instead of refusing the
 * disagreement (TEAM_MISMATCH) or the member ("not a member", "already a member").
 */

type Listed = readonly { name: string; recipient: string }[] | undefined;

/** The list's entries whose key the team file lacks (`extra`), and the team file's members the list lacks (`unlisted`), by key. */
function versus(doc: TeamDocument, listed: NonNullable<Listed>): { extra: NonNullable<Listed>; unlisted: TeamDocument['members'] } {
  return {
    extra: listed.filter((m) => !doc.members.some((d) => d.recipient === m.recipient)),
    unlisted: doc.members.filter((d) => !listed.some((m) => m.recipient === d.recipient)),
  };
}

/**
 * The names a `team remove name` killed between its two writes left in the recipients list (name and every other
 * name of its key, all removed with it): the list is exactly the team file's members plus those. undefined for
 * any other disagreement, or none.
 */
export function removeLeftInList(doc: TeamDocument, listed: Listed, name: string): string[] | undefined {
  if (!listed) return undefined;
  const key = listed.find((m) => m.name === name)?.recipient;
  if (!key || doc.members.some((m) => m.recipient === key)) return undefined;
  const { extra, unlisted } = versus(doc, listed);
  return !unlisted.length && extra.every((m) => m.recipient === key) ? extra.map((m) => m.name) : undefined;
}

/**
 * Whether a `team add name recipient` was killed between its two writes: the team file has the member, and the
 * list is exactly the team file's members without them.
 */
export function addMissingFromList(doc: TeamDocument, listed: Listed, name: string, recipient: string): boolean {
  if (!listed || !doc.members.some((m) => m.name === name && m.recipient === recipient)) return false;
  const { extra, unlisted } = versus(doc, listed);
  return !extra.length && unlisted.length > 0 && unlisted.every((m) => m.recipient === recipient);
}

/** The keys the team file's rotate reminders say `names` have seen (what an interrupted remove recorded). */
export function seenByRemoved(doc: TeamDocument, names: readonly string[]): string[] {
  return [...new Set(doc.rotate.filter((r) => names.includes(r.name)).flatMap((r) => r.ids))].sort();
}

/**
 * The member whose key the recipients list gives `name`, a name the team file does not have: a line added by hand
 * (`# robert` above bob's key). The list is compared with the team file by key alone, so nothing else notices it.
 */
export function listedUnderOtherName(doc: TeamDocument, listed: Listed, name: string): { name: string; recipient: string } | undefined {
  const key = listed?.find((m) => m.name === name)?.recipient;
  return key === undefined ? undefined : doc.members.find((m) => m.recipient === key);
}
