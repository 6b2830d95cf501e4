import { afterEach, describe, expect, it } from 'vitest';
import { REDACTED, clearRegisteredSecrets, redact, redactDeep, registerSecret } from '../../shared/core/redact';
import { maskedHint } from '../../shared/core/credential';
import { VaultError } from '../../shared/core/errors';

afterEach(() => clearRegisteredSecrets());

describe('redaction', () => {
  it('removes values passed in and values registered earlier', () => {
    registerSecret('zebra-canary-42');
    expect(redact('a zebra-canary-42 b my-other-value', ['my-other-value'])).toBe(`a ${REDACTED} b ${REDACTED}`);
  });

  // A provider mirror echoed a key upper-cased (an error code, an account name): an exact match let it through.
  it('removes a known value in any case and URL-encoded, and leaves ordinary words and env var names alone', () => {
    const key = 'Zq7+mKp/wX3==';
    registerSecret(key);
    registerSecret('Data');
    expect(redact(`a ${key.toUpperCase()} b ${key.toLowerCase()} c zQ7+MkP/Wx3== d ${encodeURIComponent(key)} e ${encodeURIComponent(key).toLowerCase()}`)).toBe(`a ${REDACTED} b ${REDACTED} c ${REDACTED} d ${REDACTED} e ${REDACTED}`);
    expect(redact(`x ${'İ'}${key.toUpperCase()} y`)).toBe(`x İ${REDACTED} y`);
    // A word-sized value is cut only as it is; the shapes keep their case (HF_ENDPOINT is no token).
    expect(redact('Data data DATA HF_ENDPOINT=https://hf-mirror.example HF_TOKEN')).toBe(`${REDACTED} data DATA HF_ENDPOINT=https://hf-mirror.example HF_TOKEN`);
  });

  // Upper-casing is not always one letter for one: "ß" becomes "SS", and one "İ" anywhere in the text made the search
  // fold ASCII letters only, so a Greek passphrase echoed lower-cased beside a Turkish name came back whole.
  it('removes a non-ASCII value in any case: ß upper-cased as SS, a final sigma, beside an İ', () => {
    registerSecret('straße-geheim-1');
    registerSecret('ΣΕΚΡΕΤ-ΚΛΕΙΔΙ-12');
    registerSecret('σοφίας-κλειδί-9');
    registerSecret('İstanbul-2024-key');
    expect(redact('a STRASSE-GEHEIM-1 b Straße-Geheim-1 c')).toBe(`a ${REDACTED} b ${REDACTED} c`);
    expect(redact('user İlker: σεκρετ-κλειδι-12 / ΣΟΦΊΑΣ-ΚΛΕΙΔΊ-9')).toBe(`user İlker: ${REDACTED} / ${REDACTED}`);
    expect(redact('x İSTANBUL-2024-KEY y i̇stanbul-2024-key z')).toBe(`x ${REDACTED} y ${REDACTED} z`);
  });

  it('removes credential-shaped tokens even when unknown', () => {
    const text = `hf_${'a'.repeat(34)} sk-ant-${'b'.repeat(30)} AIza${'c'.repeat(35)} ${'d'.repeat(32)} Bearer abcdefghijk`;
    const out = redact(text);
    expect(out).not.toMatch(/aaaa|bbbb|cccc|dddd|abcdefghijk/);
    expect(out).toContain('Bearer [REDACTED]');
  });

  // Each pattern runs only on text that may hold it (a literal part, or its shortest length): the shortest text
  // each one takes, alone and in a sentence, is still redacted.
  it.each([
    ['hf_abcdefgh', REDACTED],
    [`sk-${'a'.repeat(12)}`, REDACTED],
    [`AIza${'c'.repeat(20)}`, REDACTED],
    [`eyJ${'a'.repeat(8)}.${'b'.repeat(8)}.${'c'.repeat(8)}`, REDACTED],
    ['d'.repeat(32), REDACTED],
    ['Bearer abcdefgh', `Bearer ${REDACTED}`],
    ['bearer abcdefgh', `bearer ${REDACTED}`],
    ['BeArEr abcdefgh', `BeArEr ${REDACTED}`],
    ['AGE-SECRET-KEY-1QQQQQQQQ', REDACTED],
    ['age-secret-key-1qqqqqqqq', REDACTED],
  ])('redacts the shortest %s', (token, expected) => {
    expect(redact(token)).toBe(expected);
    expect(redact(`x: ${token} y`)).toBe(`x: ${expected} y`);
  });

  // V8 compiles a pattern at its first run (~0.2 ms): a `get` paid it for its audit line's event name.
  it('runs no pattern on text that cannot hold a secret shape (an audit line of a read)', () => {
    const replace = RegExp.prototype[Symbol.replace];
    let ran = 0;
    // Typed loosely: the method is overloaded (a string or a function to replace with), and both pass through here.
    RegExp.prototype[Symbol.replace] = function (this: RegExp, ...args: unknown[]) {
      ran += 1;
      return (replace as (...a: unknown[]) => string).apply(this, args);
    } as typeof replace;
    try {
      redactDeep({ ts: '2026-12-05T01:21:22.536Z', event: 'credential_read', caller: 'cli', credential: 'huggingface.token', details: { source: 'keychain' } });
    } finally {
      RegExp.prototype[Symbol.replace] = replace;
    }
    expect(ran).toBe(0);
  });

  it('redacts nested structures', () => {
    expect(redactDeep({ a: ['x secret-value y'], b: 1 }, ['secret-value'])).toEqual({ a: [`x ${REDACTED} y`], b: 1 });
  });

  it('is applied to every VaultError message and fix', () => {
    registerSecret('canary-in-error');
    const e = new VaultError('INTERNAL', 'failed with canary-in-error', 'retry canary-in-error');
    expect(JSON.stringify(e.toJSON())).not.toContain('canary-in-error');
    expect(e.message).toContain(REDACTED);
  });

  it('masks: last 4 characters of long values only', () => {
    expect(maskedHint('hf_abcdefghijklmnopqrstuvwxyz1234')).toBe('••••1234');
    expect(maskedHint('short-value')).toBe('••••');
  });
});
