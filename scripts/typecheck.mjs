#!/usr/bin/env node
// Type-checks each folder with its own tsconfig, so each folder is checked
// against the runtime it may use (renderer: DOM, no Node; shared/core: neither).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const projects = ['shared/core', 'shared', 'electron', 'renderer', 'tests'].filter((p) => existsSync(`${p}/tsconfig.json`));
let failed = 0;
for (const project of projects) {
  const r = spawnSync(process.execPath, [tsc, '-p', project, '--noEmit'], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`typecheck: ${project} has type errors`);
  }
}
console.error(`typecheck: ${projects.length - failed} of ${projects.length} projects clean`);
process.exit(failed ? 1 : 0);
