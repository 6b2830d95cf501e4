// A fix line is for pasting, in the folder the command ran in. The --overwrite refusal's "see: ... --dry-run" line
// dropped the source it was refusing: `migrate --from old.env --overwrite x` said `cpw-vault migrate --dry-run` (the
// default source, or "Nothing to migrate"), `team pull --file F` said `cpw-vault team pull --dry-run` (./cpw-team.age),
// and `import 'my exports/v.age'` named the file unquoted (two words). Run as printed, each shows the plan refused.
// The same for --passphrase-fd's example: `cpw-vault unlock --passphrase-fd 9 9< pass.txt` under every command.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'SeeLine12'.repeat(5)}`;
const DIR = 'old keys';

/** The `see: cpw-vault ...` line of a refused --overwrite. */
function seeLine(stderr: string): string {
  const line = /\(see: (cpw-vault .*)\)\.$/m.exec(stderr)?.[1];
  expect(line, stderr).toBeDefined();
  return line!;
}

/** Runs `line` in bash in the test's folder, `cpw-vault` being this build; `extra` words are added to its call. */
function paste(t: TempHome, line: string, extra = '') {
  const fn = `cpw-vault() { ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@" ${extra}; }; `;
  const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
  return spawnSync('bash', ['-c', fn + line], { cwd: t.cwd, env, encoding: 'utf8' });
}

describe("the --overwrite refusal's dry-run line names the source that was refused", () => {
  it('migrate --from a .env in a folder named with a space: the line shows that file\'s plan', async () => {
    const t = makeTempHome();
    mkdirSync(join(t.cwd, DIR));
    writeFileSync(join(t.cwd, DIR, '.env'), `HF_TOKEN=${HF}\n`, { mode: 0o600 });
    const r = await cli(t, ['migrate', '--from', `${DIR}/.env`, '--overwrite', 'hf.token', '--yes']);
    expect(r.code).toBe(2);
    const shown = paste(t, seeLine(r.stderr));
    expect(shown.stderr).toContain('Dry run: nothing was changed.');
    expect(shown.stdout).toContain(`Plan for ${DIR}/.env (dotenv)`);
  });

  it('team pull --file in another folder: the line shows that team file\'s plan', async () => {
    const t = makeTempHome();
    mkdirSync(join(t.cwd, DIR));
    const file = `${DIR}/cpw-team.age`;
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await cli(t, ['team', 'init', '--file', file, '--add', 'huggingface.token'])).code).toBe(0);
    const r = await cli(t, ['team', 'pull', '--file', file, '--overwrite', 'hf.token', '--yes']);
    expect(r.code).toBe(2);
    const shown = paste(t, seeLine(r.stderr));
    expect(shown.stderr).toContain('Dry run: nothing was changed.');
    expect(shown.stdout).toContain(`Plan for ${join(t.cwd, file)} (team file)`);
  });

  it("import of an export whose name holds a space: the line is that one file (its passphrase asked as usual)", async () => {
    const t = makeTempHome();
    mkdirSync(join(t.cwd, DIR));
    const pass = join(t.root, 'pass');
    writeFileSync(pass, 'correct horse battery staple\n', { mode: 0o600 });
    const file = `${DIR}/my vault.age`;
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await cli(t, ['export', '--to', file, '--passphrase-file', pass])).code).toBe(0);
    const r = await cli(t, ['import', file, '--overwrite', 'hf.token', '--yes', '--passphrase-file', pass]);
    expect(r.code).toBe(2);
    // No terminal here to type the passphrase at: the test gives it as a user would, after the pasted words.
    const shown = paste(t, seeLine(r.stderr), `--passphrase-file ${JSON.stringify(pass)}`);
    expect(shown.stderr).toContain('Dry run: nothing was changed.');
    expect(shown.stdout).toContain(`Plan for ${join(t.cwd, file)} (exported`);
  });
});

describe("--passphrase-fd's example names the command that was run, not unlock", () => {
  /** The example line (`e.g.: cpw-vault ...`) of a refused --passphrase-fd. */
  const example = (stderr: string) => {
    const line = /(?:e\.g\.:|Example:) (cpw-vault .*)$/m.exec(stderr)?.[1];
    expect(line, stderr).toBeDefined();
    return line!;
  };

  it('export --to a new file with a descriptor not open: the line, pasted beside pass.txt, writes that export', async () => {
    const t = makeTempHome();
    writeFileSync(join(t.cwd, 'pass.txt'), 'correct horse battery staple\n', { mode: 0o600 });
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const file = `${DIR}.age`;
    const r = await cli(t, ['export', '--to', file, '--passphrase-fd', '9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('File descriptor 9 is not open for cpw-vault to read.');
    expect(existsSync(join(t.cwd, file))).toBe(false);
    const pasted = paste(t, example(r.stderr));
    expect(pasted.status, pasted.stderr).toBe(0);
    expect(existsSync(join(t.cwd, file))).toBe(true);
  });

  it('import with a descriptor that is no number: the example is an import of that file', async () => {
    const t = makeTempHome();
    writeFileSync(join(t.cwd, 'pass.txt'), 'correct horse battery staple\n', { mode: 0o600 });
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    const file = `${DIR}.age`;
    expect((await cli(t, ['export', '--to', file, '--passphrase-file', join(t.cwd, 'pass.txt')])).code).toBe(0);
    const r = await cli(t, ['import', file, '--passphrase-fd', 'pass.txt', '--dry-run']);
    expect(r.code).toBe(2);
    const pasted = paste(t, example(r.stderr), '--dry-run');
    expect(pasted.stderr).toContain('Dry run: nothing was changed.');
    expect(pasted.stdout).toContain(`Plan for ${join(t.cwd, file)} (exported`);
  });
});
