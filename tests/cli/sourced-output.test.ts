// Issue 12, "Output that is sourced": `env --format sh|dotenv` with hostile
// values, sourced in bash and dash (nothing runs, every value exact) and read
// back by python-dotenv and Node (`--env-file`, `process.loadEnvFile`); a
// value no quoting keeps exact is refused, naming the variable, never the
// value. And with --json / --format json, every failure is one {"error"} document.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VaultError } from '../../shared/core/errors';
import { renderEnv } from '../../shared/cli/commands/env';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { makeTempHome, type TempHome } from '../helpers/temp';

/** Values an attacker (or an unlucky paste) could put in a credential; `canary` is a file a command in them would create. */
function hostile(canary: string): Record<string, string> {
  return {
    SQ: "it's",
    DQ: 'say "hi"',
    CMD: `$(touch ${canary})`,
    BT: `\`touch ${canary}\``,
    SEMI: `x; touch ${canary}`,
    BS: 'a\\b',
    BSN: 'a\\nb',
    HASH: 'x #not-a-comment',
    HASH2: 'x#y',
    NL: 'line1\nline2',
    UNI: 'ü€😀 ñ',
    DOLLAR: '$HOME',
    SP: '  spaced  ',
    EQ: 'a=b==',
    SQHASH: "it's # here",
    DQSQ: `${"'"}$(touch ${canary})${"'"}`,
    BRACE: '${HOME}',
    CR: 'a\rb',
    DBS: 'a\\\\b',
    TRAIL: 'ends\\',
    BANG: "it's!",
    SQNL: "it's\nnext",
  };
}

/** The listed variables after `set -a; . file` in `shell`, read back by node (undefined when unset). */
function sourced(shell: string, file: string, names: string[]): Record<string, string | undefined> {
  const r = spawnSync(shell, ['-c', `set -a; . "$1"; exec "$2" -e 'const n = JSON.parse(process.argv[1]); console.log(JSON.stringify(Object.fromEntries(n.map((k) => [k, process.env[k]]))))' "$3"`, shell, file, process.execPath, JSON.stringify(names)], {
    // stdin not a socket: bash reads ~/.bashrc when it thinks it was started over the network.
    stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, string | undefined>;
}

function pythonDotenv(file: string): Record<string, string | null> {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import json, sys\nfrom dotenv import dotenv_values\nprint(json.dumps(dotenv_values(sys.argv[1])))', file], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Record<string, string | null>;
}

function nodeEnvFile(file: string, names: string[], how: 'flag' | 'load'): Record<string, string | undefined> {
  const print = `const n = ${JSON.stringify(names)}; console.log(JSON.stringify(Object.fromEntries(n.map((k) => [k, process.env[k]]))))`;
  const args = how === 'flag' ? [`--env-file=${file}`, '-e', print] : ['-e', `process.loadEnvFile(${JSON.stringify(file)}); ${print}`];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Record<string, string | undefined>;
}

describe('env --format sh', () => {
  it('every hostile value, sourced in bash and dash, runs nothing and comes back exact', () => {
    const t = makeTempHome();
    const canary = join(t.root, 'canary');
    const values = hostile(canary);
    const file = join(t.root, 'env.sh');
    writeFileSync(file, renderEnv(values, 'sh'));
    for (const shell of ['bash', 'dash']) {
      expect(sourced(shell, file, Object.keys(values))).toEqual(values);
      expect(existsSync(canary)).toBe(false);
    }
  });
});

describe('env --format dotenv', () => {
  const refused = ['BRACE', 'CR', 'DBS', 'TRAIL', 'BANG', 'SQNL', 'DQSQ'];

  it('what it prints is inert in bash and dash and reads back exactly in python-dotenv, node --env-file and process.loadEnvFile', () => {
    const t = makeTempHome();
    const canary = join(t.root, 'canary');
    const values = Object.fromEntries(Object.entries(hostile(canary)).filter(([k]) => !refused.includes(k)));
    const file = join(t.root, '.env');
    writeFileSync(file, renderEnv(values, 'dotenv'));
    const names = Object.keys(values);
    for (const shell of ['bash', 'dash']) expect(sourced(shell, file, names)).toEqual(values);
    expect(existsSync(canary)).toBe(false);
    expect(pythonDotenv(file)).toEqual(values);
    expect(nodeEnvFile(file, names, 'flag')).toEqual(values);
    expect(nodeEnvFile(file, names, 'load')).toEqual(values);
  });

  it.each(refused)('refuses %s (a value some reader would change or expand), naming the variable, never the value', (name) => {
    const values = hostile('/nonexistent/canary');
    let err: unknown;
    try {
      renderEnv({ OK: 'fine', [`${name}_KEY`]: values[name]! }, 'dotenv');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VaultError);
    expect((err as VaultError).code).toBe('INVALID_ARGUMENT');
    expect((err as VaultError).message).toContain(`${name}_KEY`);
    expect((err as VaultError).message).not.toContain(values[name]!);
    expect((err as VaultError).fix).toContain('--format sh');
  });
});

const HF = `hf_${'Src1'.repeat(9)}`;

async function ready(t: TempHome, tmdb: string) {
  expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
  expect((await cli(t, ['set', 'tmdb', 'api_key', '--force'], { input: tmdb })).code).toBe(0);
}

describe('through the CLI, with the real keychain', () => {
  it('a stored value with $(), backticks, quotes and # is printed inert for sh and dotenv', async () => {
    const t = makeTempHome();
    const canary = join(t.root, 'canary');
    const tmdb = `"$(touch ${canary})"\`touch ${canary}\` #x\\y ü`;
    await ready(t, tmdb);
    const want = { HF_TOKEN: HF, HUGGING_FACE_HUB_TOKEN: HF, TMDB_API_KEY: tmdb };
    for (const format of ['sh', 'dotenv']) {
      const r = await cli(t, ['env', '--workflow', 'subtitle', '--format', format]);
      expect(r.code).toBe(0);
      const file = join(t.root, `out.${format}`);
      writeFileSync(file, r.stdout);
      for (const shell of ['bash', 'dash']) expect(sourced(shell, file, Object.keys(want))).toEqual(want);
      if (format === 'dotenv') {
        expect(pythonDotenv(file)).toEqual(want);
        expect(nodeEnvFile(file, Object.keys(want), 'load')).toEqual(want);
      }
    }
    expect(existsSync(canary)).toBe(false);
  });

  it('a value dotenv cannot carry exactly (from the environment) is refused: nothing on stdout, the variable named, exit 2', async () => {
    const t = makeTempHome();
    await ready(t, '0123456789abcdef0123456789abcdef');
    const secret = 'tmdb-${HOME}-value-0123456789';
    const r = await cli(t, ['env', '--workflow', 'subtitle', '--format', 'dotenv'], { env: { TMDB_API_KEY: secret } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('TMDB_API_KEY');
    expect(r.stderr).not.toContain(secret);
  });
});

describe('--json: every failure is one {"error"} document on stdout', () => {
  const cases: Array<[string, string[], number, string]> = [
    ['env --format json, workflow not ready', ['env', '--workflow', 'subtitle', '--format', 'json'], 3, 'WORKFLOW_NOT_READY'],
    ['env --format json, unknown workflow', ['env', '--workflow', 'nope', '--format', 'json'], 2, 'WORKFLOW_UNKNOWN'],
    ['env --json without --workflow (a usage error)', ['env', '--json'], 2, 'INVALID_ARGUMENT'],
    ['get --json with one argument', ['get', 'tmdb', '--json'], 2, 'INVALID_ARGUMENT'],
    ['list --json with an unknown option', ['list', '--bogus', '--json'], 2, 'INVALID_ARGUMENT'],
    ['env --format=json with a bad --format too', ['env', '--workflow', 'subtitle', '--format', 'yaml', '--json'], 2, 'INVALID_ARGUMENT'],
  ];
  it.each(cases)('%s', async (_name, args, code, errorCode) => {
    const t = makeTempHome();
    const r = await cli(t, args);
    expect(r.code).toBe(code);
    const doc = JSON.parse(r.stdout) as { error: { code: string; message: string; fix: string } };
    expect(Object.keys(doc)).toEqual(['error']);
    expect(doc.error.code).toBe(errorCode);
    expect(doc.error.message.length).toBeGreaterThan(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });
});

describe('stdin that is not UTF-8', () => {
  it('set refuses it (nothing stored) instead of storing U+FFFD in place of the bytes given', async () => {
    const t = makeTempHome();
    const child = spawn(process.execPath, [BIN, 'set', 'tmdb', 'api_key', '--force'], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['pipe', 'pipe', 'pipe'] });
    const done = collect(child);
    child.stdin.end(Buffer.from([0x30, 0x31, 0x32, 0x33, 0xff, 0xfe, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64]));
    const r = await done;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not valid UTF-8');
    const get = await cli(t, ['get', 'tmdb', 'api_key']);
    expect(get.code).toBe(3);
    expect(get.stdout).toBe('');
  });
});
