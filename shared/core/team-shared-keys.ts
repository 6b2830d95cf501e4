/**
 * One age key under two member names. A member name is only a label on a key: whoever holds the key reads the
 * file as every name it has, and `team remove` of one name would leave the file encrypted to the very key the
 * removal was meant to revoke (and say it did). So `team add` refuses a key another member has (exit 2, nothing
 * written) rather than warn: a warning scrolls by, a wrong revocation stays. A file written by hand or by another
 * tool (`age -R`) may still hold such members: every command that opens it warns (stderr, and `shared_keys` in
 * --json; the app's Team section too), and `team remove NAME` removes every name of NAME's key, since only that
 * revokes it.
 */

/** A key more than one member name holds, with those names (in the order of the file). */
export interface SharedKey {
  recipient: string;
  members: string[];
}

/** The keys of `members` that more than one name holds (none for a file `team add` wrote). */
export function sharedKeys(members: readonly { name: string; recipient: string }[]): SharedKey[] {
  const byKey = new Map<string, string[]>();
  for (const m of members) byKey.set(m.recipient, [...(byKey.get(m.recipient) ?? []), m.name]);
  return [...byKey].filter(([, names]) => names.length > 1).map(([recipient, names]) => ({ recipient, members: names }));
}

/** What to say of shared key `k` of `file` (one sentence, no trailing period): why it matters, and what revokes it. */
export function sharedKeyText(file: string, k: SharedKey): string {
  const names = `${k.members.slice(0, -1).join(', ')} and ${k.members[k.members.length - 1]!}`;
  return `members ${names} of ${file} have the same age key (${k.recipient}), which team add refuses: whoever holds it reads the file as each of them, and removing one name alone would not revoke it (cpw-vault team remove ${k.members[0]!} removes every name of that key)`;
}
