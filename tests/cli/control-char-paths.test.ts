// A folder name may hold any byte but / and NUL: a line break splits the line a path is shown on, and an escape
// sequence (ESC [ 31 m, or one that retitles the window or moves the cursor) runs in the terminal. A path the CLI
// shows is cleaned ('?'); a fix line keeps it one shell word; --json keeps the path exact (JSON escapes it).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTROL_CHARS } from '../../shared/core/control-chars';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'CtrlPath1'.repeat(5)}`;

describe('a profile under a folder whose name holds a control character', () => {
  it.each([
    ['a line break', 'two\nlines'],
    ['an escape sequence', 'red\u001b[31mX\u001b]0;title\u0007'],
  ])('%s: doctor, profile show, a warning and an error show no raw control character; --json keeps the path', async (_what, name) => {
    const t = makeTempHome();
    const dir = join(t.home, name);
    mkdirSync(dir);
    const profile = join(dir, 'p.profile');
    const run = (args: string[]) => cli(t, ['--profile', profile, ...args], { input: HF });
    expect((await run(['set', 'huggingface', 'token'])).code).toBe(0);
    chmodSync(profile, 0o644);
    const source = join(dir, 'old.env');
    writeFileSync(source, `HF_TOKEN=${HF}\n`, { mode: 0o600 });
    const outputs = [
      await run(['migrate', '--from', source, '--dry-run']), // its plan names the source (stdout)
      await run(['doctor']),
      await run(['profile', 'show']),
      await run(['get', 'huggingface', 'token']), // the warning: readable by other users
      await cli(t, ['--profile', join(dir, 'none.profile'), 'list']), // the error: no such profile
    ];
    for (const r of outputs) {
      // A line break is the output's own only at a line's end: none inside the path.
      expect(r.stderr).not.toMatch(/two\s*\nlines/);
      expect(r.stdout.replace(HF, '')).not.toMatch(/two\s*\nlines/);
      expect(r.stderr.replace(/\n/g, '')).not.toMatch(CONTROL_CHARS);
      expect(r.stdout.replace(/\n/g, '')).not.toMatch(CONTROL_CHARS);
    }
    const shown = join(t.home, name.replace(CONTROL_CHARS_G, '?'));
    expect(outputs[0]!.stdout).toContain(`Plan for ${shown}/old.env`);
    expect(outputs[1]!.stderr).toContain(`profile ${shown}/p.profile`);
    expect(outputs[2]!.stdout).toContain(`profile: ${shown}/p.profile`);
    expect(outputs[3]!.stderr).toContain(`warning: ${shown}/p.profile is readable by other users`);
    expect(outputs[4]!.stderr).toContain(`The profile ${shown}/none.profile (from --profile) does not exist`);
    // --json: the path exactly as it is.
    expect(JSON.parse((await run(['doctor', '--json'])).stdout).profile.path).toBe(profile);
    expect(JSON.parse((await run(['profile', 'show', '--json'])).stdout).path).toBe(profile);
  });

  // An error's fix is indented under 'fix:' line by line: the path's line break was indented too, and no longer found.
  it("an error's fix naming the profile in its text (PROFILE_INVALID: 'Fix the JSON ... of PATH') shows it on one line", async () => {
    const t = makeTempHome();
    const dir = join(t.home, 'two\nlines');
    mkdirSync(dir);
    writeFileSync(join(dir, 'p.profile'), '{"version": ', { mode: 0o600 });
    const r = await cli(t, ['--profile', join(dir, 'p.profile'), 'list']);
    expect(r.stderr).toContain(`fix: Fix the JSON at line 1, column 13 of ${t.home}/two?lines/p.profile.\n`);
    expect(r.stderr).not.toMatch(/two\s*\nlines/);
  });

  // The cleaned path went in as a replacement string: its '$&' put the path back, raw, and its "$'" the text after it.
  it("a name holding $& or $' as well: doctor and an error show it with '?', nothing else", async () => {
    const t = makeTempHome();
    const dir = join(t.home, "a$&\nb$'c\u001b[31m");
    mkdirSync(dir);
    const run = (args: string[]) => cli(t, ['--profile', join(dir, 'p.profile'), ...args], { input: HF });
    expect((await run(['set', 'huggingface', 'token'])).code).toBe(0);
    const doctor = await run(['doctor']);
    expect(doctor.stderr).toContain(`profile ${t.home}/a$&?b$'c?[31m/p.profile\n`);
    const missing = await cli(t, ['--profile', join(dir, 'none.profile'), 'list']);
    expect(missing.stderr).toContain(`The profile ${t.home}/a$&?b$'c?[31m/none.profile (from --profile) does not exist`);
    for (const r of [doctor, missing]) expect(r.stderr.replace(/\n/g, '')).not.toMatch(CONTROL_CHARS);
  });

  it.each([
    ['CPW_PROFILE', (dir: string) => ({ CPW_PROFILE: join(dir, 'p.profile') })],
    ['HOME', (dir: string) => ({ HOME: dir })],
  ])('from %s: doctor and an error show it with "?"', async (_via, env) => {
    const t = makeTempHome();
    const dir = join(t.home, 'two\nlines\u001b[31m');
    mkdirSync(dir);
    const run = (args: string[]) => cli(t, args, { input: HF, env: env(dir) });
    expect((await run(['set', 'huggingface', 'token'])).code).toBe(0);
    const doctor = await run(['doctor']);
    expect(doctor.stderr).toContain(`profile ${t.home}/two?lines?[31m/`);
    for (const r of [doctor, await run(['get', 'huggingface', 'token', '--profile', join(dir, 'none')])]) {
      expect(r.stderr.replace(/\n/g, '')).not.toMatch(CONTROL_CHARS);
      expect(r.stderr).not.toMatch(/two\s*\nlines/);
    }
  });
});

const CONTROL_CHARS_G = new RegExp(CONTROL_CHARS.source, 'g');

// Not the profile, the working directory or HOME: a path only an argument gives (migrate --from, import's file, a
// team --file) was named raw in errors and notes (a line break split them, an ESC sequence ran); shown as those are.
describe('a path an argument gives, in a folder whose name holds a control character', () => {
  const NAME = 'x\ny\u001b[31m';
  const clean = (r: { stderr: string; stdout: string }) => {
    for (const text of [r.stderr, r.stdout.replace(HF, '')]) {
      expect(text).not.toMatch(/x\s*\ny/);
      expect(text.replace(/\n/g, '')).not.toMatch(CONTROL_CHARS);
    }
  };
  const outside = () => {
    const t = makeTempHome();
    const dir = join(t.root, NAME); // beside HOME and the working directory, under neither
    mkdirSync(dir);
    return { t, dir, shown: join(t.root, 'x?y?[31m') };
  };

  it('migrate --from: its error, and the backup and plaintext notes of a migration', async () => {
    const { t, dir, shown } = outside();
    const missing = await cli(t, ['migrate', '--from', join(dir, 'none.env')]);
    expect(missing.stderr).toContain(`${shown}/none.env does not exist`);
    writeFileSync(join(dir, 'old.env'), `HF_TOKEN=${HF}\n`, { mode: 0o600 });
    const done = await cli(t, ['migrate', '--from', join(dir, 'old.env'), '--yes']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain(`Backup: ${shown}/old.env.backup-`);
    expect(done.stderr).toContain(`Plaintext is still on disk: ${shown}/old.env and ${shown}/old.env.backup-`);
    for (const r of [missing, done]) clean(r);
  });

  // Taken as it was given, '\n' alone made every line break of stderr a '?': all its lines one.
  it("a path given as a line break alone (migrate --from $'\\n', TMPDIR=$'\\n') leaves stderr's own lines as they are", async () => {
    const t = makeTempHome();
    for (const r of [await cli(t, ['migrate', '--from', '\n']), await cli(t, ['migrate', '--from', 'none.env'], { env: { TMPDIR: '\n', HF_HOME: '\n' } })]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/ does not exist\.\nfix: Give the file to migrate with --from PATH\.\n$/);
    }
  });

  it('import: the export file it cannot find', async () => {
    const { t, dir, shown } = outside();
    const r = await cli(t, ['import', join(dir, 'e.age'), '--dry-run']);
    expect(r.stderr).toContain(`There is no export file at ${shown}/e.age; nothing was changed.`);
    clean(r);
  });

  it('team --file: init names the file and its recipients, pull one that is not there', async () => {
    const { t, dir, shown } = outside();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await cli(t, ['team', 'identity'])).code).toBe(0);
    const init = await cli(t, ['team', 'init', '--add', 'huggingface.token', '--file', join(dir, 't.age')]);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toContain(`Created ${shown}/t.age (1 key, encrypted to you as`);
    expect(init.stderr).toContain(`and ${shown}/t.age.recipients.`);
    const pull = await cli(t, ['team', 'pull', '--file', join(dir, 'none.age')]);
    expect(pull.stderr).toContain(`There is no team file at ${shown}/none.age.`);
    for (const r of [init, pull]) clean(r);
  });
});

// A folder only the environment gives (HF_HOME, where the Hub keeps its token): doctor's finding named it raw.
describe('a folder the environment gives', () => {
  it("doctor's finding of the Hub's token file under an HF_HOME whose name holds a line break shows it with '?'", async () => {
    const t = makeTempHome();
    const hfHome = join(t.root, 'hf\nhome\u001b[31m');
    mkdirSync(hfHome);
    writeFileSync(join(hfHome, 'token'), HF, { mode: 0o600 });
    const r = await cli(t, ['doctor'], { env: { HF_HOME: hfHome } });
    expect(r.stderr).toContain(`! ${t.root}/hf?home?[31m/token holds a HuggingFace token in plaintext`);
    expect(r.stderr).not.toMatch(/hf\s*\nhome/);
    expect(r.stderr.replace(/\n/g, '')).not.toMatch(CONTROL_CHARS);
  });

  // A path only a record names (the audit log: a migration's backup beside its source, in a folder this doctor run
  // does not name): doctor's finding named it raw.
  it("doctor's finding of a migration's backup in such a folder, which only the audit log names, shows it with '?'", async () => {
    const t = makeTempHome();
    const dir = join(t.root, 'x\ny\u001b[31m');
    mkdirSync(dir);
    writeFileSync(join(dir, 'old.env'), `HF_TOKEN=${HF}\n`, { mode: 0o600 });
    expect((await cli(t, ['migrate', '--from', join(dir, 'old.env'), '--yes'])).code).toBe(0);
    const r = await cli(t, ['doctor']);
    expect(r.stderr).toContain(`! ${t.root}/x?y?[31m/old.env.backup-`);
    expect(r.stderr).toMatch(/old\.env\.backup-\S+ is a backup a migration made/);
    expect(r.stderr).not.toMatch(/x\s*\ny/);
    expect(r.stderr.replace(/\n/g, '')).not.toMatch(CONTROL_CHARS);
  });
});
