// An export killed (kill -9, a crash, a power cut) after it made its temp file and before it linked it into place left
// that temp beside the export's name for good: the whole export, encrypted, in a file nobody asked for
// (`vault.age.tmp-<hex>`), which no later export removed. The next export to that name now removes a stale one.
import { chownSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildExport } from '../../shared/core/vault-export';
import { readExportFile, writeExportFile } from '../../shared/node/secrets/export-file';
import { makeTempHome } from '../helpers/temp';

const PASS = 'an export passphrase';
const VALUE = '0123456789abcdef0123456789abcdef';
const doc = () => buildExport([{ id: 'tmdb.api_key', value: VALUE, meta: { storage: 'keychain' } }], new Date());
const ago = (file: string, ms: number) => utimesSync(file, new Date(Date.now() - ms), new Date(Date.now() - ms));

describe('an export after one killed before its link', () => {
  it('removes the killed one\'s temp; keeps a live export\'s, another user\'s, and files of other names', async () => {
    const dir = join(makeTempHome().root, 'exports');
    mkdirSync(dir, { mode: 0o700 });
    const file = join(dir, 'vault.age');
    const killed = `${file}.tmp-${'ab'.repeat(12)}`;
    const live = `${file}.tmp-${'cd'.repeat(12)}`;
    const foreign = `${file}.tmp-${'ef'.repeat(12)}`;
    const other = `${join(dir, 'notes.age')}.tmp-${'ab'.repeat(12)}`;
    const usersOwn = `${file}.tmp-mine`;
    for (const f of [killed, live, foreign, other, usersOwn]) writeFileSync(f, 'age-encryption.org/v1 (a temp)', { mode: 0o600 });
    for (const f of [killed, foreign, other, usersOwn]) ago(f, 60_000);
    const root = process.getuid?.() === 0;
    if (root) chownSync(foreign, 65534, 65534);
    await writeExportFile(file, doc(), PASS, { logN: 10 });
    expect((await readExportFile(file, PASS)).credentials.map((c) => c.value)).toEqual([VALUE]);
    const left = readdirSync(dir).sort();
    expect(left).not.toContain('vault.age.tmp-' + 'ab'.repeat(12));
    expect(left).toEqual(['notes.age.tmp-' + 'ab'.repeat(12), 'vault.age', 'vault.age.tmp-' + 'cd'.repeat(12), ...(root ? ['vault.age.tmp-' + 'ef'.repeat(12)] : []), 'vault.age.tmp-mine'].sort());
  });

  it('an export refused (the name is taken) removes nothing', async () => {
    const dir = join(makeTempHome().root, 'exports');
    mkdirSync(dir, { mode: 0o700 });
    const file = join(dir, 'vault.age');
    writeFileSync(file, 'a file of the user\'s', { mode: 0o600 });
    const killed = `${file}.tmp-${'ab'.repeat(12)}`;
    writeFileSync(killed, 'age-encryption.org/v1 (a temp)', { mode: 0o600 });
    ago(killed, 60_000);
    await expect(writeExportFile(file, doc(), PASS, { logN: 10 })).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(readdirSync(dir).sort()).toEqual(['vault.age', `vault.age.tmp-${'ab'.repeat(12)}`]);
  });
});
