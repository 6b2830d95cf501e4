#!/usr/bin/env node
'use strict';
// The `cpw-vault` command: a thin launcher. `get` (called in loops by
// pipelines) loads a small bundle of its own; every other command the full CLI.
const argv = process.argv.slice(2);
const { main } = argv[0] === 'get' ? require('../dist/get.cjs') : require('../dist/cli.cjs');

main(argv).then(
  (code) => process.exit(code),
  () => {
    process.stderr.write('cpw-vault: internal error\n');
    process.exit(1);
  },
);
