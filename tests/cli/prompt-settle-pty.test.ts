// Found by an outside pass, in a real terminal: what reaches the terminal after a hidden answer, while setup stores the
// keys one by one (echoed in clear), or as the later lines of a paste the terminal delivered in two reads (taken as
// the answers to the next prompts).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { collect } from '../helpers/children';
import { START_KEYRING } from '../helpers/private-session';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'Sett'.repeat(9)}`;
const TMDB = 'abcdefabcdefabcdefabcdefabcdef12';
const AHEAD = 'sk-proj-pastedtooearly';
const DRIVE = resolve(import.meta.dirname, '../helpers/pty_drive.py');

type Step = { expect: string; send?: string; run?: string; signal?: 'TERM'; cooked?: boolean; delay?: number };
type Screen = { screen: string; code: number | null; stuck_at?: string };

const lookup = (t: TempHome, account: string) => spawnSync('secret-tool', ['lookup', 'service', t.service, 'account', account], { encoding: 'utf8' }).stdout;

/** Runs `command` in a real pseudo-terminal (tests/helpers/pty_drive.py); colours and cursor moves taken out of the screen. */
async function inPty(t: TempHome, env: NodeJS.ProcessEnv, command: string[], steps: Step[]): Promise<Screen> {
  const child = spawn('python3', [DRIVE, JSON.stringify(steps), ...command], { cwd: t.cwd, env: { ...env, TERM: 'xterm' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const r = JSON.parse((await collect(child)).stdout) as Screen;
  return { ...r, screen: r.screen.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '') };
}

const BASICS: Step[] = [
  { expect: 'Your name', send: 'Ada\r' },
  { expect: 'Email', send: '\r' },
  { expect: 'Time zone', send: '\r' },
  { expect: 'Default workflow', send: '\r' },
];

describe('setup: echo stays off from the hidden answers to the last keychain write', () => {
  // The keychain daemon is stopped (kill -STOP) while setup stores the keys, so the writes last until the text typed
  // meanwhile is on the screen or not; its own session, so no other test waits on it.
  it.each([
    ['the writes finish', 0],
    ['Ctrl-C during the writes', 130],
    ['SIGTERM during the writes', 143],
  ] as const)('%s: the next secret pasted early is not shown (exit %s)', async (_name, code) => {
    const t = makeTempHome();
    const run = join(t.root, 'xdg-run');
    mkdirSync(run, { mode: 0o700 });
    chmodSync(run, 0o700);
    const keyringPid = join(t.root, 'keyring.pid');
    const cliPid = join(t.root, 'cli.pid');
    const env = { PATH: process.env['PATH'], HOME: t.home, XDG_DATA_HOME: join(t.root, 'xdg-data'), XDG_RUNTIME_DIR: run, CPW_KEYCHAIN_SERVICE: t.service };
    const owner = 'gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets';
    const script = `${START_KEYRING}\n${owner} | sed -E 's/.*uint32 ([0-9]+).*/\\1/' > '${keyringPid}'\necho $$ > '${cliPid}'\nexec '${process.execPath}' '${BIN}' setup`;
    // Ctrl-C as the terminal sends it (the write runs in canonical mode), to the CLI alone: typed, it also ended
    // dbus-run-session, in the same process group, and the bus with it.
    const stop: Step[] = code ? [{ expect: '', run: `kill -${code === 130 ? 'INT' : 'TERM'} $(cat '${cliPid}')` }] : [];
    const keyring = () => Number(readFileSync(keyringPid, 'utf8'));
    try {
      const r = await inPty(t, env, ['dbus-run-session', '--', 'bash', '-c', script], [
        ...BASICS,
        { expect: 'HuggingFace token \\(input hidden\\)', send: `${HF}\r` },
        { expect: 'TMDB API key \\(input hidden\\)', send: `${TMDB}\r` },
        { expect: 'OpenAI API key \\(input hidden\\)', send: '\r' },
        { expect: 'Anthropic API key \\(input hidden\\)', send: '\r' },
        { expect: 'Google \\(Gemini\\) API key \\(input hidden\\)', run: `kill -STOP $(cat '${keyringPid}')` },
        { expect: '', send: '\r' },
        // The last prompt has ended (canonical mode again): the first write waits on the stopped daemon.
        { expect: '', cooked: true, send: AHEAD },
        ...stop,
        { expect: '', run: `kill -CONT $(cat '${keyringPid}')` },
      ]);
      expect(r.stuck_at, r.screen.slice(-800)).toBeUndefined();
      expect(r.code, r.screen.slice(-800)).toBe(code);
      expect(r.screen).not.toContain(AHEAD);
      for (const secret of [HF, TMDB]) expect(r.screen).not.toContain(secret);
      expect(r.screen).toContain(code ? 'cancelled' : 'Stored tmdb.api_key');
    } finally {
      try {
        process.kill(keyring(), 'SIGKILL'); // stopped, it would outlive its session
      } catch {
        // already gone with its session
      }
    }
  }, 90_000);
});

describe('setup: echo stays off while the vault file it offers is made', () => {
  it('what is typed during the scrypt of the new passphrase is not shown there; it waits for the next prompt', async () => {
    const t = makeTempHome();
    const run = join(t.root, 'run');
    mkdirSync(run, { mode: 0o700 });
    chmodSync(run, 0o700);
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: t.home, XDG_RUNTIME_DIR: run, CPW_KEYCHAIN_SERVICE: t.service };
    delete env['DBUS_SESSION_BUS_ADDRESS'];
    delete env['DISPLAY'];
    const pass = 'vault passphrase of the settle test';
    const r = await inPty(t, env, [process.execPath, BIN, 'setup'], [
      { expect: 'Keep the secrets in an age-encrypted vault file', send: 'y\r' },
      { expect: 'New vault passphrase', send: `${pass}\r` },
      { expect: 'Type it again', send: `${pass}\r` },
      // The prompt has ended (canonical mode again): the vault file is being made (scrypt, about a second).
      { expect: '', cooked: true, send: 'Ada Lovelace' },
      { expect: 'Your name', send: '\u0003' },
    ]);
    expect(r.stuck_at, r.screen.slice(-800)).toBeUndefined();
    expect(r.code, r.screen.slice(-800)).toBe(130);
    const making = r.screen.slice(r.screen.indexOf('Creating the vault file'), r.screen.indexOf('Your name'));
    expect(making).toContain('keeps its secrets in the age vault file now');
    expect(making).not.toContain('Ada Lovelace');
    expect(r.screen.slice(r.screen.indexOf('Your name'))).toContain('Ada Lovelace');
    expect(r.screen).not.toContain(pass);
  }, 120_000);
});

describe('a multi-line paste at a hidden prompt, delivered in two reads', () => {
  const env = (t: TempHome) => ({ ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service });
  // The answer has been read (the prompt drew it as done); the rest of the paste follows a moment later.
  const answered = { expect: '✔.{0,20}HuggingFace token', delay: 0.03 };

  it('setup: the later line is refused with the answer (exit 2), never taken as the next key; nothing stored', async () => {
    const t = makeTempHome();
    const r = await inPty(t, env(t), [process.execPath, BIN, 'setup'], [
      ...BASICS,
      { expect: 'HuggingFace token \\(input hidden\\)', send: `${HF}\r` },
      { ...answered, send: `${TMDB}\r` },
      { expect: 'The pasted answer held more than one line; nothing was kept\\.', send: '' },
    ]);
    expect(r.stuck_at, r.screen.slice(-800)).toBeUndefined();
    expect(r.code, r.screen.slice(-800)).toBe(2);
    expect(r.screen).not.toContain('TMDB API key (input hidden)');
    for (const secret of [HF, TMDB]) expect(r.screen).not.toContain(secret);
    expect(lookup(t, 'huggingface.token')).toBe('');
    expect(lookup(t, 'tmdb.api_key')).toBe('');
  }, 60_000);

  it('setup: a Ctrl-C right after the answer cancels as one at the prompt does (130), nothing stored', async () => {
    const t = makeTempHome();
    const r = await inPty(t, env(t), [process.execPath, BIN, 'setup'], [
      ...BASICS,
      { expect: 'HuggingFace token \\(input hidden\\)', send: `${HF}\r` },
      { ...answered, send: '\u0003' },
    ]);
    expect(r.stuck_at, r.screen.slice(-800)).toBeUndefined();
    expect(r.code, r.screen.slice(-800)).toBe(130);
    expect(r.screen).toContain('cancelled: nothing changed');
    expect(lookup(t, 'huggingface.token')).toBe('');
  }, 60_000);
});
