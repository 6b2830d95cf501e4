import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

/** export / import given a path that is wrong, as people type them: said at once, naming what the user gave. */
describe('export and import with a mistyped path', () => {
  let t: TempHome;
  let pass: string;
  beforeAll(async () => {
    t = makeTempHome();
    pass = join(t.root, 'export-pass');
    writeFileSync(pass, 'export file passphrase\n', { mode: 0o600 });
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: '0123456789abcdef0123456789abcdef' })).code).toBe(0);
  });
  afterAll(async () => {
    await cli(t, ['delete', 'tmdb', 'api_key', '--yes']);
  });

  it('export --to a folder that does not exist: the folder named before the scrypt, no temp file name', async () => {
    const r = await cli(t, ['export', '--to', 'no-such-folder/backup.age', '--passphrase-file', pass]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`there is no folder ${join(t.cwd, 'no-such-folder')}`);
    expect(r.stderr).toContain('mkdir -p');
    expect(r.stderr).not.toContain('.tmp-');
    expect(r.stderr).not.toContain('Encrypting the export');
    expect(readdirSync(t.cwd)).toEqual([]);
  });

});
