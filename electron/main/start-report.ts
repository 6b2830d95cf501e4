import { existsSync } from 'node:fs';
import type { DoctorReport } from '../../shared/core/views';

/**
 * Marks a report whose problems are all the deprecated config/secrets.json's, with no profile yet: the app showed
 * them as a damaged profile (naming a user.profile that does not exist) with no way on but "Check again". They are
 * the plaintext fallback's, read only until a profile exists; the onboarding then creates one (see views.ts).
 */
export function markBrokenLegacy(report: DoctorReport, legacyPath: string): DoctorReport {
  const p = report.profile;
  const mine = (x: { message: string }) => x.message.includes(legacyPath);
  if (p.kind !== 'none' || p.mode !== null || !existsSync(legacyPath) || !p.problems.length || !p.problems.every(mine)) return report;
  return { ...report, profile: { ...p, legacy: legacyPath } };
}
