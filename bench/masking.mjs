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

/**
 * Median wall time (ms) of a shell command line writing into a pipe (`| cat > /dev/null`: not a terminal, so exec
 * masks by default). Not straight to /dev/null: exec never masks that (nothing written there can be read back), and
 * the "masked" row measured exec unmasked.
 */
function timeShell(line, runs) {
  const once = () => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `${line} | cat > /dev/null`], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, STAGE: STAGE_100MB } });
    if (r.status !== 0) throw new Error(`${line} exited ${r.status}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  once();
  return median(Array.from({ length: runs }, once));
}

/** 64 KiB of Japanese subtitle text (a subtitle stage's output), for the NFKC comparison. */
const JAPANESE = (() => {
  const line = Buffer.from(`${'字幕 000123: 今日はいい天気ですね、（注）ではない文章。'.repeat(4).slice(0, 60)}\n`);
  return Buffer.concat(Array(Math.ceil(65536 / line.length)).fill(line)).subarray(0, 65536);
})();

/**
 * The streaming masker alone, in this process: 100 MiB of the stage's output in 64 KiB chunks; with `nfkc`, of
 * Japanese text, against decoding that text and normalizing it to NFKC alone (what masking a key printed in another
 * Unicode form, fullwidth ｈｆ＿..., would add per byte: see README, masking).
 */
async function maskerAlone(runs, nfkc = false) {
  const { build } = await import('esbuild');
  const out = join(process.env.HOME, 'masker.mjs');
  const contents = "export { StreamMasker, maskPatterns } from './shared/node/masking/stream-masker'; export { buildAutomaton } from './shared/node/masking/automaton';";
  await build({ stdin: { contents, resolveDir: root, loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error' });
  const { StreamMasker, maskPatterns, buildAutomaton } = await import(pathToFileURL(out).href);
  const line = Buffer.from(`${'frame 000123 transcribed: the quick brown fox jumps over the lazy dog, segment ok '.repeat(2).slice(0, 127)}\n`);
  const chunk = Buffer.concat([...Array(511).fill(line), Buffer.from(`${`token ${HF}${' '.repeat(128)}`.slice(0, 127)}\n`)]);
  const timed = (fn) => () => {
    const t0 = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const masked = (input) => timed(() => {
    const masker = new StreamMasker(buildAutomaton(maskPatterns([HF, TMDB])));
    for (let i = 0; i < 1600; i++) masker.push(input);
    masker.end();
  });
  const normalized = timed(() => {
    for (let i = 0; i < 1600; i++) JAPANESE.toString('utf8').normalize('NFKC');
  });
  const medianOf = (once) => (once(), median(Array.from({ length: runs }, once)));
  if (!nfkc) return medianOf(masked(chunk));
  return { masker: medianOf(masked(JAPANESE)), nfkc: medianOf(normalized) };
}

/** Masking throughput: the 100 MiB stage alone, under exec --no-mask, and under exec with masking. */
export async function masking() {
  const runs = Number(process.env.BENCH_MASK_RUNS ?? 5);
  // Stored here too: with BENCH_ONLY=masking no section before this one stored them, and every exec refused (exit 3).
  for (const [args, value] of [[['huggingface', 'token'], HF], [['tmdb', 'api_key'], TMDB]]) spawnSync(process.execPath, [BIN, 'set', ...args], { input: value, stdio: ['pipe', 'ignore', 'ignore'] });
  const exec = `"${process.execPath}" "${BIN}" exec --workflow transcribe --no-history`;
  const stage = `${DEBIAN_PYTHON} -c "$STAGE"`;
  const r = {
    alone: timeShell(`HF_TOKEN=${HF} ${stage}`, runs),
    unmasked: timeShell(`${exec} --no-mask -- ${stage}`, runs),
    masked: timeShell(`${exec} -- ${stage}`, runs),
    masker: await maskerAlone(runs),
  };
  const mbps = (ms) => `${(MIB_100 / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
  section(`Masking: a stage printing 100 MiB (1,600 token occurrences) into a pipe, medians of ${runs} runs`);
  const row = (name, ms) => console.log(`${name.padEnd(44)} ${ms.toFixed(0).padStart(8)} ms ${mbps(ms).padStart(10)}`);
  row('the stage alone', r.alone);
  row('cpw-vault exec --no-mask', r.unmasked);
  row('cpw-vault exec (masked)', r.masked);
  row('the masker alone, in-process (no pipes)', r.masker);
  console.log(`masking overhead on 100 MiB: ${(r.masked - r.unmasked).toFixed(0)} ms (${(r.masked / r.unmasked).toFixed(2)}x exec --no-mask)`);
  const j = await maskerAlone(runs, true);
  row('the masker alone, 100 MiB of Japanese text', j.masker);
  row('decoding it and normalizing to NFKC alone', j.nfkc);
  console.log(`NFKC of the output would add ${(j.nfkc / j.masker).toFixed(1)}x the masker's own time, before mapping matches back to the bytes printed`);
}

