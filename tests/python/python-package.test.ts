import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { looksLikeKey } from '../../shared/core/credential';
import { KEYS, NAMES } from '../fixtures/key-shaped-names';
import { BIN } from '../helpers/cli';
import { inPrivateSession } from '../helpers/private-session';
import { makeTempHome } from '../helpers/temp';

/** Debian's interpreter, with python3-setuptools, python3-wheel and python3-pytest (scripts/install-system-deps.sh). */
const PY = '/usr/bin/python3';
const SRC = resolve(import.meta.dirname, '../../python');
const CPW_VAULT_BIN = `'${process.execPath}' '${BIN}'`;
const QUIET = { PYTHONDONTWRITEBYTECODE: '1', NO_COLOR: '1' };

let site: string;
/** Every path under the package's sources with its mtime, before and after the install: what it wrote there. */
let sourcesBefore: string[];
let sourcesAfter: string[];

/** The paths under `dir` (recursively) with their mtimes; bytecode caches left out (an import elsewhere writes them). */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => !p.includes('__pycache__')).sort().map((p) => `${p} ${statSync(join(dir, p)).mtimeMs}`);
}

/** pytest's summary line counts, e.g. { passed: 12, skipped: 1 }. */
function counts(output: string): Record<string, number> {
  const line = output.trim().split('\n').at(-1) ?? '';
  return Object.fromEntries([...line.matchAll(/(\d+) (passed|failed|skipped|errors?)/g)].map((m) => [m[2]!, Number(m[1])]));
}

beforeAll(() => {
  // Build from a copy: setuptools writes build/ and *.egg-info beside the sources.
  sourcesBefore = tree(SRC);
  const root = mkdtempSync(join(process.env['CPW_TEST_ROOT']!, 'py-'));
  cpSync(SRC, join(root, 'src'), { recursive: true, filter: (p) => !/__pycache__|\.egg-info|\/build$/.test(p) });
  site = join(root, 'site');
  const pip = spawnSync(PY, ['-m', 'pip', 'install', '--no-build-isolation', '--no-deps', '--no-index', '--no-compile', '--quiet', '--target', site, join(root, 'src')], { encoding: 'utf8', env: { ...process.env, ...QUIET } });
  if (pip.status !== 0) throw new Error(`pip install failed:\n${pip.stdout}\n${pip.stderr}`);
  sourcesAfter = tree(SRC);
});

describe('the cpw_vault Python package', () => {
  it("installs offline with Debian's python3 (pip --no-build-isolation), with no third-party dependency", () => {
    expect(readdirSync(join(site, 'cpw_vault')).sort()).toEqual(['__init__.py', '_cli.py', '_names.py', '_secret.py', 'errors.py', 'py.typed']);
    expect(readdirSync(site).filter((d) => !d.startsWith('cpw_vault'))).toEqual([]);
    // Nothing written beside the sources. Not "python/build does not exist": the README's quick start installs the
    // package from ./python itself (pip leaves build/ there, git ignores it), and the suite then failed here.
    expect(sourcesAfter).toEqual(sourcesBefore);
  });

  it("installs as the README says, into a venv of Debian's python3 (a plain pip install is refused there: PEP 668)", () => {
    const readme = readFileSync(resolve(SRC, '../README.md'), 'utf8');
    const line = 'python3 -m venv --system-site-packages .venv && .venv/bin/pip install --no-build-isolation ./python';
    expect(readme).toContain(line);
    const dir = mkdtempSync(join(process.env['CPW_TEST_ROOT']!, 'venv-'));
    cpSync(SRC, join(dir, 'python'), { recursive: true, filter: (p) => !/__pycache__|\.egg-info|\/build$/.test(p) });
    // Offline, exactly the README's line (python3 being Debian's), then the import a stage does.
    const r = spawnSync('sh', ['-c', `${line.replace(/^python3 /, `${PY} `)} --no-index --quiet && .venv/bin/python3 -c 'import cpw_vault; print(cpw_vault.__file__)'`], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...QUIET }, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(join(dir, '.venv'));
  }, 150_000);

  it('refuses a key passed as a name exactly as the CLI would: its check answers as looksLikeKey, on the cases and 6,000 made-up names', () => {
    // The package asks before the CLI runs (the CLI refused such a name only once it was on its command line): the two
    // checks must not drift apart. Made-up names of each shape's alphabet and near each rule's length, from a fixed seed.
    let seed = 20261205;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const pick = (chars: string, length: number) => Array.from({ length }, () => chars[rand(chars.length)]).join('');
    const alphabets = ['0123456789abcdef', 'abcdefghijklmnopqrstuvwxyz0123456789_-', 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.', 'abc123', 'ab12_'];
    const prefixes = ['', '', 'hf_', 'sk-', 'sk_', 'AIza', 'ghp_', 'github_pat_', 'xoxb-12-', 'glpat-', 'AKIA', 'api_'];
    const made = Array.from({ length: 6000 }, () => `${prefixes[rand(prefixes.length)]}${pick(alphabets[rand(alphabets.length)]!, 8 + rand(34))}`);
    const names = [...KEYS, ...NAMES, ...made];
    const r = spawnSync(PY, ['-c', 'import json, sys; from cpw_vault._names import looks_like_key; print(json.dumps([bool(looks_like_key(n)) for n in json.load(sys.stdin)]))'], {
      input: JSON.stringify(names), encoding: 'utf8', env: { ...process.env, ...QUIET, PYTHONPATH: site },
    });
    expect(r.status, r.stderr).toBe(0);
    const python = JSON.parse(r.stdout) as boolean[];
    const differ = names.filter((n, i) => python[i] !== looksLikeKey(n));
    expect(differ).toEqual([]);
    // Both sides of each rule are in the sample, not only names.
    expect(names.filter(looksLikeKey).length).toBeGreaterThan(500);
  });

  it('passes its pytest suite against the installed copy, on the throwaway keychain', () => {
    const r = spawnSync(PY, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', join(SRC, 'tests')], {
      cwd: makeTempHome().cwd, encoding: 'utf8', timeout: 120_000,
      env: { ...process.env, ...QUIET, PYTHONPATH: site, CPW_VAULT_BIN },
    });
    expect(r.stdout).not.toMatch(/Traceback|FAILED/);
    expect(r.status).toBe(0);
    expect(counts(r.stdout)).toEqual({ passed: 29, skipped: 1 });
    // The suite starts the CLI a few dozen times: 85 s on a loaded 2-core machine. The guard is spawnSync's 120 s, not vitest's 60 s default.
  }, 150_000);

  it("run as a plain pytest outside npm test's throwaway session, it stops at once, naming the command (never the desktop's keyring)", () => {
    // It stored its test tokens in the session's own keyring and left them there (or failed with KeyError: 'CPW_VAULT_BIN').
    const { CPW_TEST_ROOT: _root, ...outside } = process.env;
    const r = spawnSync(PY, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', join(SRC, 'tests')], {
      cwd: makeTempHome().cwd, encoding: 'utf8', timeout: 60_000, env: { ...outside, ...QUIET, PYTHONPATH: site },
    });
    expect(r.stderr).toContain("these tests run inside npm test's throwaway HOME and keyring: npm test -- tests/python/python-package.test.ts");
    expect(r.status).toBe(2);
    expect(r.stdout + r.stderr).not.toMatch(/passed|failed/);
  });

  // Nothing stored yet (a fresh user whose keyring is locked): check reports readiness unknown, which must still be KeychainLocked.
  it.each([['a token stored before the lock', true], ['nothing stored yet', false]])('in a session whose keychain is locked (%s): KeychainLocked with the fix', async (_name, stored) => {
    const t = makeTempHome();
    const HF = `hf_${'Lock'.repeat(9)}`;
    const r = await inPrivateSession('locked', [PY, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-m', 'locked', join(SRC, 'tests')], {
      home: t,
      setup: stored ? `printf %s '${HF}' | '${process.execPath}' '${BIN}' set huggingface token` : '',
      env: { ...QUIET, PYTHONPATH: site, CPW_VAULT_BIN, CPW_TEST_KEYRING: 'locked', CPW_TEST_STORED: HF },
    });
    expect(r.stdout).not.toMatch(/FAILED/);
    expect(r.code).toBe(0);
    expect(counts(r.stdout)).toMatchObject({ passed: 1 });
  });
});
