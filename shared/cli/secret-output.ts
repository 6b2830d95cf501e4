import { fchmodSync, fstatSync, readlinkSync } from 'node:fs';

/**
 * Before `get` or `env` writes values to stdout: when stdout is a regular
 * file other users can open (`cpw-vault env ... > .env.local` under the
 * usual umask 022 makes it 0644), the file is made 0600 first, as every
 * file cpw-vault writes a secret to, and the user is told. A file this
 * process may not change, or whose filesystem keeps its mode (a Windows
 * drive under WSL), gets a warning instead. A terminal, pipe or /dev/null
 * is left alone. Returns the line to print on stderr, if any.
 */
export function protectSecretOutput(fd = 1): string | undefined {
  let mode: number;
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || (st.mode & 0o077) === 0) return undefined;
    mode = st.mode & 0o777;
  } catch {
    return undefined; // no stdout: nothing is written anywhere
  }
  const name = fileName(fd);
  const was = mode.toString(8).padStart(4, '0');
  try {
    fchmodSync(fd, 0o600);
    if ((fstatSync(fd).mode & 0o077) === 0) return `note: ${name} was readable by other users (${was}); it is now 0600, as the secret values written to it need.`;
  } catch {
    // not ours to change: said below
  }
  return `warning: ${name} can be read by other users (${was}) and its mode could not be tightened; the secret values are written to it. Write them somewhere only you can read (umask 077), or pipe them instead.`;
}

/** The path of the file open as `fd` (Linux), for a message; "stdout" elsewhere. */
function fileName(fd: number): string {
  try {
    const path = readlinkSync(`/proc/self/fd/${fd}`);
    return path.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  } catch {
    return 'stdout';
  }
}
