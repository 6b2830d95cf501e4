import { describe, expect, it } from 'vitest';
import { hasConflictMarkers, nextDocument, parseRecipients, parseTeamDocument, recipientsText, checkRecipient, checkMemberName } from '../../shared/core/team-document';

const R = (c: string) => `age1${c.repeat(58)}`;
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
});
