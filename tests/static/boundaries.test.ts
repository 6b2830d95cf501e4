import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

async function lintAs(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: resolve(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('folder boundaries (STYLE.md §1)', () => {
  it('the whole tree lints clean', async () => {
    const eslint = new ESLint({ cwd: root });
    const results = await eslint.lintFiles(['.']);
    const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.ruleId}: ${m.message}`));
    expect(problems).toEqual([]);
  });

  it.each([
    ['shared/core/x.ts', "import { readFileSync } from 'node:fs';"],
    ['shared/core/x.ts', "import fs from 'fs';"],
    ['shared/core/x.ts', "import { ProfileStore } from '../node/profile-store';"],
    ['renderer/x.ts', "import { ProfileStore } from '../shared/node/profile-store';"],
    ['renderer/x.ts', "import { ipcRenderer } from 'electron';"],
    ['renderer/x.ts', "import path from 'node:path';"],
    ['electron/preload/x.ts', "import { readFileSync } from 'node:fs';"],
    ['shared/node/x.ts', "import { app } from 'electron';"],
  ])('%s may not: %s', async (file, code) => {
    expect(await lintAs(file, code)).not.toEqual([]);
  });

  it.each([
    ['renderer/x.ts', "import { CATALOG } from '../shared/core/catalog';"],
    ['shared/node/x.ts', "import { readFileSync } from 'node:fs';"],
    ['electron/preload/x.ts', "import { contextBridge } from 'electron';"],
  ])('%s may: %s', async (file, code) => {
    expect(await lintAs(file, code)).toEqual([]);
  });

  it('every folder type-checks against its own runtime (core: no Node types, renderer: no Node types)', () => {
    const r = spawnSync(process.execPath, [resolve(root, 'scripts/typecheck.mjs')], { cwd: root, encoding: 'utf8' });
    expect(r.stdout + r.stderr).not.toMatch(/error TS/);
    expect(r.status).toBe(0);
  }, 300_000); // five tsc runs: half a minute alone, several on a loaded 2-core machine

  it('shared/core does not compile against Node APIs', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const dir = mkdtempSync(join(process.env['CPW_TEST_ROOT'] ?? tmpdir(), 'tsc-'));
    const config = join(dir, 'tsconfig.json');
    writeFileSync(config, JSON.stringify({ extends: resolve(root, 'shared/core/tsconfig.json'), include: [resolve(root, 'tests/static/core-uses-node.fixture.ts')] }));
    const r = spawnSync(process.execPath, [tsc, '-p', config], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/Cannot find (module 'node:fs'|name 'process')/);
  });
});
