import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { RENDERER_GZIP_TARGET } from '../../scripts/build-app.mjs';
import { SCREENSHOTS } from '../e2e/harness';

const root = resolve(import.meta.dirname, '../..');

describe('rules the UI tests hold themselves to', () => {
  it('every text entry in the e2e tests types key by key: no fill() anywhere in tests/e2e', () => {
    const files = readdirSync(join(root, 'tests/e2e')).filter((f) => f.endsWith('.ts'));
    const hits = files.flatMap((f) => readFileSync(join(root, 'tests/e2e', f), 'utf8').split('\n').map((line, i) => [f, i + 1, line] as const).filter(([, , line]) => /\.fill\(/.test(line)));
    expect(hits).toEqual([]);
  });

  it('npm test never rewrites the screenshots: only `npm run screenshots` sets CPW_SCREENSHOTS', () => {
    const asked = process.env['CPW_SCREENSHOTS'];
    expect(SCREENSHOTS).toBe(asked ? resolve(root, asked) : undefined);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts.screenshots).toBe('node scripts/screenshots.mjs');
    expect(readFileSync(join(root, 'scripts/screenshots.mjs'), 'utf8')).toContain("CPW_SCREENSHOTS: 'docs/screenshots'");
  });

  it('every screenshot the README shows exists', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const shots = [...readme.matchAll(/\]\((docs\/screenshots\/[^)]+\.png)\)/g)].map((m) => m[1]!);
    expect(shots.length).toBeGreaterThan(8);
    for (const shot of shots) expect(existsSync(join(root, shot)), shot).toBe(true);
  });

  it(`the renderer's JavaScript stays within ${RENDERER_GZIP_TARGET / 1024} KB gzip`, () => {
    const gzip = gzipSync(readFileSync(join(root, 'dist/app/renderer/app.js')), { level: 9 }).length;
    expect(gzip).toBeLessThanOrEqual(RENDERER_GZIP_TARGET);
  });
});
