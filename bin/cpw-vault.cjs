#!/usr/bin/env node
'use strict';
// The `cpw-vault` command: a thin launcher. The commands pipelines call in loops
// (get, env, list, which, check, exec), and doctor, load a small bundle of their
// own, which hands anything unusual to the full CLI; every other command loads
// the full CLI. Each bundle is loaded with the code cache the build made for it.
// SIGUSR1 ends the command as it ends any program. Node would start its inspector instead: a debugger on
// 127.0.0.1:9229, with no authentication, that any local user could attach to and read every secret in memory.
// A listener added and removed puts the default action back (libuv's handler replaced Node's, then SIG_DFL), so
// it works even while the main thread is busy. (Listeners of a prompt or of exec cancel or pass it on meanwhile.)
const noInspector = () => {};
process.on('SIGUSR1', noInspector);
process.off('SIGUSR1', noInspector);
const { join } = require('node:path');
const { loadBundle } = require('./load-bundle.cjs');

const argv = process.argv.slice(2);
const command = argv[0] === '--profile' ? argv[2] : argv[0];
const light = ['get', 'env', 'list', 'which', 'check', 'exec'].includes(command);
const bundle = light ? 'fast.cjs' : command === 'doctor' ? 'light-doctor.cjs' : 'cli.cjs';
// A stage's own read (get, env) and exec have caches of just the functions they run: smaller and quicker to load than
// the one of every light command (scripts/code-cache.mjs).
const cache = command === 'get' || command === 'env' ? 'fast.cjs.read.cache' : command === 'exec' ? 'fast.cjs.exec.cache' : `${bundle}.cache`;
const { main } = loadBundle(join(__dirname, '..', 'dist', bundle), module, join(__dirname, '..', 'dist', cache));

/**
 * Before any exit (a normal one, process.exit, an uncaught error), a
 * terminal that hung up while the command ran (a closed window, a dropped
 * ssh: exec outlives it until its stage ends; a prompt is cancelled by it) is
 * closed: Node 20 restores the terminal settings of stdio at exit and aborts
 * when that fails (nodejs/node#51519, fixed in later Node), which ended the
 * command with SIGABRT, a native stack on stderr and possibly a core dump
 * holding its secrets. Node skips a closed descriptor. Only character
 * devices that are not /dev/null-like (major 1) are asked, so the usual exit
 * loads nothing.
 */
process.on('exit', () => {
  const { closeSync, fstatSync } = require('node:fs');
  for (const fd of [0, 1, 2]) {
    try {
      const st = fstatSync(fd);
      if (st.isCharacterDevice() && ((st.rdev >> 8) & 0xfff) !== 1 && !require('node:tty').isatty(fd)) closeSync(fd);
    } catch {
      // closed already: nothing to restore
    }
  }
});

main(argv).then(
  (code) => process.exit(code),
  () => {
    process.stderr.write('cpw-vault: internal error\n');
    process.exit(1);
  },
);
