// The stage's environment is the parent's, variable for variable, whatever the variables are called: names that are
// also the names of Object.prototype's members are ordinary variables to a shell.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'Name'.repeat(9)}`;

describe('exec: the parent environment the stage gets', () => {
  // `__proto__=x` went through the environment cpw-vault read but not into the stage's: the child's environment was
  // built in a plain object, where an assignment to `__proto__` sets the object's prototype (a string: ignored).
  it('passes on variables named __proto__, constructor, toString, hasOwnProperty and valueOf, injects the workflow\'s, strips the others\'', () => {
    const t = makeTempHome();
    const assignments = ['__proto__=p', 'constructor=c', 'toString=t', 'hasOwnProperty=h', 'valueOf=v'];
    const r = spawnSync('env', [...assignments, `HF_TOKEN=${HF}`, 'OPENAI_API_KEY=sk-other', 'KEPT=1', process.execPath, BIN, 'exec', '--workflow', 'transcribe', '--no-mask', '--', 'env'], {
      cwd: t.cwd,
      env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    for (const line of assignments) expect(lines, line).toContain(line);
    expect(lines).toContain('KEPT=1');
    expect(lines).toContain(`HUGGING_FACE_HUB_TOKEN=${HF}`);
    expect(lines.filter((l) => l.startsWith('OPENAI_API_KEY='))).toEqual([]);
  });

  // Node leaves a variable whose name is not UTF-8 out of process.env altogether: the stage never got it, and nothing
  // said so. Set here as bytes by env(1), as bash's `env $'\xff'X=1` or python's os.execve with bytes do.
  it('says once, how many and which (names escaped, never a value), the variables the stage cannot get as they are', () => {
    const t = makeTempHome();
    const vars = [`$'\\xffX=first-hidden'`, `$'K\\e[31m\\xfe\\\\=second-hidden'`, `MEDIA_DIR=$'/data/caf\\xe9'`, `HF_TOKEN=${HF}`, 'KEPT=1'];
    const r = spawnSync('bash', ['-c', `exec env ${vars.join(' ')} "${process.execPath}" "${BIN}" exec --workflow transcribe --no-mask -- env -0`], {
      cwd: t.cwd,
      env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service },
      timeout: 60_000,
    });
    const stderr = r.stderr.toString('latin1');
    expect(r.status, stderr).toBe(0);
    expect(stderr.split('\n').filter((l) => l.startsWith('warning:'))).toEqual([
      'warning: 3 variables of the environment are not valid UTF-8, and Node passes only text: the stage does not get 2 whose name is not UTF-8 (\\xffX, K\\x1b[31m\\xfe\\x5c), and gets 1 with U+FFFD in place of the invalid bytes of its value (MEDIA_DIR). Set them in UTF-8, or have the stage read them from a file.',
    ]);
    expect(stderr).not.toContain('hidden');
    expect(stderr).not.toContain('\x1b');
    // What the stage got: the rest as it was; those two not at all; MEDIA_DIR as Node could pass it.
    const entries = r.stdout.toString('latin1').split('\0');
    expect(entries).toContain('KEPT=1');
    expect(entries.filter((e) => e.includes('hidden'))).toEqual([]);
    expect(entries).toContain(Buffer.from('MEDIA_DIR=/data/caf\uFFFD').toString('latin1'));
  });

  // The names were listed in full, each and all: 10,000 of them made a 109 KB warning line, one name of 120,000 bytes
  // (an environment anyone can hand exec: a CI job's, a python os.execve's) a 480 KB one, for a line a user reads.
  it('keeps that warning short whatever the environment: a few names, each cut short, and how many more', () => {
    const t = makeTempHome();
    // Made by bash (Node passes only text): 10,000 names ending in byte 0xff, after one of 120,000 bytes.
    const script = `v=(); for i in {0..9999}; do v+=("N$i"$'\\xff'=v); done; exec env "$(printf 'L\\xff%.0s' {1..60000})=v" "\${v[@]}" HF_TOKEN=${HF} "${process.execPath}" "${BIN}" exec --workflow transcribe --no-mask -- echo stage-ran`;
    const r = spawnSync('bash', ['-c', script], {
      cwd: t.cwd,
      env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service },
      timeout: 60_000,
    });
    const stderr = r.stderr.toString('utf8');
    expect(r.status, stderr.slice(0, 400)).toBe(0);
    expect(r.stdout.toString()).toBe('stage-ran\n');
    const warnings = stderr.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('the stage does not get 10001 whose name is not UTF-8 (L\\xffL\\xff');
    expect(warnings[0]).toContain('…, N0\\xff, N1\\xff');
    expect(warnings[0]).toContain('and 9981 more)');
    expect(warnings[0]!.length).toBeLessThan(1000);
  });
});
