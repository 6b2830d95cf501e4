// The run history judges a run that never got its end recorded: interrupted
// when the exec that ran it is certainly gone, running while it may live.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootId, pidNamespace } from '../../shared/node/profile/owner';
import { openServices } from '../../shared/node/open';
import { RunHistory, type RunRecord } from '../../shared/node/records/run-history';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { makeTempHome, type TempHome } from '../helpers/temp';

const bounds = () => ({ maxRuns: 500, maxAgeDays: 90 });

function history() {
  const t = makeTempHome();
  const path = join(t.home, 'runs.jsonl');
  const warnings: string[] = [];
  return { path, warnings, runs: new RunHistory(path, { dedicatedDir: true, bounds, warn: (m) => warnings.push(m) }) };
}

/** A pid that was alive a moment ago and is not now. */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

const started = (id: string, owner: unknown, status = 'running'): string =>
  `${JSON.stringify({ op: 'start', run: { id, workflow: 'transcribe', program: 'stage', credentials: [], status, exit_code: null, signal: null, started_at: new Date().toISOString(), finished_at: null, duration_ms: null, owner } })}\n`;

describe('runs whose exec never recorded the end', () => {
  it('a run started by this process stays running, and its owner is recorded in the file but never shown', async () => {
    const { path, runs } = history();
    const run = await runs.start({ workflow: 'transcribe', program: 'stage', credentials: [], status: 'running' }, new Date());
    expect(runs.list().map((r) => r.status)).toEqual(['running']);
    expect(JSON.parse(readFileSync(path, 'utf8')).run.owner).toEqual({ pid: process.pid, host: hostname(), boot: bootId(), pidns: pidNamespace() });
    expect(pidNamespace()).toMatch(/^pid:\[\d+\]$/);
    expect(Object.keys(runs.get(run.id))).not.toContain('owner');
    await runs.update(run.id, { status: 'succeeded', exit_code: 0 });
    expect(runs.list().map((r) => r.status)).toEqual(['succeeded']);
  });

  it('dead pid here, or any pid of an earlier boot: interrupted; alive, another host or pid namespace, or no owner at all: as recorded', () => {
    const { path, runs } = history();
    const here = { host: hostname(), boot: bootId() };
    appendFileSync(path, started('dead', { pid: deadPid(), ...here }));
    appendFileSync(path, started('pending-dead', { pid: deadPid(), ...here }, 'pending'));
    appendFileSync(path, started('old-boot', { pid: process.pid, host: here.host, boot: 'another-boot' }));
    appendFileSync(path, started('alive', { pid: process.pid, ...here }));
    appendFileSync(path, started('elsewhere', { pid: deadPid(), host: `${here.host}-other`, boot: 'x' }));
    appendFileSync(path, started('unowned', undefined));
    // A container with a pid namespace of its own, on this host and boot: its pids are not ours to probe.
    appendFileSync(path, started('container', { pid: deadPid(), ...here, pidns: 'pid:[1]' }));
    appendFileSync(path, started('container-hostile', { pid: deadPid(), ...here, pidns: 4026531836 }));
    appendFileSync(path, started('dead-same-ns', { pid: deadPid(), ...here, pidns: pidNamespace() }));
    const status = Object.fromEntries(runs.list().map((r: RunRecord) => [r.id, r.status]));
    expect(status).toEqual({
      dead: 'interrupted', 'pending-dead': 'interrupted', 'old-boot': 'interrupted', alive: 'running', elsewhere: 'running', unowned: 'running',
      container: 'running', 'container-hostile': 'running', 'dead-same-ns': 'interrupted',
    });
    expect(runs.stats()).toMatchObject({ total: 9, by_status: { interrupted: 4, running: 5 }, success_rate: null });
  });

  it('hostile owners (pid 0, negative, huge, strings, arrays) are never signalled and leave the run as recorded', () => {
    const { path, runs } = history();
    const here = { host: hostname(), boot: bootId() };
    const owners = [{ pid: 0, ...here }, { pid: -1, ...here }, { pid: 2 ** 60, ...here }, { pid: '1', ...here }, [process.pid], 'me', { pid: 1 }];
    owners.forEach((owner, i) => appendFileSync(path, started(`h${i}`, owner)));
    expect(runs.list().map((r) => r.status)).toEqual(owners.map(() => 'running'));
  });

  it('a hand-edited line nested 200,000 deep (in the owner, the credentials, a patch) is skipped, said to be no run event: list, JSON, stats and compaction still work', async () => {
    const { path, runs, warnings } = history();
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    appendFileSync(path, started('ok0001', { pid: process.pid, host: hostname(), boot: bootId() }));
    appendFileSync(path, started('deep01', 'X').replace('"owner":"X"', `"owner":${deep}`));
    appendFileSync(path, started('deep02', undefined).replace('"credentials":[]', `"credentials":${deep}`));
    appendFileSync(path, `{"op":"update","id":"ok0001","patch":{"stripped":${deep}}}\n`);
    expect(runs.list().map((r) => r.id)).toEqual(['ok0001']);
    expect(JSON.parse(JSON.stringify(runs.list()))).toMatchObject([{ id: 'ok0001', status: 'running' }]);
    expect(runs.stats()).toMatchObject({ total: 1 });
    expect(warnings.join('\n')).toMatch(/3 lines in .* skipped: JSON that is no run event .*nested too deep/);
    await runs.compact();
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    expect(runs.list().map((r) => r.id)).toEqual(['ok0001']);
  });

  it('a live pid that started after the run did is not its exec (a recycled pid): interrupted; the exec itself: running', async () => {
    const { path, runs } = history();
    const here = { host: hostname(), boot: bootId() };
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
    try {
      await new Promise((ready) => other.once('spawn', ready));
      const run = (id: string, pid: number, startedAt: Date) =>
        `${JSON.stringify({ op: 'start', run: { id, workflow: 'transcribe', program: 'stage', credentials: [], status: 'running', exit_code: null, signal: null, started_at: startedAt.toISOString(), finished_at: null, duration_ms: null, owner: { pid, ...here } } })}\n`;
      const hourAgo = new Date(Date.now() - 3_600_000);
      appendFileSync(path, run('reused', other.pid!, hourAgo)); // its exec died; the pid now names a process started since
      appendFileSync(path, run('mine', process.pid, new Date())); // this process started before its run
      appendFileSync(path, run('mine-old', process.pid, new Date(Date.now() - 1_000)));
      const status = Object.fromEntries(runs.list().map((r: RunRecord) => [r.id, r.status]));
      expect(status).toEqual({ reused: 'interrupted', mine: 'running', 'mine-old': 'running' });
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('compaction writes an interrupted run as interrupted: a recycled pid cannot make it running again', async () => {
    const { path, runs } = history();
    const pid = deadPid();
    appendFileSync(path, started('dead', { pid, host: hostname(), boot: bootId() }));
    await runs.compact();
    expect(JSON.parse(readFileSync(path, 'utf8')).run).toMatchObject({ id: 'dead', status: 'interrupted' });
    // The same pid alive again (here: rewritten to this process's) changes nothing.
    writeFileSync(path, readFileSync(path, 'utf8').replace(`"pid":${pid}`, `"pid":${process.pid}`));
    expect(runs.list().map((r) => r.status)).toEqual(['interrupted']);
  });
});

describe('the history and audit trail the first versions wrote', () => {
  // Found by the upgrade pass: the first versions kept runs.json and audit.log beside any profile; a named profile's are
  // now <name>.runs.jsonl / <name>.audit.log, so its history and audit trail were gone after the upgrade, unsaid.
  const legacyRun = (id: string, started_at: string, status = 'succeeded') => ({ id, workflow: 'transcribe', program: 'stage', credentials: [], status, exit_code: status === 'succeeded' ? 0 : null, signal: null, started_at, finished_at: null, duration_ms: null });
  const audit = (event: string) => `${JSON.stringify({ ts: '2026-11-20T10:00:00.000Z', event, caller: 'cli', credential: 'huggingface.token' })}\n`;
  const open = async (t: TempHome, profilePath: string) => openServices({ homeDir: t.home, cwd: t.cwd, env: {}, profilePath, secrets: new MemorySecretStore(), caller: 'cli', warn: () => {} });

  it('a named profile in a project folder keeps them: runs listed in start order, a run killed before the last boot interrupted, events listed', async () => {
    const t = makeTempHome();
    const dir = join(t.cwd, 'studio');
    mkdirSync(dir, { recursive: true });
    const boot = Date.now() - uptime() * 1000;
    const beforeBoot = new Date(boot - 3_600_000).toISOString();
    const now = new Date().toISOString();
    writeFileSync(join(dir, 'runs.json'), JSON.stringify([legacyRun('killed-before-boot', beforeBoot, 'running'), legacyRun('later-old-version', new Date(Date.now() + 60_000).toISOString()), legacyRun('running-now', now, 'running')]), { mode: 0o600 });
    writeFileSync(join(dir, 'audit.log'), audit('credential_set') + audit('credential_read'), { mode: 0o600 });
    const { vault, history } = await open(t, join(dir, 'studio.profile'));
    await vault.setCredential('tmdb', 'api_key', '0123456789abcdef0123456789abcdef');
    const mine = await history.start({ workflow: 'subtitle', program: 'new', credentials: [], status: 'running' }, new Date());
    await history.update(mine.id, { status: 'succeeded', exit_code: 0 });
    // Oldest first by start: the old version's run started after the new one comes after it.
    expect(history.list().reverse().map((r) => [r.id === mine.id ? 'new' : r.id, r.status])).toEqual([
      ['killed-before-boot', 'interrupted'], ['running-now', 'running'], ['new', 'succeeded'], ['later-old-version', 'succeeded'],
    ]);
    expect(vault.auditEvents().map((e) => e.event)).toEqual(['credential_set', 'credential_read', 'credential_set']);
    await history.compact();
    expect(existsSync(join(dir, 'runs.json.imported'))).toBe(true);
    expect(history.list()).toHaveLength(4);
  });

  it('another program\'s runs.json and audit.log in that folder are neither listed nor renamed', async () => {
    const t = makeTempHome();
    const foreignRuns = JSON.stringify([{ id: 1, name: 'a CI job' }]);
    const foreignObject = JSON.stringify({ runs: [] });
    const foreignLog = `${JSON.stringify({ ts: 'x', event: 'user_login', user: 'ada' })}\nplain text line\n`;
    // Files cpw-vault could have written, but readable by others (a repository's, a download): not the user's.
    const lookalikeRuns = JSON.stringify([legacyRun('planted', new Date().toISOString())]);
    const lookalikeLog = audit('credentials_exported');
    const cases: Array<[string, string, string, number]> = [['a', foreignRuns, foreignLog, 0o600], ['b', foreignObject, foreignLog, 0o600], ['c', '{ not json', foreignLog, 0o600], ['d', '[]', '', 0o600], ['e', lookalikeRuns, lookalikeLog, 0o644]];
    for (const [name, runsText, logText, mode] of cases) {
      const dir = join(t.cwd, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'runs.json'), runsText, { mode });
      writeFileSync(join(dir, 'audit.log'), logText, { mode });
      const { vault, history } = await open(t, join(dir, 'studio.profile'));
      const run = await history.start({ workflow: 'subtitle', program: 'new', credentials: [], status: 'succeeded' }, new Date());
      await history.compact();
      expect(history.list().map((r) => r.id), name).toEqual([run.id]);
      expect(vault.auditEvents(), name).toEqual([]);
      expect(readdirSync(dir).sort(), name).toEqual(['audit.log', 'runs.json', 'studio.profile.runs.jsonl']);
      expect(readFileSync(join(dir, 'runs.json'), 'utf8'), name).toBe(runsText);
    }
  });
});

describe('names shown from the history', () => {
  it('control characters and text-direction overrides in a planted or hand-edited run are shown as "?" (the app and the CLI read the same list)', async () => {
    const { path, runs } = history();
    appendFileSync(path, `${JSON.stringify({ op: 'start', run: { id: 'r1', workflow: '\u202Eevil', program: 'gpj.\u2066exe\u2069', credentials: ['x\u001b[2J'], status: 'succeeded', exit_code: 0, signal: null, started_at: new Date().toISOString(), finished_at: null, duration_ms: 1 } })}\n`);
    await runs.start({ workflow: 'transcribe', program: 'whisperx', credentials: ['huggingface.token'], status: 'running' }, new Date());
    const [plain, planted] = runs.list();
    expect(planted).toMatchObject({ workflow: '?evil', program: 'gpj.?exe?', credentials: ['x?[2J'] });
    expect(plain).toMatchObject({ workflow: 'transcribe', program: 'whisperx', credentials: ['huggingface.token'] });
    expect(runs.get('r1').workflow).toBe('?evil');
  });

  // `exec --workflow W HF_TOKEN=hf_... ./stage` made the assignment the program; exec redacts it since, but a run
  // recorded before kept the key in runs.jsonl, and `runs`, `runs show` and the app's Activity showed it.
  it('a key in a run\'s program name recorded before exec redacted it is shown redacted (list and get)', () => {
    const { path, runs } = history();
    const key = `hf_${'Ab3'.repeat(12)}`;
    appendFileSync(path, `${JSON.stringify({ op: 'start', run: { id: 'oldrun', workflow: 'transcribe', program: `HF_TOKEN=${key}`, credentials: [], status: 'failed', exit_code: 127, signal: null, started_at: new Date().toISOString(), finished_at: null, duration_ms: 1 } })}\n`);
    expect(runs.list().map((r) => r.program)).toEqual(['HF_TOKEN=[REDACTED]']);
    expect(runs.get('oldrun').program).toBe('HF_TOKEN=[REDACTED]');
    expect(JSON.stringify(runs.list())).not.toContain(key);
    // A value of no known shape (a custom key) in such an assignment: its name kept, never its value, as exec now records it.
    const custom = 'deepl-Secret-Value-42xyz';
    appendFileSync(path, `${JSON.stringify({ op: 'start', run: { id: 'oldcustom', workflow: 'transcribe', program: `DEEPL_API_KEY=${custom}`, credentials: [], status: 'failed', exit_code: 127, signal: null, started_at: new Date().toISOString(), finished_at: null, duration_ms: 1 } })}\n`);
    expect(runs.get('oldcustom').program).toBe('DEEPL_API_KEY=[REDACTED]');
    expect(JSON.stringify(runs.list())).not.toContain(custom);
  });
});
