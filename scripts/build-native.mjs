#!/usr/bin/env node
// Builds native/spawn, exec's posix_spawn (shared/node/exec/native-spawn.ts), on `npm install` / `npm ci` (the
// package's install script) and on `npm run build:native` (exit 1 when it could not). Linux only. Never fails the
// install: without the addon, exec starts its stages with Node's spawn, as before (the same behaviour, a few
// milliseconds slower each).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const folder = join(root, 'native', 'spawn');

function nodeGyp() {
  // npm hands its own node-gyp to install scripts; run by hand, the one in node_modules.
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return undefined;
  }
}

if (process.platform === 'linux') {
  const gyp = nodeGyp();
  // Headers of the Node.js running this (no download: .npmrc says so for npm; run by hand, the same).
  const headers = dirname(dirname(process.execPath));
  const nodedir = process.env.npm_config_nodedir || (existsSync(join(headers, 'include', 'node', 'node_api.h')) ? headers : undefined);
  const r = gyp ? spawnSync(process.execPath, [gyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { cwd: folder, encoding: 'utf8' }) : undefined;
  if (!r || r.status !== 0) {
    const why = !gyp ? 'node-gyp not found' : r.error ? r.error.message : `node-gyp exited ${r.status}`;
    // What went wrong (the compiler's errors, node-gyp's ERR lines), without node-gyp's progress and its stack trace.
    const said = `${r?.stdout ?? ''}${r?.stderr ?? ''}`.split('\n').filter((line) => line.trim() && !/^gyp (info|http|verb|sill)|^gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(line));
    process.stderr.write(`${said.map((line) => `${line}\n`).join('')}\ncpw-vault: native/spawn was not built (${why}): exec starts stages with Node's spawn, a few milliseconds slower each. Once a C compiler, make, Python and Node's headers are there: npm run build:native\n`);
    // The install goes on; asked for by hand (npm run build:native), a build that did not happen is a failure.
    if (process.env.npm_lifecycle_event !== 'install') process.exitCode = 1;
  }
}
