// Parsers on their worst inputs (issue 12): a 1 MiB .env line built against
// the old inline-comment regex, 1 MiB of such lines, 100,000 `[`, and 1 MiB
// JSON sources. Each must parse (or be refused) in well under a second: the
// same code runs synchronously in Electron main's migration plan, where a
// slow parse freezes the app. The ratio is the share of one second; target 0.25.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, root, row, section } from './lib.mjs';

const MIB = 1024 * 1024;

async function parsers() {
  const { build } = await import('esbuild');
  const out = join(process.env.HOME ?? root, 'parsers.mjs');
  const contents = "export { parseJsonSource } from './shared/core/migration-sources'; export { parseDotenv } from './shared/core/dotenv-source'; export { parseJson } from './shared/core/json';";
  await build({ stdin: { contents, resolveDir: root, loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error', mainFields: ['module', 'main'] });
  return import(pathToFileURL(out).href);
}

/** Median ms of `fn` over `runs` runs (after one warm-up). */
function time(fn, runs) {
  fn();
  return median(Array.from({ length: runs }, () => {
    const t0 = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t0) / 1e6;
  }));
}

/** Parse times of the .env and JSON parsers on 1 MiB worst cases. */
export async function parserFigures() {
  const runs = Number(process.env.BENCH_PARSER_RUNS ?? 7);
  const { parseDotenv, parseJsonSource, parseJson } = await parsers();
  const refused = (fn) => () => {
    try {
      fn();
    } catch {
      // a clear refusal is the expected outcome here
    }
  };
  const line = `A=x${' '.repeat(MIB - 8)}y`;
  const lines = `A=x${' '.repeat(200)}y\n`.repeat(Math.floor(MIB / 205));
  const brackets = '['.repeat(100_000);
  const wide = JSON.stringify(Object.fromEntries(Array.from({ length: 18_000 }, (_, i) => [`service${i}_api_key`, `${i}`.padStart(32, '0')])));
  const deepOk = `{"a": [${Array.from({ length: Math.floor(MIB / 140) }, () => `${'['.repeat(60)}${']'.repeat(60)}`).join(',')}]}`;
  const oldRegex = (text) => text.replace(/\s+#.*$/, '');
  const oldLine = `x${' '.repeat(20 * 1024)}y`;

  section(`Parsers on 1 MiB worst cases (median of ${runs}). .env: ratio = share of one second, target <= 0.25`);
  for (const [name, ms] of [
    ['.env: one 1 MiB line "A=x<spaces>y"', time(() => parseDotenv('.env', line), runs)],
    ['.env: 1 MiB of 205-byte lines "A=x<200 spaces>y"', time(() => parseDotenv('.env', lines), runs)],
    ['JSON: 100,000 "[" (refused: nested deeper than 64)', time(refused(() => parseJsonSource('deep.json', brackets)), runs)],
  ]) row(name, ms, ms / 1000, 0.25);
  // A full parse in JS (line/column errors that never quote the text, duplicate keys) against V8's native
  // JSON.parse of the same text: on a loaded machine both slow down alike, so the ratio is the figure to read.
  console.log('  JSON accepted: ratio = our parse / JSON.parse of the same text, target <= 10');
  for (const [name, text, parse] of [
    [`JSON: ${(deepOk.length / MIB).toFixed(2)} MiB of 60-deep arrays`, deepOk, parseJson],
    [`JSON: ${(wide.length / MIB).toFixed(2)} MiB secrets.json, 18,000 keys`, wide, parseJson],
  ]) {
    const ours = time(() => parse(text), runs);
    const native = time(() => JSON.parse(text), runs);
    row(name, ours, ours / native, 10);
  }
  // For scale: the regex the .env parser used before, on a line 50x shorter (quadratic: 1 MiB took minutes).
  const before = time(() => oldRegex(oldLine), 1);
  row('before: /\\s+#.*$/ on a 20 KiB line (for scale)', before, before / 1000);
}
