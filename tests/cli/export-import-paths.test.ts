import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
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

  it('export, --export-identity and team init in a folder with a space: the commands they print work pasted into a shell', async () => {
    mkdirSync(join(t.cwd, 'my backups'));
    const r = await cli(t, ['export', '--to', 'my backups/vault.age', '--passphrase-file', pass]);
    expect(r.code, r.stderr).toBe(0);
    const line = /Read it with: (age -d .*)$/m.exec(r.stderr)?.[1];
    expect(line).toBe(`age -d '${join(t.cwd, 'my backups', 'vault.age')}'`);
    // Run by sh, with age's passphrase prompt swapped for a check that the shell gave one argument, the file.
    expect(execFileSync('sh', ['-c', line!.replace(/^age -d /, 'test -f ')], { cwd: t.cwd })).toBeDefined();
    // The same for the identity backup's restore line and team init's git add.
    const id = await cli(t, ['team', 'identity', '--export-identity', 'my backups/identity.age', '--passphrase-file', pass]);
    expect(id.code, id.stderr).toBe(0);
    expect(id.stderr).toContain(`Restore with: age -d '${join(t.cwd, 'my backups', 'identity.age')}' | cpw-vault`);
    const init = await cli(t, ['team', 'init', '--add', 'tmdb.api_key', '--file', 'my backups/cpw-team.age']);
    expect(init.code, init.stderr).toBe(0);
    const team = join(t.cwd, 'my backups', 'cpw-team.age');
    expect(init.stderr).toContain(`Next: git add '${team}' '${team}.recipients' && git commit`);
    await cli(t, ['delete', 'cpw-vault', 'team_identity', '--yes']);
  });

  // "already exists; refusing to replace it. fix: ... move the old file away" (export), and team init's "there is no team
  // identity here to open it with ... ask a member to add you": neither says that --to / --file names the file itself.
  it('export --to, --export-identity and team init --file naming a folder: said to be one, exit 2, the file path in it given', async () => {
    mkdirSync(join(t.cwd, 'dest'));
    const dest = join(t.cwd, 'dest');
    for (const args of [['export', '--to', 'dest', '--passphrase-file', pass], ['team', 'identity', '--export-identity', 'dest', '--passphrase-file', pass]]) {
      const r = await cli(t, args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${dest} is a folder; nothing was written.`);
      expect(r.stderr).toContain(`${join(dest, 'NAME.age')}`);
      expect(r.stderr).not.toContain('move the old file away');
    }
    const init = await cli(t, ['team', 'init', '--add', 'tmdb.api_key', '--file', 'dest']);
    expect(init.code, init.stderr).toBe(2);
    expect(init.stderr).toContain(`${dest} is a folder: --file names the team file itself`);
    expect(init.stderr).toContain(`--file ${join(dest, 'cpw-team.age')}`);
    expect(init.stderr).not.toContain('ask a member');
    expect(readdirSync(dest)).toEqual([]);
    await cli(t, ['delete', 'cpw-vault', 'team_identity', '--yes']);
  });

  it('import of a path with nothing there, a folder or a FIFO: said before any passphrase is asked, exit 2', async () => {
    mkdirSync(join(t.cwd, 'a-folder'));
    execFileSync('mkfifo', [join(t.cwd, 'a-fifo')]);
    for (const [given, said] of [['missing.age', 'There is no export file at'], ['a-folder', 'is not a regular file'], ['a-fifo', 'is not a regular file']] as const) {
      // No passphrase source and no terminal: a question would have failed first ("no terminal to ask the passphrase").
      for (const args of [['import', given, '--yes'], ['team', 'identity', '--from-export', given]]) {
        const r = await cli(t, args);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(`${join(t.cwd, given)}`);
        expect(r.stderr).toContain(said);
        expect(r.stderr).not.toContain('passphrase');
        expect(r.stderr).not.toContain('Decrypting');
      }
    }
    // Over what import reads (64 MiB; sparse, so nothing is written): said before the question too.
    execFileSync('truncate', ['-s', String(64 * 1024 * 1024 + 1), join(t.cwd, 'huge.age')]);
    const huge = await cli(t, ['import', 'huge.age', '--yes']);
    expect(huge.stderr).toContain(`${join(t.cwd, 'huge.age')} is 67108865 bytes, over the 67108864-byte limit`);
    expect(huge.stderr).not.toContain('passphrase');
  });
});
