/**
 * The parts of exec's run of a stage that outlive the fork: its lines in the run history, and the signals exec passes
 * on to it (exec.ts runChild puts them together).
 */
import type { StageProcess } from '../../node/exec/native-spawn';
import { ENDING, exitedAlready, type StageSignals } from '../../node/exec/stage-signals';
import { inTerminalForeground } from '../../node/exec/terminal-group';
import type { RunHistory, RunRecord } from '../../node/records/run-history';
import type { CliContext } from '../context';

/**
 * Signals passed on to the stage besides those {@link StageSignals} hands over (before the stage, they dump a core as by
 * default). SIGXCPU (a batch scheduler's CPU-time limit: SGE, LSF), as SIGQUIT: left to its default action, it killed
 * exec while its stage ran on with its keys, the run left interrupted. Not SIGTRAP nor SIGSYS: V8 ends on a trap of its
 * own (int3), and seccomp's SIGSYS stands for a system call refused; handled, either would run on past it.
 */
const ALSO_FORWARDED: NodeJS.Signals[] = ['SIGQUIT', 'SIGXCPU'];

/**
 * Signals a person or a supervisor sends to end a run (see forwardSignals: one the stage got). SIGALRM too: sent from
 * outside, it is `timeout -s ALRM`'s (or a supervisor's) way to end one, as SIGTERM is `timeout`'s; a stage's own
 * alarm (alarm(), setitimer) is its own timer's, never exec's to pass on. Not SIGUSR1/2: asks to run on (dd's
 * progress, node's --heapsnapshot-signal, gunicorn's or PHP-FPM's reload). Nor the other ENDING ones (SIGVTALRM,
 * SIGIO, ...): no tool sends them to end a run.
 */
const ASKED_TO_END: ReadonlySet<string> = new Set(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGALRM']);

/** The history a run is recorded in, and what is recorded of it. */
export interface Recording {
  history: RunHistory;
  run: Parameters<RunHistory['start']>[0];
}

/**
 * The run's lines in the history, appended one after another, so the end of a run can never land before its start:
 * `begin` right before the fork, `record` as the stage ends (or, when `begin`'s line is not in yet, after it).
 * `endNow`, when exec must end before that (a signal after the stage exited), writes the end at once.
 */
export function runRecorder(recording: Recording | undefined, ctx: CliContext) {
  // Taken as the stage is forked (begin): its start and duration are its own, whatever the recording waits for.
  let started = Date.now();
  let updates: Promise<RunRecord | undefined> = Promise.resolve(undefined);
  // The run as its start line has it (known before the line is written), the end `record` was asked, and whether
  // that end is written: what `endNow` needs.
  let made: RunRecord | undefined;
  let asked: Partial<RunRecord> | undefined;
  let ended = false;
  const warned = (err: Error) => {
    ctx.io.err(`warning: could not record the run: ${err.message}\n`);
    return undefined;
  };
  const keep = (record: RunRecord) => (made = record);
  return {
    // The start, appended right before the fork: synchronously when the history's lock is free (the common case), so
    // an exec killed the instant after the fork still leaves its run, which turns interrupted. Never awaited here: a
    // busy lock (another exec's append, a compaction's swap) holds the line back, never the stage.
    begin: () => {
      started = Date.now();
      if (!recording) return;
      const { history, run } = recording;
      updates = history.start({ ...run, status: 'running' }, new Date(started), { compact: false, made: keep }).catch(warned);
    },
    record: (patch: Partial<RunRecord>) => {
      if (!recording) return;
      const { history, run } = recording;
      if (patch.status !== 'running') asked = patch;
      updates = updates
        .then(async (recorded) => {
          // Not compacted while the stage runs (it would hold this event loop, so the stage's output and signals): the
          // end, recorded once the stage ended, compacts when due.
          const entry = recorded ?? (await history.start({ ...run, status: 'running' }, new Date(started), { compact: patch.status !== 'running', made: keep }));
          if (patch.status !== 'running') {
            await history.update(entry.id, patch);
            ended = true;
          }
          return entry;
        })
        .catch(warned);
    },
    /**
     * The end, written at once (synchronously, never waiting on the history's lock: see RunHistory.endNow), for exec
     * about to end by signal `dying`: what `record` was asked, if it was, else `patch` (the stage's exit, known before
     * its output is all written and `record` is called), as ended by `dying` (see {@link endedBy}). Written again
     * when the end written already says otherwise: the shell saw exec die of the signal, `runs` said succeeded.
     */
    endNow: (patch: Partial<RunRecord>, dying: NodeJS.Signals) => {
      if (!recording || !made) return;
      const end = endedBy(asked ?? patch, dying);
      if (ended && asked?.status === end.status && asked?.signal === end.signal) return;
      recording.history.endNow(made, end);
      ended = true;
    },
    elapsed: () => Date.now() - started,
    /** Settles once every line asked for is written (or warned about). */
    written: () => updates,
  };
}

/**
 * The end of a run whose exec ends by `signal` (it dies of it, whatever the stage did): failed, with that signal, as
 * the shell that ran exec saw it (128+n), and the stage's own exit code kept (0 for one that ended well: a signal it
 * never got, or got and ran on past).
 */
export function endedBy(end: Partial<RunRecord>, signal: NodeJS.Signals): Partial<RunRecord> {
  return { ...end, status: 'failed', signal };
}

/**
 * Passes the signals exec gets on to the stage `child()` from now until `stop`; a terminating one the stage could no
 * longer get (it had exited, its exit not yet handled) ends exec at `stop`, the run's end recorded first.
 */
export function forwardSignals(signals: StageSignals, ctx: CliContext, child: () => StageProcess) {
  let unheard: NodeJS.Signals | undefined;
  // A Ctrl-C, SIGTERM, SIGHUP or SIGALRM (ASKED_TO_END) the stage got while it ran (passed on, or a terminal's Ctrl-C
  // that reached it directly): one after the stage exited is then the second asked of exec, and ends it without
  // waiting for held output. (Not SIGUSR1/2: `dd` prints its progress on one and runs on.)
  let heard = false;
  // A Ctrl-C, SIGTERM, SIGHUP or SIGALRM passed on as the stage was being started (it may have come before the fork:
  // exec's own to die of). Not SIGUSR1/2: a `dd` that printed its progress on one and then ended well ended well.
  let early: NodeJS.Signals | undefined;
  const forward = (signal: NodeJS.Signals, justStarted = false) => {
    const gone = exitedAlready(child());
    if (!gone && ASKED_TO_END.has(signal)) heard = true;
    if (!gone && justStarted && ASKED_TO_END.has(signal)) early ??= signal;
    // A terminal's Ctrl-C / Ctrl-\ already reaches the child (same process group): do not send it twice (a second
    // SIGINT cuts short the cleanup a stage does on its first). Whatever stdin is: `find | cpw-vault exec` too. Unless
    // it came as the stage was being started: typed before the fork, it reached exec alone and was lost (the stage
    // ran to the end). A stage a few milliseconds old has no cleanup of its own yet for a second one to cut short.
    if ((signal === 'SIGINT' || signal === 'SIGQUIT') && !justStarted && inTerminalForeground(ctx.io.stdinIsTTY)) return;
    // A SIGHUP is always passed on, though a terminal's hangup may have reached the stage through its process group
    // already: a session leader that tells exec alone (`timeout --foreground`, a supervisor, ssh's command when exec
    // is it) is indistinguishable from here, and a stage that never hears of the hangup runs on without its terminal.
    // One that would have ended exec before the stage, and the stage (gone already) could not get, ends exec itself.
    // Gone is asked before the signal is sent: asked after, a stage that ended on this very signal (its trap's exit
    // 42, on the other core, between the kill and the look in /proc) counted as one that never got it, and exec died
    // of the signal it had passed on instead of ending with the stage's code (6 runs in 60 with a busy stage).
    child().kill(signal);
    if (gone && ENDING.includes(signal)) unheard ??= signal;
  };
  signals.stageStarts(forward);
  // Node calls a signal's listeners with its name and number: the number is no `justStarted` (Ctrl-\ went twice).
  const forwardQuit = (signal: NodeJS.Signals) => forward(signal);
  for (const s of ALSO_FORWARDED) process.on(s, forwardQuit);
  return {
    /**
     * The stage has ended, with `code` or of `died`: signals end exec at once from now, after `lastly` (and output
     * `held`, unless the stage got one such signal already), and so does one it could no longer get that came as it
     * exited (see StageSignals.stageEnded). Returns the signal exec is to end by once the stage's output is written
     * and its run recorded, as if the stage had died of it: one passed on as it started that it answered with success.
     *
     * That last: a stage alive at the look in /proc may be on its way out already (`touch` takes a millisecond) and
     * never get the signal; on a loaded machine exec then exited 0, for a signal that came before the stage could act.
     * One that did act on it (its trap's `exit 42`) or died of it is reported as it ended; one whose trap exits 0 reads
     * as one that never heard it: exec ends by the signal it was sent, not with a success. Not at once: the stage may
     * have run on for hours after it, and the output it wrote at the end, not yet taken by a slow reader, was lost.
     */
    stop: (lastly?: (signal: NodeJS.Signals) => void, held?: () => Promise<unknown> | undefined, ended?: { code: number | null; died: NodeJS.Signals | null }): NodeJS.Signals | undefined => {
      for (const s of ALSO_FORWARDED) process.off(s, forwardQuit);
      const missed = early !== undefined && ended?.code === 0 && ended.died === null ? early : undefined;
      signals.stageEnded(lastly, unheard, heard ? undefined : held);
      return missed;
    },
  };
}
