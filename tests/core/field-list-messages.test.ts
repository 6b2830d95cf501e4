// A message naming every field ran to the size of the input: a library caller's preferences update with 100,000
// unknown keys threw an 18 MB message, and a profile with 100,000 invalid `credentials` entries a PROFILE_INVALID
// naming each (1.4 s). A message names the first few and the count of the rest; `fields` keeps them all in process.
import { describe, expect, it } from 'vitest';
import { reportError } from '../../shared/cli/exit-codes';
import type { CliIO } from '../../shared/cli/io';
import { applyProfileUpdate, parseProfile } from '../../shared/core/profile-parse';
import { createProfileTemplate } from '../../shared/core/profile-schema';
import { thrown } from '../helpers/errors';

const now = new Date('2026-02-03T04:05:06Z');
const N = 100_000;

describe('error messages that list fields', () => {
  it('a preferences update with 100,000 unknown keys names the first few and the count of the rest', () => {
    const preferences = Object.fromEntries(Array.from({ length: N }, (_, i) => [`unknown_${i}`, true]));
    const err = thrown(() => applyProfileUpdate(createProfileTemplate(now), { preferences }, now));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message.length).toBeLessThan(2_000);
    expect(err.message).toMatch(/^Profile not saved: preferences\.unknown_0 /);
    expect(err.message).toContain(`and ${N - 10} more (${N} in all)`);
    expect(err.message).not.toContain('preferences.unknown_10 ');
    // The library caller still gets every field; what crosses IPC (and --json) is bounded too.
    expect(err.fields).toHaveLength(N);
    expect(err.toJSON().fields).toHaveLength(100);
    expect(JSON.stringify(err.toJSON()).length).toBeLessThan(50_000);
  });

  it('a profile with 100,000 invalid credentials entries gives a PROFILE_INVALID of bounded length naming the count', () => {
    const doc = { ...createProfileTemplate(now), credentials: Object.fromEntries(Array.from({ length: N }, (_, i) => [`svc_${i}`, 'not an object'])) };
    const err = thrown(() => parseProfile(doc));
    expect(err.code).toBe('PROFILE_INVALID');
    expect(err.message.length).toBeLessThan(2_000);
    expect(err.message).toMatch(/^the profile is not valid: credentials\.svc_0 /);
    expect(err.message).toContain(`and ${N - 10} more (${N} in all)`);
    expect(err.fields).toHaveLength(N);
  });

  it('the CLI prints as many field lines as the message names, then the count of the rest', () => {
    const doc = { ...createProfileTemplate(now), credentials: Object.fromEntries(Array.from({ length: N }, (_, i) => [`svc_${i}`, 'not an object'])) };
    const err = thrown(() => parseProfile(doc));
    let stderr = '';
    const io = { out: () => {}, err: (text: string) => (stderr += text), env: {}, cwd: '/', stdinIsTTY: false, stdoutIsTTY: false, color: false } as unknown as CliIO;
    expect(reportError(io, err, false)).toBe(1);
    expect(stderr.length).toBeLessThan(5_000);
    expect(stderr).toContain('  credentials.svc_9: ');
    expect(stderr).not.toContain('  credentials.svc_10: ');
    expect(stderr).toContain(`  and ${N - 10} more\n`);
  });
});
