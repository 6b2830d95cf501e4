// Names a user or a provider gave, shown cut short in a message (a keyring's label, a backend or member name typed on
// the command line, a lock owner's field): each was cut with .slice at a fixed length, which can cut between the two
// halves of a character outside the BMP (an emoji), and the terminal then showed U+FFFD where the name ended.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shownText } from '../../shared/core/control-chars';
import { shown } from '../../shared/node/profile/owner';
import { collectionLockedError } from '../../shared/node/secrets/reasons';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const KEY = '\u{1F511}'; // two UTF-16 units
/** The text as a terminal gets it: encoded to UTF-8 (a lone surrogate becomes U+FFFD) and read back. */
const onTerminal = (text: string) => Buffer.from(text, 'utf8').toString('utf8');

describe('a name cut short for a message keeps whole characters', () => {
  it('shownText: cut before a character it would split, `…` where it was cut, control characters replaced, short text as it is', () => {
    // 79 one-unit characters, then emoji: the 80th unit is the first half of a pair.
    const label = `${'a'.repeat(79)}${KEY.repeat(5)}`;
    expect(shownText(label, 80)).toBe(`${'a'.repeat(79)}…`);
    expect(shownText(KEY.repeat(50), 80)).toBe(`${KEY.repeat(40)}…`);
    expect(shownText(`x\u001b[2Jy`, 80)).toBe('x?[2Jy');
    expect(shownText('Login', 80)).toBe('Login');
    expect(shownText('a'.repeat(80), 80)).toBe('a'.repeat(80));
  });

  it('a locked keyring with an emoji label, a lock owner field of emoji: no U+FFFD in what is printed', () => {
    const e = collectionLockedError('gnome-keyring', `${'a'.repeat(79)}${KEY.repeat(3)}`);
    for (const text of [e.message, e.fix ?? '', shown(`${'b'.repeat(63)}${KEY}${KEY}`)]) expect(onTerminal(text)).not.toContain('\uFFFD');
  });

  it('cpw-vault backend use <a long name of emoji>: the refusal names it without U+FFFD, exit 2', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['backend', 'use', `${'k'.repeat(39)}${KEY.repeat(10)}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`"${'k'.repeat(39)}…" is not a backend.`);
    expect(r.stderr).not.toContain('\uFFFD');
  });

  // A migration source's key longer than 80 characters is shown cut (shownKey): a secrets.json key of emoji was cut
  // through a pair, and the plan showed U+FFFD (--json: a lone surrogate escaped, "\ud83d").
  it('cpw-vault migrate --dry-run of a secrets.json whose long key ends in emoji: the plan shows it cut before them, no U+FFFD', async () => {
    const t = makeTempHome();
    const from = join(t.cwd, 'secrets.json');
    writeFileSync(from, JSON.stringify({ [`${'k'.repeat(78)}${KEY.repeat(3)}`]: 'some-value' }), { mode: 0o600 });
    for (const json of [[], ['--json']]) {
      const r = await cli(t, ['migrate', '--from', from, '--dry-run', ...json]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).toContain(`${'k'.repeat(78)}…`);
      expect(r.stdout + r.stderr).not.toMatch(/\uFFFD|\\ud83d/);
    }
  });
});
