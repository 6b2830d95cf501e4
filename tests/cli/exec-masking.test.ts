import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { inPrivateSession, LOCK_KEYCHAIN } from '../helpers/private-session';
import { secretReads } from '../helpers/secret-reads';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'Mask'.repeat(9)}`;
const TMDB = '0123456789abcdef0123456789abcdef';
const OPENAI = `sk-proj-${'m'.repeat(40)}`;
const DEEPL = 'deepl-secret-4242';
const PTY = resolve(import.meta.dirname, '../helpers/pty_drive.py');

/** A Python stage that prints the token whole, split across writes, byte by byte, JSON-escaped and partly, on one fd. */
const PRINTER = `
import os, sys, time, json, urllib.parse
t = os.environ["HF_TOKEN"].encode()
other = open(sys.argv[1], "rb").read() if len(sys.argv) > 1 else b""
for fd in (1, 2):
    w = lambda b: os.write(fd, b)
    w(b"whole: " + t + b"\\n")
    w(b"split: " + t[:10]); time.sleep(0.05); w(t[10:] + b" end\\n")
    w(b"bytes: ")
    for i in range(len(t)): w(t[i:i + 1])
    w(b"\\n")
    w(b"json: " + json.dumps({"token": t.decode()}).encode() + b"\\n")
    w(b"url: " + urllib.parse.quote(t.decode()).encode() + b"\\n")
    w(b"partly: " + t[:12] + b"...\\n")
    w(b"twice: " + t + t + b"\\n")
    if other: w(b"other stored value: " + other + b"\\n")
`;

/** What PRINTER's output becomes once masked: the token only, each occurrence (or run of them) one ****. */
function expected(withOther: boolean): string {
  return `whole: ****\nsplit: **** end\nbytes: ****\njson: {"token": "****"}\nurl: ****\npartly: ${HF.slice(0, 12)}...\ntwice: ********\n${withOther ? 'other stored value: ****\n' : ''}`;
}

async function stored(t: TempHome): Promise<void> {
  await cli(t, ['set', 'huggingface', 'token'], { input: HF });
  await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB });
  await cli(t, ['set', 'deepl', 'api_key'], { input: DEEPL });
}

const countOf = (text: string, needle: string) => text.split(needle).length - 1;

describe('exec: least privilege', () => {
  it("the child gets only the workflow's credentials; every other inherited one is removed; the run record names both", async () => {
    const t = makeTempHome();
    await stored(t);
    await cli(t, ['profile', 'prefs', 'set', 'ai_provider=anthropic', 'default_source_language=de', 'enable_cost_tracking=false']);
    const dump = join(t.root, 'env.json');
    const parent = { TMDB_API_KEY: TMDB, OPENAI_API_KEY: OPENAI, ANTHROPIC_API_KEY: `sk-ant-${'p'.repeat(30)}`, DEEPL_API_KEY: DEEPL, OPENAI_ORG_ID: 'org-abcdef123', UNRELATED: 'kept' };
    const script = `import json, os; json.dump({k: os.environ.get(k) for k in ${JSON.stringify(['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', ...Object.keys(parent), 'CPW_AI_PROVIDER', 'CPW_SOURCE_LANGUAGE', 'CPW_COST_TRACKING'])}}, open(${JSON.stringify(dump)}, "w"))`;
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'python3', '-c', script], { env: parent });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    // A stage that then fails is told what was taken from it (names only): one that read a key from the shell breaks
    // under exec otherwise without a word (the upgrade pass: the first versions passed it on).
    const failed = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'test -n "$OPENAI_API_KEY"'], { env: parent });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe("note: exec removed TMDB_API_KEY, OPENAI_API_KEY, ANTHROPIC_API_KEY, DEEPL_API_KEY from the stage's environment: transcribe does not use tmdb.api_key, openai.api_key, anthropic.api_key, deepl.api_key. If the stage needs one: a workflow that uses it, or --inherit-secrets.\n");
    expect(JSON.parse(readFileSync(dump, 'utf8'))).toEqual({
      HF_TOKEN: HF, HUGGING_FACE_HUB_TOKEN: HF, TMDB_API_KEY: null, OPENAI_API_KEY: null, ANTHROPIC_API_KEY: null, DEEPL_API_KEY: null,
      OPENAI_ORG_ID: 'org-abcdef123', UNRELATED: 'kept', CPW_AI_PROVIDER: 'anthropic', CPW_SOURCE_LANGUAGE: 'de', CPW_COST_TRACKING: '0',
    });
    const inherit = await cli(t, ['exec', '--workflow', 'transcribe', '--inherit-secrets', '--', 'python3', '-c', script], { env: { ...parent, CPW_SOURCE_LANGUAGE: 'fr' } });
    expect(inherit.code).toBe(0);
    expect(JSON.parse(readFileSync(dump, 'utf8'))).toMatchObject({ TMDB_API_KEY: TMDB, OPENAI_API_KEY: OPENAI, DEEPL_API_KEY: DEEPL, CPW_SOURCE_LANGUAGE: 'fr' });
    const [second, , first] = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs;
    expect(first).toMatchObject({ credentials: ['huggingface.token'], stripped: ['tmdb.api_key', 'openai.api_key', 'anthropic.api_key', 'deepl.api_key'], inherited: [] });
    expect(second).toMatchObject({ credentials: ['huggingface.token'], stripped: [], inherited: ['tmdb.api_key', 'openai.api_key', 'anthropic.api_key', 'deepl.api_key'] });
  });

  // An exported but empty variable overrode what exec gives: CPW_VAULT_BIN= left a Python stage with no cpw-vault
  // (CLI_NOT_FOUND), CPW_SOURCE_LANGUAGE= with no language, though HF_TOKEN= already counted as unset.
  it('an empty or blank CPW_VAULT_BIN or preference counts as unset, as an empty credential does; a set one still wins', async () => {
    const t = makeTempHome();
    await stored(t);
    await cli(t, ['profile', 'prefs', 'set', 'ai_provider=google', 'default_source_language=en', 'enable_cost_tracking=true']);
    const names = ['CPW_VAULT_BIN', 'CPW_AI_PROVIDER', 'CPW_SOURCE_LANGUAGE', 'CPW_COST_TRACKING', 'HF_TOKEN'];
    // The stage prints each variable, then runs the cpw-vault that CPW_VAULT_BIN names, as the Python package does.
    const stage = `for n in ${names.join(' ')}; do eval "printf '%s=[%s]\\n' $n \\"\\$$n\\""; done; eval "$CPW_VAULT_BIN --version" >/dev/null && echo ran`;
    const blank = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', stage], { env: { CPW_VAULT_BIN: '', CPW_AI_PROVIDER: ' ', CPW_SOURCE_LANGUAGE: '', CPW_COST_TRACKING: '\t', HF_TOKEN: '' } });
    expect(blank.code, blank.stderr).toBe(0);
    expect(blank.stdout).toBe(`CPW_VAULT_BIN=['${process.execPath}' '${BIN}']\nCPW_AI_PROVIDER=[google]\nCPW_SOURCE_LANGUAGE=[en]\nCPW_COST_TRACKING=[1]\nHF_TOKEN=[****]\nran\n`);
    const wrapper = join(t.root, 'my-cpw-vault');
    writeFileSync(wrapper, `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
    const set = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', stage], { env: { CPW_VAULT_BIN: wrapper, CPW_AI_PROVIDER: 'openai', CPW_SOURCE_LANGUAGE: 'fr', CPW_COST_TRACKING: '0' } });
    expect(set.stdout).toBe(`CPW_VAULT_BIN=[${wrapper}]\nCPW_AI_PROVIDER=[openai]\nCPW_SOURCE_LANGUAGE=[fr]\nCPW_COST_TRACKING=[0]\nHF_TOKEN=[****]\nran\n`);
  });

  // Under --profile, a stage's own cpw-vault calls (as the Python package makes them, through CPW_VAULT_BIN) read the
  // default profile, the user's main vault: exec gave no CPW_PROFILE, and CPW_VAULT_BIN carries no --profile.
  it('under --profile, the stage gets that profile (absolute) as CPW_PROFILE, over one the shell exported: its own reads read it', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: '0123456789abcdef0123456789abcdef' })).code).toBe(0);
    const team = join(t.cwd, 'team.profile');
    expect((await cli(t, ['--profile', 'team.profile', 'set', 'huggingface', 'token'], { input: HF })).code).toBe(0);
    expect((await cli(t, ['--profile', 'team.profile', 'set', 'tmdb', 'api_key'], { input: 'fedcba9876543210fedcba9876543210' })).code).toBe(0);
    const stage = 'printf "%s\\n" "$CPW_PROFILE"; cd / && eval "$CPW_VAULT_BIN get tmdb api_key" | cut -c1-6';
    const r = await cli(t, ['--profile', 'team.profile', 'exec', '--workflow', 'transcribe', '--no-mask', '--', 'sh', '-c', stage], { env: { CPW_PROFILE: join(t.root, 'other.profile') } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${team}\nfedcba\n`);
    // Without --profile, the shell's CPW_PROFILE (or none) is the stage's, as before.
    const plain = await cli(t, ['exec', '--workflow', 'transcribe', '--no-mask', '--', 'sh', '-c', 'printf "[%s]\\n" "${CPW_PROFILE-unset}"'], { env: { HF_TOKEN: HF } });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toBe('[unset]\n');
  });
});

/** A stage's wait, in sh: until the reader has gone (the file "$0" names exists). */
const UNTIL_GONE = 'while [ ! -e "$0" ]; do sleep 0.01; done';

/**
 * Runs `stage` (a shell word list; `$GONE` names the reader's "I have gone" file, `$n` the round's entry of
 * `rounds`) under `exec` (empty: directly) once per round, into a reader that reads one line, closes its end and
 * then says so; returns bash's result, stdout the exit statuses ("141 0 ..."). Over a named FIFO only the reader
 * ever opens for reading: in a shell pipeline the shell itself holds the read end from its fork of the reader until
 * it closes its copy, and on a loaded machine the stage's burst (after the reader left) was still taken by it:
 * a direct pipe said 0, once in 12 rounds.
 */
function readerLeaves(t: ReturnType<typeof makeTempHome>, exec: string, stage: string, rounds: readonly number[]) {
  const script = `GONE="$2"; FIFO="$3"; for n in ${rounds.join(' ')}; do
    rm -f "$GONE" "$FIFO"; mkfifo "$FIFO"
    ${exec} ${stage} > "$FIFO" & pid=$!
    ( head -1 >/dev/null; exec 0<&-; touch "$GONE" ) < "$FIFO"
    wait "$pid"; printf '%s ' "$?"; done`;
  return spawnSync('bash', ['-c', script, process.execPath, BIN, join(t.root, 'gone'), join(t.root, 'fifo')], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8', timeout: 120_000 });
}

describe('exec: masked output', () => {
  it('into a pipe: zero occurrences on stdout and stderr, including other stored values; everything else byte for byte', async () => {
    const t = makeTempHome();
    await stored(t);
    const other = join(t.root, 'other.txt');
    writeFileSync(other, DEEPL);
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'python3', '-c', PRINTER, other]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected(true));
    expect(r.stderr).toBe(expected(true));
    for (const v of [HF, DEEPL]) expect(countOf(r.stdout + r.stderr, v)).toBe(0);
    const runs = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs;
    expect(runs[0].masked).toBe(true);
  });

  it('into files (a shell redirect): the same; --no-mask writes the token through', async () => {
    const t = makeTempHome();
    await stored(t);
    const [out, err] = [join(t.root, 'out.log'), join(t.root, 'err.log')];
    const sh = (extra: string) => spawnSync('sh', ['-c', `"$0" "$1" exec --workflow transcribe ${extra} -- python3 -c "$2" > ${out} 2> ${err}`, process.execPath, BIN, PRINTER], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service } });
    expect(sh('').status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(expected(false));
    expect(readFileSync(err, 'utf8')).toBe(expected(false));
    expect(sh('--no-mask').status).toBe(0);
    expect(countOf(readFileSync(out, 'utf8'), HF)).toBe(7);
  });

  it('binary output passes unchanged; the exit code and a death by signal come through', async () => {
    const t = makeTempHome();
    await stored(t);
    const blob = join(t.root, 'blob.bin');
    const data = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('hf_Mas\0\xff'), Buffer.alloc(300_000, 0xa5), Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256))]);
    writeFileSync(blob, data);
    const child = spawn(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--', 'python3', '-c', `import sys; sys.stdout.buffer.write(open(${JSON.stringify(blob)}, "rb").read()); sys.stdout.flush(); sys.exit(7)`], {
      cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(7);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    const killed = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'python3', '-c', 'import os, signal; print("bye", flush=True); os.kill(os.getpid(), signal.SIGTERM)']);
    expect([killed.signal, killed.stdout]).toEqual(['SIGTERM', 'bye\n']);
  });

  it('a reader that goes away (| head) ends the run instead of hanging, with no EPIPE crash', async () => {
    const t = makeTempHome();
    await stored(t);
    const r = spawnSync('sh', ['-c', '"$0" "$1" exec --workflow transcribe -- yes "line of output" | head -n 2; echo "status done"', process.execPath, BIN], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout).toBe('line of output\nline of output\nstatus done\n');
    expect(r.stderr).not.toMatch(/EPIPE|Error|internal/);
  });

  // As without masking: the stage dies of SIGPIPE (exit 141, nothing said). It once got "Connection reset by peer"
  // (its stdout is a socket whose reader vanished with data unread), printed it and exited 1, recorded as failed.
  it('a reader that goes away ends the stage as a direct pipe would: SIGPIPE, exit 141, no error from the stage', async () => {
    const t = makeTempHome();
    await stored(t);
    const env = { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service };
    const direct = spawnSync('bash', ['-c', 'yes "line of output" | head -n 1; echo "status ${PIPESTATUS[0]}"'], { encoding: 'utf8', timeout: 30_000 });
    expect(direct.stdout).toBe('line of output\nstatus 141\n');
    for (const stage of [['yes', 'line of output'], ['sh', '-c', 'while :; do echo "line of output $HF_TOKEN"; done']]) {
      const r = spawnSync('bash', ['-c', '"$0" "$1" exec --workflow transcribe -- "${@:2}" | head -n 1; echo "status ${PIPESTATUS[0]}"', process.execPath, BIN, ...stage], { cwd: t.cwd, env, encoding: 'utf8', timeout: 30_000 });
      expect(r.stdout, stage.join(' ')).toMatch(/^line of output( \*\*\*\*)?\nstatus 141\n$/);
      expect(r.stderr, stage.join(' ')).toBe('');
    }
    const runs = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs;
    expect(runs[0]).toMatchObject({ exit_code: 141, signal: 'SIGPIPE' });
  });

  // A burst that fits in exec's pipe was all taken before exec's own write failed: the stage exited 0 before the
  // SIGPIPE sent to it, and exec said 0 (most runs at 60 kB) where a direct pipe kills the stage at that write.
  it('a burst written after the reader went away ends as a direct pipe would, though the stage exits before exec notices', async () => {
    const t = makeTempHome();
    await stored(t);
    const stage = `sh -c 'echo first; ${UNTIL_GONE}; exec head -c "$1" /dev/zero' "$GONE" "$n"`;
    const sizes = [1000, 60000, 100000, 1000, 60000, 100000, 1000, 60000, 100000, 60000, 60000, 60000];
    const all141 = '141 '.repeat(12);
    expect(readerLeaves(t, '', stage, sizes).stdout).toBe(all141);
    const masked = readerLeaves(t, '"$0" "$1" exec --workflow transcribe --', stage, sizes);
    expect([masked.stdout, masked.stderr]).toEqual([all141, '']);
    const runs = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs;
    expect(runs[0]).toMatchObject({ status: 'failed', exit_code: 141, signal: 'SIGPIPE' });
  }, 180_000);

  // The race above, made wide: the stage is still running (asleep) when exec's write fails. It alone wrote the burst
  // (it has no child), so a direct pipe would have killed it at that write; exec said its exit, 0. A wrapper whose
  // child wrote the burst, running on with a child, keeps its own exit, as with a direct pipe (the child alone dies).
  it('a burst after the reader left, from a stage still running: its sole writer ends by SIGPIPE; a wrapper keeps its exit', async () => {
    const t = makeTempHome();
    await stored(t);
    const stages: Array<[string, string]> = [
      ['python3 -c \'import os, signal, sys, time; signal.signal(signal.SIGPIPE, signal.SIG_DFL); print("first", flush=True)\nwhile not os.path.exists(sys.argv[1]): time.sleep(0.01)\nos.write(1, bytes(1000)); time.sleep(1)\' "$GONE"', '141'],
      [`sh -c 'echo first; ${UNTIL_GONE}; (head -c 1000 /dev/zero; sleep 1)' "$GONE"`, '0'],
    ];
    for (const [stage, status] of stages) {
      expect(readerLeaves(t, '', stage, [1, 2, 3]).stdout, stage).toBe(`${status} `.repeat(3));
      const masked = readerLeaves(t, '"$0" "$1" exec --workflow transcribe --', stage, [1, 2, 3]);
      expect([masked.stdout, masked.stderr], stage).toEqual([`${status} `.repeat(3), '']);
    }
  }, 120_000);

  it("a wrapper whose child's output the reader left runs on as with a direct pipe: its cleanup runs, its exit is its own", async () => {
    const t = makeTempHome();
    await stored(t);
    // seq gets the broken pipe (SIGPIPE) at its next write, as directly; exec used to send the wrapper itself SIGPIPE,
    // so the shell died before its cleanup (moving results, removing temp files) and exec said 141 for it.
    const stage = 'seq 1 300000; touch "$0"; exit 7';
    const once = (exec: string, mark: string) => spawnSync('bash', ['-c', `rm -f "$2"; ${exec} sh -c '${stage}' "$2" | head -1 >/dev/null; echo "\${PIPESTATUS[0]}"; [ -e "$2" ] && echo cleaned`, process.execPath, BIN, mark], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8', timeout: 60_000 });
    for (let i = 0; i < 5; i++) {
      expect(once('', join(t.root, 'direct')).stdout).toBe('7\ncleaned\n');
      const masked = once('"$0" "$1" exec --workflow transcribe --', join(t.root, 'masked'));
      expect([masked.stdout, masked.stderr]).toEqual(['7\ncleaned\n', '']);
    }
  }, 120_000);

  // The stored secrets besides the workflow's were read before the stage started, in the workflow's batch: each stage
  // waited for them (~1 ms with two stored, 1.6 with six), though most of a pipeline's stages print none of them.
  it('the other stored secrets are read at the stage\'s first byte on a masked stream, never for a silent stage, and masked', async () => {
    const t = makeTempHome();
    await stored(t);
    const stage = `printf '%s %s %s\\n' "$HF_TOKEN" ${TMDB} ${DEEPL}`;
    const reads = await secretReads(t, async () => {
      expect((await cli(t, ['exec', '--workflow', 'transcribe', '--', 'true'])).code).toBe(0);
      const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', stage]);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, '**** **** ****\n', '']);
    });
    // Each exec is a connection of its own: the silent one read the token alone; the other the token, then at its
    // first byte the three stored secrets.
    const bySender = [...new Set(reads.map((r) => r.sender))].map((s) => reads.filter((r) => r.sender === s).map((r) => r.items.length));
    expect(bySender).toEqual([[1], [1, 3]]);
  });

  it('secrets the keychain cannot give at the first byte are said, and the stage\'s own still masked', async () => {
    const t = makeTempHome();
    const seed = [`printf %s '${HF}' | '${process.execPath}' '${BIN}' set huggingface token`, `printf %s '${TMDB}' | '${process.execPath}' '${BIN}' set tmdb api_key`].join(' && ');
    // The stage locks the keychain before it prints: exec's read of the other stored secrets meets a locked keychain.
    const stage = `${LOCK_KEYCHAIN} && printf '%s %s\\n' "$HF_TOKEN" ${TMDB}`;
    const r = await inPrivateSession('unlocked', [process.execPath, BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', stage], { home: t, setup: seed });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`**** ${TMDB}\n`);
    expect(r.stderr).toMatch(/^warning: could not read the stored values to mask them in the output: The keychain is locked/m);
    expect(r.stderr).not.toContain(HF);
  });

  // The masking's warnings are said at the stage's first byte now, while it runs: one exec could not write (its stderr
  // a full disk, or a pipe whose reader is gone) crashed exec there, the stage's output cut short (its next write a
  // SIGPIPE), the run left "interrupted". Before the lazy read it was said before the stage started.
  it("a masking warning exec cannot write (stderr full, or its reader gone) neither ends exec nor cuts the stage's output short", async () => {
    const t = makeTempHome();
    await stored(t);
    const out = join(t.root, 'out');
    // A parent's credential variable too short to mask: its warning comes at the first byte. The stage's second line
    // waits until the first is in the file (exec is writing the stage's output by then).
    const stage = `echo "one $HF_TOKEN"; n=0; until grep -q one '${out}' || [ $n -ge 3000 ]; do sleep 0.01; n=$((n+1)); done; echo "two $HF_TOKEN"`;
    for (const stderr of ['2>/dev/full', '2> >(exit 0)']) {
      const script = `TMDB_API_KEY=abc "$0" "$1" exec --workflow transcribe -- sh -c '${stage.replace(/'/g, `'\\''`)}' > '${out}' ${stderr}; echo $?`;
      const r = spawnSync('bash', ['-c', script, process.execPath, BIN], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, encoding: 'utf8', timeout: 60_000 });
      expect([r.stdout, readFileSync(out, 'utf8')], stderr).toEqual(['0\n', 'one ****\ntwo ****\n']);
      const runs = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs as Array<{ status: string }>;
      expect(runs[0]?.status, stderr).toBe('succeeded');
    }
  }, 120_000);

  // process.stdout on a pipe is a socket over a new pipe handle, built when first read: it was read as the stage
  // started, though most stages print nothing on one of the two streams (~0.5 ms of `exec -- true`).
  it("exec does not build its stdout stream until the stage's first byte there", async () => {
    const t = makeTempHome();
    await stored(t);
    const probe = join(t.root, 'probe.cjs');
    const seen = join(t.root, 'seen');
    writeFileSync(probe, `
const d = Object.getOwnPropertyDescriptor(process, 'stdout');
let read = false;
Object.defineProperty(process, 'stdout', { configurable: true, enumerable: d.enumerable, get() { read = true; return d.get.call(process); } });
process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(seen)}, String(read)));
`);
    const env = { NODE_OPTIONS: `--require ${probe}` };
    for (const [stage, stdout, stderr, built] of [['true', '', '', 'false'], ['echo "$HF_TOKEN" >&2', '', '****\n', 'false'], ['echo "$HF_TOKEN"', '****\n', '', 'true']]) {
      const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', stage!], { env });
      expect([r.code, r.stdout, r.stderr, readFileSync(seen, 'utf8')], stage).toEqual([0, stdout, stderr, built]);
    }
  });
});

describe('exec on a terminal', () => {
  const progress = `
import os, sys, time
print("tty", sys.stdout.isatty(), sys.stderr.isatty(), flush=True)
for i in range(0, 101, 25):
    sys.stderr.write("\\r%3d%%|%s%s| token=%s" % (i, "#" * (i // 25), " " * (4 - i // 25), os.environ["HF_TOKEN"])); sys.stderr.flush(); time.sleep(0.02)
sys.stderr.write("\\n")
`;
  const drive = (t: TempHome, extra: string[]) => {
    const r = spawnSync('python3', [PTY, '[]', process.execPath, BIN, 'exec', '--workflow', 'transcribe', ...extra, '--', 'python3', '-c', progress], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 });
    return JSON.parse(r.stdout) as { screen: string; code: number };
  };

  it('the child keeps its TTY (tqdm works) and is not masked; --mask masks it and the \\r progress still streams', async () => {
    const t = makeTempHome();
    await stored(t);
    const plain = drive(t, []);
    expect(plain.code).toBe(0);
    expect(plain.screen).toMatch(/tty True True/);
    expect(plain.screen).toContain(`\r 50%|##  | token=${HF}`);
    const masked = drive(t, ['--mask']);
    expect(masked.code).toBe(0);
    expect(masked.screen).toMatch(/tty False False/);
    expect(masked.screen).toContain('\r  0%|    | token=****\r 25%|#   | token=****\r 50%|##  | token=****');
    expect(masked.screen).not.toContain(HF);
  });
});
