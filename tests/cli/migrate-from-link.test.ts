// migrate --from a symbolic link is refused (what it leads to could change between the plan and the read), and the
// fix said only "Point --from at the real file", leaving the user to find it. It names the file now, as a shell word
// (a control character in its name escaped, never sent to the terminal). A loop on the way to the path given is no
// link at that name: it was said to be one.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { expectReadAs } from '../helpers/shell-words';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'Linked'.repeat(6)}`;

describe('migrate --from a symbolic link', () => {
  it('is refused, the fix naming the file it leads to with its control characters escaped; nothing stored', async () => {
    const t = makeTempHome();
    mkdirSync(join(t.cwd, 'keys'));
    writeFileSync(join(t.cwd, 'keys', 'real\u001b[31m.json'), JSON.stringify({ huggingface_token: HF }), { mode: 0o600 });
    symlinkSync(join(t.cwd, 'keys', 'real\u001b[31m.json'), join(t.cwd, 'link.json'));
    const r = await cli(t, ['migrate', '--from', 'link.json', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error [INVALID_ARGUMENT] link.json is a symbolic link; refusing to follow it.');
    const word = `'${t.cwd}/keys/real'"$(printf '\\033')"'[31m.json'`;
    expect(r.stderr).toContain(`fix: Point --from at the file it leads to, if that is the one to migrate: --from ${word}\n`);
    expectReadAs(word, join(t.cwd, 'keys', 'real\u001b[31m.json')); // in dash too: a $'...' word was another file there
    expect(r.stderr).not.toContain('\u001b');
    expect(r.stdout + r.stderr).not.toContain(HF);
    expect((await cli(t, ['get', 'huggingface', 'token'])).code).toBe(3);
  });

  it('one to a file that does not exist names what it holds, and says there is no file, as list and migrate\'s pass-over say it', async () => {
    const t = makeTempHome();
    symlinkSync('gone.json', join(t.cwd, 'link.json'));
    const r = await cli(t, ['migrate', '--from', 'link.json', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error [INVALID_ARGUMENT] link.json is a symbolic link to gone.json, a file that does not exist; nothing was changed.\nfix: Give the file to migrate with --from PATH.\n');
  });

  it('a loop on the way to the file is said as a loop, not as a link at its name', async () => {
    const t = makeTempHome();
    symlinkSync('config', join(t.cwd, 'config'));
    const r = await cli(t, ['migrate', '--from', 'config/secrets.json', '--yes']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('config/secrets.json: a symbolic link on its way leads round in a loop (ELOOP)');
    expect(r.stderr).not.toContain('is a symbolic link; refusing');
  });
});
