#!/usr/bin/env node
'use strict';
// The `cpw-vault` command: a thin launcher. `get` and `env` (called in loops
// by pipelines) load a small bundle of their own; every other command the full CLI.
const argv = process.argv.slice(2);
const { main } = argv[0] === 'get' || argv[0] === 'env' ? require('../dist/fast.cjs') : require('../dist/cli.cjs');

main(argv).then(
  (code) => process.exit(code),
  () => {
    process.stderr.write('cpw-vault: internal error\n');
    process.exit(1);
  },
);
