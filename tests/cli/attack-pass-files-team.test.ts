// An outside attack pass over what changed on 2026-12-04, as an attacker and a careless user would:
// - a hostile team file pushed to the repository, its header 16 MiB of recipient stanzas (none a member's): age tries
//   the identity on each in turn, so team pull, team diff (git's textconv) and the member check after a restored
//   identity (team identity --from-export / --import) were held for minutes. Refused now before any key is tried;
// - the audit log on a full disk (a 64 KiB tmpfs over ~/.cp-whisperx) with 20 reads appending at once: held (every
//   read printed its value and said why its line was not written; a cut line never swallowed the next event);
// - export --to, import, team identity --export-identity / --from-export on a path under a file (notes.txt/x.age) or
//   with a name too long ended as "INTERNAL: this is a bug in cpw-vault" (a raw lstat error);
// - a link planted at audit.log or runs.jsonl was never followed (held), but said as "Cannot access ... (ELOOP)",
//   with the fix "check that it exists and the disk is writable";
// - a file another user owns that cannot be read (their team file, a migration source) was said as a write: "cannot
//   replace it; nothing was written there", with a fix about the profile's folder.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { MAX_TEAM_MEMBERS, nextDocument } from '../../shared/core/team-document';
import { AuditLog } from '../../shared/node/records/audit-log';
import { appendLine } from '../../shared/node/records/run-events';
import { readTeamFile } from '../../shared/node/team/team-file';
import { collect } from '../helpers/children';
import { BIN, cli } from '../helpers/cli';
import { homeOf, NOBODY } from '../helpers/planted';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'Attk'.repeat(9)}`;

describe('a team file whose header has more recipients than a team file has members', () => {
  it('is refused as damaged before any key is tried, even one it is encrypted to', async () => {
    const t = makeTempHome();
    const me = await generateX25519Identity();
    const recipient = await identityToRecipient(me);
    // A valid document naming us, encrypted to us and to more strangers than a team may have members: before, it
    // opened (after trying every stanza before ours), so a header of 16 MiB of stanzas, none ours, took minutes.
    const e = new Encrypter();
    for (let i = 0; i < MAX_TEAM_MEMBERS + 20; i++) e.addRecipient(await identityToRecipient(await generateX25519Identity()));
    e.addRecipient(recipient);
    const file = join(t.cwd, 'cpw-team.age');
    writeFileSync(file, await e.encrypt(JSON.stringify(nextDocument(undefined, [{ name: 'alice', recipient }], [], new Date()))));
    await expect(readTeamFile(file, me, recipient)).rejects.toMatchObject({
      code: 'TEAM_INVALID',
      message: `${file} cannot be read: its header names more than ${MAX_TEAM_MEMBERS + 16} recipients, more than a team file has members (at most ${MAX_TEAM_MEMBERS}), so it was not decrypted. Nothing was changed.`,
    });
  }, 120_000);
});

describe.runIf(process.getuid?.() === 0)('the audit log on a full disk, 20 reads appending at once', () => {
  it('every read prints its value; a line cut short never swallows an event appended after it', async () => {
    const t = await (async () => {
      const home = makeTempHome();
      expect((await cli(home, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
      return home;
    })();
    const dir = join(t.home, '.cp-whisperx');
    renameSync(dir, `${dir}.orig`);
    mkdirSync(dir, { mode: 0o700 });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir]);
    try {
      cpSync(`${dir}.orig`, dir, { recursive: true });
      const log = join(dir, 'audit.log');
      // The log ends 200 bytes before a page: one read's line fits, the next is cut at the page, the rest get nothing.
      const one = readFileSync(log, 'utf8');
      let pad = '';
      while (pad.length + one.length < 4 * 4096 - 200) pad += one;
      writeFileSync(log, pad);
      execFileSync('sh', ['-c', `dd if=/dev/zero of=${join(dir, 'filler')} bs=1k count=200 2>/dev/null; true`]);
      const reads = await Promise.all(Array.from({ length: 20 }, () => cli(t, ['get', 'huggingface', 'token'])));
      for (const r of reads) {
        expect([r.code, r.stdout], r.stderr).toEqual([0, HF]);
        if (r.stderr) expect(r.stderr).toBe(`warning: could not write the audit log: Cannot write ${log}: the disk is full (ENOSPC).\n`);
      }
      expect(reads.filter((r) => r.stderr).length).toBeGreaterThan(0);
      rmSync(join(dir, 'filler'));
      expect(await cli(t, ['get', 'huggingface', 'token'])).toMatchObject({ code: 0, stderr: '' });
      const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
      // A cut line is a fragment of one event, never two events joined; the read after the space came back is whole.
      for (const line of lines) expect(line.split('{"ts"').length, line).toBe(2);
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ event: 'credential_read', credential: 'huggingface.token' });
    } finally {
      execFileSync('umount', [dir]);
    }
  }, 120_000);
});

describe('a careless path for export, import and the identity backup', () => {
  it('a file where a folder of the path should be (notes.txt/x.age) is said as such, never "a bug in cpw-vault"', async () => {
    const t = makeTempHome();
    writeFileSync(join(t.cwd, 'notes.txt'), 'not a folder\n');
    const pass = join(t.root, 'pass');
    writeFileSync(pass, 'export file passphrase\n', { mode: 0o600 });
    const at = (name: string) => join(t.cwd, 'notes.txt', name);
    const folder = join(t.cwd, 'notes.txt');
    const cases: Array<[string[], string]> = [
      [['import', 'notes.txt/x.age'], `error [INVALID_ARGUMENT] There is no export file at ${at('x.age')}; nothing was changed.`],
      [['team', 'identity', '--from-export', 'notes.txt/x.age'], `error [INVALID_ARGUMENT] There is no export file at ${at('x.age')}; nothing was changed.`],
      [['export', '--to', 'notes.txt/x.age', '--passphrase-file', pass], `error [IO_ERROR] Cannot write ${at('x.age')}: there is no folder ${folder}; nothing was written.`],
      [['team', 'identity', '--export-identity', 'notes.txt/id.age', '--passphrase-file', pass], `error [IO_ERROR] Cannot write ${at('id.age')}: there is no folder ${folder}; nothing was written.`],
    ];
    for (const [args, said] of cases) {
      const r = await cli(t, args);
      expect(r.stderr, args.join(' ')).toContain(said);
      expect(r.stderr).not.toContain('INTERNAL');
    }
    // A name too long for the file system: said with its reason, not as a bug.
    const long = `${'a'.repeat(300)}.age`;
    for (const args of [['import', long], ['export', '--to', long, '--passphrase-file', pass]]) {
      const r = await cli(t, args);
      expect(r.stderr, args.join(' ')).toContain(`error [IO_ERROR] Cannot access ${join(t.cwd, long)}: its name, or a folder's on its way, is longer than the system allows (ENAMETOOLONG).\nfix: Use a shorter path: at most 255 bytes a name, 4095 in all.\n`);
    }
  }, 60_000);
});

describe('a link planted at the audit log or the run history', () => {
  it('is refused as a link, by name, its target untouched, not "Cannot access ... (ELOOP)"', async () => {
    const t = makeTempHome();
    const target = join(t.root, 'target');
    writeFileSync(target, '');
    const log = join(t.root, 'audit.log');
    symlinkSync(target, log);
    await expect(new AuditLog(log).append({ event: 'credential_read', caller: 'cli', credential: 'huggingface.token' })).rejects.toMatchObject({ code: 'PROFILE_SYMLINK', message: `${log} is a symbolic link; refusing to follow it.` });
    const runs = join(t.root, 'runs.jsonl');
    symlinkSync(target, runs);
    expect(() => appendLine(runs, '{}\n')).toThrow(`${runs} is a symbolic link; refusing to follow it.`);
    expect(readFileSync(target, 'utf8')).toBe('');
  });
});

describe.runIf(process.getuid?.() === 0)('a file of another user that cannot be read', () => {
  it('is said as a refused read, whose file it is, never "cannot replace it; nothing was written there"', async () => {
    // Run as nobody (65534) on files root keeps 0600, in a folder nobody may enter but not list.
    const { base: dir, home } = homeOf(NOBODY, 'cpw-attack-', { mode: 0o711 });
    try {
      const team = join(dir, 'cpw-team.age');
      const env = join(dir, 'secrets.env');
      writeFileSync(team, 'age-encryption.org/v1\n', { mode: 0o600 });
      writeFileSync(env, 'HF_TOKEN=hf_x\n', { mode: 0o600 });
      for (const [args, path] of [[['team', 'diff', team], team], [['migrate', '--from', env, '--dry-run'], env]] as const) {
        const r = await collect(spawn(process.execPath, [BIN, ...args], { cwd: home, env: { PATH: process.env['PATH'], HOME: home }, uid: 65534, gid: 65534, stdio: ['pipe', 'pipe', 'pipe'] }), '');
        expect(r.stderr, args.join(' ')).toContain(`Permission denied reading ${path}, a file of another user (uid 0) (EACCES); nothing was read.`);
        expect(r.stderr).not.toContain('nothing was written');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
