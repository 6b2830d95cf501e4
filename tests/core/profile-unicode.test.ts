// Profile fields as a person whose world is not ASCII fills them in: an address at an internationalized domain
// (user@bücher.de, or its ASCII form under .рф, xn--p1ai) was refused as "must be an email address such as
// ada@example.com".
import { describe, expect, it } from 'vitest';
import { credentialMetaSchema, userSchema } from '../../shared/core/profile-schema';

const problems = (user: Record<string, string>) => {
  const r = userSchema.safeParse(user);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('an email address in any script', () => {
  it.each(['user@bücher.de', 'josé@example.com', '用户@例子.广告', 'пользователь@пример.рф', 'user@xn--e1afmkfd.xn--p1ai', 'उपयोगकर्ता@उदाहरण.भारत', 'ada@example.com', "o'brien+tag@mail.example.co.uk"])('%s is taken as typed', (email) => {
    const r = userSchema.safeParse({ email });
    expect(r.success && r.data.email).toBe(email);
  });

  it.each(['ada', 'ada@', '@example.com', 'ada@example', 'a da@example.com', 'ada@exa mple.com', '.ada@example.com', 'a..da@example.com', 'ada@bücher.d', 'ada\u202e@example.com', 'ada@exam\u200bple.com'])('%s is still refused', (email) => {
    expect(problems({ email })).toEqual(['email: must be an email address such as ada@example.com']);
  });
});

describe('name and job title, in characters (held before: zod counts code points)', () => {
  it('160 emoji or characters outside the BMP are taken; 161 are refused', () => {
    expect(problems({ name: '🔑'.repeat(160), job_title: '𠮷'.repeat(160) })).toEqual([]);
    expect(problems({ name: '🔑'.repeat(161), job_title: '字'.repeat(161) })).toEqual(['name: must be at most 160 characters', 'job_title: must be at most 160 characters']);
  });
});

describe('half of a UTF-16 pair in a text field read from the file', () => {
  // `set --label` and `profile set` refuse it; a hand in the file writes it as \ud800. It is no character: printed,
  // it became U+FFFD, and a reader's UTF-8 cannot hold it. The read names the field, as it does any bad one.
  const BROKEN = 'holds a broken character (half of a UTF-16 pair)';
  const at = '2026-01-01T00:00:00.000Z';
  const metaProblems = (meta: Record<string, unknown>) => {
    const r = credentialMetaSchema.safeParse({ created_at: at, updated_at: at, hint: '••••6789', ...meta });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('in the user section: name, job title, avatar address', () => {
    expect(problems({ name: 'Ada \ud800', job_title: '\udc00 lead', avatar_url: 'https://example.com/a\ud83d.png' })).toEqual([`name: ${BROKEN}`, `job_title: ${BROKEN}`, `avatar_url: ${BROKEN}`]);
  });

  it('in a credential\'s label, hint and last verify record', () => {
    expect(metaProblems({ label: 'My \ud800 token' })).toEqual([`label: ${BROKEN}`]);
    expect(metaProblems({ hint: '••••\udfff', last_validation: { result: 'valid', at, account: 'ada\ud800', checks: ['\udc00'] } })).toEqual([`last_validation.checks.0: ${BROKEN}`, `last_validation.account: ${BROKEN}`, `hint: ${BROKEN}`]);
  });

  it('whole pairs (emoji, characters outside the BMP) are text like any other', () => {
    expect(problems({ name: 'Ada \ud83d\ude00', job_title: '𠮷' })).toEqual([]);
    expect(metaProblems({ label: 'My 🔑 token' })).toEqual([]);
  });
});
