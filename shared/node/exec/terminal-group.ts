import { readFileSync } from 'node:fs';

/** This process's process group, session, controlling terminal (0: none) and that terminal's foreground group, from /proc/self/stat; undefined where /proc cannot say (macOS). */
function terminalOf(): { pgrp: number; session: number; ttyNr: number; tpgid: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'latin1');
  } catch {
    return undefined;
  }
  // pid (comm) state ppid pgrp session tty_nr tpgid ...: comm may hold spaces and parentheses, so count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [pgrp, session, ttyNr, tpgid] = [Number(fields[2]), Number(fields[3]), Number(fields[4]), Number(fields[5])];
  return [pgrp, session, ttyNr, tpgid].every(Number.isInteger) ? { pgrp, session, ttyNr, tpgid } : undefined;
}

/**
 * True when this process is in the foreground process group of its
 * controlling terminal: a Ctrl-C (SIGINT) or Ctrl-\ (SIGQUIT) typed there is
 * sent by the terminal to the whole group, so a child in the group got it
 * already. Read from /proc/self/stat (its pgrp and the terminal's tpgid),
 * whatever stdin is: `... | cpw-vault exec` or `< file` in a terminal is
 * still in its foreground. Where /proc cannot say (macOS), `fallback`.
 */
export function inTerminalForeground(fallback: boolean): boolean {
  const t = terminalOf();
  if (!t) return fallback;
  return t.ttyNr !== 0 && t.tpgid > 0 && t.tpgid === t.pgrp;
}

/**
 * Tells the SIGHUP of a terminal's hangup, which a child in this process's
 * group got too, from one meant for this process alone. Made when the
 * process starts; `groupGotHangup()` is then true once the controlling
 * terminal it had is gone and it is not its session's leader: a hangup
 * takes the terminal from every process of the session and signals the
 * leader alone (a shell, ssh's command), and the SIGHUP that reaches anyone
 * else goes to whole process groups (the foreground one from the kernel as
 * the leader exits; every job from an interactive shell). The leader itself
 * (`ssh -t host cpw-vault exec ...`, a shell that exec'd it) is the only one
 * told: false there, as with no terminal at the start (cron, CI) or where
 * /proc cannot say.
 */
export function terminalHangup(): { groupGotHangup(): boolean } {
  const start = terminalOf();
  const watch = start !== undefined && start.ttyNr !== 0 && start.session !== process.pid;
  return { groupGotHangup: () => watch && terminalOf()?.ttyNr === 0 };
}
