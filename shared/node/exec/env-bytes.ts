import { isUtf8 } from 'node:buffer';
import { procEntries } from '../builtins';

/**
 * The names among `passed` (variables a stage is about to get from this
 * process's environment) whose value, as this process received it, is not
 * UTF-8: Node reads each as text with U+FFFD in place of the invalid bytes
 * and can only pass text on, so the stage would get another value (a
 * MEDIA_DIR=/data/café in Latin-1 names a folder that does not exist).
 * Looked at only when a value holds U+FFFD, against /proc/self/environ
 * (Linux); elsewhere none are named.
 */
export function alteredEnvVars(passed: Readonly<Record<string, string>>): string[] {
  const suspects = Object.keys(passed).filter((name) => passed[name]!.includes('\uFFFD'));
  if (!suspects.length) return [];
  // A Set: the environment is the user's, and may hold thousands of such variables (each entry looked up once).
  const suspected = new Set(suspects);
  const altered = new Set<string>();
  for (const entry of procEntries('environ')) {
    const eq = entry.indexOf(0x3d);
    if (eq > 0 && !isUtf8(entry.subarray(eq + 1))) {
      const name = entry.subarray(0, eq).toString('utf8');
      if (suspected.has(name)) altered.add(name);
    }
  }
  return suspects.filter((name) => altered.has(name));
}
