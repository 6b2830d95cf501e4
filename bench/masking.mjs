// Masking throughput of exec on a stage printing 100 MiB.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, DEBIAN_PYTHON, HF, TMDB, median, root, section } from './lib.mjs';

// A stage that prints 100 MiB: 128-byte log lines in 64 KiB writes, the token once per write
// (so the masker replaces 1,600 occurrences), as a verbose pipeline stage might.
const STAGE_100MB = `
import os, sys
line = (b"frame 000123 transcribed: the quick brown fox jumps over the lazy dog, segment ok " * 2)[:127] + b"\\n"
tok = os.environ["HF_TOKEN"].encode()
chunk = line * 511 + (b"token " + tok + b" " * 128)[:127] + b"\\n"
out = sys.stdout.buffer
for _ in range(1600):
    out.write(chunk)
out.flush()
`;
const MIB_100 = 100 * 1024 * 1024;

/** Median wall time (ms) of a shell command line writing to /dev/null (not a terminal: masking on by default). */
function timeShell(line, runs) {
  const once = () => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('sh', ['-c', `${line} > /dev/null`], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, STAGE: STAGE_100MB } });
    if (r.status !== 0) throw new Error(`${line} exited ${r.status}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  once();
  return median(Array.from({ length: runs }, once));
}

/** The streaming masker alone, in this process: 100 MiB of the stage's output in 64 KiB chunks. */
async function maskerAlone(runs) {
  const { build } = await import('esbuild');
  const out = join(process.env.HOME, 'masker.mjs');
  const contents = "export { StreamMasker, maskPatterns } from './shared/node/masking/stream-masker'; export { buildAutomaton } from './shared/node/masking/automaton';";
  await build({ stdin: { contents, resolveDir: root, loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error' });
  const { StreamMasker, maskPatterns, buildAutomaton } = await import(pathToFileURL(out).href);
  const line = Buffer.from(`${'frame 000123 transcribed: the quick brown fox jumps over the lazy dog, segment ok '.repeat(2).slice(0, 127)}\n`);
  const chunk = Buffer.concat([...Array(511).fill(line), Buffer.from(`${`token ${HF}${' '.repeat(128)}`.slice(0, 127)}\n`)]);
  const once = () => {
    const masker = new StreamMasker(buildAutomaton(maskPatterns([HF, TMDB])));
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 1600; i++) masker.push(chunk);
    masker.end();
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  once();
  return median(Array.from({ length: runs }, once));
}

/** Masking throughput: the 100 MiB stage alone, under exec --no-mask, and under exec with masking. */
export async function masking() {
  const runs = Number(process.env.BENCH_MASK_RUNS ?? 5);
  const exec = `"${process.execPath}" "${BIN}" exec --workflow transcribe --no-history`;
  const stage = `${DEBIAN_PYTHON} -c "$STAGE"`;
  const r = {
    alone: timeShell(`HF_TOKEN=${HF} ${stage}`, runs),
    unmasked: timeShell(`${exec} --no-mask -- ${stage}`, runs),
    masked: timeShell(`${exec} -- ${stage}`, runs),
    masker: await maskerAlone(runs),
  };
  const mbps = (ms) => `${(MIB_100 / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
  section(`Masking: a stage printing 100 MiB (1,600 token occurrences) to /dev/null, medians of ${runs} runs`);
  const row = (name, ms) => console.log(`${name.padEnd(44)} ${ms.toFixed(0).padStart(8)} ms ${mbps(ms).padStart(10)}`);
  row('the stage alone', r.alone);
  row('cpw-vault exec --no-mask', r.unmasked);
  row('cpw-vault exec (masked)', r.masked);
  row('the masker alone, in-process (no pipes)', r.masker);
  console.log(`masking overhead on 100 MiB: ${(r.masked - r.unmasked).toFixed(0)} ms (${(r.masked / r.unmasked).toFixed(2)}x exec --no-mask)`);
}

