// Found by an outside pass (h144): without --remove-plaintext, migrate's summary offered "Delete them once your pipelines
// work: rm -- SOURCE BACKUP" for files --remove-plaintext itself keeps: a key given twice, a commented-out key, a
// source edited while the confirmation waited. Pasted, that line lost what the vault never got.
import { spawn } from 'node:child_process';
import { existsSync, linkSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { makeTempHome, type TempHome } from '../helpers/temp';

const HF = `hf_${'RmLine'.repeat(6)}`;
const OLD = `hf_${'OldOne'.repeat(6)}`;
const OPENAI = `sk-proj-${'Kept'.repeat(10)}`;

/** Runs the CLI in a pseudo-terminal (tests/helpers/pty_drive.py), one step per prompt. */
function inPty(t: TempHome, args: string[], steps: Array<Record<string, string>>) {
  const child = spawn('python3', [resolve(import.meta.dirname, '../helpers/pty_drive.py'), JSON.stringify(steps), process.execPath, BIN, ...args], {
    cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, TERM: 'xterm' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collect(child).then((r) => {
    const out = JSON.parse(r.stdout) as { screen: string; code: number | null; stuck_at?: string };
    return { ...out, screen: out.screen.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '') };
  });
}

describe('migrate without --remove-plaintext offers no rm line for files --remove-plaintext would keep', () => {
  it('a key given twice, or a commented-out key: the files are named as kept, and why, never with rm', async () => {
    for (const [name, text, why] of [
      ['twice.env', `HF_TOKEN=${OLD}\nHF_TOKEN=${HF}\n`, 'HF_TOKEN appears more than once'],
      ['commented.env', `# OPENAI_API_KEY=${OPENAI}\nHF_TOKEN=${HF}\n`, '1 comment holds a value or what looks like a key (OPENAI_API_KEY)'],
    ] as const) {
      const t = makeTempHome();
      const env = join(t.cwd, name);
      writeFileSync(env, text, { mode: 0o600 });
      const r = await cli(t, ['migrate', '--from', env, '--yes']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('Migrated 1 credential into');
      expect(r.stderr).not.toContain('rm --');
      expect(r.stderr).toContain(why);
      expect(r.stderr).toMatch(/Plaintext is still on disk: .*Keep them/);
      expect(r.stdout + r.stderr).not.toContain(OLD);
      expect(r.stdout + r.stderr).not.toContain(OPENAI);
      expect(readFileSync(env, 'utf8')).toBe(text);
    }
  });

  it('a source edited while the confirmation waited: says it changed and to run migrate again, never rm', async () => {
    const t = makeTempHome();
    const env = join(t.cwd, 'edited.env');
    writeFileSync(env, `HF_TOKEN=${OLD}\n`, { mode: 0o600 });
    const edited = `HF_TOKEN=${HF}\nOPENAI_API_KEY=${OPENAI}\n`;
    const r = await inPty(t, ['migrate', '--from', env], [
      { expect: 'Write 1 credential', run: `printf '%s' '${edited}' > '${env}'` },
      { expect: '', send: 'y\r' },
    ]);
    expect(r.stuck_at).toBeUndefined();
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toContain('Migrated 1 credential into');
    expect(r.screen).not.toContain('rm --');
    expect(r.screen).toContain('changed since it was read for the plan');
    expect(r.screen).not.toContain(OPENAI);
    expect(readFileSync(env, 'utf8')).toBe(edited);
    // Run again, as it says: the new value is a conflict and OPENAI_API_KEY a new row; nothing was lost.
    const again = await cli(t, ['migrate', '--from', env, '--dry-run']);
    expect(again.stdout).toMatch(/HF_TOKEN\s+huggingface\.token\s+conflict/);
    expect(again.stdout).toMatch(/OPENAI_API_KEY\s+openai\.api_key\s+import/);
  });

  it('--remove-plaintext on a source with a second hard link (a snapshot, cp -al): nothing deleted, says so and how to find it (exit 1)', async () => {
    const t = makeTempHome();
    const env = join(t.cwd, 'linked.env');
    writeFileSync(env, `HF_TOKEN=${HF}\n`, { mode: 0o600 });
    linkSync(env, join(t.cwd, 'snapshot.env'));
    const r = await cli(t, ['migrate', '--from', env, '--yes', '--remove-plaintext']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('Migrated 1 credential into');
    expect(r.stderr).not.toContain('Removed plaintext');
    expect(r.stderr).toContain('another hard link');
    expect(r.stderr).toContain('-samefile');
    expect(existsSync(env)).toBe(true);
  });
});
