#!/usr/bin/env node
'use strict';
// The `cpw-vault` command: a thin launcher. The commands pipelines call in loops
// (get, env, list, which, check, exec), and doctor, load a small bundle of their
// own, which hands anything unusual to the full CLI; every other command loads
// the full CLI. Each bundle is loaded with the code cache the build made for it.
const { join } = require('node:path');
const { loadBundle } = require('./load-bundle.cjs');

const argv = process.argv.slice(2);
const command = argv[0] === '--profile' ? argv[2] : argv[0];
const light = ['get', 'env', 'list', 'which', 'check', 'exec'].includes(command);
const bundle = light ? 'fast.cjs' : command === 'doctor' ? 'light-doctor.cjs' : 'cli.cjs';
const { main } = loadBundle(join(__dirname, '..', 'dist', bundle));

main(argv).then(
  (code) => process.exit(code),
  () => {
    process.stderr.write('cpw-vault: internal error\n');
    process.exit(1);
  },
);
