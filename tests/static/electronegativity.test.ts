import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scan } from '../../scripts/electronegativity.mjs';
import { makeTempHome } from '../helpers/temp';

const severe = (findings: Array<Record<string, string>>) => findings.filter((f) => /^(HIGH|MEDIUM)$/i.test(f['severity'] ?? ''));

describe('Electronegativity over the built app', () => {
  it('finds no HIGH or MEDIUM issue in main, preload and renderer', async () => {
    const { findings, electronVersion } = await scan(resolve(import.meta.dirname, '../../dist/app'));
    expect(electronVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(severe(findings)).toEqual([]);
  });

  it('does find them in an insecure app (the scan really runs)', async () => {
    const t = makeTempHome();
    const dir = join(t.root, 'bad-app');
    mkdirSync(dir);
    writeFileSync(join(dir, 'main.js'), "const { BrowserWindow, shell } = require('electron');\nconst w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false } });\nw.webContents.on('will-navigate', (e, u) => shell.openExternal(u));\n");
    const ids = severe((await scan(dir)).findings).map((f) => f['issue']);
    expect(ids).toEqual(expect.arrayContaining(['CONTEXT_ISOLATION_JS_CHECK', 'SANDBOX_JS_CHECK', 'OPEN_EXTERNAL_JS_CHECK', 'PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK']));
  });
});
