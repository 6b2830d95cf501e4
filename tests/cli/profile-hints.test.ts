// Found by a new-user pass: with `--profile ./team.profile`, the fix lines said `cpw-vault set huggingface token`,
// which, pasted, stored the token in the default profile and left the named one not ready. Every command a message
// suggests now carries the --profile it was given, quoted for the shell; pasted as printed, it acts on that profile.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../shared/cli/program';
import { COMMAND_NAMES, withProfileOption } from '../../shared/cli/profile-hint';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { expectReadAs } from '../helpers/shell-words';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'Hint'.repeat(9)}`;

describe('fix lines name the profile given with --profile', () => {
  it('the rewrite knows every top-level command (so none is missed) and touches nothing else', () => {
    const io = { out: () => {}, err: () => {}, env: {}, cwd: '/', stdinIsTTY: false, stdoutIsTTY: false, color: false, readStdin: async () => '', prompts: () => Promise.reject(new Error('no prompts')) };
    const program: Command = buildProgram(io, () => {});
    expect([...COMMAND_NAMES].sort()).toEqual(program.commands.map((c) => c.name()).sort());
    expect(withProfileOption('Run: cpw-vault set tmdb api_key, then cpw-vault check; the next cpw-vault command; cpw-vault-agent', "/x/it's here")).toBe(
      "Run: cpw-vault --profile '/x/it'\\''s here' set tmdb api_key, then cpw-vault --profile '/x/it'\\''s here' check; the next cpw-vault command; cpw-vault-agent",
    );
    expect(withProfileOption('Run: cpw-vault set tmdb api_key', undefined)).toBe('Run: cpw-vault set tmdb api_key');
    // Found by an attack pass: text inside a path was rewritten, and the path's control characters reached the terminal.
    expect(withProfileOption('The profile /tmp/cpw-vault set y.profile is gone; run cpw-vault setup', '/tmp/cpw-vault set y.profile')).toBe("The profile /tmp/cpw-vault set y.profile is gone; run cpw-vault --profile '/tmp/cpw-vault set y.profile' setup");
    const escape = '/tmp/p\u001b[31mRED\u0007\r.profile';
    expect(withProfileOption('run cpw-vault setup', escape)).toBe(String.raw`run cpw-vault --profile '/tmp/p'"$(printf '\033')"'[31mRED'"$(printf '\007\015')"'.profile' setup`);
    // The path exactly, its control characters by printf (dash, Debian's sh, read a $'...' word as another file): not
    // '?', a glob that named another file. A function, not a replacement string: this one's $' and $& stay as they are.
    const odd = "/tmp/a\nb$'$&.profile";
    const word = String.raw`'/tmp/a'"$(printf '\012\142')"'$'\''$&.profile'`;
    expect(withProfileOption('run cpw-vault setup; then cpw-vault list', odd)).toBe(`run cpw-vault --profile ${word} setup; then cpw-vault --profile ${word} list`);
    expectReadAs(word, odd);
    expectReadAs(/--profile (.*) setup$/.exec(withProfileOption('run cpw-vault setup', escape))![1]!, escape);
  });

  it("a command another member runs (team add <you> ...) keeps no --profile: it is run on their machine, with their profile", () => {
    const text = 'To join that team, ask a member to run: cpw-vault team add <you> age1abc. Else: cpw-vault team init --file other.age';
    // It said "ask a member to run: cpw-vault --profile '/home/me/a b.profile' team add <you> age1abc".
    expect(withProfileOption(text, '/home/me/a b.profile')).toBe(
      "To join that team, ask a member to run: cpw-vault team add <you> age1abc. Else: cpw-vault --profile '/home/me/a b.profile' team init --file other.age",
    );
    expect(withProfileOption('add members with cpw-vault team add NAME age1...', '/p')).toBe('add members with cpw-vault --profile /p team add NAME age1...');
  });

  it('a profile that does not exist: its fix quotes the path (a $(...) in it once ran when pasted); backend\'s own lines carry it too', async () => {
    const t = makeTempHome();
    const odd = join(t.root, 'new $(touch PWNED).profile');
    const r = await cli(t, ['--profile', odd, 'get', 'huggingface', 'token']);
    expect(r.code).toBe(1);
    const fix = /fix: Check the path\. To create a profile there: (.*)\n/.exec(r.stderr)?.[1];
    expect(fix).toBe(`cpw-vault --profile '${odd}' setup`);
    const profile = join(t.root, 'b.profile');
    expect((await cli(t, ['--profile', profile, 'profile', 'set', 'name=B'])).code).toBe(0);
    const shown = await cli(t, ['--profile', profile, 'backend']);
    expect(shown.stdout).toContain(`cpw-vault --profile ${profile} backend use file`);
  });

  it('a missing key under --profile (a path with a space and a quote): the fix line, pasted into sh, stores it in that profile', async () => {
    const t = makeTempHome();
    const dir = join(t.root, "team's profiles");
    mkdirSync(dir);
    const profile = join(dir, 'team.profile');
    expect((await cli(t, ['--profile', profile, 'profile', 'set', 'name=Hint Test'])).code).toBe(0);
    for (const args of [['check', 'transcribe'], ['get', 'huggingface', 'token'], ['exec', '--workflow', 'transcribe', '--', 'true']]) {
      const r = await cli(t, ['--profile', profile, ...args]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).not.toMatch(/cpw-vault set/); // every suggestion carries the profile
    }
    const r = await cli(t, ['--profile', profile, 'check', 'transcribe']);
    const line = /run: (cpw-vault --profile .+ set huggingface token)\n/.exec(r.stderr)?.[1];
    expect(line, r.stderr).toBe(`cpw-vault --profile '${profile.replace(/'/g, `'\\''`)}' set huggingface token`);
    // Pasted as printed into sh, with `cpw-vault` on PATH (as npm link installs it).
    const bin = join(t.root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'cpw-vault'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
    const pasted = await collect(spawn('sh', ['-c', line!], { cwd: t.cwd, env: { ...process.env, PATH: `${bin}:${process.env['PATH']}`, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service } }), HF);
    expect(pasted.code, pasted.stderr).toBe(0);
    expect((await cli(t, ['--profile', profile, 'check', 'transcribe'])).code).toBe(0);
    expect(existsSync(t.profile)).toBe(false); // the default profile was never created
    // Every command under --profile, the light (fast) path's ones included: a prototype-based IO once lost env there
    // and doctor died INTERNAL ("reading 'HOME'").
    for (const args of [['doctor'], ['doctor', '--json'], ['list'], ['which', '--all'], ['runs'], ['profile', 'show'], ['env', '--workflow', 'transcribe'], ['get', 'huggingface', 'token'], ['check', 'transcribe']]) {
      const ran = await cli(t, ['--profile', profile, ...args]);
      expect(ran.stderr, args.join(' ')).not.toMatch(/INTERNAL|internal error|bug in cpw-vault/);
      expect(ran.code, `${args.join(' ')}: ${ran.stderr}`).toBe(0);
    }
  });

  // Found by a doctor pass: the --json documents (stdout, pasted from too) left the --profile out of their fix lines,
  // doctor's first; check's and every command's error document did the same.
  it('--json documents under --profile: the fix lines of check and of an error name that profile; values stay as they are', async () => {
    const t = makeTempHome();
    const profile = join(t.root, 'team.profile');
    expect((await cli(t, ['--profile', profile, 'profile', 'set', 'name=Hint Test'])).code).toBe(0);
    const quoted = profile; // a plain path: shellWord leaves it bare
    const check = await cli(t, ['--profile', profile, 'check', 'transcribe', '--json']);
    expect(check.code, check.stderr).toBe(3);
    const missing = (JSON.parse(check.stdout) as { missing: Array<{ fix: string; credentials: string[] }> }).missing;
    expect(missing[0]!.fix).toContain(`cpw-vault --profile ${quoted} set huggingface token`);
    expect(missing[0]!.credentials).toEqual(['huggingface.token']);
    const get = await cli(t, ['--profile', profile, 'get', 'huggingface', 'token', '--json']);
    expect(get.code, get.stderr).toBe(3);
    const error = (JSON.parse(get.stdout) as { error: { code: string; fix: string } }).error;
    expect(error.code).toBe('CREDENTIAL_MISSING');
    expect(error.fix).toContain(`cpw-vault --profile ${quoted} set huggingface token`);
    expect(error.fix).not.toMatch(/(?<!--profile \S+ )cpw-vault set/);
  });

  it('prose that names cpw-vault before a command word is not made a command: a symlinked lock under --profile', async () => {
    const t = makeTempHome();
    const dir = join(t.root, "it's here");
    mkdirSync(dir);
    const profile = join(dir, 'team.profile');
    expect((await cli(t, ['--profile', profile, 'profile', 'set', 'name=Hint Test'])).code).toBe(0);
    symlinkSync(join(t.root, 'elsewhere'), `${profile}.lock`);
    const r = await cli(t, ['--profile', profile, 'profile', 'set', 'name=Other']);
    expect(r.code).toBe(1);
    // "Remove it if no cpw-vault runs" became "if no cpw-vault --profile '...' runs": `runs` is a command name.
    expect(r.stderr).toContain(`fix: Remove it if no cpw-vault process is running: rm '${profile.replace(/'/g, `'\\''`)}.lock'`);
    expect(r.stderr).not.toMatch(/cpw-vault --profile/);
  });

  it('without --profile, or with $CPW_PROFILE (the shell keeps it), the lines are as before', async () => {
    const t = makeTempHome();
    const r = await cli(t, ['get', 'huggingface', 'token']);
    expect(r.stderr).toContain('run: cpw-vault set huggingface token\n');
    const env = { CPW_PROFILE: join(t.root, 'env.profile') };
    expect((await cli(t, ['profile', 'set', 'name=Env Test'], { env })).code).toBe(0);
    const viaEnv = await cli(t, ['get', 'huggingface', 'token'], { env });
    expect(viaEnv.stderr).toContain('run: cpw-vault set huggingface token\n');
  });
});
