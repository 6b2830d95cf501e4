import type { MigrationPlan } from '../../core/migration-plan';

/**
 * The way on for each kind of entry a --remove-plaintext run left in the
 * files (plan rows). A kept conflict named only settings once, so a user
 * whose Hub token file held another token than the vault (doctor's own fix
 * line) was told to copy it to where settings live; settings (a number, a
 * flag, PORT=3000) are never credentials, so they are told where to go.
 */
export function leftOutWays(rows: MigrationPlan['rows']): string {
  const ways: string[] = [];
  const conflicts = [...new Set(rows.filter((r) => r.action === 'conflict' && r.target).map((r) => r.target!))];
  if (conflicts.length) ways.push(` A different value is stored for ${conflicts.join(', ')}: to take the file's, run again with --overwrite ${conflicts.join(' --overwrite ')}; to keep the stored one, delete the files yourself.`);
  if (rows.some((r) => r.action === 'unknown')) ways.push(' Unknown entries that are secrets: run again with --include-unknown. Settings among them (a number, a flag, PORT=3000) are never migrated: copy them to where your settings live, then delete the files yourself.');
  if (rows.some((r) => r.action === 'invalid')) ways.push(" Invalid entries: the plan's note says why; correct them in the file and run again, or copy them elsewhere.");
  return ways.join('');
}
