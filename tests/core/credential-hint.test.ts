// The hint of a value kept in the profile (a non-secret, e.g. openai.organization_id stored with --force) counts
// characters as the masked hint does: its first 16 UTF-16 units cut an emoji in half, "org-abcdefghijk🔑xyz" showed
// "org-abcdefghijk\ud83d" in the profile and "org-abcdefghijk�" in set's output and list.
import { describe, expect, it } from 'vitest';
import { withCredential } from '../../shared/core/credential-index';
import { createProfileTemplate } from '../../shared/core/profile-schema';

const hintOf = (value: string) => withCredential(createProfileTemplate(new Date(0)), 'openai.organization_id', value, new Date(0)).credential_metadata['openai.organization_id']?.hint;

describe('the hint of a non-secret value', () => {
  it('keeps its first 16 characters whole: an emoji at the 16th is kept, never half of it', () => {
    expect(hintOf('org-abcdefghijk🔑xyz')).toBe('org-abcdefghijk🔑');
    expect(hintOf('org-🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑')).toBe(`org-${'🔑'.repeat(12)}`);
  });

  it('is the value itself under 16 characters, and its first 16 of plain text as before', () => {
    expect(hintOf('org-字字')).toBe('org-字字');
    expect(hintOf('org-Abcdef1234567890xyz')).toBe('org-Abcdef123456');
  });
});
