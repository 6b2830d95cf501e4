// The launcher loads each CLI bundle with the V8 code cache the build wrote
// beside it (bin/load-bundle.cjs, scripts/code-cache.mjs): the caches exist
// and fit this Node, and a cache that does not fit (damaged, another Node,
// a bundle rebuilt without it) costs only the compile, never a wrong answer.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempHome } from '../helpers/temp';

const root = resolve(import.meta.dirname, '../..');
const { cacheAccepted } = createRequire(import.meta.url)(join(root, 'bin/load-bundle.cjs')) as { cacheAccepted(file: string): boolean | undefined };
const BUNDLES = ['fast.cjs', 'light-doctor.cjs', 'cli.cjs'];
const HF = `hf_${'CodeCache1'.repeat(4)}`;

/** A copy of the package's launcher and bundles in a folder of its own, with `cache(bundle)` as each cache. */
function packageCopy(dir: string, cache: (bundle: string) => Buffer | undefined): string {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'dist'), { recursive: true });
  for (const f of ['cpw-vault.cjs', 'load-bundle.cjs']) copyFileSync(join(root, 'bin', f), join(dir, 'bin', f));
  for (const b of BUNDLES) {
    copyFileSync(join(root, 'dist', b), join(dir, 'dist', b));
    const c = cache(b);
    if (c) writeFileSync(join(dir, 'dist', `${b}.cache`), c);
  }
  return join(dir, 'bin', 'cpw-vault.cjs');
}

/** A copy of `cache` with one bit flipped every 997 bytes past its header. */
function flipBits(cache: Buffer): Buffer {
  const out = Buffer.from(cache);
  for (let i = 128; i < out.length; i += 997) out[i] = out[i]! ^ (1 << (i % 8));
  return out;
}

describe('code cache of the CLI bundles', () => {
  it('the bundles have no import() (a script compiled with a code cache has no module loader for one)', () => {
    for (const b of BUNDLES) expect(readFileSync(join(root, 'dist', b), 'utf8'), b).not.toMatch(/[^\w.$]import\(/);
  });

  it('the build leaves a cache for each bundle, and this Node accepts it', () => {
    for (const b of BUNDLES) expect(cacheAccepted(join(root, 'dist', b)), b).toBe(true);
  });

  it.each([
    ['a damaged', () => Buffer.from('not a V8 code cache at all, just bytes'.repeat(100))],
    ['a truncated', (b: string) => Buffer.from(spawnSync('head', ['-c', '4096', join(root, 'dist', `${b}.cache`)]).stdout)],
    // Bits flipped inside the payload (a damaged disk, a bad copy): the header still fits, and a V8 that does not
    // check the payload crashed on it (a fatal error and a native stack trace) or ran what it decoded.
    ['a bit-flipped', (b: string) => flipBits(readFileSync(join(root, 'dist', `${b}.cache`)))],
    ['no', () => undefined],
  ])('%s cache: the commands still answer exactly', (what, cache) => {
    const t = makeTempHome();
    const bin = packageCopy(join(t.root, 'pkg'), cache);
    if (what !== 'no') expect(cacheAccepted(join(t.root, 'pkg', 'dist', 'fast.cjs'))).toBe(false);
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, HF_TOKEN: HF };
    const get = spawnSync(process.execPath, [bin, 'get', 'huggingface', 'token'], { cwd: t.cwd, env, encoding: 'utf8' });
    expect(get.status, get.stderr).toBe(0);
    expect(get.stdout).toBe(HF);
    expect(get.stderr).toBe('');
    const help = spawnSync(process.execPath, [bin, 'set', '--help'], { cwd: t.cwd, env, encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/never from the command line|stdin/i);
  });

  it.each([
    ['a fifo', (path: string) => spawnSync('mkfifo', [path])],
    ['a link to /dev/zero', (path: string) => symlinkSync('/dev/zero', path)],
    ['a folder', (path: string) => mkdirSync(path)],
  ])('%s at the cache path: read as no cache (no wait, no endless read)', (_what, make) => {
    const t = makeTempHome();
    const bin = packageCopy(join(t.root, 'pkg'), () => undefined);
    for (const b of BUNDLES) make(join(t.root, 'pkg', 'dist', `${b}.cache`));
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, HF_TOKEN: HF };
    // The deadline only ends a hang the test then reports: an answer takes well under a second.
    const get = spawnSync(process.execPath, [bin, 'get', 'huggingface', 'token'], { cwd: t.cwd, env, encoding: 'utf8', timeout: 30_000 });
    expect(get.signal, 'the launcher hung reading the cache').toBeNull();
    expect(get.status, get.stderr).toBe(0);
    expect(get.stdout).toBe(HF);
    expect(get.stderr).toBe('');
  });
});
