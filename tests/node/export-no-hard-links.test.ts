// An export to a USB stick (FAT32, exFAT: file systems without hard links) failed after the passphrase, twice, and the
// seconds of scrypt, with "Permission denied ... (EPERM): check the owner and mode": the file is put in place with
// link(), which never replaces a file, and those file systems refuse every link(). The kernel here has no vfat module
// to mount one, so link() answers as vfat's does in a folder marked for it.
import { mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
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

  // A kill -9 between the two steps (the name taken empty, the temp renamed over it) leaves an empty file there and
  // the temp beside it: nothing of the writer runs then. (The state is made here as the kill leaves it: the instant
  // between two system calls is too short to hit.) The next export refused the empty file as existing, for good.
  it('the empty file and the temp a kill -9 between its two steps left are removed by the next export; a user\'s empty file, or a live write\'s, stays', async () => {
    const usb = join(makeTempHome().root, 'usb');
    mkdirSync(usb, { mode: 0o755 });
    hook.noLinksIn = `${usb}/`;
    const ago = (file: string) => utimesSync(file, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const file = join(usb, 'vault.age');
    writeFileSync(`${file}.tmp-${'ab'.repeat(12)}`, 'age-encryption.org/v1 (the killed export)', { mode: 0o600 });
    writeFileSync(file, '', { mode: 0o600 });
    for (const f of [file, `${file}.tmp-${'ab'.repeat(12)}`]) ago(f);
    await writeExportFile(file, doc(), PASS, { logN: 10 });
    expect((await readExportFile(file, PASS)).credentials.map((c) => c.value)).toEqual(['0123456789abcdef0123456789abcdef']);
    expect(readdirSync(usb)).toEqual(['vault.age']);
    // An empty file of the user's (no temp of ours beside it): refused and kept.
    const theirs = join(usb, 'theirs.age');
    writeFileSync(theirs, '', { mode: 0o600 });
    ago(theirs);
    await expect(writeExportFile(theirs, doc(), PASS, { logN: 10 })).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringContaining('already exists') });
    // A name another export took an instant ago, its temp about to be renamed over it: refused, both kept.
    const live = join(usb, 'live.age');
    writeFileSync(`${live}.tmp-${'cd'.repeat(12)}`, 'age-encryption.org/v1 (a live export)', { mode: 0o600 });
    writeFileSync(live, '', { mode: 0o600 });
    await expect(writeExportFile(live, doc(), PASS, { logN: 10 })).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringContaining('already exists') });
    expect(readdirSync(usb).sort()).toEqual(['live.age', `live.age.tmp-${'cd'.repeat(12)}`, 'theirs.age', 'vault.age']);
    expect(readFileSync(theirs).length).toBe(0);
  });
});

