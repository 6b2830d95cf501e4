import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { fileCli, makeFileVaultHome, type FileVaultHome } from '../helpers/file-vault';

/**
 * A CI job that unlocks the vault file and is then cancelled (or just ends). The unlock agent is detached (a session
 * of its own), so the runner's SIGTERM / SIGKILL to the job's process group never reaches it; what ends it is the
 * runner's end-of-job cleanup, which finds the job's processes by a variable in their environment: GitHub Actions'
 * runner kills every process whose environment holds its RUNNER_TRACKING_ID ("Cleaning up orphan processes"), Azure
 * Pipelines' VSTS_PROCESS_LOOKUP_ID, Jenkins' ProcessTreeKiller JENKINS_NODE_COOKIE. Started with an empty
 * environment, the agent escaped it: on a self-hosted runner the vault stayed open for its 8 h to every later job.
 */

const homes: FileVaultHome[] = [];
afterEach(async () => {
  for (const h of homes.splice(0)) {
    await fileCli(h, ['lock']);
    rmSync(h.root, { recursive: true, force: true });
  }
});

/** The runner's cleanup: SIGKILL every process whose environment holds `entry` (as the runner's Process.Kill()). */
function killTracked(entry: string): number[] {
  const killed: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    let environ: string[];
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    } catch {
      continue; // gone, or not ours to read
    }
    if (!environ.includes(entry)) continue;
    process.kill(Number(pid), 'SIGKILL');
    killed.push(Number(pid));
  }
  return killed;
}

/** Whether `pid` is still a live process (a zombie counts as ended). */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

describe('a CI job that unlocked the vault file ends', () => {
  it.each([
    ['RUNNER_TRACKING_ID', 'GitHub Actions'],
    ['VSTS_PROCESS_LOOKUP_ID', 'Azure Pipelines'],
    ['JENKINS_NODE_COOKIE', 'Jenkins'],
  ])('the runner finds the unlock agent by %s (%s) and ends it: the vault is locked again', async (name) => {
    const h = await makeFileVaultHome({ logN: 10 });
    homes.push(h);
    const entry = `${name}=job_${randomBytes(8).toString('hex')}`;
    const job = { [name]: entry.slice(name.length + 1), HF_TOKEN: 'hf_not_for_the_agent_0123456789abcdefgh' };
    const unlock = await fileCli(h, ['unlock', '--passphrase-file', h.passFile, '--json'], { env: job });
    expect(unlock.code, unlock.stderr).toBe(0);
    const pid = (JSON.parse(unlock.stdout) as { pid: number }).pid;
    expect((await fileCli(h, ['set', 'tmdb', 'api_key', '--force'], { input: '0123456789abcdef0123456789abcdef', env: job })).code).toBe(0);
    // The tracking id and nothing else of the job's environment (its HF_TOKEN stays out).
    expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)).toEqual([entry]);

    expect(killTracked(entry)).toContain(pid);
    for (const until = Date.now() + 20_000; alive(pid) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
    const get = await fileCli(h, ['get', 'tmdb', 'api_key']);
    expect(get.stdout).toBe('');
    expect(get.code).toBe(4);
    expect(get.stderr).toContain('[VAULT_LOCKED]');
  }, 60_000);
});
