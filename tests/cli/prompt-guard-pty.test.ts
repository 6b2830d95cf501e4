// Found by an outside pass, in a real terminal: what reaches a prompt before readline does (Ctrl-Z and `fg`, a large
// paste, bytes that are not UTF-8, escape sequences, more than one line).
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { makeTempHome, type TempHome } from '../helpers/temp';

const TMDB = 'abcdefabcdefabcdefabcdefabcdef12';
const DRIVE = resolve(import.meta.dirname, '../helpers/pty_drive.py');
const PASTE = resolve(import.meta.dirname, '../helpers/pty_paste.py');

type Step = { expect: string; send?: string; latin1?: string };
type Screen = { screen: string; code: number | null; stuck_at?: string; seconds?: number };

const lookup = (t: TempHome, account: string) => spawnSync('secret-tool', ['lookup', 'service', t.service, 'account', account], { encoding: 'utf8' }).stdout;
const envOf = (t: TempHome) => ({ ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, TERM: 'xterm', HISTFILE: '/dev/null' });

/** Runs a python pty helper and returns its report, escape sequences taken out of the screen. */
async function drive(t: TempHome, helper: string, args: string[]): Promise<Screen> {
  const child = spawn('python3', [helper, ...args], { cwd: t.cwd, env: envOf(t), stdio: ['ignore', 'pipe', 'pipe'] });
  const r = JSON.parse((await collect(child)).stdout) as Screen;
  return { ...r, screen: r.screen.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '') };
}

const inPty = (t: TempHome, args: string[], steps: Step[]) => drive(t, DRIVE, [JSON.stringify(steps), process.execPath, BIN, ...args]);

describe('Ctrl-Z at a prompt, fg, then Ctrl-D (job control in an interactive bash)', () => {
  // After `fg` the prompt's readline was paused, and raw mode came back from the shell's settings: Ctrl-D closed the
  // prompt without ending it, the process hung with the terminal in `icanon echo`, and a secret then typed was shown.
  it.each([
    ['a hidden value (set)', ['set', 'tmdb', 'api_key'], 'TMDB API key \\(input hidden\\)'],
    ['a confirmation (delete)', ['delete', 'tmdb', 'api_key'], 'Delete tmdb\\.api_key'],
    ['a confirmation (migrate)', ['migrate', '--from', 'secrets.env'], 'Write 1'],
  ])('%s: Ctrl-D cancels (130), nothing changed', async (_name, args, question) => {
    const t = makeTempHome();
    if (args[0] === 'delete') expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
    writeFileSync(`${t.cwd}/secrets.env`, `OPENAI_API_KEY=sk-proj-${'h'.repeat(40)}\n`);
    const line = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
    const r = await drive(t, DRIVE, [JSON.stringify([
      { expect: 'bash-[0-9.]+[#$] ', send: `${line}\n` },
      { expect: question, send: '\u001a' },
      { expect: 'Stopped', send: 'fg\n' },
      { expect: `\\(continued[^)]*\\) ${question}`, send: '\u0004' },
      { expect: 'bash-[0-9.]+[#$] ', send: 'echo "status=$?"\n' },
      { expect: 'status=\\d+', send: 'exit\n' },
    ]), 'bash', '--norc', '--noprofile', '-i']);
    expect(r.stuck_at, r.screen.slice(-600)).toBeUndefined();
    expect(r.screen).toContain('cancelled: nothing changed');
    expect(r.screen).toContain('status=130');
    expect(lookup(t, 'tmdb.api_key')).toBe(args[0] === 'delete' ? TMDB : '');
    expect(lookup(t, 'openai.api_key')).toBe('');
  }, 60_000);
});

describe('a large paste into a visible prompt', () => {
  it('setup, 20 KB pasted at "Your name": refused at once, no redraw of the whole answer at each key, nothing written', async () => {
    const t = makeTempHome();
    const r = await drive(t, PASTE, ['Your name', '20000', process.execPath, BIN, 'setup']);
    expect(r.code, r.screen.slice(-400)).toBe(2);
    expect(r.screen).toContain('The answer is over 1024 characters; nothing was kept.');
    // Redrawn at each key, the screen grew as the square of the answer (86 MB for 20 KB).
    expect(r.screen.length).toBeLessThan(100_000);
    expect(lookup(t, 'huggingface.token')).toBe('');
  }, 200_000);
});

describe('a value of 8,192 characters that are not ASCII, pasted at the hidden prompt', () => {
  // Piped, 8,192 CJK characters or emoji were stored; pasted at the prompt they were refused as "over 8208 bytes": the
  // prompt's cap counted bytes (3 and 4 a character) where the value rule counts characters.
  it.each([
    ['CJK (3 bytes each)', '字'],
    ['emoji (4 bytes each)', '🔑'],
  ])('%s: stored as pasted, byte for byte', async (_name, char) => {
    const t = makeTempHome();
    const r = await drive(t, PASTE, ['input hidden', `8192:${char}`, process.execPath, BIN, 'set', 'myapp5', 'token']);
    expect(r.code, r.screen.slice(-400)).toBe(0);
    expect(lookup(t, 'myapp5.token')).toBe(char.repeat(8192));
  }, 200_000);

  it('8,300 ASCII characters are still refused by the prompt, in characters, nothing stored', async () => {
    const t = makeTempHome();
    const r = await drive(t, PASTE, ['input hidden', '8300', process.execPath, BIN, 'set', 'myapp5', 'token']);
    expect(r.code, r.screen.slice(-400)).toBe(2);
    expect(r.screen).toContain('The answer is over 8208 characters; nothing was kept.');
    expect(lookup(t, 'myapp5.token')).toBe('');
  }, 200_000);
});

describe('the hidden prompt takes what piped `set` takes', () => {
  it.each([
    ['bytes that are not UTF-8', { expect: 'input hidden', latin1: 'abc\u00ff\u00fedefghij\r' }, 'The answer is not valid UTF-8; nothing was kept.'],
    ['an escape sequence', { expect: 'input hidden', send: 'tokA\u001b[31mredBxxxxxxxxxxxx\r' }, 'The answer held an escape sequence'],
    ['more than one line', { expect: 'input hidden', send: 'line1xxxxxxxxxxxxxxx\rline2xxxxxxxxxx\r' }, 'The pasted answer held more than one line; nothing was kept.'],
  ])('%s: refused (exit 2), nothing stored', async (_name, step, message) => {
    const t = makeTempHome();
    const r = await inPty(t, ['set', 'myapp4', 'token'], [step]);
    expect(r.stuck_at, r.screen.slice(-400)).toBeUndefined();
    expect(r.code, r.screen.slice(-400)).toBe(2);
    expect(r.screen).toContain(message);
    expect(lookup(t, 'myapp4.token')).toBe('');
  }, 60_000);
});
