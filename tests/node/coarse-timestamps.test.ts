// The profile on a file system whose timestamps are coarse (1 s here: ext2
// with 128-byte inodes, as HFS+ or an old ext3; a jiffy on kernels before
// 6.13): a file renamed in by another writer can get the freed inode number
// back, the same size and the same times as the one this process read. An
// update must not take that for "unchanged" and write back what it read
// (a lost update). Needs a real such file system: a loop mount, as root.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createVault } from '../../shared/node/open';
import { stampOf } from '../../shared/node/profile/secure-fs';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { rejected } from '../helpers/errors';
import { makeTempHome } from '../helpers/temp';

const ok = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;

/** A fresh ext2 file system with 1-second timestamps mounted in a temp folder, or undefined where that cannot be done. */
function coarseMount(): { dir: string; unmount: () => void } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const root = makeTempHome().root;
  const image = join(root, 'coarse.img');
  const dir = join(root, 'mnt');
  mkdirSync(dir);
  if (!ok('truncate', ['-s', '32M', image]) || !ok('mkfs.ext2', ['-q', '-F', '-I', '128', image]) || !ok('mount', ['-o', 'loop', '-t', 'ext2', image, dir])) return undefined;
  return { dir, unmount: () => void ok('umount', [dir]) };
}

describe('an update on a file system with coarse timestamps', () => {
  const mount = coarseMount();
  afterAll(() => mount?.unmount());

  it('a profile read, then replaced by four writes of the same size within its second: the update keeps the last of them (30 tries)', async (ctx) => {
    if (!mount) return ctx.skip();
    let lost = 0;
    for (let i = 0; i < 30; i++) {
      const home = join(mount.dir, `h${i}`);
      mkdirSync(home, { mode: 0o700 });
      const secrets = new MemorySecretStore();
      const open = () => createVault({ homeDir: home, cwd: home, env: {}, secrets, caller: 'cli', warn: () => {} });
      for (const n of [1, 2]) await open().setCredential(`svc${n}`, 'api_key', `value-${n}-xxxxxxxxxxxxxxxxxxxxx0000`, { envVar: `SVC${n}_API_KEY` });
      const reader = open();
      reader.getProfile(); // read, as a command does before its update
      // Other processes rotate svc1 four times: same size each time; inode numbers freed and taken again.
      let last = '';
      for (let j = 1; j <= 4; j++) {
        last = `777${j}`;
        await open().setCredential('svc1', 'api_key', `value-1-xxxxxxxxxxxxxxxxxxxxx${last}`, { envVar: 'SVC1_API_KEY' });
      }
      await reader.setCredential('svc2', 'api_key', 'value-2-xxxxxxxxxxxxxxxxxxxxx2222', { envVar: 'SVC2_API_KEY' });
      const meta = JSON.parse(readFileSync(join(home, '.cp-whisperx', 'user.profile'), 'utf8')).credential_metadata;
      if (meta['svc1.api_key'].hint !== `••••${last}` || meta['svc2.api_key'].hint !== '••••2222') lost++;
    }
    expect(lost).toBe(0);
  }, 300_000);

  it('a hand edit in place of the same size within the second of the vault\'s write keeps the stamp: it is still validated, and refused (5 tries)', async (ctx) => {
    if (!mount) return ctx.skip();
    let tried = 0;
    for (let i = 0; tried < 5 && i < 50; i++) {
      const home = join(mount.dir, `e${i}`);
      mkdirSync(home, { mode: 0o700 });
      const profile = join(home, '.cp-whisperx', 'user.profile');
      const open = () => createVault({ homeDir: home, cwd: home, env: {}, secrets: new MemorySecretStore(), caller: 'cli', warn: () => {} });
      await open().setCredential('svc1', 'api_key', 'value-1-xxxxxxxxxxxxxxxxxxxxx0000', { envVar: 'SVC1_API_KEY' });
      const text = readFileSync(profile, 'utf8');
      const written = stampOf(profile);
      const edited = text.replace('"storage": "keychain"', '"storage": "keychainX"').replace('"hint"', '"hin"');
      expect(edited.length).toBe(text.length);
      writeFileSync(profile, edited); // in place: same inode, same size
      if (JSON.stringify(written) !== JSON.stringify(stampOf(profile))) continue; // the second turned meanwhile: not this case
      tried++;
      const e = await rejected(Promise.resolve().then(() => open().getProfile()));
      expect(e.code).toBe('PROFILE_INVALID');
    }
    expect(tried).toBe(5);
  }, 300_000);
});
