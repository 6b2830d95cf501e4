#!/usr/bin/env node
// `npm run screenshots`: runs the end-to-end tests with CPW_SCREENSHOTS set, so
// each scenario also saves its screens into docs/screenshots/ (1280x800).
// `npm test` leaves it unset and never rewrites a PNG.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const child = spawn(process.execPath, [join(root, 'scripts/test.mjs'), 'tests/e2e', ...process.argv.slice(2)], {
  cwd: root,
  env: { ...process.env, CPW_SCREENSHOTS: 'docs/screenshots' },
  stdio: 'inherit',
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
