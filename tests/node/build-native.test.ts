// scripts/build-native.mjs where the addon cannot be built (no compiler, make or Python: a slim container): the install
// goes on (exec uses Node's spawn), and the output says why in a few lines, without node-gyp's stack trace.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempHome } from '../helpers/temp';

const ROOT = resolve(import.meta.dirname, '../..');

/** A copy of what the package ships to build the addon, with a PATH holding only `node`. */
function noCompiler() {
  const root = makeTempHome().root;
  const pkg = join(root, 'pkg');
  mkdirSync(join(pkg, 'native', 'spawn'), { recursive: true });
  for (const f of ['native/spawn/binding.gyp', 'native/spawn/spawn.c', 'scripts/build-native.mjs']) cpSync(join(ROOT, f), join(pkg, f));
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
  const bin = join(root, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  return { pkg, env: { HOME: makeTempHome().home, PATH: bin } };
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
      expect(r.stderr).toContain("cpw-vault: native/spawn was not built (node-gyp exited 1): exec starts stages with Node's spawn");
      expect(r.stderr).not.toMatch(/^\s+at |gyp ERR! stack|gyp info/m);
      expect(existsSync(join(pkg, 'native', 'spawn', 'build', 'Release', 'cpw_spawn.node'))).toBe(false);
    });
  }
});
