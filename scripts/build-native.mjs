#!/usr/bin/env node
// Builds native/spawn (shared/node/native-addon.ts: exec's posix_spawn and masked-output reader, the keychain's D-Bus
// socket), on `npm install` / `npm ci` (the package's install script) and on `npm run build:native` (exit 1 when it
// could not). Linux only. Never fails the install: without the addon, exec starts its stages with Node's spawn and
// both sockets are node:net's, as before (the same behaviour, a few milliseconds slower each).
// Built in a folder of its own and moved into place only once built: node-gyp's `rebuild` first deletes build/, so a
// rebuild that failed (no compiler any more, a broken one) took the addon built before with it, and exec went on
// silently with Node's spawn. A failed build now keeps it, and says so.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const folder = join(root, 'native', 'spawn');
const ADDON = join('build', 'Release', 'cpw_spawn.node');

function nodeGyp() {
  // npm hands its own node-gyp to install scripts; run by hand, the one in node_modules.
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return undefined;
  }
}

/**
 * What each part the addon serves falls back to without it: the line named only exec's start (Node's spawn), yet the
 * keychain's D-Bus socket and exec's masked-output reader go without it too (node:net).
 */
const WITHOUT = "exec starts stages with Node's spawn and reads their masked output through node:net, and the keychain's D-Bus socket is node:net's: the same behaviour, a few milliseconds slower each.";

/** What the addon built before (if any) is to exec and the keychain now that no new one was built: said in one sentence. */
function keptOrNot() {
  const kept = join(folder, ADDON);
  if (!existsSync(kept)) return WITHOUT;
  const built = statSync(kept).mtime.toISOString();
  try {
    process.dlopen({ exports: {} }, kept);
    return `the addon built before is kept (native/spawn/${ADDON}, built ${built}): exec and the keychain go on using it.`;
  } catch (err) {
    const why = String(err?.message ?? err).split('\n')[0];
    return `the addon built before is kept (native/spawn/${ADDON}, built ${built}), but it does not load in this Node.js (${why}): ${WITHOUT}`;
  }
}

/** Runs node-gyp's rebuild in `work` (a copy of native/spawn's sources); the spawnSync result, or undefined without node-gyp. */
function rebuild(gyp, work) {
  // Headers of the Node.js running this (no download: .npmrc says so for npm; run by hand, the same).
  const headers = dirname(dirname(process.execPath));
  const nodedir = process.env.npm_config_nodedir || (existsSync(join(headers, 'include', 'node', 'node_api.h')) ? headers : undefined);
  for (const name of readdirSync(folder)) if (name !== 'build') cpSync(join(folder, name), join(work, name), { recursive: true });
  return spawnSync(process.execPath, [gyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { cwd: work, encoding: 'utf8' });
}

/** Puts the addon built in `work` in place of the one before: one rename, so an exec meanwhile loads the one or the other. */
function install(work) {
  mkdirSync(dirname(join(folder, ADDON)), { recursive: true });
  renameSync(join(work, ADDON), join(folder, ADDON));
}

if (process.platform === 'linux') {
  const gyp = nodeGyp();
  let r;
  let why = gyp ? undefined : 'node-gyp not found';
  if (gyp) {
    // Beside native/spawn (the same file system, for the rename), removed whatever happens.
    const work = mkdtempSync(join(root, 'native', '.spawn-build-'));
    try {
      r = rebuild(gyp, work);
      if (r.status === 0) install(work);
      else why = r.error ? r.error.message : `node-gyp exited ${r.status}`;
    } catch (err) {
      why = `${err?.code ?? 'error'} ${err?.message ?? err}`;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  if (why) {
    // What went wrong (the compiler's errors, node-gyp's ERR lines), without node-gyp's progress and its stack trace.
    const said = `${r?.stdout ?? ''}${r?.stderr ?? ''}`.split('\n').filter((line) => line.trim() && !/^gyp (info|http|verb|sill)|^gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(line));
    process.stderr.write(`${said.map((line) => `${line}\n`).join('')}\ncpw-vault: native/spawn was not built (${why}): ${keptOrNot()} Once a C compiler, make, Python and Node's headers are there: npm run build:native\n`);
    // The install goes on; asked for by hand (npm run build:native), a build that did not happen is a failure.
    if (process.env.npm_lifecycle_event !== 'install') process.exitCode = 1;
  }
}
