import { isUtf8 } from 'node:buffer';
import { CONTROL_CHARS } from '../../core/control-chars';
import { procEntries } from '../builtins';

/**
 * The names among `passed` (variables a stage is about to get from this
 * process's environment) whose value, as this process received it, is not
 * UTF-8: Node reads each as text with U+FFFD in place of the invalid bytes
 * and can only pass text on, so the stage would get another value (a
 * MEDIA_DIR=/data/café in Latin-1 names a folder that does not exist).
 * Looked at only when a value holds U+FFFD, against /proc/self/environ
 * (Linux); elsewhere none are named.
 */
export function alteredEnvVars(passed: Readonly<Record<string, string>>): string[] {
  const suspects = Object.keys(passed).filter((name) => passed[name]!.includes('\uFFFD'));
  if (!suspects.length) return [];
  // A Set: the environment is the user's, and may hold thousands of such variables (each entry looked up once).
  const suspected = new Set(suspects);
  const altered = new Set<string>();
  for (const entry of procEntries('environ')) {
    const eq = entry.indexOf(0x3d);
    if (eq > 0 && !isUtf8(entry.subarray(eq + 1))) {
      const name = entry.subarray(0, eq).toString('utf8');
      if (suspected.has(name)) altered.add(name);
    }
  }
  return suspects.filter((name) => altered.has(name));
}

/**
 * The names, as raw bytes, of the variables of this process's environment
 * whose NAME is not UTF-8 (`env $'\xff'X=1 ...`, python's os.execve with
 * bytes): Node leaves them out of process.env altogether, so a stage never
 * gets them. Read from /proc/self/environ (Linux); elsewhere none are named.
 * Their values are never looked at.
 */
export function unnamedEnvVars(): Buffer[] {
  const names: Buffer[] = [];
  // Most environments are all UTF-8 (NUL included): one check of the whole, on every exec, and nothing cut or kept.
  for (const entry of procEntries('environ', (raw) => !isUtf8(raw))) {
    // One that is not: each entry checked, its name looked at only in one that is not UTF-8.
    if (isUtf8(entry)) continue;
    const eq = entry.indexOf(0x3d);
    const name = eq < 0 ? entry : entry.subarray(0, eq);
    if (!isUtf8(name)) names.push(name);
  }
  return names;
}

/** Lead bytes of UTF-8 sequences of 2, 3 and 4 bytes. */
const sequenceLength = (lead: number): number => (lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 1);

/**
 * A variable's name for a message: its UTF-8 text, with each byte that is not part of it (invalid), each control
 * character (an escape sequence would drive the terminal), the space and the backslash written as `\xHH`: two
 * different names never show alike, a list of them reads unambiguously, and none can redraw the line it is on.
 * Cut short with `…` past `max` characters: a name can be 128 KiB long, and a warning is a line to read.
 */
export function shownEnvName(name: Buffer | string, max = Infinity): string {
  const bytes = typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
  let shown = '';
  for (let i = 0; i < bytes.length; ) {
    if (shown.length >= max) return `${shown}…`;
    const byte = bytes[i]!;
    const length = sequenceLength(byte);
    const sequence = bytes.subarray(i, i + length);
    const text = sequence.toString('utf8');
    if (length > 1 && sequence.length === length && isUtf8(sequence) && !CONTROL_CHARS.test(text)) {
      shown += text;
      i += length;
    } else {
      shown += byte > 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return shown;
}
