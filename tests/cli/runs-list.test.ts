// `cpw-vault runs` as a user reads it: runs in the order they started however they were recorded (runs.jsonl, or a
// late file an exec wrote while another process held the history's lock), every field shown as something sensible
// (a hand-written or damaged line: never "undefined" or "NaN"), and a late file it cannot trust named by `runs`, with
// the file to remove, while exec, at every stage of a pipeline, stays quiet about it.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentOwner } from '../../shared/node/profile/owner';
import { cli } from '../helpers/cli';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF_TOKEN = `hf_${'Abcd1'.repeat(7)}`;

function historyDir(t: TempHome): string {
  const dir = join(t.home, '.cp-whisperx');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
const start = (run: Record<string, unknown>) => `${JSON.stringify({ op: 'start', run: { workflow: 'transcribe', program: 'stage', credentials: [], ...run } })}\n`;
const ended = { status: 'succeeded', exit_code: 0, signal: null, finished_at: null, duration_ms: 1500 };

describe('cpw-vault runs', () => {
  it('lists runs recorded late among the others by their start, in the table and in --json', async () => {
    const t = makeTempHome();
    const path = join(historyDir(t), 'runs.jsonl');
    writeFileSync(path, start({ id: 'aaaa01', started_at: at(40), ...ended }) + start({ id: 'cccc03', started_at: at(20), ...ended }), { mode: 0o600 });
    writeFileSync(`${path}.late-${'1'.repeat(24)}`, start({ id: 'bbbb02', started_at: at(30), ...ended }), { mode: 0o600 });
    writeFileSync(`${path}.late-${'2'.repeat(24)}`, start({ id: 'dddd04', started_at: at(10), ...ended }), { mode: 0o600 });
    const json = await cli(t, ['runs', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout).runs as Array<{ id: string }>).map((r) => r.id)).toEqual(['dddd04', 'cccc03', 'bbbb02', 'aaaa01']);
    const shown = await cli(t, ['runs']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout.split('\n').slice(1).filter(Boolean).map((l) => l.split(/\s+/)[0])).toEqual(['dddd04', 'cccc03', 'bbbb02', 'aaaa01']);
  });

  it('shows a missing or odd field of a hand-written or damaged line as "-" or "unknown", never undefined or NaN', async () => {
    const t = makeTempHome();
    const path = join(historyDir(t), 'runs.jsonl');
    writeFileSync(path, [
      // No program, status, exit code, duration (nor finished_at, signal).
      start({ id: 'bare01', program: undefined, started_at: at(50) }),
      // Strings where numbers belong, a number where a string belongs, a duration past what a double holds (Infinity).
      start({ id: 'odd002', program: 42, status: 7, exit_code: 'zero', duration_ms: '1500', started_at: at(40) }),
      `${JSON.stringify({ op: 'start', run: { id: 'huge03', workflow: 'transcribe', started_at: at(30) } }).slice(0, -2)},"duration_ms":1e400,"exit_code":1.5}}\n`,
      // An update that set fields to null, to objects, to a negative duration.
      start({ id: 'upd004', started_at: at(20), ...ended }),
      `${JSON.stringify({ op: 'update', id: 'upd004', patch: { status: null, exit_code: { code: 1 }, duration_ms: -5, started_at: 'yesterday-ish' } })}\n`,
      // No started_at at all: no run to list (a damaged line, said so).
      `${JSON.stringify({ op: 'start', run: { id: 'nostart', workflow: 'transcribe' } })}\n`,
    ].join(''), { mode: 0o600 });
    const r = await cli(t, ['runs']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/undefined|NaN|Infinity|\[object/);
    expect(r.stdout).toMatch(/^bare01\s+transcribe\s+-\s+unknown\s+-\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+-$/m);
    expect(r.stdout).toMatch(/^odd002\s+transcribe\s+-\s+unknown\s+-\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+-$/m);
    expect(r.stdout).toMatch(/^huge03\s+transcribe\s+-\s+unknown\s+-\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+-$/m);
    expect(r.stderr).toMatch(/1 line in .*runs\.jsonl skipped: JSON that is no run event/);
    const show = await cli(t, ['runs', 'show', 'odd002']);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).not.toMatch(/undefined|NaN|\[object/);
    // An empty list (no credentials) shows as "-", as a field set to nothing does, never as a blank cell.
    expect(show.stdout).toMatch(/^credentials\s+-$/m);
    const stats = await cli(t, ['runs', 'stats']);
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).not.toMatch(/undefined|NaN/);
    expect(stats.stdout).toMatch(/^unknown\s+4$/m); // upd004 too: its start set to no date, it is listed (and counted)
  });

  it('names a late file it cannot trust, with the rm that removes it; exec, run after run, stays quiet and leaves it', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'huggingface', 'token'], { input: HF_TOKEN })).code).toBe(0);
    const planted = join(historyDir(t), `runs.jsonl.late-${'9'.repeat(24)}`);
    const text = start({ id: 'plnt01', started_at: at(5), ...ended });
    writeFileSync(planted, text, { mode: 0o600 });
    chmodSync(planted, 0o666);
    for (let i = 0; i < 2; i++) {
      const r = await cli(t, ['exec', '--workflow', 'transcribe', '--', 'true']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
    }
    const r = await cli(t, ['runs', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout).runs as Array<{ id: string }>).map((x) => x.id)).not.toContain('plnt01');
    expect(r.stderr).toMatch(/late-9{24} was skipped: .*can be modified by other users.*A run recorded there is not listed/);
    expect(r.stderr).toContain(`rm -- ${planted}`);
    expect(readFileSync(planted, 'utf8')).toBe(text);
  }, 60_000);

  it('runs show prints every field of a planted line with its escape sequences and direction overrides as "?", in the table and in --json', async () => {
    const t = makeTempHome();
    const path = join(historyDir(t), 'runs.jsonl');
    // A window title, a cleared screen, a right-to-left override ("evil" shown as "live"), an 8-bit CSI.
    const E = '\u001b]0;owned\u0007\u001b[2J\u202Eevil\u009b31m';
    const run = { id: `ev\u001bl01`, status: `failed${E}`, exit_code: 1, signal: `SIG${E}`, error: `boom${E}`, started_at: at(5), finished_at: `${at(4)}${E}`, duration_ms: 5, stripped: [`x${E}`], [`note${E}`]: `v${E}`, nested: { deep: [E] } };
    writeFileSync(path, start(run), { mode: 0o600 });
    const shown = 'boom?]0;owned??[2J?evil?31m';
    for (const args of [['runs', '--json'], ['runs', 'show', 'ev?l01', '--json'], ['runs', 'show', 'ev?l01']]) {
      const r = await cli(t, args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
      // JSON's own escape of ESC is no escape sequence, but it is one again for whoever reads the document.
      expect(r.stdout).not.toMatch(/\\u001b|\\u0007/);
      for (const text of [shown, 'failed?]0;owned', 'SIG?]0;owned', 'note?]0;owned', 'v?]0;owned', 'x?]0;owned', 'ev?l01']) expect(r.stdout).toContain(text);
    }
    // The id shown is the one to delete by: the run recorded with its escape goes.
    const del = await cli(t, ['runs', 'delete', 'ev?l01']);
    expect(del.code, del.stderr).toBe(0);
    expect(JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs).toEqual([]);
  });

  it('shows in EXIT the signal a run ended by (a run failed by a signal its stage never got is no "failed 0"), else its exit code', async () => {
    const t = makeTempHome();
    writeFileSync(join(historyDir(t), 'runs.jsonl'), [
      start({ id: 'okay01', started_at: at(40), ...ended }),
      start({ id: 'died02', started_at: at(30), ...ended, status: 'failed', exit_code: 143, signal: 'SIGTERM' }),
      start({ id: 'miss03', started_at: at(20), ...ended, status: 'failed', exit_code: 0, signal: 'SIGINT' }),
      start({ id: 'refu04', started_at: at(10), ...ended, status: 'refused', exit_code: null }),
    ].join(''), { mode: 0o600 });
    const r = await cli(t, ['runs']);
    expect(r.code, r.stderr).toBe(0);
    const exit = (id: string) => r.stdout.split('\n').find((l) => l.startsWith(id))?.split(/\s+/)[4];
    expect([exit('okay01'), exit('died02'), exit('miss03'), exit('refu04')]).toEqual(['0', 'SIGTERM', 'SIGINT', '-']);
    // The record keeps both: the stage's own exit code and the signal exec ended by.
    expect(JSON.parse((await cli(t, ['runs', 'show', 'miss03', '--json'])).stdout)).toMatchObject({ status: 'failed', exit_code: 0, signal: 'SIGINT' });
  });

  // A stage named with an emoji sequence (a ZWJ one, a flag) was padded as 4 columns of its 2: the STATUS column of its
  // row started 2 columns right of the others'.
  it('lines up its columns when a program name holds an emoji sequence, a wide character or a combining mark', async () => {
    const t = makeTempHome();
    const programs = { zwj001: '👩‍💻.sh', flag02: '🇫🇷.sh', cjk003: '字幕.sh', nfd004: 'cafe\u0301.sh', ascii5: 'stage.sh' };
    writeFileSync(join(historyDir(t), 'runs.jsonl'), Object.entries(programs).map(([id, program], i) => start({ id, program, started_at: at(10 - i), ...ended })).join(''), { mode: 0o600 });
    const r = await cli(t, ['runs']);
    expect(r.code, r.stderr).toBe(0);
    // Each program's cell padded to 8 columns (stage.sh), then two spaces: STATUS starts at one column in every row.
    expect(r.stdout.split('\n').slice(1, 6).map((l) => l.split('  succeeded')[0]!.slice(l.indexOf('transcribe') + 12))).toEqual(['stage.sh', 'cafe\u0301.sh ', '字幕.sh ', '🇫🇷.sh   ', '👩‍💻.sh   ']);
  });

  it('lists a run whose start is no date (hand-written, or set so by an update) as the oldest, with "-" as its start', async () => {
    const t = makeTempHome();
    const path = join(historyDir(t), 'runs.jsonl');
    writeFileSync(path, [
      start({ id: 'new001', started_at: at(10), ...ended }),
      start({ id: 'hand02', started_at: 'last tuesday', ...ended }),
      start({ id: 'upd003', started_at: at(20), ...ended }),
      `${JSON.stringify({ op: 'update', id: 'upd003', patch: { started_at: 'yesterday-ish' } })}\n`,
      start({ id: 'num004', started_at: at(30), ...ended }),
      `${JSON.stringify({ op: 'update', id: 'num004', patch: { started_at: 2024 } })}\n`,
    ].join(''), { mode: 0o600 });
    const json = await cli(t, ['runs', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout).runs as Array<{ id: string }>).map((r) => r.id)).toEqual(['new001', 'num004', 'upd003', 'hand02']); // newest first: the undated last, in the order recorded
    const r = await cli(t, ['runs']);
    expect(r.code, r.stderr).toBe(0);
    for (const id of ['hand02', 'upd003', 'num004']) expect(r.stdout).toMatch(new RegExp(`^${id}\\s+transcribe\\s+stage\\s+succeeded\\s+0\\s+-\\s+1\\.5s$`, 'm'));
    expect((await cli(t, ['runs', 'show', 'upd003'])).stdout).toMatch(/^started_at\s+yesterday-ish$/m);
  });

  // The delete's line could not be appended (the lock held by another process throughout, a full or read-only disk):
  // the warning exec gives ("could not record the run") came first, then "✓ Deleted run ...", exit 0, the run still there.
  it('runs delete that cannot write the history says so and fails: never "Deleted" with the run still listed', async () => {
    const t = makeTempHome();
    const dir = historyDir(t);
    writeFileSync(join(dir, 'runs.jsonl'), start({ id: 'keep01', started_at: at(5), ...ended }), { mode: 0o600 });
    const holder = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, 'runs.jsonl.lock'), JSON.stringify({ ...currentOwner(), pid: holder.pid, nonce: 'planted', since: new Date().toISOString() }), { mode: 0o600 });
      const del = await cli(t, ['runs', 'delete', 'keep01']);
      expect(del.code).not.toBe(0);
      expect(del.stderr).not.toContain('Deleted');
      expect(del.stderr).not.toContain('could not record the run');
      expect(del.stderr).toContain('runs.jsonl');
      expect((JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs as Array<{ id: string }>).map((r) => r.id)).toEqual(['keep01']);
    } finally {
      holder.kill('SIGKILL');
    }
    await new Promise((resolve) => holder.once('exit', resolve));
    const del = await cli(t, ['runs', 'delete', 'keep01']);
    expect([del.code, del.stderr]).toEqual([0, '✓ Deleted run keep01.\n']);
    expect(JSON.parse((await cli(t, ['runs', '--json'])).stdout).runs).toEqual([]);
  });

  // `--status weird` was refused (exit 2) while a misspelt workflow listed nothing, exit 0: "no transcibe runs".
  it('runs --workflow with a name that is no workflow is refused with the names, never an empty list', async () => {
    const t = makeTempHome();
    writeFileSync(join(historyDir(t), 'runs.jsonl'), start({ id: 'tran01', started_at: at(5), ...ended }), { mode: 0o600 });
    const r = await cli(t, ['runs', '--workflow', 'transcibe']);
    expect([r.code, r.stdout], r.stderr).toEqual([2, '']);
    expect(r.stderr).toContain('Unknown workflow name.');
    expect(r.stderr).toContain('transcribe, translate, subtitle, diarize, summarize');
    const json = await cli(t, ['runs', '--workflow', 'transcibe', '--json']);
    expect([json.code, JSON.parse(json.stdout).error?.code]).toEqual([2, 'WORKFLOW_UNKNOWN']);
    const ok = await cli(t, ['runs', '--workflow', 'transcribe', '--json']);
    expect((JSON.parse(ok.stdout).runs as Array<{ id: string }>).map((r) => r.id)).toEqual(['tran01']);
  });
});
