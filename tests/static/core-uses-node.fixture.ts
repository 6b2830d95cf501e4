// Compiled by tests/static/boundaries.test.ts with shared/core's settings: it must FAIL,
// proving that core code cannot reach Node APIs even if the lint rule were bypassed.
import { readFileSync } from 'node:fs';
export const x = readFileSync(process.argv[1] ?? '');
