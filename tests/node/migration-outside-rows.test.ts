// A migration's note on the rows it kept out of the vault names the first few and the count of the rest, as every
// message that lists names does (core/errors.ts listedNames): a .env of 100,000 keys given twice printed them all.
import { describe, expect, it } from 'vitest';
import { outsideRowsKept } from '../../shared/node/migration/plaintext-removal';

describe('outsideRowsKept', () => {
  it('keys given twice, keys in comments: the first few and the count', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `KEY_${i}`);
    const note = outsideRowsKept({ duplicateKeys: keys, commentedKeys: keys })!;
    expect(note.length).toBeLessThan(2_000);
    expect(note).toContain('100000 comments hold a value or what looks like a key (KEY_0, ');
    expect(note).toContain('and 99990 more (100000 in all)');
  });
});

// It said "1 comment(s) hold a value ... They would be lost with the file ... Check them": the verb and the pronoun follow the count.
describe('outsideRowsKept in both numbers', () => {
  it('one comment holds a value, and it would be lost; two comments hold one, and they would be', () => {
    expect(outsideRowsKept({ duplicateKeys: [], commentedKeys: ['HF_TOKEN'] })).toBe(
      '1 comment holds a value or what looks like a key (HF_TOKEN): comments are not migrated. It would be lost with the file, so the plaintext files were kept. Check it, then delete the files yourself.',
    );
    expect(outsideRowsKept({ duplicateKeys: [], commentedKeys: ['HF_TOKEN', 'OPENAI_API_KEY'] })).toBe(
      '2 comments hold a value or what looks like a key (HF_TOKEN, OPENAI_API_KEY): comments are not migrated. They would be lost with the file, so the plaintext files were kept. Check them, then delete the files yourself.',
    );
  });
});
