// The launcher loads each CLI bundle with the V8 code cache the build wrote
// beside it (bin/load-bundle.cjs, scripts/code-cache.mjs): the caches exist
// and fit this Node, and a cache that does not fit (damaged, another Node,
// a bundle rebuilt without it) costs only the compile, never a wrong answer.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempHome } from '../helpers/temp';

const root = resolve(import.meta.dirname, '../..');
const loader = join(root, 'bin/load-bundle.cjs');
/**
 * Whether V8 accepts `cache` for `file`, asked in a process of its own: V8 keeps what it compiled by source, so a
 * second check of one bundle in one process finds it compiled already and never looks at the cache it is given.
 */
function cacheAccepted(file: string, cache: string): boolean | undefined {
  const r = spawnSync(process.execPath, ['-e', `process.stdout.write(String(require(${JSON.stringify(loader)}).cacheAccepted(${JSON.stringify(file)}, ${JSON.stringify(cache)})))`], { encoding: 'utf8' });
  return r.stdout === 'undefined' ? undefined : JSON.parse(r.stdout) as boolean;
}
const BUNDLES = ['fast.cjs', 'light-doctor.cjs', 'cli.cjs'];
/** Each cache and its bundle: `get` and `env`, and `exec`, load the light bundle with caches of their own. */
const CACHES: Array<[string, string]> = [['fast.cjs.read.cache', 'fast.cjs'], ['fast.cjs.exec.cache', 'fast.cjs'], ...BUNDLES.map((b): [string, string] => [`${b}.cache`, b])];
const HF = `hf_${'CodeCache1'.repeat(4)}`;

/** A copy of the package's launcher and bundles in a folder of its own, with `cache(name)` as each cache. */
function packageCopy(dir: string, cache: (name: string) => Buffer | undefined): string {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'dist'), { recursive: true });
  for (const f of ['cpw-vault.cjs', 'load-bundle.cjs']) copyFileSync(join(root, 'bin', f), join(dir, 'bin', f));
  for (const b of BUNDLES) copyFileSync(join(root, 'dist', b), join(dir, 'dist', b));
  for (const [name] of CACHES) {
    const c = cache(name);
    if (c) writeFileSync(join(dir, 'dist', name), c);
  }
  return join(dir, 'bin', 'cpw-vault.cjs');
}

/** A copy of `cache` with one bit flipped every 997 bytes past its header. */
function flipBits(cache: Buffer): Buffer {
  const out = Buffer.from(cache);
  for (let i = 128; i < out.length; i += 997) out[i] = out[i]! ^ (1 << (i % 8));
  return out;
}

/** A folder `dist` under `root` holding copies of the bundles, without their caches: what a build makes them from. */
function bundlesIn(root_: string): string {
  const dist = join(root_, 'dist');
  mkdirSync(dist);
  for (const b of BUNDLES) copyFileSync(join(root, 'dist', b), join(dist, b));
  return dist;
}

/** Builds the caches of `dist` in a child `node` with `env`; returns how each was warmed (buildCodeCaches' report). */
function buildIn(dist: string, node: string, env: Record<string, string>): Record<string, string> {
  const script = `import(${JSON.stringify(join(root, 'scripts/code-cache.mjs'))}).then((m) => process.stdout.write(JSON.stringify(m.buildCodeCaches(${JSON.stringify(dist)}))))`;
  const r = spawnSync(node, ['-e', script], { env, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, string>;
}

const FROM_ENV = { 'fast.cjs.read.cache': 'env', 'fast.cjs.exec.cache': 'written', 'fast.cjs.cache': 'env', 'light-doctor.cjs.cache': 'written', 'cli.cjs.cache': 'written' };

/**
 * A folder under `root` holding a `gnome-keyring-daemon` that starts but never takes its name, and runs for as long
 * as the session bus answers (so it ends with it, and is left alive only if the bus is). Returns the folder.
 */
function neverAnsweringDaemon(root_: string): string {
  const fake = join(root_, 'fake');
  mkdirSync(fake);
  const waits = 'while gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetId >/dev/null 2>&1; do sleep 0.2; done';
  writeFileSync(join(fake, 'gnome-keyring-daemon'), `#!/bin/sh\n${waits}\n`, { mode: 0o755 });
  return fake;
}

describe('code cache of the CLI bundles', () => {
  it('the bundles have no import() (a script compiled with a code cache has no module loader for one)', () => {
    for (const b of BUNDLES) expect(readFileSync(join(root, 'dist', b), 'utf8'), b).not.toMatch(/[^\w.$]import\(/);
  });

  it('the bundles are ASCII: one other character (a regular expression keeps its own) made V8 hold the whole source as two-byte text', () => {
    for (const b of BUNDLES) {
      const bytes = readFileSync(join(root, 'dist', b));
      expect({ bundle: b, outside: bytes.findIndex((c) => c > 0x7f) }).toEqual({ bundle: b, outside: -1 });
    }
  });

  it('the build leaves each cache, and this Node accepts it', () => {
    for (const [name, b] of CACHES) expect(cacheAccepted(join(root, 'dist', b), join(root, 'dist', name)), name).toBe(true);
  });

  it('the caches are warmed through a throwaway keyring, and a stage\'s own read has a smaller one', async () => {
    // Read over D-Bus as a pipeline's `get` reads, so the Secret Service client is in the cache (it compiled at each start).
    const dist = bundlesIn(makeTempHome().root);
    const { buildCodeCaches } = (await import(join(root, 'scripts/code-cache.mjs'))) as { buildCodeCaches(dist: string): Record<string, string> };
    expect(buildCodeCaches(dist)).toEqual({ 'fast.cjs.read.cache': 'keyring', 'fast.cjs.exec.cache': 'written', 'fast.cjs.cache': 'keyring', 'light-doctor.cjs.cache': 'written', 'cli.cjs.cache': 'written' });
    for (const [name, b] of CACHES) expect(cacheAccepted(join(dist, b), join(dist, name)), name).toBe(true);
    expect(statSync(join(dist, 'fast.cjs.read.cache')).size).toBeLessThan(statSync(join(dist, 'fast.cjs.cache')).size * 0.8);
  }, 120_000);

  it('without the keyring tools (a machine with no D-Bus) the caches are still made, from env var values', () => {
    const t = makeTempHome();
    const dist = bundlesIn(t.root);
    const bin = join(t.root, 'bin');
    mkdirSync(bin);
    // PATH holds node alone: no sh, dbus-run-session or gnome-keyring-daemon to find.
    symlinkSync(process.execPath, join(bin, 'node'));
    expect(buildIn(dist, join(bin, 'node'), { PATH: bin, HOME: t.home })).toEqual(FROM_ENV);
    for (const [name, b] of CACHES) expect(cacheAccepted(join(dist, b), join(dist, name)), name).toBe(true);
  }, 60_000);

  it('keyring tools that do not work (a daemon that will not start) cost the build a bounded wait, then the env var warm-up', () => {
    const t = makeTempHome();
    const dist = bundlesIn(t.root);
    const fake = neverAnsweringDaemon(t.root);
    const started = Date.now();
    expect(buildIn(dist, process.execPath, { PATH: `${fake}:${process.env['PATH']}`, HOME: t.home, CPW_CODE_CACHE_KEYRING_WAIT_MS: '1500' })).toEqual(FROM_ENV);
    // The wait, then four warm-ups: far from the minutes the keyring's own probes could take (the 60 s deadline ends a hang).
    expect(Date.now() - started).toBeLessThan(45_000);
  }, 90_000);

  it('a warm-up session that outlives its deadline is ended whole: no bus, keeper or daemon of it is left running', () => {
    const t = makeTempHome();
    const dist = bundlesIn(t.root);
    const fake = neverAnsweringDaemon(t.root);
    // The keyring's own wait far longer than the session's deadline: the deadline ends it.
    expect(buildIn(dist, process.execPath, { PATH: `${fake}:${process.env['PATH']}`, HOME: t.home, CPW_CODE_CACHE_KEYRING_WAIT_MS: '120000', CPW_CODE_CACHE_SESSION_MS: '3000' })).toEqual(FROM_ENV);
    const left = () => spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(fake));
    const until = Date.now() + 10_000;
    while (left().length && Date.now() < until) spawnSync('sleep', ['0.2']);
    expect(left()).toEqual([]);
  }, 60_000);

  it.each([
    ['a damaged', () => Buffer.from('not a V8 code cache at all, just bytes'.repeat(100))],
    ['a truncated', (name: string) => Buffer.from(spawnSync('head', ['-c', '4096', join(root, 'dist', name)]).stdout)],
    // Bits flipped inside the payload (a damaged disk, a bad copy): the header still fits, and a V8 that does not
    // check the payload crashed on it (a fatal error and a native stack trace) or ran what it decoded.
    ['a bit-flipped', (name: string) => flipBits(readFileSync(join(root, 'dist', name)))],
    ['no', () => undefined],
  ])('%s cache: the commands still answer exactly', (what, cache) => {
    const t = makeTempHome();
    const bin = packageCopy(join(t.root, 'pkg'), cache);
    if (what !== 'no') for (const [name, b] of CACHES) expect(cacheAccepted(join(t.root, 'pkg', 'dist', b), join(t.root, 'pkg', 'dist', name)), name).toBe(false);
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
    for (const [name] of CACHES) make(join(t.root, 'pkg', 'dist', name));
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, HF_TOKEN: HF };
    // The deadline only ends a hang the test then reports: an answer takes well under a second.
    const get = spawnSync(process.execPath, [bin, 'get', 'huggingface', 'token'], { cwd: t.cwd, env, encoding: 'utf8', timeout: 30_000 });
    expect(get.signal, 'the launcher hung reading the cache').toBeNull();
    expect(get.status, get.stderr).toBe(0);
    expect(get.stdout).toBe(HF);
    expect(get.stderr).toBe('');
  });
});
