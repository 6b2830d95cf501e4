// Writers of one credential at the same time (two terminals, a pipeline and
// the app) take turns: each writes, reads back and indexes its value whole.
// They used to interleave: one read back the other's value, failed with a
// keychain error, and its rollback put the old value over the other's
// acknowledged one (keychain and index then disagreed).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { maskedHint } from '../../shared/core/credential';
import { cli, hex, keychainValues } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

describe('parallel writers of one credential', () => {
  it('3 rounds of 8 parallel sets of the same key (and a delete): every one succeeds, and the keychain holds what the index says', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: hex(32) })).code).toBe(0);
    for (let round = 0; round < 3; round++) {
      const values = Array.from({ length: 8 }, () => hex(32));
      const results = await Promise.all([
        ...values.map((v) => cli(t, ['set', 'tmdb', 'api_key'], { input: v })),
        ...(round === 1 ? [cli(t, ['delete', 'tmdb', 'api_key', '--yes'])] : []),
      ]);
      for (const r of results) expect([r.code, r.stderr.replace(/^cpw-vault: waiting for .*\n/gm, '')]).toEqual([0, expect.not.stringContaining('error')]);
      const stored = (await keychainValues(t))['tmdb.api_key'];
      const index = (JSON.parse(readFileSync(t.profile, 'utf8')) as { credential_metadata: Record<string, { hint: string }> }).credential_metadata['tmdb.api_key'];
      if (stored === undefined) {
        expect(index).toBeUndefined(); // the delete went last
      } else {
        expect(values).toContain(stored);
        expect(index?.hint).toBe(maskedHint(stored));
      }
    }
  });
});
