// Timing helpers of the benchmark: medians, percentiles, commands timed in
// alternation (so a shared machine's load swings hit every command alike), and
// one way to print a figure with its target and verdict.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { restartLog } from '../scripts/throwaway-keyring.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(root, 'bin/cpw-vault.cjs');
export const RUNS = Number(process.env.BENCH_RUNS ?? 21);
export const HF = `hf_${'Bench'.repeat(7)}`;
export const TMDB = '00112233445566778899aabbccddeeff';
/** Debian's interpreter, where python3-keyring is installed (a pyenv python3 on PATH would not have it). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** How often the keeper has started gnome-keyring-daemon again in this session (scripts/throwaway-keyring.mjs). */
function keyringRestarts() {
  try {
    return readFileSync(restartLog(), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Whether the daemon was started again since `count` (waiting for the keeper to notice), and then answers. */
function restartedSince(count) {
  for (let end = Date.now() + 10_000; keyringRestarts() === count; pause(100)) if (Date.now() > end) return false;
  for (let end = Date.now() + 20_000; Date.now() < end; pause(100)) {
    if (String(spawnSync('secret-tool', ['lookup', 'service', 'cpw-vault-probe', 'account', 'probe'], { timeout: 5000 }).stdout) === 'ok') break;
  }
  return true;
}

/**
 * One timed run of a command (ms); throws when it fails. A run that failed
 * because gnome-keyring-daemon died under it (its upstream abort, see
 * scripts/throwaway-keyring.mjs; one such death ended a whole bench run) is
 * timed again once the keeper has started it again, at most twice.
 */
export function once({ argv, input, env = process.env }, attempt = 1) {
  const before = keyringRestarts();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { input, env, stdio: ['pipe', 'ignore', 'pipe'] });
  if (r.status !== 0) {
    if (attempt < 3 && restartedSince(before)) {
      process.stderr.write(`bench: gnome-keyring-daemon was started again under a run of ${argv.slice(1, 3).join(' ')}; timing it again\n`);
      return once({ argv, input, env }, attempt + 1);
    }
    throw new Error(`${argv.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 300)}`);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Medians of several commands timed round-robin after warm-up rounds, each
 * round starting one command later (A B C, B C A, C A B, ...). `before` (untimed) runs before each timed run of a command.
 */
export function interleaved(commands, { runs = RUNS, warmup = 2 } = {}) {
  const samples = commands.map(() => []);
  for (let i = 0; i < runs + warmup; i++) {
    // Each round starts one command further on: a command's place in the round (right after a heavy or a light one)
    // otherwise shows up in its figure (measured: up to 15% on this machine).
    for (let j = 0; j < commands.length; j++) {
      const k = (i + j) % commands.length;
      const c = commands[k];
      c.before?.();
      const ms = once(c);
      if (i >= warmup) samples[k].push(ms);
    }
  }
  return samples.map(median);
}

/** Median and p99 of `n` timings (ms) of an async in-process call. */
export async function timeAsync(n, fn) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { median: median(samples), p99: percentile(samples, 99) };
}

/** Prints one figure: name, time, ratio (to what `base` names) and the verdict against `target`. */
export function row(name, ms, ratio, target) {
  const verdict = target === undefined ? '' : ratio <= target ? `meets <= ${target}` : `MISSES <= ${target}`;
  const r = ratio === undefined ? '' : `${ratio.toFixed(2)}x`;
  console.log(`  ${name.padEnd(58)} ${ms.toFixed(1).padStart(9)} ms ${r.padStart(7)}  ${verdict}`);
}

export function section(title) {
  console.log(`\n${title}`);
}

/** The CLI as a command description. */
export function cpw(args, options = {}) {
  return { argv: [process.execPath, BIN, ...args], ...options };
}
