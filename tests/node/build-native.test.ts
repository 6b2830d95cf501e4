// scripts/build-native.mjs where the addon cannot be built (no compiler, make or Python: a slim container): the install
// goes on (exec uses Node's spawn), and the output says why in a few lines, without node-gyp's stack trace.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempHome } from '../helpers/temp';

const ROOT = resolve(import.meta.dirname, '../..');

/** What each part the addon serves falls back to, as the build's line says it. */
const WITHOUT = "exec starts stages with Node's spawn and reads their masked output through node:net, and the keychain's D-Bus socket is node:net's: the same behaviour, a few milliseconds slower each.";

/** What the package ships (package.json's `files`) to build the addon: a source left out of it failed every install's build. */
const SHIPPED = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] }).files.filter((f) => f.startsWith('native/spawn/') || f === 'scripts/build-native.mjs');

/** A copy of what the package ships to build the addon, with a PATH holding only `node`. */
function noCompiler() {
  const root = makeTempHome().root;
  const pkg = join(root, 'pkg');
  mkdirSync(join(pkg, 'native', 'spawn'), { recursive: true });
  for (const f of SHIPPED) cpSync(join(ROOT, f), join(pkg, f));
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
  const bin = join(root, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  return { pkg, bin, env: { HOME: makeTempHome().home, PATH: bin } };
}

describe.runIf(process.platform === 'linux')('build-native without a compiler', () => {
  for (const [how, event, code] of [
    ['npm ci (the install script)', 'install', 0],
    ['npm run build:native (asked for it)', 'build:native', 1],
  ] as const) {
    it(`${how}: exit ${code}, why in a few lines, no stack trace`, () => {
      const { pkg, env } = noCompiler();
      const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'build-native.mjs')], { env: { ...env, npm_lifecycle_event: event }, encoding: 'utf8' });
      expect(r.status).toBe(code);
      // Every part the addon serves, each with what it falls back to: the line named exec's start alone.
      expect(r.stderr).toContain(`cpw-vault: native/spawn was not built (node-gyp exited 1): ${WITHOUT}`);
      expect(r.stderr).not.toMatch(/^\s+at |gyp ERR! stack|gyp info/m);
      expect(existsSync(join(pkg, 'native', 'spawn', 'build', 'Release', 'cpw_spawn.node'))).toBe(false);
    });
  }
});

// node-gyp's `rebuild` deletes build/ before it compiles: a rebuild that failed (the compiler gone or broken since) took
// the addon built before with it, and exec went on with Node's spawn without a word about it.
describe.runIf(process.platform === 'linux')('build-native with a compiler that fails', () => {
  const ADDON = join('native', 'spawn', 'build', 'Release', 'cpw_spawn.node');
  for (const [how, event, code] of [
    ['npm run build:native', 'build:native', 1],
    ['npm ci (the install script)', 'install', 0],
  ] as const) {
    it(`${how}: exit ${code}, says it failed and that the addon built before is kept, and keeps it byte for byte`, () => {
      const { pkg, bin } = noCompiler();
      const before = readFileSync(join(ROOT, ADDON));
      mkdirSync(join(pkg, 'native', 'spawn', 'build', 'Release'), { recursive: true });
      writeFileSync(join(pkg, ADDON), before);
      // The real make and Python, and a C compiler that always fails (node-gyp's Makefile takes CC and CXX).
      const cc = join(bin, 'fake-cc');
      writeFileSync(cc, '#!/bin/sh\necho "fake-cc: this compiler always fails" >&2\nexit 1\n');
      chmodSync(cc, 0o755);
      const env = { HOME: makeTempHome().home, PATH: process.env.PATH!, CC: cc, CXX: cc, npm_lifecycle_event: event };
      const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'build-native.mjs')], { env, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(code);
      expect(r.stderr).toContain('fake-cc: this compiler always fails');
      expect(r.stderr).toMatch(/cpw-vault: native\/spawn was not built \(node-gyp exited 1\): the addon built before is kept \(native\/spawn\/build\/Release\/cpw_spawn\.node, built [^)]+\): exec and the keychain go on using it\./);
      expect(r.stderr).not.toMatch(/^\s+at |gyp ERR! stack|gyp info/m);
      expect(readFileSync(join(pkg, ADDON)).equals(before)).toBe(true);
      // Nothing left of the build beside it.
      expect(readdirSync(join(pkg, 'native'))).toEqual(['spawn']);
    });
  }

  it('one kept that does not load in this Node.js (built for another): said so, and that exec uses Node spawn', () => {
    const { pkg, bin } = noCompiler();
    mkdirSync(join(pkg, 'native', 'spawn', 'build', 'Release'), { recursive: true });
    writeFileSync(join(pkg, ADDON), 'not an addon');
    const cc = join(bin, 'fake-cc');
    writeFileSync(cc, '#!/bin/sh\nexit 1\n');
    chmodSync(cc, 0o755);
    const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'build-native.mjs')], { env: { HOME: makeTempHome().home, PATH: process.env.PATH!, CC: cc, CXX: cc, npm_lifecycle_event: 'build:native' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the addon built before is kept \(native\/spawn\/build\/Release\/cpw_spawn\.node, built [^)]+\), but it does not load in this Node\.js \(.+\): /);
    expect(r.stderr).toContain(`: ${WITHOUT}`);
    expect(readFileSync(join(pkg, ADDON), 'utf8')).toBe('not an addon');
  });

  it('a rebuild that works replaces the addon built before (one that no longer loads here), and leaves nothing beside it', () => {
    const { pkg } = noCompiler();
    mkdirSync(join(pkg, 'native', 'spawn', 'build', 'Release'), { recursive: true });
    writeFileSync(join(pkg, ADDON), 'not an addon');
    const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'build-native.mjs')], { env: { HOME: makeTempHome().home, PATH: process.env.PATH!, npm_lifecycle_event: 'build:native' }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const loads = spawnSync(process.execPath, ['-e', 'const m = { exports: {} }; process.dlopen(m, process.argv[1]); console.log(typeof m.exports.spawn, typeof m.exports.socketConnect)', join(pkg, ADDON)], { encoding: 'utf8' });
    expect([loads.stdout, loads.stderr]).toEqual(['function function\n', '']);
    expect(readdirSync(join(pkg, 'native'))).toEqual(['spawn']);
  });
});
