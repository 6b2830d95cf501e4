/**
 * `n` and its noun in the form its number takes: "1 credential", "2 credentials", "0 plaintext files" (`plural` for a
 * noun that does not take an "s": "entry", "entries"). A "(s)" read as unfinished ("Migrated 1 credential(s)").
 */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${agreeing(n, singular, plural)}`;
}

/**
 * Of two words, the one that agrees with `n` things: a verb or pronoun after {@link counted} ("1 comment holds",
 * "2 comments hold"; "it", "them"). Only 1 is singular: "0 comments hold".
 */
export function agreeing(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}
