import { describe, expect, it } from 'vitest';
import { parseJson } from '../../shared/core/json';

describe('strict JSON parsing', () => {
  it('reports line and column of a syntax error without quoting the input', () => {
    const secret = 'hf_SECRETSECRETSECRETSECRETSECRET12';
    const r = parseJson(`{\n  "hf_token": "${secret}",\n  "tmdb": ${secret}\n}`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.line).toBe(3);
    expect(r.column).toBe(11);
    expect(JSON.stringify(r)).not.toContain('SECRET');
  });

  it('accepts a BOM and CRLF line ends', () => {
    const r = parseJson('\uFEFF{\r\n  "a": "b"\r\n}\r\n');
    expect(r).toMatchObject({ ok: true, value: { a: 'b' } });
  });

  it('reports duplicate keys, last one wins', () => {
    const r = parseJson('{"a": 1, "b": {"c": 1, "c": 2}, "a": 3}');
    expect(r).toMatchObject({ ok: true, value: { a: 3, b: { c: 2 } }, duplicateKeys: ['b.c', 'a'] });
  });

  it('keeps __proto__ as a plain own key and never touches a prototype', () => {
    const r = parseJson('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = r.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('rejects comments, trailing commas and empty input', () => {
    expect(parseJson('{"a": 1, // c\n}').ok).toBe(false);
    expect(parseJson('{"a": 1,}').ok).toBe(false);
    expect(parseJson('').ok).toBe(false);
  });
});
