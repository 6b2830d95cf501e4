#!/usr/bin/env node
// Runs Electronegativity over the built app (dist/app: main, preload, renderer)
// with -e set to the installed Electron version and every check but the
// online security-fixes one, writes its CSV, and fails on any HIGH or MEDIUM
// finding (the tool itself exits 0 on findings).
//
// Why not its CLI: @doyensec/electronegativity 1.10's bin requires an
// undeclared `commander` (v2 API) and breaks on the commander 14 this project
// hoists; its runner is called here with the options the CLI would pass for
//   electronegativity -i dist/app -e <version> -x AvailableSecurityFixesGlobalCheck -o <csv>
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Rows of the CSV report as objects keyed by its (lower-cased) header. */
function parseCsv(text) {
  const [header, ...lines] = text.trim().split('\n');
  if (!header) return [];
  const split = (line) => (line.match(/("([^"]|"")*"|[^,]*)(,|$)/g) ?? []).map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"'));
  const columns = split(header).map((c) => c.trim().toLowerCase());
  return lines.filter(Boolean).map((line) => {
    const cells = split(line);
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']));
  });
}

/** Runs the scan; resolves to the findings (CSV rows: severity, check, file, location). */
export async function scan(input = join(root, 'dist/app')) {
  const electronVersion = require('electron/package.json').version;
  const base = dirname(require.resolve('@doyensec/electronegativity/package.json'));
  const load = (file) => {
    const mod = require(join(base, 'dist', file));
    return mod.default ?? mod;
  };
  // Sets up its messages (it also tries to fetch newer translations: 1 s timeout, harmless offline).
  const quietInit = console.log;
  console.log = () => {};
  try {
    await load('locales/i18n.js')();
  } finally {
    console.log = quietInit;
  }
  const run = load('runner.js');
  const output = join(mkdtempSync(join(tmpdir(), 'electronegativity-')), 'report.csv');
  const quiet = console.log;
  console.log = () => {};
  let result;
  try {
    result = await run({
      input, output, isSarif: false, customScan: [], excludeFromScan: ['availablesecurityfixesglobalcheck'],
      severitySet: undefined, confidenceSet: undefined, isRelative: true, isVerbose: false, electronUpgrade: undefined,
      electronVersionOverride: electronVersion, parserPlugins: [],
    }, false);
  } finally {
    console.log = quiet;
  }
  // The tool writes its CSV without waiting for the write: wait until it is complete, then parse it.
  const expected = result.issues.length;
  let findings = [];
  for (let i = 0; i < 100; i++) {
    findings = parseCsv(existsSync(output) ? readFileSync(output, 'utf8') : '');
    if (findings.length >= expected) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (findings.length !== expected) throw new Error(`electronegativity reported ${expected} issue(s) but its CSV holds ${findings.length}`);
  const fatal = result.errors.filter((e) => !e.tolerable);
  if (fatal.length) throw new Error(`electronegativity could not analyse: ${fatal.map((e) => `${e.file}: ${e.message}`).join('; ')}`);
  return { electronVersion, output, findings };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { electronVersion, output, findings } = await scan(process.argv[2]);
  const bad = findings.filter((f) => /^(HIGH|MEDIUM)$/i.test(f.severity));
  for (const f of findings) console.log(`${f.severity.padEnd(13)} ${f.issue ?? f['issue type'] ?? ''} ${f.filename ?? ''}:${f.location ?? ''}`);
  console.log(`electronegativity (Electron ${electronVersion}): ${findings.length} finding(s), ${bad.length} HIGH/MEDIUM; CSV: ${output}`);
  process.exit(bad.length ? 1 : 0);
}
