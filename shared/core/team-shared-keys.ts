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

/**
 * The keys of `members` that more than one name holds (none for a file `team add` wrote). A member listed twice
 * (a line pair copied, a union merge of the list) is one name: "bob and bob" share nothing.
 */
export function sharedKeys(members: readonly { name: string; recipient: string }[]): SharedKey[] {
  const byKey = new Map<string, Set<string>>();
  for (const m of members) byKey.set(m.recipient, (byKey.get(m.recipient) ?? new Set()).add(m.name));
  return [...byKey].filter(([, names]) => names.size > 1).map(([recipient, names]) => ({ recipient, members: [...names] }));
}

/** Every name `recipient` has among `members` (in the order of the file, each once): whoever holds the key is each of them. */
export function namesOfKey(members: readonly { name: string; recipient: string }[], recipient: string): string[] {
  return [...new Set(members.filter((m) => m.recipient === recipient).map((m) => m.name))];
}

/** `names` as prose: "bob", "bob and bobby", "bob, bobby and rob". */
export function namesText(names: readonly string[]): string {
  return names.length < 2 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]!}`;
}

/** What to say of shared key `k` of `file` (one sentence, no trailing period): why it matters, and what revokes it. */
export function sharedKeyText(file: string, k: SharedKey): string {
  return `members ${namesText(k.members)} of ${file} have the same age key (${k.recipient}), which team add refuses: whoever holds it reads the file as each of them, and removing one name alone would not revoke it (cpw-vault team remove ${k.members[0]!} removes every name of that key)`;
}

/**
 * The keys the recipients list (`listed`) gives more than one name, other than those the team file itself gives the
 * same names (its own warning says that). The list is compared with the team file by key alone, so a second name
 * written into the list by hand was said nowhere.
 */
export function listSharedKeys(listed: readonly { name: string; recipient: string }[], members: readonly { name: string; recipient: string }[]): SharedKey[] {
  const same = (k: SharedKey) => namesOfKey(members, k.recipient).sort().join('\n') === [...k.members].sort().join('\n');
  return sharedKeys(listed).filter((k) => !same(k));
}

/**
 * What to say of shared key `k` of recipients list `list` (one sentence, no trailing period), given `members`, the
 * team file's: which of its names revokes the key (the list's other names are labels the team file never had).
 */
export function listSharedKeyText(list: string, k: SharedKey, members: readonly { name: string; recipient: string }[]): string {
  const known = namesOfKey(members, k.recipient);
  const revoke = known.length ? `the team file has it as ${namesText(known)}, and cpw-vault team remove ${known[0]!} revokes it under every name` : 'the team file is not encrypted to it';
  return `members ${namesText(k.members)} of ${list} have the same age key (${k.recipient}), which team add refuses: a name is only a label on a key; ${revoke} (cpw-vault team recipients --write rewrites the list from the team file)`;
}
