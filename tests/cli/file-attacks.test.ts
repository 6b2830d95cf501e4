import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { collect, type ChildResult } from '../helpers/children';
import { fileEnv, makeFileVaultHome, vaultBytes, type FileVaultHome } from '../helpers/file-vault';

/**
 * The age vault file backend, export/import and the team vault, attacked:
 * each case here was a defect found by an attacker's pass (see the commit
 * that added it). Values never reach argv; every run has a hang guard that
 * kills it (and fails the test) instead of a fixed sleep.
 */

/** Runs the CLI on a file-backend home; a run still going after `hangMs` is killed and reported as hung. */
async function run(h: FileVaultHome, args: string[], options: { input?: string; hangMs?: number } = {}): Promise<ChildResult & { hung: boolean }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: h.cwd, env: fileEnv(h), stdio: ['pipe', 'pipe', 'pipe'] });
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, options.hangMs ?? 30_000);
  const result = await collect(child, options.input ?? '');
  clearTimeout(guard);
  return { ...result, hung };
}

describe('a FIFO where cpw-vault expects a file never hangs a command', () => {
  let h: FileVaultHome;
  beforeAll(async () => {
    h = await makeFileVaultHome({ logN: 10 });
  });
  afterAll(() => rmSync(h.root, { recursive: true, force: true }));

  it.each([
    ['vault', ['get', 'tmdb', 'api_key']],
    ['identity', ['unlock', '--passphrase-file', '<pass>']],
  ] as const)('the %s file made a FIFO: %j ends with "not a regular file" (exit 1), no hang', async (which, command) => {
    const path = h.files[which];
    renameSync(path, `${path}.real`);
    execFileSync('mkfifo', ['-m', '600', path]);
    try {
      const r = await run(h, command.map((a) => (a === '<pass>' ? h.passFile : a)));
      expect(r.hung, `${command[0]} hung on the FIFO`).toBe(false);
      expect(r.stderr).toContain(`${path} is not a regular file`);
      expect(r.code).toBe(1);
    } finally {
      rmSync(path);
      renameSync(`${path}.real`, path);
    }
  });

  it('a FIFO given as --passphrase-file or as a team --identity-file: a clear refusal, no hang', async () => {
    const fifo = join(h.root, 'pass.fifo');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    const before = vaultBytes(h);
    const unlock = await run(h, ['unlock', '--passphrase-file', fifo]);
    expect(unlock.hung, 'unlock hung on the FIFO').toBe(false);
    expect(unlock.stderr).toContain(`The passphrase file ${fifo} is not a regular file`);
    const team = await run(h, ['team', 'status', '--file', join(h.cwd, 'cpw-team.age'), '--identity-file', fifo]);
    expect(team.hung, 'team status hung on the FIFO').toBe(false);
    expect(team.stderr).toContain(`The identity file ${fifo} is not a regular file`);
    expect(vaultBytes(h)).toEqual(before);
  });
});
