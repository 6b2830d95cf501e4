import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

// The CLI said "Exported 1 credential(s) to ..." and "Imported 2 credential(s), each read back." (the app had moved to
// real singulars and plurals): one credential is "1 credential", two are "2 credentials".
describe('export and import count in words', () => {
  it('an export of one says "Exported 1 credential to", an import of two "Imported 2 credentials, each read back"', async () => {
    const t = makeTempHome();
    const pass = join(t.root, 'export-pass');
    writeFileSync(pass, 'export file passphrase\n', { mode: 0o600 });
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: '0123456789abcdef0123456789abcdef' })).code).toBe(0);
    const one = await cli(t, ['export', '--to', 'one.age', '--passphrase-file', pass]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toContain(`✓ Exported 1 credential to ${join(t.cwd, 'one.age')} (age`);
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: 'hf_abcdefghijklmnopqrstuvwxyz0123456789' })).code).toBe(0);
    const two = await cli(t, ['export', '--to', 'two.age', '--passphrase-file', pass]);
    expect(two.stderr).toContain(`✓ Exported 2 credentials to ${join(t.cwd, 'two.age')} (age`);

    const other = makeTempHome();
    const imported = await cli(other, ['import', join(t.cwd, 'two.age'), '--passphrase-file', pass, '--yes']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain('✓ Imported 2 credentials, each read back.\n');
    expect(imported.stdout).toContain('2 to write; 0 identical, 0 conflicts, 0 unknown, 0 invalid.');
    expect((await cli(other, ['get', 'tmdb', 'api_key'])).stdout).toBe('0123456789abcdef0123456789abcdef');
    for (const h of [t, other]) for (const [s, k] of [['tmdb', 'api_key'], ['huggingface', 'token']]) await cli(h, ['delete', s!, k!, '--yes']);
  });
});
