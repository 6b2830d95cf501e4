// A line of runs.jsonl that is no run event was said to be "damaged (a write cut short)" whatever it was: a line that
// is not UTF-8 text (edited in another encoding, binary bytes planted) or valid JSON that is no run event (a hand edit,
// another program's line) sent the user looking for a crash that never was. Each kind is said now, in one warning of
// its own, with no content of the lines.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const now = new Date().toISOString();
const good = `${JSON.stringify({ op: 'start', run: { id: 'good01', workflow: 'transcribe', program: 'stage', credentials: [], status: 'succeeded', exit_code: 0, signal: null, started_at: now, finished_at: now, duration_ms: 1500 } })}\n`;

/** A temp home with its profile folder, and where its run history goes. */
function historyHome() {
  const t = makeTempHome();
  const dir = join(t.home, '.cp-whisperx');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { t, path: join(dir, 'runs.jsonl') };
}

/** Lines that are no run event, by what each is; their content is never shown. */
const lines = {
  cut: [
    '{"op":"start","run":{"id":"cut01","workflow":"transcri\n', // a write cut short (a full disk), then a newline before the next append
    Buffer.concat([Buffer.from('{"op":"start","run":{"id":"cut02","program":"caf'), Buffer.from([0xc3]), Buffer.from('\n')]), // cut in the middle of an é
  ],
  notUtf8: [
    Buffer.concat([Buffer.from('{"op":"note","text":"SECRETLATIN caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]), // Latin-1, valid JSON once decoded
    Buffer.concat([Buffer.from([0xff, 0xfe, 0x1b]), Buffer.from('[31mSECRETBINARY\n')]),
  ],
  notAnEvent: [
    '{"op":"note","text":"SECRETNOTE"}\n',
    '[1,2,3]\n',
    '"\\u001b[31mSECRETESCAPE"\n',
    `${JSON.stringify({ op: 'start', run: { id: 'nostart', workflow: 'transcribe' } })}\n`, // no started_at
    `{"op":"start","run":${'['.repeat(100)}${']'.repeat(100)}}\n`, // nested too deep
  ],
};

it('runs says each kind of skipped line once, for what it is (cut short, not UTF-8, JSON that is no run event), quoting none', async () => {
  const { t, path } = historyHome();
  writeFileSync(path, Buffer.concat([good, ...lines.cut, ...lines.notUtf8, ...lines.notAnEvent, good.replace('good01', 'good02')].map((l) => Buffer.from(l))), { mode: 0o600 });
  for (const args of [['runs'], ['runs', '--json'], ['runs', 'stats']]) {
    const r = await cli(t, args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe([
      `warning: 2 damaged lines in ${path} skipped (a write cut short); the rest of the history is intact.`,
      `warning: 2 lines in ${path} skipped: not UTF-8 text, so not written by cpw-vault (edited in another encoding, or written by another program); the rest of the history is intact.`,
      `warning: 5 lines in ${path} skipped: JSON that is no run event cpw-vault writes (a field missing or of another type, or nested too deep: edited by hand, or written by another program); the rest of the history is intact.`,
      '',
    ].join('\n'));
    expect(r.stdout + r.stderr).not.toMatch(/SECRET|caf|\x1b|\ufffd/);
  }
  const listed = JSON.parse((await cli(t, ['runs', '--json'])).stdout) as { runs: Array<{ id: string }> };
  expect(listed.runs.map((r) => r.id)).toEqual(['good02', 'good01']);
});

// A whole line that is not JSON (typed into the file by hand, a note, another program's log line) was said to be "a
// write cut short", which sent the user looking for a crash mid-append. Only the start of JSON that ends early is
// that: the last line without its newline, or one the next append gave its newline.
it('runs says a line typed by hand is not a run event, and keeps "cut short" for the start of an event that ends early', async () => {
  const { t, path } = historyHome();
  const typed = ['SECRETNOTE: this run was mine, do not delete\n', '# SECRETCOMMENT\n', 'hf_SECRETTOKEN\n', '{"note": "SECRET, typed as JSON\n'];
  // Cut short after its first bytes, its newline added by the next append: the start of an event line all the same.
  writeFileSync(path, `${good}${typed.join('')}{"o\n${good.replace('good01', 'good02')}{"op":"start","run":{"id":"cut03","workflow":"tra`, { mode: 0o600 });
  for (const args of [['runs'], ['runs', '--json'], ['runs', 'stats']]) {
    const r = await cli(t, args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe([
      `warning: 2 damaged lines in ${path} skipped (a write cut short); the rest of the history is intact.`,
      `warning: 4 lines in ${path} skipped: not a run event (not JSON, nor the start of a line cpw-vault wrote, cut short: edited by hand, or written by another program); the rest of the history is intact.`,
      '',
    ].join('\n'));
    expect(r.stdout + r.stderr).not.toMatch(/SECRET/);
  }
  const listed = JSON.parse((await cli(t, ['runs', '--json'])).stdout) as { runs: Array<{ id: string }> };
  expect(listed.runs.map((r) => r.id)).toEqual(['good02', 'good01']);
});

// A run event whose strings hold bytes that are not UTF-8 (a program name edited in Latin-1) is whole JSON once
// decoded: it was listed, with U+FFFD in the bad bytes' place, and nothing said the history holds text it cannot read.
it('runs lists a run event holding bytes that are not UTF-8, and says once how many such lines the history holds', async () => {
  const { t, path } = historyHome();
  const latin1 = (id: string) => Buffer.from(good.replace('good01', id).replace('"stage"', '"caf\u00e9"'), 'latin1');
  writeFileSync(path, Buffer.concat([Buffer.from(good), latin1('latin01'), latin1('latin02')]), { mode: 0o600 });
  for (const args of [['runs'], ['runs', '--json'], ['runs', 'stats']]) {
    const r = await cli(t, args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`warning: 2 run events in ${path} hold bytes that are not UTF-8 text, so not written by cpw-vault (edited in another encoding, or written by another program): listed, those bytes shown as U+FFFD; the rest of the history is intact.\n`);
  }
  const listed = JSON.parse((await cli(t, ['runs', '--json'])).stdout) as { runs: Array<{ id: string; program: string }> };
  expect(listed.runs.map((r) => [r.id, r.program])).toEqual([['latin02', 'caf\ufffd'], ['latin01', 'caf\ufffd'], ['good01', 'stage']]);
});

// Edited on Windows and saved back: a blank line left as a lone `\r` was "1 line ... not a run event", and an editor's
// BOM in front of an event cut short made it "not JSON". A blank line is skipped as an empty one is.
it('runs skips a blank CRLF line silently and still calls a cut-short event behind a BOM cut short', async () => {
  const { t, path } = historyHome();
  writeFileSync(path, `\ufeff{"op":"start","run":{"id":"cut01"\r\n\r\n \t\r\n${good.replace('\n', '\r\n')}`, { mode: 0o600 });
  const r = await cli(t, ['runs']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe(`warning: 1 damaged line in ${path} skipped (a write cut short); the rest of the history is intact.\n`);
  const listed = JSON.parse((await cli(t, ['runs', '--json'])).stdout) as { runs: Array<{ id: string }> };
  expect(listed.runs.map((x) => x.id)).toEqual(['good01']);
});

// A run recorded late (in a runs.jsonl.late-<hex> file of its own, while another process held the history's lock) was
// decoded without the check runs.jsonl's lines get: its bytes that are not UTF-8 were listed as U+FFFD with no word.
it('runs says once how many run events recorded late hold bytes that are not UTF-8, quoting none', async () => {
  const { t, path } = historyHome();
  const latin1 = (id: string) => Buffer.from(good.replace('good01', id).replace('"stage"', '"SECRETcaf\u00e9"'), 'latin1');
  writeFileSync(path, good, { mode: 0o600 });
  writeFileSync(`${path}.late-${'1'.repeat(24)}`, latin1('late01'), { mode: 0o600 });
  writeFileSync(`${path}.late-${'2'.repeat(24)}`, latin1('late02'), { mode: 0o600 });
  writeFileSync(`${path}.late-${'3'.repeat(24)}`, good.replace('good01', 'late03'), { mode: 0o600 });
  for (const args of [['runs'], ['runs', '--json'], ['runs', 'stats']]) {
    const r = await cli(t, args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`warning: 2 run events recorded late beside ${path} (in its .late- files) hold bytes that are not UTF-8 text, so not written by cpw-vault (edited in another encoding, or written by another program): listed, those bytes shown as U+FFFD; the rest of the history is intact.\n`);
    expect(r.stderr).not.toMatch(/SECRET|caf|\ufffd/);
  }
  const listed = JSON.parse((await cli(t, ['runs', '--json'])).stdout) as { runs: Array<{ id: string; program: string }> };
  expect(listed.runs.map((r) => [r.id, r.program]).sort()).toEqual([['good01', 'stage'], ['late01', 'SECRETcaf\ufffd'], ['late02', 'SECRETcaf\ufffd'], ['late03', 'stage']]);
});
