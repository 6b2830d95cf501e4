import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { makeTempHome, type TempHome } from '../helpers/temp';
import { startMain } from '../e2e/harness';

const HF = `hf_${'Wf3x'.repeat(9)}`;
const TMDB = '0123456789abcdef0123456789abcdef';

async function ready(t: TempHome, ...which: Array<'hf' | 'tmdb'>) {
  if (which.includes('hf')) await cli(t, ['set', 'huggingface', 'token'], { input: HF });
  if (which.includes('tmdb')) await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB });
}

describe('cpw-vault check', () => {
  it('exit 3 with fix lines when not ready, 0 when ready; --json is the structured status', async () => {
    const t = makeTempHome();
    await ready(t, 'hf');
    const no = await cli(t, ['check', 'subtitle']);
    expect(no.code).toBe(3);
    expect(no.stderr).toMatch(/✗ subtitle: not ready\n\s+missing: TMDB API key.*\n\s+fix: .* or run: cpw-vault set tmdb api_key\n/);
    await ready(t, 'tmdb');
    const yes = await cli(t, ['check', 'subtitle', '--json']);
    expect(yes.code).toBe(0);
    expect(JSON.parse(yes.stdout)).toMatchObject({ workflow: 'subtitle', ready: true, uses: ['huggingface.token', 'tmdb.api_key'], missing: [] });
    expect((await cli(t, ['check', 'transcode'])).code).toBe(2);
  });

  it('with no workflow named, checks the default workflow the user chose, and says which', async () => {
    const t = makeTempHome();
    await ready(t, 'hf');
    // None chosen yet: transcribe (the preference's default), which HF alone makes ready.
    const first = await cli(t, ['check']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('(your default workflow, transcribe; another: cpw-vault check <workflow>)\n✓ transcribe: ready');
    expect((await cli(t, ['profile', 'prefs', 'set', 'default_workflow=subtitle'])).code).toBe(0);
    for (const args of [['check'], ['check', '--json'], ['check', '--verify']]) {
      const r = await cli(t, args);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stderr, args.join(' ')).toMatch(/your default workflow, subtitle;[^\n]*\n✗ subtitle: not ready\n\s+missing: TMDB API key/);
      if (args.includes('--json')) expect(JSON.parse(r.stdout)).toMatchObject({ workflow: 'subtitle', ready: false });
    }
  });
});

describe('cpw-vault env', () => {
  it('prints every alias, quoted so the shell reads back exactly the value', async () => {
    const t = makeTempHome();
    await ready(t, 'hf', 'tmdb');
    const sh = await cli(t, ['env', '--workflow', 'subtitle']);
    expect(sh.code).toBe(0);
    expect(sh.stdout).toBe(`export HF_TOKEN='${HF}'\nexport HUGGING_FACE_HUB_TOKEN='${HF}'\nexport TMDB_API_KEY='${TMDB}'\n`);
    const echo = spawnSync('sh', ['-c', `${sh.stdout}\nprintf '%s|%s' "$HUGGING_FACE_HUB_TOKEN" "$TMDB_API_KEY"`], { encoding: 'utf8' });
    expect(echo.stdout).toBe(`${HF}|${TMDB}`);
    const json = await cli(t, ['env', '--workflow', 'subtitle', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual({ HF_TOKEN: HF, HUGGING_FACE_HUB_TOKEN: HF, TMDB_API_KEY: TMDB });
    const dotenv = await cli(t, ['env', '--workflow', 'transcribe', '--format', 'dotenv']);
    expect(dotenv.stdout).toBe(`HF_TOKEN='${HF}'\nHUGGING_FACE_HUB_TOKEN='${HF}'\n`);
    expect(JSON.parse((await cli(t, ['env', '--workflow', 'subtitle', '--json'])).stdout)).toEqual({ HF_TOKEN: HF, HUGGING_FACE_HUB_TOKEN: HF, TMDB_API_KEY: TMDB });
    expect(JSON.parse((await cli(t, ['env', '--workflow', 'subtitle', '--json', '--format', 'json'])).stdout)).toEqual({ HF_TOKEN: HF, HUGGING_FACE_HUB_TOKEN: HF, TMDB_API_KEY: TMDB });
    // Two outputs asked for (either order): refused, nothing printed but the error document.
    for (const args of [['--format', 'dotenv', '--json'], ['--json', '--format', 'sh']]) {
      const both = await cli(t, ['env', '--workflow', 'subtitle', ...args]);
      expect(both.code).toBe(2);
      expect(JSON.parse(both.stdout).error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/--json and --format (dotenv|sh) ask for two different outputs/) });
      expect(both.stdout + both.stderr).not.toContain(HF);
    }
  });

  it('quotes hostile values for sh: quotes, $, backticks, spaces survive literally', async () => {
    const t = makeTempHome();
    const nasty = `it's $HOME \`id\` "q" \\ end`;
    await cli(t, ['set', 'huggingface', 'token', '--force'], { input: nasty });
    const sh = await cli(t, ['env', '--workflow', 'transcribe']);
    const echo = spawnSync('sh', ['-c', `${sh.stdout}\nprintf '%s' "$HF_TOKEN"`], { encoding: 'utf8' });
    expect(echo.stdout).toBe(nasty);
    // Double-quoted (as dotenv once printed it), `$HOME` and `id` would expand when the file is sourced; no dotenv
    // quoting keeps a ' together with $ exact for every reader, so it is refused, naming the variable (issue 12).
    const dotenv = await cli(t, ['env', '--workflow', 'transcribe', '--format', 'dotenv']);
    expect(dotenv.code).toBe(2);
    expect(dotenv.stdout).toBe('');
    expect(dotenv.stderr).toContain('HF_TOKEN');
    expect(dotenv.stderr).not.toContain(nasty);
  });

  it('a workflow that is not ready: exit 3, nothing on stdout', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['env', '--workflow', 'summarize']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/WORKFLOW_NOT_READY.*OpenAI/s);
  });
});

describe('cpw-vault exec', () => {
  it('runs the command with every alias in its environment and returns its exit code', async () => {
    const t = makeTempHome();
    await ready(t, 'hf', 'tmdb');
    const out = join(t.root, 'seen.txt');
    const r = await cli(t, ['exec', '--workflow', 'subtitle', '--', 'sh', '-c', `printf '%s %s %s' "$HF_TOKEN" "$HUGGING_FACE_HUB_TOKEN" "$TMDB_API_KEY" > ${out}; exit 7`]);
    expect(r.code).toBe(7);
    expect(readFileSync(out, 'utf8')).toBe(`${HF} ${HF} ${TMDB}`);
  });

  it('refuses to start (exit 3) when the workflow is not ready', async () => {
    const t = makeTempHome();
    await ready(t, 'hf');
    const marker = join(t.root, 'started');
    const r = await cli(t, ['exec', '--workflow', 'subtitle', '--', 'touch', marker]);
    expect(r.code).toBe(3);
    expect(existsSync(marker)).toBe(false);
    expect(r.stderr).toContain('cpw-vault set tmdb api_key');
  });

  it('forwards SIGTERM to the child and returns the exit code the child chose', async () => {
    const t = makeTempHome();
    await ready(t, 'hf');
    const flag = join(t.root, 'ready');
    const child = spawn(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', `trap 'exit 42' TERM; touch ${flag}; while :; do sleep 0.05; done`], {
      cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const done = collect(child);
    for (let i = 0; i < 200 && !existsSync(flag); i++) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGTERM');
    expect((await done).code).toBe(42);
  });

  it('a SIGTERM that reaches exec the moment its stage starts is forwarded, never fatal to exec (50 runs)', async () => {
    const t = makeTempHome();
    await ready(t, 'hf');
    for (let i = 0; i < 20; i++) {
      // The stage's first act: signal its parent (exec) while exec is still right after the fork.
      const r = await cli(t, ['exec', '--workflow', 'transcribe', '--no-history', '--', 'sh', '-c', `trap 'exit 42' TERM; kill -TERM $PPID; while :; do sleep 0.05; done`]);
      expect(r.code, `run ${i + 1}: ${r.stderr}`).toBe(42);
    }
    // A busy stage ends on the signal the instant it gets it: exec, still looking whether the stage was gone already
    // (a signal it could not get ends exec itself), took that end for one and died of the signal (6 in 60 runs).
    for (let i = 0; i < 30; i++) {
      const r = await cli(t, ['exec', '--workflow', 'transcribe', '--no-history', '--', 'sh', '-c', `trap 'exit 42' TERM; kill -TERM $PPID; while :; do :; done`]);
      expect(r.code, `busy run ${i + 1}: ${r.stderr}`).toBe(42);
    }
  });

  it('no secret in /proc/<pid>/cmdline of cpw-vault or the child, nor in the run record', async () => {
    const t = makeTempHome();
    await ready(t, 'hf');
    const dump = join(t.root, 'cmdlines');
    const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', `cat /proc/$$/cmdline /proc/$PPID/cmdline > ${dump}`]);
    expect(r.code).toBe(0);
    const cmdlines = readFileSync(dump, 'utf8');
    expect(cmdlines).toContain('cpw-vault');
    expect(cmdlines).not.toContain(HF);
    const runs = await cli(t, ['runs', '--json']);
    expect(runs.stdout).not.toContain(HF);
    expect(readFileSync(join(t.home, '.cp-whisperx', 'runs.jsonl'), 'utf8')).not.toContain(HF);
  });
});

describe('cpw-vault runs', () => {
  it('records each exec (program without arguments, credentials by name), filters, shows, deletes and counts', async () => {
    const t = makeTempHome();
    await ready(t, 'hf');
    await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'exit 0']);
    await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'exit 3', 'secret-looking-arg']);
    await cli(t, ['exec', '--workflow', 'translate', '--', 'true']);
    await cli(t, ['exec', '--workflow', 'translate', '--no-history', '--', 'true']);
    const all = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs;
    expect(all).toHaveLength(3);
    expect(all[0]).toMatchObject({ workflow: 'translate', program: 'true', status: 'succeeded', exit_code: 0, credentials: ['huggingface.token'] });
    expect(all[1]).toMatchObject({ program: 'sh', status: 'failed', exit_code: 3 });
    expect(JSON.stringify(all)).not.toContain('secret-looking-arg');
    expect(all[1].finished_at >= all[1].started_at).toBe(true);
    const failed = JSON.parse((await cli(t, ['runs', '--status', 'failed', '--json'])).stdout).runs;
    expect(failed.map((r: { id: string }) => r.id)).toEqual([all[1].id]);
    expect(JSON.parse((await cli(t, ['runs', '--workflow', 'translate', '--json'])).stdout).runs).toHaveLength(1);
    const show = await cli(t, ['runs', 'show', all[1].id, '--json']);
    expect(JSON.parse(show.stdout).id).toBe(all[1].id);
    const stats = JSON.parse((await cli(t, ['runs', 'stats', '--json'])).stdout);
    expect(stats).toMatchObject({ total: 3, by_status: { succeeded: 2, failed: 1, pending: 0, running: 0 }, by_workflow: { transcribe: { total: 2, succeeded: 1, failed: 1 } } });
    expect(stats.success_rate).toBeCloseTo(2 / 3);
    expect((await cli(t, ['runs', 'delete', all[1].id])).code).toBe(0);
    expect(JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs).toHaveLength(2);
    expect((await cli(t, ['runs', 'show', 'ffffffffffff'])).code).toBe(2);
    // A prefix too short to be taken is said to be one, not "No run with that id" for a run listed above.
    for (const command of ['show', 'delete']) {
      const short = await cli(t, ['runs', command, all[0].id.slice(0, 3)]);
      expect(short.code).toBe(2);
      expect(short.stderr).toContain('A run id prefix needs at least 4 characters.');
    }
    expect((await cli(t, ['runs', 'show', all[0].id.slice(0, 4)])).code).toBe(0);
    expect((await cli(t, ['runs', '--status', 'weird'])).code).toBe(2);
    // The list's filters before a subcommand were ignored: stats counted every run, delete deleted the run named.
    const kept = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs;
    for (const args of [['runs', '--workflow', 'translate', 'stats'], ['runs', '--status', 'failed', 'delete', kept[0].id], ['runs', '--status', 'failed', 'show', kept[0].id]]) {
      const r = await cli(t, args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^error \[INVALID_ARGUMENT\] --(status|workflow) filters the run list \(cpw-vault runs\); runs (stats|delete|show) takes no/);
      expect(r.stdout).toBe('');
    }
    expect(JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs).toHaveLength(kept.length);
  });

  it('an exec killed with -9 while its stage runs: the run shows as interrupted, never running forever, and stays so; the open app announces it', async () => {
    const t = makeTempHome();
    await ready(t, 'hf');
    // The app's main process (real handlers and run watcher) is open meanwhile: nothing is written when exec dies.
    const main = startMain(t);
    await main.ready;
    const flag = join(t.root, 'started');
    const exec = spawn(process.execPath, [BIN, 'exec', '--workflow', 'transcribe', '--', 'sh', '-c', `touch ${flag}; sleep 30`], {
      cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    const done = collect(exec);
    const history = join(t.home, '.cp-whisperx', 'runs.jsonl');
    // The run is recorded once its stage runs: wait for both the stage and that line.
    for (let i = 0; i < 400 && !(existsSync(flag) && existsSync(history) && readFileSync(history, 'utf8').includes('"running"')); i++) await new Promise((r) => setTimeout(r, 25));
    const running = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs;
    expect(running.map((r: { status: string }) => r.status)).toEqual(['running']);
    expect(JSON.stringify(running)).not.toContain('owner');
    exec.kill('SIGKILL');
    await done;
    process.kill(-exec.pid!, 'SIGKILL'); // the orphaned stage (its own process group)
    const after = await cli(t, ['runs', '--json']);
    expect(JSON.parse(after.stdout).runs).toMatchObject([{ status: 'interrupted', exit_code: null, finished_at: null }]);
    expect(JSON.parse((await cli(t, ['runs', 'stats', '--json'])).stdout)).toMatchObject({ total: 1, by_status: { interrupted: 1, running: 0 }, success_rate: null });
    expect((await cli(t, ['runs'])).stdout).toMatch(/interrupted/);
    await expect.poll(() => main.notifications, { timeout: 30_000, interval: 100 }).toEqual([
      { title: 'transcribe: run interrupted', body: 'sh ran under a cpw-vault exec that was killed (or the machine restarted) before it could record how the run ended.' },
    ]);
    main.stop();
    // A later run leaves it interrupted.
    expect((await cli(t, ['exec', '--workflow', 'transcribe', '--', 'true'])).code).toBe(0);
    const both = JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs;
    expect(both.map((r: { status: string }) => r.status)).toEqual(['succeeded', 'interrupted']);
  });

  it('a history whose last line was cut short (a full disk) loses only that line: the next run is recorded whole', async () => {
    const t = makeTempHome();
    await ready(t, 'hf');
    await cli(t, ['exec', '--workflow', 'transcribe', '--', 'true']);
    const history = join(t.home, '.cp-whisperx', 'runs.jsonl');
    appendFileSync(history, '{"op":"start","run":{"id":"cut'); // a write cut short: no newline
    const exec = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'sh', '-c', 'exit 5']);
    expect(exec.code).toBe(5);
    const runs = await cli(t, ['runs', '--json']);
    const all = JSON.parse(runs.stdout).runs;
    expect(all).toHaveLength(2);
    expect(all[0]).toMatchObject({ program: 'sh', status: 'failed', exit_code: 5 });
    expect(runs.stderr).toContain('1 damaged line in');
  });
});

describe('cpw-vault profile', () => {
  it('sets fields, merges preferences, reports field errors (exit 2) and saves nothing on error', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['profile', 'set', 'name=Ada Lovelace', 'email=ada@example.com', 'timezone=Europe/London'])).code).toBe(0);
    expect((await cli(t, ['profile', 'prefs', 'set', 'ai_provider=anthropic', 'notifications.run_failed=false'])).code).toBe(0);
    const bad = await cli(t, ['profile', 'set', 'email=nope', 'timezone=Mars/Base', 'name=Changed']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/user\.email: must be an email address/);
    expect(bad.stderr).toMatch(/user\.timezone: must be an IANA time zone/);
    const shown = JSON.parse((await cli(t, ['profile', 'show', '--json'])).stdout);
    expect(shown.profile.user).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com', timezone: 'Europe/London' });
    expect(shown.profile.preferences).toMatchObject({ ai_provider: 'anthropic', notifications: { run_failed: false, run_finished: true } });
    const text = await cli(t, ['profile', 'show']);
    expect(text.stdout).toMatch(/name\s+Ada Lovelace/);
    expect((await cli(t, ['profile', 'prefs', 'set', 'enable_cost_tracking=maybe'])).stderr).toMatch(/preferences\.enable_cost_tracking: must be true or false/);
  });

  it('a field given twice is refused (exit 2), nothing saved: the last one was kept silently', async () => {
    const t = makeTempHome();
    const user = await cli(t, ['profile', 'set', 'email=ada@example.com', 'email=bob@example.com']);
    expect(user.code).toBe(2);
    expect(user.stderr).toMatch(/^error \[INVALID_ARGUMENT\] email is given twice: nothing was saved\.\nfix: Give email= once\.\n$/);
    const prefs = await cli(t, ['profile', 'prefs', 'set', 'history_max_runs=5', 'notifications.run_failed=false', 'history_max_runs=7']);
    expect(prefs.code).toBe(2);
    expect(prefs.stderr).toContain('history_max_runs is given twice');
    expect(existsSync(t.profile)).toBe(false);
  });

  // The errors name each field with its section (user.email, preferences.ai_provider): typed back as named, the field
  // was refused as "user.user is not an editable field" (preferences.preferences ...), nothing saved.
  it('a field typed as the errors name it (user.email=, preferences.ai_provider=) is that field', async () => {
    const t = makeTempHome();
    const bad = await cli(t, ['profile', 'set', 'email=nope']);
    expect(bad.stderr).toContain('user.email: must be an email address');
    const user = await cli(t, ['profile', 'set', 'user.email=ada@example.com', 'name=Ada']);
    expect(user.code, user.stderr).toBe(0);
    const prefs = await cli(t, ['profile', 'prefs', 'set', 'preferences.ai_provider=anthropic', 'preferences.notifications.run_failed=false']);
    expect(prefs.code, prefs.stderr).toBe(0);
    const { user: u, preferences: p } = JSON.parse((await cli(t, ['profile', 'show', '--json'])).stdout).profile;
    expect([u.email, u.name, p.ai_provider, p.notifications.run_failed]).toEqual(['ada@example.com', 'Ada', 'anthropic', false]);
    // Still one field under its two names.
    const twice = await cli(t, ['profile', 'set', 'user.name=Bob', 'name=Eve']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('name is given twice');
  });

  it('profile set timezone=us/pacific stores the alias as IANA spells it (US/Pacific), not as typed nor renamed', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['profile', 'set', 'timezone=us/pacific']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse((await cli(t, ['profile', 'show', '--json'])).stdout).profile.user.timezone).toBe('US/Pacific');
    expect(JSON.parse(readFileSync(t.profile, 'utf8')).user.timezone).toBe('US/Pacific');
    // The same zone typed again in another case changes nothing, and says so.
    const again = await cli(t, ['profile', 'set', 'timezone=us/PACIFIC']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('Nothing changed: that is already the profile value.');
  });

  it("exec summarize tells the stage the provider whose key it got: CPW_AI_PROVIDER said anthropic with only OPENAI_API_KEY given", async () => {
    const t = makeTempHome();
    expect((await cli(t, ['profile', 'prefs', 'set', 'ai_provider=anthropic'])).code).toBe(0);
    expect((await cli(t, ['set', 'openai', 'api_key'], { input: `sk-proj-${'Ai'.repeat(20)}` })).code).toBe(0);
    const shown = "import os; print(os.environ.get('CPW_AI_PROVIDER'), 'OPENAI_API_KEY' in os.environ, 'ANTHROPIC_API_KEY' in os.environ)";
    const r = await cli(t, ['exec', '--workflow', 'summarize', '--', 'python3', '-c', shown]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('openai True False');
    // With the preferred key stored too, the preference stands.
    expect((await cli(t, ['set', 'anthropic', 'api_key'], { input: `sk-ant-${'Bb'.repeat(20)}` })).code).toBe(0);
    expect((await cli(t, ['exec', '--workflow', 'summarize', '--', 'python3', '-c', shown])).stdout.trim()).toBe('anthropic False True');
  });

  it('--profile points every command at another file', async () => {
    const t = makeTempHome();
    const other = join(t.root, 'elsewhere', 'my.profile');
    expect((await cli(t, ['profile', 'set', 'name=Elsewhere', '--profile', other])).code).toBe(0);
    expect(JSON.parse(readFileSync(other, 'utf8')).user.name).toBe('Elsewhere');
    expect(existsSync(t.profile)).toBe(false);
    await cli(t, ['set', 'huggingface', 'token', '--profile', other], { input: HF });
    expect((await cli(t, ['get', 'huggingface', 'token', '--profile', other])).stdout).toBe(HF);
  });
});

describe('cpw-vault doctor and help', () => {
  it('doctor: 0 when healthy with path, mode, schema, keychain and workflows; 1 for a loose profile', async () => {
    const t = makeTempHome();
    await ready(t, 'hf');
    const ok = await cli(t, ['doctor', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, profile: { path: t.profile, mode: '0600', dir_mode: '0700', version: '2.0', problems: [] }, keychain: { ok: true } });
    expect(JSON.parse(ok.stdout).workflows.map((w: { workflow: string; ready: boolean }) => `${w.workflow}:${w.ready}`)).toEqual(['transcribe:true', 'translate:true', 'subtitle:false', 'diarize:true', 'summarize:false']);
    spawnSync('chmod', ['644', t.profile]);
    const loose = await cli(t, ['doctor']);
    expect(loose.code).toBe(1);
    expect(loose.stderr).toMatch(/PROFILE_PERMISSIONS .*0644.*\n\s+fix: Run: chmod 600/);
  });

  it('doctor with no profile at all says how to create one', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['doctor']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cpw-vault setup');
  });

  it.each([['get'], ['set'], ['delete'], ['list'], ['which'], ['check'], ['env'], ['exec'], ['runs'], ['doctor'], ['profile', 'set'], ['profile', 'show']])('%s --help shows usage and examples', async (...cmd) => {
    const r = await cli(makeTempHome(), [...cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: cpw-vault/);
    expect(r.stdout).toMatch(/Examples:\n {2}\$ cpw-vault/);
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    expect((await cli(makeTempHome(), ['frobnicate'])).code).toBe(2);
  });

  it('NO_COLOR: no escape codes anywhere', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['check', 'transcribe'], { env: { NO_COLOR: '1' } });
    expect(r.stderr).not.toMatch(/\u001b\[/);
  });
});

describe('cpw-vault with a locked keychain', () => {
  it('exits 4 with the reason and fix', async () => {
    const { inPrivateSession } = await import('../helpers/private-session');
    const t = makeTempHome();
    const r = await inPrivateSession('locked', [process.execPath, BIN, 'get', 'huggingface', 'token'], { home: t });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/KEYCHAIN_LOCKED.*\nfix: .*[Uu]nlock/s);
    const d = await inPrivateSession('locked', [process.execPath, BIN, 'doctor', '--json'], { home: t });
    expect(d.code).toBe(4);
    expect(JSON.parse(d.stdout).keychain).toMatchObject({ ok: false, code: 'KEYCHAIN_LOCKED' });
  });
});

describe('exec --with', () => {
  it('gives the stage a custom credential under its env var (no workflow names one); unset: exit 3, the stage not run', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const deepl = 'deepl-value-0123456789abcdef';
    expect((await cli(t, ['set', 'deepl', 'api_key', '--env-var', 'DEEPL_API_KEY'], { input: deepl })).code).toBe(0);
    const hash = "import hashlib, os; print(hashlib.sha256(os.environ.get('DEEPL_API_KEY', '').encode()).hexdigest())";
    const without = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'python3', '-c', hash]);
    expect(without.stdout.trim()).toBe(createHash('sha256').update('').digest('hex'));
    const given = await cli(t, ['exec', '--workflow', 'transcribe', '--with', 'deepl.api_key', '--', 'python3', '-c', hash]);
    expect(given.code, given.stderr).toBe(0);
    expect(given.stdout.trim()).toBe(createHash('sha256').update(deepl).digest('hex'));
    // Masked like any value, and recorded among the run's credentials.
    const printed = await cli(t, ['exec', '--workflow', 'transcribe', '--with', 'deepl.api_key', '--', 'printenv', 'DEEPL_API_KEY']);
    expect(printed.stdout).toBe('****\n');
    const runs = JSON.parse((await cli(t, ['runs', '--json'])).stdout) as { runs: Array<{ credentials: string[] }> };
    expect(runs.runs[0]!.credentials).toEqual(['huggingface.token', 'deepl.api_key']);
    const marker = join(t.root, 'ran');
    const missing = await cli(t, ['exec', '--workflow', 'transcribe', '--with', 'other.key', '--', 'touch', marker]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('other.key (--with) is not set; the stage was not started.');
    expect(existsSync(marker)).toBe(false);
    expect((await cli(t, ['exec', '--workflow', 'transcribe', '--with', 'deepl', '--', 'true'])).code).toBe(2);
  });

  // A typo of a catalog name: the fix was `cpw-vault set tmdb apikey`, which set refuses (a name one edit from a catalog
  // one), where get names the credential meant.
  it('a typo of a catalog credential (tmdb.apikey) is said to be one, with the name meant, as get says it', async () => {
    const t = makeTempHome();
    await cli(t, ['set', 'huggingface', 'token'], { input: HF });
    const marker = join(t.root, 'ran');
    const typo = await cli(t, ['exec', '--workflow', 'transcribe', '--with', 'tmdb.apikey', '--', 'touch', marker]);
    expect(typo.code).toBe(3);
    expect(typo.stderr).toContain('tmdb.apikey (--with) is not set; the stage was not started.');
    expect(typo.stderr).toContain('fix: Did you mean tmdb.api_key? Use: --with tmdb.api_key');
    expect(typo.stderr).not.toContain('cpw-vault set tmdb apikey');
    expect(existsSync(marker)).toBe(false);
  });
});
