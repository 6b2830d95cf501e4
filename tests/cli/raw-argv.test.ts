// Arguments are bytes; Node decodes them as UTF-8, replacing what is invalid
// with U+FFFD. An argument that was not UTF-8 is refused (exit 2, its
// position named, never its text) instead of being stored or passed on changed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'RawArgv1'.repeat(5)}`;

/** Runs cpw-vault through bash, so `args` (bash words, $'\xff' escapes included) reach it as raw bytes. */
function raw(t: TempHome, args: string) {
  return spawnSync('bash', ['-c', `exec "${process.execPath}" "${BIN}" ${args}`], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8' });
}

describe('an argument that is not UTF-8', () => {
  it('profile set: refused with its position, the profile untouched; valid UTF-8 (a typed U+FFFD too) is kept', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['profile', 'set', 'name=Ada'])).code).toBe(0);
    const before = readFileSync(t.profile, 'utf8');
    const bad = raw(t, `profile set $'name=Jos\\xe9'`);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('error [INVALID_ARGUMENT] Argument 3 is not valid UTF-8 text');
    expect(bad.stderr).not.toContain('Jos');
    expect(readFileSync(t.profile, 'utf8')).toBe(before);
    const json = raw(t, `profile set $'name=\\xff' --json`);
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(raw(t, `profile set $'name=Jos\\xc3\\xa9 \\xef\\xbf\\xbd'`).status).toBe(0);
    expect(readFileSync(t.profile, 'utf8')).toContain('"name": "José \uFFFD"');
  });

  it('exec: the stage never starts with an argument it was not given (a Latin-1 file name)', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const marker = join(t.cwd, 'ran');
    const r = raw(t, `exec --workflow transcribe -- touch "${marker}" $'caf\\xe9.wav'`);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Argument 7 is not valid UTF-8 text');
    expect(existsSync(marker)).toBe(false);
    // The same with the name in UTF-8 runs.
    expect(raw(t, `exec --workflow transcribe -- touch "${marker}" $'caf\\xc3\\xa9.wav'`).status).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });

  it('exec: an inherited variable that is not UTF-8 reaches the stage changed (Node passes only text): named in a warning', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const run = spawnSync('bash', ['-c', `MEDIA_DIR=$'/data/caf\\xe9' OTHER=$'caf\\xc3\\xa9 \\xef\\xbf\\xbd' exec "${process.execPath}" "${BIN}" exec --workflow transcribe -- printenv MEDIA_DIR OTHER`], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service } });
    expect(run.status, run.stderr.toString()).toBe(0);
    expect(run.stderr.toString()).toContain('warning: 1 variable of the environment is not valid UTF-8, and Node passes only text: the stage gets 1 with U+FFFD in place of the invalid bytes of its value (MEDIA_DIR). Set it in UTF-8');
    expect(run.stderr.toString()).not.toContain('OTHER');
    expect(run.stdout.toString('latin1').split('\n')[1]).toBe(Buffer.from('café \uFFFD').toString('latin1')); // valid UTF-8 (a real U+FFFD too) is passed as it was
  });

  it('a credential env var that is not UTF-8 is refused by get, env and exec, naming it: it was handed on altered', async () => {
    const t = makeTempHome();
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
    for (const args of ['get huggingface token', 'env --workflow transcribe', 'exec --workflow transcribe -- printenv HF_TOKEN']) {
      const run = spawnSync('bash', ['-c', `HF_TOKEN=$'hf_abc\\xff\\xfedefghijklmnopqrstuvwxyz0123' exec "${process.execPath}" "${BIN}" ${args}`], { cwd: t.cwd, env });
      expect(run.status, `${args}: ${run.stderr.toString()}|${run.stdout.toString()}`).toBe(2);
      expect(run.stderr.toString(), args).toContain('error [CREDENTIAL_INVALID] HF_TOKEN is not valid UTF-8');
      expect(run.stdout.toString(), args).not.toContain('\uFFFD');
    }
    // Only what is handed on: the same bytes in a key the command does not give out change nothing (list, another
    // workflow's exec, which strips it).
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    for (const args of ['list', 'check transcribe', 'exec --workflow transcribe -- true', 'env --workflow transcribe']) {
      const run = spawnSync('bash', ['-c', `OPENAI_API_KEY=$'sk-\\xff\\xfeabcdefghijklmnopqrstuvwxyz0123' exec "${process.execPath}" "${BIN}" ${args}`], { cwd: t.cwd, env });
      expect(run.status, `${args}: ${run.stderr.toString()}`).toBe(0);
    }
    // A real U+FFFD typed in UTF-8 is text like any other: given as it is.
    const real = spawnSync('bash', ['-c', `HF_TOKEN=$'hf_abc\\xef\\xbf\\xbddefghijklmnopqrstuvwxyz0123' exec "${process.execPath}" "${BIN}" get huggingface token`], { cwd: t.cwd, env });
    expect(real.status, real.stderr.toString()).toBe(0);
    expect(real.stdout.toString()).toBe('hf_abc\uFFFDdefghijklmnopqrstuvwxyz0123');
  });
});

describe('a profile path from the environment that is not UTF-8', () => {
  // HOME=/home/café in Latin-1: Node read it as /home/caf\uFFFD, and set wrote the profile under that new folder beside
  // the user's own, where no later run with a UTF-8 HOME (or the app) found it; the user's home kept no profile.
  it.each([
    ['HOME', (home: string) => `HOME=$'${home}/caf\\xe9'`],
    ['CPW_PROFILE', (home: string) => `CPW_PROFILE=$'${home}/caf\\xe9/p.profile'`],
  ])('%s: set is refused naming the variable, nothing stored or created; a UTF-8 one is used as it is', (name, assign) => {
    const t = makeTempHome();
    const run = (env: string, args: string) => spawnSync('bash', ['-c', `mkdir -p $'${t.home}/caf\\xe9' && ${env} exec "${process.execPath}" "${BIN}" ${args}`], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, input: HF, encoding: 'utf8' });
    const bad = run(assign(t.home), 'set huggingface token');
    expect(bad.stderr).toContain(`error [INVALID_ARGUMENT] ${name} is not valid UTF-8 text: the profile would be read and written under another folder`);
    expect(bad.status).toBe(2);
    expect(existsSync(join(t.home, 'caf\uFFFD'))).toBe(false);
    expect(run(assign(t.home), 'get huggingface token').status).toBe(2);
    const good = run(assign(t.home).replace('\\xe9', '\\xc3\\xa9'), 'set huggingface token');
    expect(good.status, good.stderr).toBe(0);
    expect(existsSync(join(t.home, 'café', name === 'HOME' ? '.cp-whisperx/user.profile' : 'p.profile'))).toBe(true);
  });

  // doctor --profile looked for the default profile's migration backups too, under HOME: that refused the whole report.
  it.each([
    ['--profile', (p: string) => `--profile "${p}"`, (_p: string) => ''],
    ['CPW_PROFILE', (_p: string) => '', (p: string) => `CPW_PROFILE="${p}" `],
  ])('HOME not UTF-8 with the profile given by %s: doctor, set and get run on that profile', (_via, flag, assign) => {
    const t = makeTempHome();
    const run = (args: string) => spawnSync('bash', ['-c', `mkdir -p $'${t.home}/caf\\xe9' && ${assign(t.profile)}HOME=$'${t.home}/caf\\xe9' exec "${process.execPath}" "${BIN}" ${flag(t.profile)} ${args}`], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, input: HF, encoding: 'utf8' });
    const set = run('set huggingface token');
    expect(set.status, set.stderr).toBe(0);
    const doctor = run('doctor');
    expect(doctor.stderr).not.toContain('not valid UTF-8');
    expect(doctor.stderr).toContain(`profile ${t.profile}`);
    expect(doctor.status, doctor.stderr).toBe(0);
    expect(run('get huggingface token').stdout).toBe(HF);
    expect(existsSync(join(t.home, 'caf\uFFFD'))).toBe(false);
  });
});

describe('a value piped to set in UTF-16 (Notepad\'s "Unicode", PowerShell\'s > and Out-File)', () => {
  // With a byte-order mark it was refused as "not valid UTF-8" with the fix `iconv -f LATIN1`, which made it worse;
  // without one (its NULs are valid UTF-8) as "contains a line break, a control character or a text-direction mark".
  it.each([
    ['UTF-16LE with its mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${HF}\r\n`, 'utf16le')])],
    ['UTF-16LE without a mark', Buffer.from(HF, 'utf16le')],
    ['UTF-16BE with its mark', Buffer.from(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(HF, 'utf16le')]).swap16())],
    // Found by its ASCII characters wherever they are: a first character that is not ASCII was "not valid UTF-8".
    ['UTF-16LE without a mark, starting with a character that is not ASCII', Buffer.from(`🔑 ${HF}`, 'utf16le')],
    ['UTF-16BE without a mark, starting with a character that is not ASCII', Buffer.from(`Ж${HF}`, 'utf16le').swap16()],
  ])('%s: refused as UTF-16 with the conversion that fixes it, nothing stored', (_name, input) => {
    const t = makeTempHome();
    const r = spawnSync(process.execPath, [BIN, 'set', 'huggingface', 'token'], { cwd: t.cwd, input, encoding: 'utf8', env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service } });
    expect(r.stderr).toContain('error [INVALID_ARGUMENT] stdin is UTF-16 text');
    expect(r.stderr).toContain('iconv -f UTF-16 -t UTF-8');
    expect(r.status).toBe(2);
    expect(existsSync(t.profile) && readFileSync(t.profile, 'utf8')).not.toContain('huggingface.token');
  });

  it('UTF-8 with its mark is stored without it; Latin-1 is still "not valid UTF-8"', () => {
    const t = makeTempHome();
    const run = (input: Buffer, key: string) => spawnSync(process.execPath, [BIN, 'set', 'myapp', key], { cwd: t.cwd, input, encoding: 'utf8', env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service } });
    expect(run(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('字🔑é')]), 'bom').status).toBe(0);
    expect(spawnSync(process.execPath, [BIN, 'get', 'myapp', 'bom'], { cwd: t.cwd, encoding: 'utf8', env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service } }).stdout).toBe('字🔑é');
    expect(run(Buffer.from('caf\xe9', 'latin1'), 'latin').stderr).toContain('stdin is not valid UTF-8; nothing was stored.');
  });
});
