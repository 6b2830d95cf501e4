'use strict';
// Loads one of the CLI's CommonJS bundles (dist/*.cjs) with V8's code cache
// for it when the build left one beside it (dist/<bundle>.cache, written by
// scripts/code-cache.mjs at `npm install`/build time, never at run time).
// The cache holds the bytecode of the functions a command runs, so a
// pipeline's `cpw-vault get` does not compile them again at every start
// (measured: ~15 ms of a ~120 ms get). Node 22 has module.enableCompileCache
// for this; Node 20 does not. V8 checks that a cache fits (its version, its
// flags, the source's length, and here its payload's checksum) and compiles
// normally when it does not, so a missing, stale or damaged cache costs the
// compile, never a wrong result.
const { closeSync, constants, fstatSync, openSync, readFileSync } = require('node:fs');
// The CommonJS loader, as `module`'s constructor: require('node:module') loads the public module around it (and
// the ES module loader's parts), ~15 KB of heap and ~0.2 ms of every command for nothing used here.
const Module = module.constructor;
const { dirname } = require('node:path');
const { setFlagsFromString } = require('node:v8');
const vm = require('node:vm');

/**
 * Runs `fn` with V8's code cache checksum on: a cache is written with the
 * checksum of its payload and read only when that checksum fits. Release
 * builds of V8 check only a cache's header by default, and a cache damaged
 * past it (a flipped bit on disk) crashed the process with a fatal error or
 * ran what it decoded. Off again after: the flag is part of V8's flag hash,
 * and left on it would make V8 refuse Node's own code cache of every built-in
 * loaded later (node:crypto, node:child_process: twice their load time).
 */
function withChecksum(fn) {
  setFlagsFromString('--verify-snapshot-checksum');
  try {
    return fn();
  } finally {
    setFlagsFromString('--no-verify-snapshot-checksum');
  }
}

/** The code of `file` as it is compiled (the CommonJS wrapper around it): the cache is only valid for this exact text. */
function wrapped(file) {
  return Module.wrap(readFileSync(file, 'utf8'));
}

/** Compiles `file` with `cachedData` (a Buffer, or undefined). */
function compile(file, cachedData) {
  const source = wrapped(file);
  const compileIt = () =>
    new vm.Script(source, {
      filename: file,
      cachedData,
      // No importModuleDynamically: the bundles have no import() (tests/cli/code-cache.test.ts checks), and the
      // option that would allow one is experimental in Node 20 (a warning on stderr).
    });
  return cachedData ? withChecksum(compileIt) : compileIt();
}

/** Runs a compiled bundle as the CommonJS module `file` and returns its exports. */
function run(script, file, parent) {
  const mod = new Module(file, parent);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  const req = (id) => mod.require(id);
  req.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  req.cache = Module._cache;
  req.main = require.main;
  Module._cache[file] = mod;
  script.runInThisContext().call(mod.exports, mod.exports, req, mod, file, dirname(file));
  mod.loaded = true;
  return mod.exports;
}

/** Largest cache read (the biggest bundle's is under 1 MB). */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

/** The cache `cache` when it is a regular file of a sane size; undefined otherwise (a fifo never blocks, a device is never read). */
function readCache(cache) {
  let fd;
  try {
    fd = openSync(cache, constants.O_RDONLY | constants.O_NONBLOCK);
    const s = fstatSync(fd);
    if (!s.isFile() || s.size > MAX_CACHE_BYTES) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The exports of the bundle `file` (an absolute path), through its code cache
 * when it fits: `cache`, or the one beside it (`<file>.cache`).
 */
function loadBundle(file, parent = module, cache = `${file}.cache`) {
  if (Module._cache[file]) return Module._cache[file].exports;
  return run(compile(file, readCache(cache)), file, parent);
}

/**
 * Build time: loads `file` without a cache, lets `warmUp(exports)` run the
 * commands whose functions should be in the cache, and returns the cache
 * (V8 includes every function compiled so far).
 */
async function produceCache(file, warmUp) {
  const script = compile(file, undefined);
  await warmUp(run(script, file, module));
  return withChecksum(() => script.createCachedData());
}

/** Tests: whether V8 accepted the cache `cache` of `file` (undefined: there is none). */
function cacheAccepted(file, cache = `${file}.cache`) {
  const cachedData = readCache(cache);
  return cachedData ? !compile(file, cachedData).cachedDataRejected : undefined;
}

module.exports = { loadBundle, produceCache, cacheAccepted };
