// An export to a USB stick (FAT32, exFAT: file systems without hard links) failed after the passphrase, twice, and the
// seconds of scrypt, with "Permission denied ... (EPERM): check the owner and mode": the file is put in place with
// link(), which never replaces a file, and those file systems refuse every link(). The kernel here has no vfat module
// to mount one, so link() answers as vfat's does in a folder marked for it.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { buildExport } from '../../shared/core/vault-export';
import { readExportFile, writeExportFile } from '../../shared/node/secrets/export-file';
import { makeTempHome } from '../helpers/temp';

const hook = vi.hoisted(() => ({ noLinksIn: '', renameFails: false }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const linkSync = ((existing: string, path: string) => {
    if (hook.noLinksIn && String(path).startsWith(hook.noLinksIn)) throw Object.assign(new Error(`EPERM: operation not permitted, link '${existing}' -> '${path}'`), { code: 'EPERM', errno: -1, syscall: 'link' });
    return fs.linkSync(existing, path);
  }) as typeof fs.linkSync;
  const renameSync = ((from: string, to: string) => {
    if (hook.renameFails && hook.noLinksIn && String(to).startsWith(hook.noLinksIn)) throw Object.assign(new Error(`EIO: i/o error, rename '${from}' -> '${to}'`), { code: 'EIO', errno: -5, syscall: 'rename' });
    return fs.renameSync(from, to);
  }) as typeof fs.renameSync;
  return { ...fs, linkSync, renameSync, default: { ...fs, linkSync, renameSync } };
});

const PASS = 'an export passphrase';
const doc = () => buildExport([{ id: 'tmdb.api_key', value: '0123456789abcdef0123456789abcdef', meta: { storage: 'keychain' } }], new Date());

describe('an export to a file system without hard links (FAT32, exFAT: a USB stick)', () => {
  it('is written, reads back, leaves no temp file, and still never replaces an existing file', async () => {
    const usb = join(makeTempHome().root, 'usb');
    mkdirSync(usb, { mode: 0o755 });
    hook.noLinksIn = `${usb}/`;
    const file = join(usb, 'vault.age');
    await writeExportFile(file, doc(), PASS, { logN: 10 });
    expect((await readExportFile(file, PASS)).credentials.map((c) => c.value)).toEqual(['0123456789abcdef0123456789abcdef']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(usb)).toEqual(['vault.age']);
    const taken = join(usb, 'taken.age');
    writeFileSync(taken, 'not ours');
    await expect(writeExportFile(taken, doc(), PASS, { logN: 10 })).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringContaining('already exists') });
    expect(readdirSync(usb).sort()).toEqual(['taken.age', 'vault.age']);
  });

  it('a rename that fails after the name was taken (the stick pulled: EIO) leaves no empty file there for the next export to refuse', async () => {
    const usb = join(makeTempHome().root, 'usb');
    mkdirSync(usb, { mode: 0o755 });
    hook.noLinksIn = `${usb}/`;
    hook.renameFails = true;
    try {
      await expect(writeExportFile(join(usb, 'vault.age'), doc(), PASS, { logN: 10 })).rejects.toMatchObject({ message: expect.stringContaining('EIO') });
      expect(readdirSync(usb)).toEqual([]);
    } finally {
      hook.renameFails = false;
    }
    await writeExportFile(join(usb, 'vault.age'), doc(), PASS, { logN: 10 });
    expect(readdirSync(usb)).toEqual(['vault.age']);
  });
});
