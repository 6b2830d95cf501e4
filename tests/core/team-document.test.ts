import { describe, expect, it } from 'vitest';
import { hasConflictMarkers, nextDocument, parseRecipients, parseTeamDocument, recipientsText, checkRecipient, checkMemberName } from '../../shared/core/team-document';

/** Real age X25519 recipients (age-keygen -y): a key of one repeated letter has the shape, not the checksum. */
const KEYS: Record<string, string> = {
  p: 'age19m7spuy6f34q8yzas28dwtgy577hygucs3v7gdp79jndkg6xjqmsgdznt3',
  q: 'age17466fvt0h89yfhqlxeznvrks96w7sww9z6w4x4kdpnmf8m8gv4ds3eh0es',
  x: 'age104nvtvjx4dpz2tvmgjqpxgt4j8ajpjk4fqpxf8ku994296h2u57ql78eun',
};
const R = (c: string) => KEYS[c]!;
/** The tester's `age1qqq...`: the shape of a recipient, with a checksum that does not match. */
const BAD_SUM = `age1${'q'.repeat(58)}`;
const cred = (id: string, value: string) => ({ id, value, meta: { updated_at: '' } });

describe('team document', () => {
  it('writes the recipients file sorted by name, so two writers of the same set write the same bytes, and reads it back', () => {
    const a = recipientsText([{ name: 'zoe', recipient: R('q') }, { name: 'alice', recipient: R('p') }]);
    const b = recipientsText([{ name: 'alice', recipient: R('p') }, { name: 'zoe', recipient: R('q') }]);
    expect(a).toBe(b);
    expect(a.indexOf('# alice')).toBeLessThan(a.indexOf('# zoe'));
    expect(parseRecipients(a, 'f')).toEqual([{ name: 'alice', recipient: R('p') }, { name: 'zoe', recipient: R('q') }]);
    expect(parseRecipients(`${R('x')}\n`, 'f')).toEqual([{ name: 'member-1', recipient: R('x') }]);
  });

  it('refuses a recipients line that is no age key, and conflict markers, without quoting the text', () => {
    expect(() => parseRecipients('# bob\nsk-secret-value\n', 'f')).toThrow(/line 2 is not an age public key/);
    expect(() => parseRecipients('# bob\nsk-secret-value\n', 'f')).not.toThrow(/sk-secret/);
    expect(() => parseRecipients(`<<<<<<< HEAD\n${R('p')}\n=======\n${R('q')}\n>>>>>>> other\n`, 'f')).toThrow(/merge conflict/);
    expect(hasConflictMarkers('a\n<<<<<<< HEAD\nb\n>>>>>>> x\n')).toBe(true);
    expect(hasConflictMarkers('-----BEGIN AGE ENCRYPTED FILE-----\n')).toBe(false);
  });

  it('checks names and keys, and says ssh keys are not supported', () => {
    expect(() => checkMemberName('-rf')).toThrow(/member name/);
    expect(() => checkMemberName('a'.repeat(65))).toThrow(/member name/);
    expect(() => checkRecipient('ssh-ed25519 AAAA bob@host')).toThrow(/SSH public keys are not supported/);
    expect(() => checkRecipient('age1short')).toThrow(/not an age public key/);
    expect(checkRecipient(R('p'))).toBe(R('p'));
  });

  it('a key with the shape of a recipient and a wrong checksum: "not a valid age recipient" on add, TEAM_INVALID naming the member on read', () => {
    expect(() => checkRecipient(BAD_SUM)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('not a valid age recipient') }));
    // One character changed in a real key (a typo): the checksum catches it.
    const typo = `${R('p').slice(0, 20)}${R('p')[20] === 'q' ? 'p' : 'q'}${R('p').slice(21)}`;
    expect(() => checkRecipient(typo)).toThrow(/not a valid age recipient/);
    const doc = (recipient: string) => JSON.stringify({ format: 'cpw-vault-team', version: 1, updated_at: '', members: [{ name: 'alice', recipient: R('p'), seen: [] }, { name: 'dave', recipient, seen: [] }], credentials: [], rotate: [] });
    expect(() => parseTeamDocument(doc(BAD_SUM), 'f')).toThrow(expect.objectContaining({ code: 'TEAM_INVALID', message: expect.stringContaining('member 2 (dave) has an age recipient whose checksum does not match') }));
    expect(parseTeamDocument(doc(R('q')), 'f').members.map((m) => m.name)).toEqual(['alice', 'dave']);
    expect(() => parseRecipients(`# dave\n${BAD_SUM}\n`, 'f')).toThrow(/line 2 is not an age public key/);
  });

  it('remembers what each member has seen; removing one leaves a reminder that a changed value clears', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    let doc = nextDocument(undefined, [{ name: 'alice', recipient: R('p') }, { name: 'bob', recipient: R('q') }], [cred('tmdb.api_key', 'v1'), cred('huggingface.token', 'h1')], now);
    expect(doc.members.find((m) => m.name === 'bob')?.seen).toEqual(['huggingface.token', 'tmdb.api_key']);
    doc = nextDocument(doc, [{ name: 'alice', recipient: R('p') }], doc.credentials, now, ['bob']);
    expect(doc.rotate).toEqual([{ name: 'bob', removed_at: now.toISOString(), ids: ['huggingface.token', 'tmdb.api_key'] }]);
    doc = nextDocument(doc, doc.members, [cred('tmdb.api_key', 'v2'), cred('huggingface.token', 'h1')], now);
    expect(doc.rotate).toEqual([{ name: 'bob', removed_at: now.toISOString(), ids: ['huggingface.token'] }]);
    doc = nextDocument(doc, doc.members, [cred('tmdb.api_key', 'v2'), cred('huggingface.token', 'h2')], now);
    expect(doc.rotate).toEqual([]);
  });

  it('parses a document strictly: newer versions, repeated ids, bad members and non-JSON are refused without quoting values', () => {
    const good = nextDocument(undefined, [{ name: 'alice', recipient: R('p') }], [cred('tmdb.api_key', 'SECRET-VALUE')], new Date());
    expect(parseTeamDocument(JSON.stringify(good), 'f').credentials[0]?.value).toBe('SECRET-VALUE');
    expect(() => parseTeamDocument('SECRET-VALUE', 'f')).toThrow(/f decrypts, but it is not JSON/);
    expect(() => parseTeamDocument(JSON.stringify({ ...good, version: 9 }), 'f')).toThrow(/newer cpw-vault/);
    expect(() => parseTeamDocument(JSON.stringify({ ...good, credentials: [good.credentials[0], good.credentials[0]] }), 'f')).toThrow(/repeats an id/);
    expect(() => parseTeamDocument(JSON.stringify({ ...good, members: [{ name: 'x', recipient: 'SECRET-VALUE' }] }), 'f')).toThrow(/member 1/);
    expect(() => parseTeamDocument(JSON.stringify({ ...good, credentials: [{ id: '__proto__', value: 'SECRET-VALUE' }] }), 'f')).toThrow(/credential 1/);
    try {
      parseTeamDocument(JSON.stringify({ ...good, members: [{ name: 'x', recipient: 'SECRET-VALUE' }] }), 'f');
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('SECRET-VALUE');
    }
  });

  it('keeps planted team identity rows out of the credentials and tells them (place and text) to the pull; a written document has none', () => {
    const good = nextDocument(undefined, [{ name: 'alice', recipient: R('p') }], [cred('tmdb.api_key', 'v1')], new Date());
    const id = 'cpw-vault.team_identity';
    const doc = parseTeamDocument(JSON.stringify({ ...good, credentials: [{ id, value: 42 }, ...good.credentials, { id, value: 'AGE-SECRET-KEY-1X' }] }), 'f');
    expect(doc.credentials.map((c) => c.id)).toEqual(['tmdb.api_key']);
    expect(doc.planted).toEqual([{ row: 1, value: undefined }, { row: 3, value: 'AGE-SECRET-KEY-1X' }]);
    expect(parseTeamDocument(JSON.stringify(good), 'f').planted).toBeUndefined();
    expect(JSON.stringify(nextDocument(doc, doc.members, doc.credentials, new Date()))).not.toContain('AGE-SECRET-KEY');
  });
});
