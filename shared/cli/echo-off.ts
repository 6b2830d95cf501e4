import { spawnSync } from 'node:child_process';

/**
 * The terminal's echo, off across a run of hidden prompts and the work
 * between them. A hidden prompt turns echo off only while it reads (raw
 * mode); between two of them the terminal echoed again, so what was typed
 * ahead while the first answer was checked (scrypt, 1-3 s) appeared in clear:
 * `passphrase change` showed the new passphrase under the current one, and
 * `setup` the next secret, pasted early, while it stored the keys one by one.
 *
 * Off with `stty -echo` before the first prompt: the prompts' raw mode
 * starts from it and goes back to it, and the line discipline keeps
 * everything else (Ctrl-C stays a SIGINT while the work runs, and what was
 * typed ahead waits for the next prompt). Node has no call for the echo
 * alone: raw mode would also turn Ctrl-C into a byte nobody reads until the
 * next prompt.
 */

let depth = 0;
let saved: string | undefined;

/**
 * Runs `fn` with the terminal's echo off, and puts the terminal's settings
 * back as they were when it ends, however it ends (a signal that ends the
 * process: Node restores them at exit). Nested calls share the outer one's.
 * Without a terminal on stdin, or without `stty`, just runs `fn`.
 */
export async function echoOffDuring<T>(fn: () => Promise<T>): Promise<T> {
  if (!process.stdin.isTTY) return fn();
  if (depth++ === 0) {
    saved = stty(['-g']);
    if (saved) stty(['-echo']);
  }
  try {
    return await fn();
  } finally {
    if (--depth === 0 && saved) {
      stty([saved]);
      saved = undefined;
    }
  }
}

/** Runs stty on the terminal of stdin; its output, or undefined when it failed (no stty, a terminal it cannot set). */
function stty(args: string[]): string | undefined {
  // A time limit: from a background process group stty would be stopped (SIGTTOU) until brought back.
  const r = spawnSync('stty', args, { stdio: ['inherit', 'pipe', 'ignore'], encoding: 'utf8', timeout: 5_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * Turns the echo off again inside {@link echoOffDuring}, after the process was stopped (Ctrl-Z) and continued (`fg`):
 * the shell put its own settings back on the terminal meanwhile, echo on.
 */
export function reassertEchoOff(): void {
  if (depth > 0 && saved) stty(['-echo']);
}
