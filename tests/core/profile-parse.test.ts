import { describe, expect, it } from 'vitest';
import { applyProfileUpdate, parseProfile } from '../../shared/core/profile-parse';
import { PROFILE_VERSION, createProfileTemplate } from '../../shared/core/profile-schema';
import { UPGRADE_STEPS } from '../../shared/core/profile-upgrade';
import { thrown } from '../helpers/errors';
import { searchWork } from '../helpers/search-work';

const now = new Date('2026-02-03T04:05:06Z');

const seed10 = () => ({
  version: '1.0',
  user: { name: 'Ada', email: 'ada@example.com', created_at: '2025-12-10T12:00:00.123456+00:00' },
  credentials: { huggingface: { token: '' }, tmdb: { api_key: '' }, openai: { api_key: '', organization_id: 'org-Abc12345678' } },
  online_services: { youtube: { api_key: '', enabled: false } },
  preferences: { default_workflow: 'subtitle', default_source_language: 'en', ai_provider: 'openai', enable_cost_tracking: true },
});

describe('profile template', () => {
  it('has every section and an empty slot for every catalog credential', () => {
    const t = createProfileTemplate(now, 'Europe/Paris');
    expect(Object.keys(t)).toEqual(['version', 'user', 'credentials', 'online_services', 'preferences', 'credential_metadata']);
    expect(t.version).toBe(PROFILE_VERSION);
    expect(t.credentials).toMatchObject({ huggingface: { token: '' }, tmdb: { api_key: '' }, pyannote: { token: '' }, openai: { api_key: '', organization_id: '' }, anthropic: { api_key: '' }, google: { api_key: '' } });
    expect(t.online_services).toMatchObject({ youtube: { api_key: '', enabled: false }, vimeo: { access_token: '', enabled: false } });
    expect(t.preferences).toMatchObject({ default_workflow: 'transcribe', default_source_language: 'en', ai_provider: 'openai', enable_cost_tracking: true });
    expect(t.user.timezone).toBe('Europe/Paris');
    expect(t.user.created_at).toBe(now.toISOString());
  });
});

describe('parsing and upgrading', () => {
  it('upgrades a seed 1.0 file with empty slots to 2.0, keeping everything it knew', () => {
    const p = parseProfile(seed10());
    expect(p.version).toBe('2.0');
    expect(p.user.name).toBe('Ada');
    expect(p.preferences.default_workflow).toBe('subtitle');
    expect(p.preferences.notifications).toEqual({ run_finished: true, run_failed: true, credential_missing: true });
    expect(p.credentials['openai']!['organization_id']).toBe('org-Abc12345678');
    expect(p.credential_metadata).toEqual({});
  });

  it('each upgrade step is pure: its input is not modified', () => {
    const input = seed10();
    const copy = JSON.parse(JSON.stringify(input));
    UPGRADE_STEPS[0]!.up(input);
    expect(input).toEqual(copy);
  });

  it('recognises a seed 1.0 file holding plaintext secrets as a migration source', () => {
    const doc = seed10();
    doc.credentials.huggingface.token = 'hf_PLAINTEXTPLAINTEXTPLAINTEXT1234';
    const e = thrown(() => parseProfile(doc));
    expect(e.code).toBe('PROFILE_PLAINTEXT');
    expect(e.message).toContain('huggingface.token');
    expect(e.message).not.toContain('PLAINTEXT1234');
    expect(e.fix).toContain('cpw-vault migrate');
  });

  it('keeps unknown fields at every level through a round trip', () => {
    const doc = { ...seed10(), version: '2.0', extra_top: { a: 1 }, user: { ...seed10().user, nickname: 'A' } };
    (doc.preferences as Record<string, unknown>)['theme'] = 'dark';
    const p = parseProfile(JSON.parse(JSON.stringify(parseProfile(doc))));
    expect(p['extra_top']).toEqual({ a: 1 });
    expect(p.user['nickname']).toBe('A');
    expect(p.preferences['theme']).toBe('dark');
  });

  it.each([
    [[], 'PROFILE_INVALID', ''],
    [{ credentials: {} }, 'PROFILE_INVALID', 'version'],
    [{ version: '1.0' }, 'PROFILE_INVALID', 'credentials'],
    [{ version: 'one', credentials: {} }, 'PROFILE_INVALID', 'version'],
    [{ version: '9.0', credentials: {} }, 'PROFILE_VERSION_UNSUPPORTED', undefined],
    [{ version: '2.0', credentials: {}, user: { email: 'nope' } }, 'PROFILE_INVALID', 'user.email'],
    // Reads check a zone's shape only (ICU costs 18 ms); a zone being set is checked for real (below), and doctor checks the stored one.
    [{ version: '2.0', credentials: {}, user: { timezone: 'Mars Olympus; rm -rf' } }, 'PROFILE_INVALID', 'user.timezone'],
    [{ version: '2.0', credentials: {}, user: { avatar_url: 'http://x.example/a.png' } }, 'PROFILE_INVALID', 'user.avatar_url'],
    [{ version: '2.0', credentials: {}, preferences: { ai_provider: 'skynet' } }, 'PROFILE_INVALID', 'preferences.ai_provider'],
  ])('rejects %j with %s at field %s', (doc, code, field) => {
    const e = thrown(() => parseProfile(doc));
    expect(e.code).toBe(code);
    if (field !== undefined) expect(e.fields?.map((f) => f.path)).toContain(field);
  });
});

describe('profile updates', () => {
  const base = () => createProfileTemplate(now);

  it('merges preferences, including notification toggles, and keeps unknown keys', () => {
    const p0 = { ...base(), preferences: { ...base().preferences, theme: 'dark' } };
    const p = applyProfileUpdate(p0, { preferences: { ai_provider: 'anthropic', notifications: { run_failed: false } } }, now);
    expect(p.preferences).toMatchObject({ ai_provider: 'anthropic', default_workflow: 'transcribe', theme: 'dark', notifications: { run_finished: true, run_failed: false, credential_missing: true } });
  });

  it('reports every bad field by path and changes nothing', () => {
    const p0 = base();
    const e = thrown(() => applyProfileUpdate(p0, { user: { email: 'x', timezone: 'Nowhere/City', created_at: 'x' }, preferences: { enable_cost_tracking: 'yes' } }, now));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.fields!.map((f) => f.path).sort()).toEqual(['preferences.enable_cost_tracking', 'user.created_at', 'user.email', 'user.timezone']);
    const e2 = thrown(() => applyProfileUpdate(p0, { user: { email: 'x', timezone: 'Nowhere/City' } }, now));
    expect(e2.fields!.map((f) => f.path).sort()).toEqual(['user.email', 'user.timezone']);
    expect(thrown(() => applyProfileUpdate(p0, { user: 'name=Ada' }, now)).fields).toEqual([{ path: 'user', message: 'must be an object of fields' }]);
    // A 100,000-character address was saved (name and job title stop at 160): one as long as an address may be is the limit.
    expect(thrown(() => applyProfileUpdate(p0, { user: { email: `${'a'.repeat(100_000)}@x.com` } }, now)).fields).toEqual([{ path: 'user.email', message: expect.stringContaining('at most 254 characters') }]);
    expect(applyProfileUpdate(p0, { user: { email: `${'a'.repeat(60)}@${'b'.repeat(60)}.com` } }, now).user.email).toHaveLength(125);
    expect(p0).toEqual(base());
  });

  // Seen as a new user: `profile set name="$(printf 'a\033[2Jb')"` was saved, and `profile show` then sent the
  // escape sequence to the terminal (the app shows the raw text). A name is one line of text.
  it('refuses control characters (escape sequences, line breaks) in a text field being set, and changes nothing', () => {
    const p0 = base();
    // And text-direction overrides: "\u202Eevil" showed as "live" in the app (a helper's attack pass).
    for (const bad of ['a\u001b[2Jb', 'Ada\nLovelace', 'x\u0007', 'x\u009b31m', '\u202Eevil', 'gpj.\u2066exe\u2069']) {
      const e = thrown(() => applyProfileUpdate(p0, { user: { name: bad, job_title: bad } }, now));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.fields).toEqual([
        { path: 'user.name', message: 'must not contain control characters (line breaks, tabs, escape sequences, text-direction overrides)' },
        { path: 'user.job_title', message: 'must not contain control characters (line breaks, tabs, escape sequences, text-direction overrides)' },
      ]);
      expect(e.message).not.toContain(bad);
    }
    expect(p0).toEqual(base());
    // Half of a UTF-16 pair (a renderer can send one) is no character: refused, said as such.
    expect(thrown(() => applyProfileUpdate(p0, { user: { name: 'Ada \uD83D' } }, now)).fields).toEqual([{ path: 'user.name', message: 'holds a broken character (half of a UTF-16 pair)' }]);
    // Unicode text is fine, right-to-left letters and whole emoji included.
    expect(applyProfileUpdate(p0, { user: { name: 'Åda Lövelace 李 שלום 🎬' } }, now).user.name).toBe('Åda Lövelace 李 שלום 🎬');
  });

  it('a time zone typed in another case is stored as IANA spells it; an alias keeps its name', () => {
    const p0 = base();
    expect(applyProfileUpdate(p0, { user: { timezone: 'europe/paris' } }, now).user.timezone).toBe('Europe/Paris');
    expect(applyProfileUpdate(p0, { user: { timezone: 'utc' } }, now).user.timezone).toBe('UTC');
    expect(applyProfileUpdate(p0, { user: { timezone: 'us/pacific' } }, now).user.timezone).toBe('US/Pacific');
    expect(applyProfileUpdate(p0, { user: { timezone: 'US/Pacific' } }, now).user.timezone).toBe('US/Pacific');
    expect(applyProfileUpdate(p0, { user: { timezone: 'America/New_York' } }, now).user.timezone).toBe('America/New_York');
    expect(thrown(() => applyProfileUpdate(p0, { user: { timezone: 'europe/nowhere' } }, now)).message).toContain('user.timezone must be an IANA time zone');
  });

  it('an avatar URL main would never fetch (an IP address, localhost, a port, a user) is refused when set, naming why', () => {
    const p0 = base();
    for (const url of ['https://127.0.0.1/a.png', 'https://[::1]/a.png', 'https://localhost/a.png', 'https://example.com:8443/a.png', 'https://me@example.com/a.png', 'https://intranet/a.png', 'HTTPS://127.0.0.1/a.png', 'Https://localhost/a.png']) {
      const e = thrown(() => applyProfileUpdate(p0, { user: { avatar_url: url } }, now));
      expect(e.message, url).toContain('user.avatar_url must be at a host name (not an IP address or localhost)');
    }
    expect(applyProfileUpdate(p0, { user: { avatar_url: 'https://example.com/me.png' } }, now).user.avatar_url).toBe('https://example.com/me.png');
    // One already saved (by an older version) is left as it is by a change of another field.
    const old = { ...p0, user: { ...p0.user, avatar_url: 'https://127.0.0.1/a.png' } };
    expect(applyProfileUpdate(old, { user: { name: 'Ada' } }, now).user.avatar_url).toBe('https://127.0.0.1/a.png');
  });

  it('answers an update naming 5,000 unknown fields in linear work, naming each of them', () => {
    const n = 5_000;
    const made = Object.fromEntries(Array.from({ length: n }, (_, i) => [`field_${i}`, 'x']));
    for (const update of [{ user: { ...made, name: 'Grace' } }, { preferences: { ...made, ai_provider: 'anthropic' } }, { preferences: { notifications: made } }]) {
      const { result: e, elements } = searchWork(() => thrown(() => applyProfileUpdate(base(), update, now)));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.fields).toHaveLength(n);
      expect(e.fields![n - 1]!.path).toMatch(/\.field_4999$/);
      // Searching the list of unknown names once per field counted n² = 25,000,000 (a Set lookup counts none).
      expect(elements).toBeLessThan(10 * n);
    }
  });

  it('sets updated_at on a user change', () => {
    const later = new Date('2026-03-01T00:00:00Z');
    const p = applyProfileUpdate(base(), { user: { name: 'Grace', timezone: 'America/New_York', avatar_url: 'https://example.com/a.png' } }, later);
    expect(p.user).toMatchObject({ name: 'Grace', timezone: 'America/New_York', updated_at: later.toISOString() });
  });
});
