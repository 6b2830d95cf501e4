// A compaction swaps the new runs.jsonl in with a rename, which is on disk only once the folder holding it is fsynced
// (as every other writer does: fsyncDir). Without it a crash soon after the rename could bring back the old, long file
// or leave the temp file's name, the user's history as it was before the compaction or lost from view.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/children';
import { runLines } from '../helpers/run-lines';
import { makeTempHome } from '../helpers/temp';

/** The fds `line` (strace's) returned from an openat of `dir` as a folder. */
function openedFolderFd(line: string, dir: string): string | undefined {
  if (!line.includes(`openat(AT_FDCWD, "${dir}", `) || !line.includes('O_DIRECTORY')) return undefined;
  return /= (\d+)$/.exec(line)?.[1];
}

describe.runIf(process.platform === 'linux')('compacting the run history', () => {
  it('fsyncs the folder after renaming the compacted file into place', () => {
    const t = makeTempHome();
    const path = join(t.home, 'runs.jsonl');
    const dir = dirname(path);
    writeFileSync(path, runLines(300, Date.now() - 3_600_000), { mode: 0o600 });
    const log = join(t.root, 'strace.log');
    const r = spawnSync('strace', ['-f', '-qq', '-o', log, '-e', 'trace=openat,fsync,rename,renameat,renameat2', process.execPath, fixture('history-compactor'), path, '100'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const calls = readFileSync(log, 'utf8').split('\n').map((l) => l.replace(/^\d+\s+/, ''));
    const renamed = calls.findIndex((l) => /^rename/.test(l) && l.includes(`"${path}"`));
    expect(renamed, 'the compacted file was renamed into place').toBeGreaterThan(-1);
    // Compacted indeed: 100 of the 300 runs left.
    expect(readFileSync(path, 'utf8').trimEnd().split('\n')).toHaveLength(100);
    const after = calls.slice(renamed + 1);
    const fds = after.map((l) => openedFolderFd(l, dir)).filter((fd) => fd !== undefined);
    expect(after.some((l) => fds.some((fd) => l.startsWith(`fsync(${fd})`) && l.endsWith('= 0'))), after.join('\n')).toBe(true);
  });
});
