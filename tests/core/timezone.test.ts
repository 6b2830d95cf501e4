import { afterEach, describe, expect, it, vi } from 'vitest';
import { canonicalTimeZone } from '../../shared/core/timezone';

describe('canonicalTimeZone', () => {
  afterEach(() => vi.restoreAllMocks());

  it('spells a zone typed in any case as IANA does, an alias included, and keeps it an alias', () => {
    const cases: Array<[string, string]> = [
      ['europe/paris', 'Europe/Paris'], ['utc', 'UTC'], ['etc/gmt+5', 'Etc/GMT+5'],
      ['us/pacific', 'US/Pacific'], ['US/PACIFIC', 'US/Pacific'], ['gb', 'GB'], ['gb-eire', 'GB-Eire'], ['nz-chat', 'NZ-CHAT'],
      ['asia/calcutta', 'Asia/Calcutta'], ['asia/kolkata', 'Asia/Kolkata'], ['europe/kyiv', 'Europe/Kyiv'], ['etc/utc', 'Etc/UTC'],
      ['brazil/denoronha', 'Brazil/DeNoronha'], ['america/argentina/comodrivadavia', 'America/Argentina/ComodRivadavia'], ['est5edt', 'EST5EDT'],
    ];
    for (const [typed, spelled] of cases) expect(canonicalTimeZone(typed), typed).toBe(spelled);
  });

  it('leaves a zone already spelled right, one the runtime does not know and one of the wrong shape as given', () => {
    for (const zone of ['US/Pacific', 'America/Los_Angeles', 'Asia/Calcutta', 'mars/olympus', 'Europe/Paris\n', '../etc/passwd', '']) expect(canonicalTimeZone(zone), zone).toBe(zone);
  });

  it('spells an alias a runtime resolves the other way (one that follows IANA: Asia/Calcutta to Asia/Kolkata)', () => {
    // A function, not an arrow: the code calls it with `new`.
    const resolves = (timeZone: string) => vi.spyOn(Intl, 'DateTimeFormat').mockImplementation(function () { return { resolvedOptions: () => ({ timeZone }) }; } as never);
    resolves('Asia/Kolkata');
    expect(canonicalTimeZone('asia/calcutta')).toBe('Asia/Calcutta');
    resolves('Europe/Kyiv');
    expect(canonicalTimeZone('EUROPE/KIEV')).toBe('Europe/Kiev');
  });
});
