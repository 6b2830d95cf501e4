// Profile fields as a person whose world is not ASCII fills them in: an address at an internationalized domain
// (user@bücher.de, or its ASCII form under .рф, xn--p1ai) was refused as "must be an email address such as
// ada@example.com".
import { describe, expect, it } from 'vitest';
import { userSchema } from '../../shared/core/profile-schema';

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
