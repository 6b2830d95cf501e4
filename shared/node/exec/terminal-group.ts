import { procStatFields } from '../builtins';

/**
 * True when this process is in the foreground process group of its
 * controlling terminal: a Ctrl-C (SIGINT) or Ctrl-\ (SIGQUIT) typed there is
 * sent by the terminal to the whole group, so a child in the group got it
 * already. Read from /proc/self/stat (its pgrp and the terminal's tpgid),
 * whatever stdin is: `... | cpw-vault exec` or `< file` in a terminal is
 * still in its foreground. Where /proc cannot say (macOS), `fallback`.
 */
export function inTerminalForeground(fallback: boolean): boolean {
  const fields = procStatFields('self');
  if (!fields) return fallback;
  const [pgrp, ttyNr, tpgid] = [Number(fields[2]), Number(fields[4]), Number(fields[5])];
  if (![pgrp, ttyNr, tpgid].every(Number.isInteger)) return fallback;
  return ttyNr !== 0 && tpgid > 0 && tpgid === pgrp;
}
