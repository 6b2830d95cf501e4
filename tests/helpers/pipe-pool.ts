// What exec leaves in TMPDIR: its pool of spare FIFOs (shared/node/exec/pipe-pool.ts), and nothing else.
import { lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What makes exec use FIFOs: it starts its stages with Node's spawn (no addon, or switched off so); with the addon
 * (native/spawn, built here) its masked streams are anonymous pipes and it makes no FIFO at all.
 */
export const FIFO_EXEC = { CPW_VAULT_SPAWN: 'node' } as const;

/** The pool's folder name (one per user). */
export const POOL = `cpw-vault-pipes-${process.getuid!()}`;

/** The entries of the pool in `tmp`, sorted ([] when there is none). */
export function poolEntries(tmp: string): string[] {
  try {
    return readdirSync(join(tmp, POOL)).sort();
  } catch {
    return [];
  }
}

/**
 * Whether `tmp` holds nothing but the pool (or nothing), and the pool nothing but
 * spares: empty FIFOs of this user, mode 0600, at most 32 (no claimed FIFO left).
 */
export function onlySpares(tmp: string): boolean {
  const top = readdirSync(tmp);
  if (top.some((n) => n !== POOL)) return false;
  const spares = poolEntries(tmp);
  return spares.length <= 32 && spares.every((n) => /^spare-\d\d$/.test(n) && lstatSync(join(tmp, POOL, n)).isFIFO() && (lstatSync(join(tmp, POOL, n)).mode & 0o777) === 0o600);
}

/** Makes exec's pool unusable in `tmp` (a file at its name): exec makes its FIFOs in a private folder of its own. */
export function noPool(tmp: string): void {
  writeFileSync(join(tmp, POOL), '');
}

/** Whether a `mkfifo` is at work in `tmp`: its arguments name it, or (the pool's) its fd 3 is a folder there. */
export function mkfifoAtWork(tmp: string): boolean {
  return mkfifosAtWork([tmp]).has(tmp);
}

function linkOrEmpty(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

/** Which of the folders `tmps` a `mkfifo` is at work in ({@link mkfifoAtWork}), from one look through /proc. */
export function mkfifosAtWork(tmps: readonly string[]): Set<string> {
  const at = new Set<string>();
  for (const p of readdirSync('/proc')) {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'latin1').split('\0');
      if (!argv[0]!.endsWith('mkfifo')) continue;
      const fd3 = linkOrEmpty(`/proc/${p}/fd/3`);
      for (const tmp of tmps) if (argv.some((a) => a.startsWith(`${tmp}/`)) || fd3.startsWith(`${tmp}/`)) at.add(tmp);
    } catch {
      // gone between two looks
    }
  }
  return at;
}
