// A backup must read back: `export` wrote 10,001 credentials that `import` refused (its count limit was 10,000), and
// an export over 16 MiB (~40,000 credentials) that import's read cap refused. Both bounds are import's now, and
// export checks them before its scrypt, so it never writes a backup that cannot be restored.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildExport, MAX_EXPORT_CREDENTIALS, type ExportedCredential } from '../../shared/core/vault-export';
import { MAX_EXPORT_BYTES, readExportFile, writeExportFile } from '../../shared/node/secrets/export-file';
import type { CliContext } from '../../shared/cli/context';
import { exportVault } from '../../shared/cli/commands/export';
import type { ParsedSource } from '../../shared/core/migration-sources';
import { createVault } from '../../shared/node/open';
import { MemorySecretStore } from '../fakes/memory-secret-store';
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

describe('export reads the vault in one batch', () => {
  // Found by an outside pass: export read each value on its own, and the vault file backend decrypts the whole file
  // for each read (the keychain: one D-Bus round trip each): 2,000 credentials took 31 s, 4,000 three minutes.
  it('3,000 credentials: one batch read of the secret store, no read per credential; every value in the file', async () => {
    const t = makeTempHome();
    const secrets = new CountingStore();
    const vault = createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets, caller: 'cli', warn: () => {} });
    const source: ParsedSource = {
      kind: 'secrets-json', path: join(t.cwd, 'many.json'), duplicateKeys: [],
      entries: Array.from({ length: 3_000 }, (_, i) => ({ sourceKey: `svc${i}_api_key`, target: undefined, customTarget: { id: `svc${i}.api_key`, envVar: `SVC${i}_API_KEY` }, value: `value-${i}-${'x'.repeat(24)}` })),
    };
    writeFileSync(source.path, '{}');
    expect(await vault.applyMigration(source, await vault.planMigration(source, { includeUnknown: true }))).toMatchObject({ ok: true, imported: 3_000 });
    const passFile = join(t.root, 'pass');
    writeFileSync(passFile, `${PASS}\n`, { mode: 0o600 });
    const errors: string[] = [];
    const io = { out: () => {}, err: (m: string) => void errors.push(m), env: {}, cwd: t.cwd, stdinIsTTY: false, stdoutIsTTY: false, color: false, readStdin: async () => '', prompts: () => Promise.reject(new Error('no prompts')) };
    const ctx = { io, globals: {}, vault: async () => vault } as unknown as CliContext;
    secrets.gets = 0;
    secrets.batches = 0;
    expect(await exportVault({ to: 'backup.age', passphraseFile: passFile }, ctx)).toBe(0);
    expect({ gets: secrets.gets, batches: secrets.batches }).toEqual({ gets: 0, batches: 1 });
    const read = await readExportFile(join(t.cwd, 'backup.age'), PASS);
    expect(read.credentials).toHaveLength(3_000);
    expect(read.credentials.find((c) => c.id === 'svc2999.api_key')).toMatchObject({ value: `value-2999-${'x'.repeat(24)}`, meta: { storage: 'keychain' } });
    expect(errors.join('')).toContain('Exported 3000 credentials to');
  }, 60_000);
});

/** A secret store that reads in batches, as the keychain and the vault file do, and counts its reads. */
class CountingStore extends MemorySecretStore {
  gets = 0;
  batches = 0;

  override async get(account: string): Promise<string | undefined> {
    this.gets++;
    return super.get(account);
  }

  async getMany(accounts: readonly string[]): Promise<Map<string, string | undefined>> {
    this.batches++;
    return new Map(accounts.map((a) => [a, this.items.get(a)]));
  }
}
