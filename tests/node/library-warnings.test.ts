// The Node library's warnings, as a pipeline stage gets them on its stderr.
import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { collect } from '../helpers/children';
import { makeTempHome } from '../helpers/temp';

const LIBRARY = resolve(import.meta.dirname, '../../dist/index.mjs');
const TMDB = '0123456789abcdef0123456789abcdef';

describe("the Node library's warnings", () => {
  // `stage 2>&1 | head -1`, a log collector that went away: the warning (here a profile other users can read) was
  // written to a stderr nobody reads any more, and the unhandled EPIPE error event ended the stage (exit 1) right after
  // its key was read. console.error to the same stderr is ignored by Node; the library's own write must be too.
  it('a stderr whose reader is gone: the warning is dropped, the stage reads its key and runs on', async () => {
    const t = makeTempHome();
    expect((await cli(t, ['set', 'tmdb', 'api_key'], { input: TMDB })).code).toBe(0);
    chmodSync(t.profile, 0o644);
    const script = `
      import { once } from 'node:events';
      import { getCredential } from ${JSON.stringify(LIBRARY)};
      await once(process.stdin, 'data'); // the test has closed the only reader of this stderr
      process.stdin.destroy();
      try { console.log((await getCredential('tmdb', 'api_key')).value.length); } catch (e) { console.log(e.code); }
      await new Promise((r) => setTimeout(r, 300));
      console.log('ran on');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: t.cwd, env: { ...process.env, HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service }, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr!.destroy();
    const done = collect(child);
    child.stdin!.write('go\n');
    const r = await done;
    expect(r.stdout).toBe('32\nran on\n');
    expect(r.code).toBe(0);
  });
});
