// A file cpw-vault only reads as data was opened without O_NOCTTY. Run as a session leader with no terminal (a CI job's
// `setsid cpw-vault doctor < /dev/null`), a link from a path it reads (~/.gitconfig, which git follows, so doctor does;
// a --passphrase-file; a --from naming a terminal by mistake) to a terminal no session holds made that terminal the
// process's controlling one: its Ctrl-C and hangup then reached cpw-vault, and the terminal was tied to it until exit.
import { spawn, spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, fixture } from '../helpers/children';
import { makeTempHome } from '../helpers/temp';

/** A pseudo-terminal no session holds: python's openpty opens its end O_NOCTTY; held open until the tests end. */
let holder: ReturnType<typeof spawn>;
let terminal: string;

beforeAll(async () => {
  holder = spawn('python3', ['-c', 'import os, sys\nm, s = os.openpty()\nprint(os.ttyname(s), flush=True)\nsys.stdin.read()'], { stdio: ['pipe', 'pipe', 'inherit'] });
  terminal = await new Promise<string>((resolve) => holder.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
});
afterAll(() => void holder.stdin!.end());

describe.runIf(process.platform === 'linux')('a terminal at a path read as data never becomes the controlling terminal', () => {
  it.each(['config text', 'private input file', 'migration source', 'secure file', 'profile mode fix', 'folder fsync'])('%s: opened by a session leader with none, it stays without one', async (reader) => {
    const t = makeTempHome();
    // A link where the reader follows links (git's files, a passphrase file); the terminal itself where it does not.
    const link = join(t.home, '.gitconfig');
    symlinkSync(terminal, link);
    const path = reader === 'config text' || reader === 'private input file' ? link : terminal;
    expect(spawnSync('test', ['-c', path]).status).toBe(0);
    const r = await collect(spawn('setsid', ['-w', process.execPath, fixture('open-as-data'), reader, path], { stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(r.code, r.stderr).toBe(0);
    // A leader (else the open could not have taken a terminal, and the test could not fail), with no terminal after.
    expect(JSON.parse(r.stdout)).toEqual({ leader: true, tty: 0 });
  });
});
