import { PerformanceObserver } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { withoutPlaintext } from '../../shared/node/profile/documents';

/**
 * How many garbage collections `fn` set off: a measure of what it allocates with no clock in it. Copying a section
 * of 2,000 slots once per secret allocates ~100 MB (many collections); once per section, ~0.2 MB.
 */
async function collections(fn: () => void): Promise<number> {
  let n = 0;
  const observer = new PerformanceObserver((list) => void (n += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  fn();
  await new Promise((r) => setTimeout(r, 50)); // entries are delivered after the work, in a later task
  observer.disconnect();
  return n;
}

describe('withoutPlaintext (an old profile holding plaintext secrets, read)', () => {
  it('copies a section once however many of its secrets it empties (once per secret: 10,000 took 129 s)', async () => {
    const slots = Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`key${i}_token`, `value-${i}`]));
    let out: { credentials: { myservice: Record<string, string> } } | undefined;
    const gcs = await collections(() => {
      out = withoutPlaintext({ version: '1.0', credentials: { myservice: slots } }) as typeof out;
    });
    expect(Object.values(out!.credentials.myservice).every((v) => v === '')).toBe(true);
    expect(Object.keys(out!.credentials.myservice)).toHaveLength(2_000);
    expect(gcs).toBeLessThanOrEqual(2);
  });

  it('leaves the document given untouched, keeps other fields and non-secret slots, and a service named __proto__ a field', () => {
    const doc = JSON.parse('{"version":"1.0","credentials":{"__proto__":{"api_key":"s3cret"},"huggingface":{"token":"hf_x"},"openai":{"api_key":"sk-x","organization_id":"org-me"}},"online_services":{"tmdb":{"api_key":"t"}},"user":{"name":"A"}}');
    const before = JSON.stringify(doc);
    const out = withoutPlaintext(doc) as Record<string, Record<string, Record<string, string>>>;
    expect(JSON.stringify(doc)).toBe(before);
    expect(Object.getPrototypeOf(out['credentials'])).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(out))).toEqual({
      version: '1.0',
      credentials: JSON.parse('{"__proto__":{"api_key":""},"huggingface":{"token":""},"openai":{"api_key":"","organization_id":"org-me"}}'),
      online_services: { tmdb: { api_key: '' } },
      user: { name: 'A' },
    });
  });
});
