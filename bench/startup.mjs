// P1-P3 of the performance issue: what a pipeline stage pays per command.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, DEBIAN_PYTHON, HF, RUNS, TMDB, cpw, interleaved, root, row, section } from './lib.mjs';

const TWO_HOURS_AGO = () => new Date(Date.now() - 2 * 3600_000);

/** A HOME of its own with the keys of the subtitle workflow (the keychain namespace is shared: the default profile). */
function home(name) {
  const dir = join(process.env.HOME, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const env = { ...process.env, HOME: dir };
  const cli = (args, input) => execFileSync(process.execPath, [BIN, ...args], { input, env, stdio: ['pipe', 'pipe', 'ignore'] });
  cli(['set', 'huggingface', 'token'], HF);
  cli(['set', 'tmdb', 'api_key'], TMDB);
  cli(['get', 'huggingface', 'token']);
  cli(['get', 'tmdb', 'api_key']);
  return { dir, env, cli, profile: join(dir, '.cp-whisperx', 'user.profile'), usage: join(dir, '.cp-whisperx', 'usage') };
}

/** A history of `n` finished runs, and preferences that keep them all (no compaction during the benchmark). */
function withHistory(h, n) {
  const doc = JSON.parse(readFileSync(h.profile, 'utf8'));
  doc.preferences = { ...doc.preferences, history_max_runs: Math.max(500, n * 2), history_max_age_days: 36500 };
  writeFileSync(h.profile, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  // Written once more by cpw-vault, as every profile of a user's is: the hand-written one left its lookup copy (the index
  // a read goes by) stale, so every exec of these homes fell back to the profile itself, as no real user's does.
  h.cli(['profile', 'set', 'name=Bench']);
  const line = (i) => JSON.stringify({ op: 'start', run: { id: `r${i}`, workflow: 'transcribe', program: 'stage', credentials: ['huggingface.token'], status: 'succeeded', exit_code: 0, signal: null, started_at: new Date(Date.now() - (n - i) * 60_000).toISOString(), finished_at: null, duration_ms: 1000 } });
  writeFileSync(join(h.dir, '.cp-whisperx', 'runs.jsonl'), n ? `${Array.from({ length: n }, (_, i) => line(i)).join('\n')}\n` : '', { mode: 0o600 });
}

export async function startup() {
  const h = home('startup');
  const floorScript = join(h.dir, 'keytar-floor.cjs');
  // The floor: a bare script that only loads keytar and reads one item, as `cpw-vault get` must.
  writeFileSync(floorScript, `require(${JSON.stringify(join(root, 'node_modules/keytar'))}).getPassword(${JSON.stringify(process.env.CPW_KEYCHAIN_SERVICE)}, 'huggingface.token').then((v) => process.stdout.write(v))`);
  const due = (...ids) => () => ids.forEach((id) => utimesSync(join(h.usage, id), TWO_HOURS_AGO(), TWO_HOURS_AGO()));
  execFileSync(DEBIAN_PYTHON, ['-c', `import keyring; keyring.set_password('cpw-bench', 'acct', '${HF}')`]);

  section('P1: the first read of a stage (its last use recorded > 1 minute ago), vs the keytar floor, in alternation');
  const [node, floor, getDue, envDue, getFresh, secretTool, python] = interleaved([
    { argv: [process.execPath, '-e', '0'] },
    { argv: [process.execPath, floorScript] },
    cpw(['get', 'huggingface', 'token'], { env: h.env, before: due('huggingface.token') }),
    cpw(['env', '--workflow', 'subtitle'], { env: h.env, before: due('huggingface.token', 'tmdb.api_key') }),
    cpw(['get', 'huggingface', 'token'], { env: h.env }),
    { argv: ['secret-tool', 'lookup', 'service', process.env.CPW_KEYCHAIN_SERVICE, 'account', 'huggingface.token'] },
    { argv: [DEBIAN_PYTHON, '-c', "import keyring; keyring.get_password('cpw-bench', 'acct')"] },
  ]);
  row('node -e 0 (baseline)', node, node / floor);
  row('bare node + keytar getPassword (the floor)', floor, 1);
  row('cpw-vault get, first read of a stage (use due)', getDue, getDue / floor, 1.05);
  row('cpw-vault env --workflow subtitle, first read (uses due)', envDue, envDue / floor, 1.05);
  row('cpw-vault get, read again within the minute', getFresh, getFresh / floor);
  row('secret-tool lookup (C, for reference)', secretTool, secretTool / floor);
  row('python3 keyring get (python3-keyring, for reference)', python, python / floor);

  section(`P2: exec --workflow transcribe -- true, vs get, with 0 / 500 / 50,000 runs recorded (medians of ${2 * RUNS})`);
  const homes = [0, 500, 50_000].map((n) => {
    const hh = home(`exec-${n}`);
    withHistory(hh, n);
    return hh;
  });
  // exec's own floor: what Node itself pays to read one item and run a child, with nothing of cpw-vault.
  const execFloorScript = join(h.dir, 'keytar-exec-floor.cjs');
  writeFileSync(execFloorScript, `require(${JSON.stringify(join(root, 'node_modules/keytar'))}).getPassword(${JSON.stringify(process.env.CPW_KEYCHAIN_SERVICE)}, 'huggingface.token').then((v) => require('node:child_process').spawn('true', [], { stdio: ['inherit', 'pipe', 'pipe'], env: { ...process.env, HF_TOKEN: v } }).on('exit', (c) => process.exit(c)))`);
  // The same with the stage started as exec starts it on Linux: posix_spawn, by the addon (native/spawn).
  const addon = join(root, 'native/spawn/build/Release/cpw_spawn.node');
  const nativeFloorScript = join(h.dir, 'keytar-exec-floor-native.cjs');
  writeFileSync(nativeFloorScript, `const m = { exports: {} }; process.dlopen(m, ${JSON.stringify(addon)}); require(${JSON.stringify(join(root, 'node_modules/keytar'))}).getPassword(${JSON.stringify(process.env.CPW_KEYCHAIN_SERVICE)}, 'huggingface.token').then((v) => { const env = Object.entries({ ...process.env, HF_TOKEN: v }).map(([k, x]) => k + '=' + x); const pid = m.exports.spawn('true', ['true'], env, [0, 1, 2], () => process.exit(m.exports.reap(pid))); })`);
  const native = existsSync(addon);
  // Twice the runs: exec's target is a few ms from its figure, and a median of 21 moved its ratio by
  // ±0.025 between runs of the same code here.
  const [get2, execFloor, ...rest] = interleaved([
    cpw(['get', 'huggingface', 'token'], { env: h.env }),
    { argv: [process.execPath, execFloorScript] },
    ...(native ? [{ argv: [process.execPath, nativeFloorScript] }] : []),
    ...homes.map((hh) => cpw(['exec', '--workflow', 'transcribe', '--', 'true'], { env: hh.env })),
  ], { runs: 2 * RUNS });
  const nativeFloor = native ? rest.shift() : undefined;
  const execs = rest;
  row('cpw-vault get huggingface token', get2, 1);
  row('bare node + keytar getPassword + spawn true (exec\'s floor)', execFloor, execFloor / get2);
  if (nativeFloor !== undefined) row('the same, true started by posix_spawn (the addon exec uses)', nativeFloor, nativeFloor / get2);
  else console.log('  (native/spawn not built: exec starts its stages with Node\'s spawn; npm run build:native)');
  [0, 500, 50_000].forEach((n, i) => row(`cpw-vault exec -- true, ${n.toLocaleString('en')} runs recorded`, execs[i], execs[i] / get2, 1.15));
  console.log(`  exec (0 runs) / its floor: ${(execs[0] / execFloor).toFixed(2)}x${nativeFloor === undefined ? '' : `; / the posix_spawn floor: ${(execs[0] / nativeFloor).toFixed(2)}x`}`);
  const flat = Math.max(...execs) / Math.min(...execs);
  console.log(`  exec at 50,000 runs / at 0: ${(execs[2] / execs[0]).toFixed(2)}x; largest / smallest: ${flat.toFixed(2)}x (flat when <= 1.10: ${flat <= 1.1 ? 'meets' : 'MISSES'})`);

  section('P3: list, check, which, doctor, vs get, in alternation');
  const [get3, list, check, which, doctor] = interleaved([
    cpw(['get', 'huggingface', 'token'], { env: h.env }),
    cpw(['list'], { env: h.env }),
    cpw(['check', 'subtitle'], { env: h.env }),
    cpw(['which', 'huggingface', 'token'], { env: h.env }),
    cpw(['doctor'], { env: h.env }),
  ]);
  row('cpw-vault get huggingface token', get3, 1);
  row('cpw-vault list', list, list / get3, 1.3);
  row('cpw-vault check subtitle', check, check / get3, 1.3);
  row('cpw-vault which huggingface token', which, which / get3, 1.3);
  row('cpw-vault doctor', doctor, doctor / get3, 1.3);
}
