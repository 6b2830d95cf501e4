// A backup must read back: `export` wrote 10,001 credentials that `import` refused (its count limit was 10,000), and
// an export over 16 MiB (~40,000 credentials) that import's read cap refused. Both bounds are import's now, and
// export checks them before its scrypt, so it never writes a backup that cannot be restored.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildExport, MAX_EXPORT_CREDENTIALS, type ExportedCredential } from '../../shared/core/vault-export';
import { MAX_EXPORT_BYTES, readExportFile, writeExportFile } from '../../shared/node/secrets/export-file';
import { makeTempHome } from '../helpers/temp';

const LOG_N = 10;
const PASS = 'an export passphrase';

function credentials(n: number, valueBytes = 40): ExportedCredential[] {
  return Array.from({ length: n }, (_, i) => ({ id: `svc${i}.api_key`, value: `v${i}-${'x'.repeat(valueBytes)}`, meta: { storage: 'keychain' } }));
}

describe('an export always reads back', () => {
  it('10,001 credentials (over the old limit) export and import', async () => {
    const file = join(makeTempHome().root, 'backup.age');
    await writeExportFile(file, buildExport(credentials(10_001), new Date()), PASS, { logN: LOG_N });
    expect((await readExportFile(file, PASS)).credentials).toHaveLength(10_001);
  });

  it('an export over 16 MiB (the vault file cap that bounded it) reads back', async () => {
    const file = join(makeTempHome().root, 'backup.age');
    const many = credentials(20_000, 900);
    await writeExportFile(file, buildExport(many, new Date()), PASS, { logN: LOG_N });
    const read = await readExportFile(file, PASS);
    expect(read.credentials).toHaveLength(20_000);
    expect(read.credentials[19_999]).toEqual(many[19_999]);
  }, 60_000);

  it('an export import could not read is refused before anything is written', async () => {
    const dir = makeTempHome().root;
    const tooMany = join(dir, 'many.age');
    await expect(writeExportFile(tooMany, buildExport(credentials(MAX_EXPORT_CREDENTIALS + 1, 1), new Date()), PASS, { logN: LOG_N })).rejects.toMatchObject({ code: 'PROFILE_TOO_LARGE' });
    expect(existsSync(tooMany)).toBe(false);
    const tooBig = join(dir, 'big.age');
    const huge = [{ id: 'big.value', value: 'x'.repeat(MAX_EXPORT_BYTES), meta: {} }];
    await expect(writeExportFile(tooBig, buildExport(huge, new Date()), PASS, { logN: LOG_N })).rejects.toMatchObject({ code: 'PROFILE_TOO_LARGE' });
    expect(existsSync(tooBig)).toBe(false);
  });
});
