// After each rename, a writer fsyncs the folder it renamed in (fsyncDir, secure-fs.ts). It opened that folder's name
// with O_RDONLY alone, so whatever stood there was opened: a FIFO planted (or left) at that name made the open wait
// for a writer for ever, the whole command with it (a terminal: no-controlling-terminal.test.ts).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, fixture } from '../helpers/children';
import { until } from '../helpers/lock-stop';
import { makeTempHome } from '../helpers/temp';

/** Whether a reader holds `fifo` open (or waits in its open): only then does a writer's non-blocking open succeed. */
function readerWaits(fifo: string): boolean {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)); // lets a waiting reader go on: no hang
    return true;
  } catch {
    return false;
  }
}

describe.runIf(process.platform === 'linux')('the fsync of a folder opens only a folder', () => {
  it('a FIFO where the folder is expected is not opened: the fsync returns, never waiting for a writer', async () => {
    const t = makeTempHome();
    const fifo = join(t.root, 'folder');
    expect(spawnSync('mkfifo', ['-m', '600', fifo]).status).toBe(0);
    let exited = false;
    const done = collect(spawn(process.execPath, [fixture('open-as-data'), 'folder fsync', fifo], { stdio: ['ignore', 'pipe', 'pipe'] }));
    void done.then(() => (exited = true));
    let opened = false;
    await until(() => exited || (opened = readerWaits(fifo)));
    expect(opened, 'the FIFO was opened as the folder').toBe(false);
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
  });
});
