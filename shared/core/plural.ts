/**
 * `n` and its noun in the form its number takes: "1 credential", "2 credentials", "0 plaintext files" (`plural` for a
 * noun that does not take an "s": "entry", "entries"). A "(s)" read as unfinished ("Migrated 1 credential(s)").
 */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
