import { mkdtempSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';

/** A fresh HOME and working directory inside the test run's throwaway root. */
export interface TempHome {
  root: string;
  home: string;
  cwd: string;
  /** The default profile path under this HOME. */
  profile: string;
  /** A keychain service name of its own, so parallel tests never share keychain items. */
  service: string;
}

export function makeTempHome(): TempHome {
  const base = process.env['CPW_TEST_ROOT'] ?? tmpdir();
  const root = mkdtempSync(join(base, 't-'));
  const home = join(root, 'home');
  const cwd = join(root, 'work');
  mkdirSync(home, { recursive: true });
  mkdirSync(cwd, { recursive: true });
  return { root, home, cwd, profile: join(home, '.cp-whisperx', 'user.profile'), service: `cp-whisperx-test-${basename(root)}` };
}
