import { basename } from 'node:path';
import { withoutControlChars } from '../../core/control-chars';
import { redactProgram } from '../../core/redact';
import { afterPendingSignals, childProcess, nodeOs } from '../../node/builtins';
import { removeLeftoverPipes, settled } from '../../node/exec/pipe-leftovers';
import { spawnNative, type StageProcess } from '../../node/exec/native-spawn';
import { isDevNull, sameFile, stagePipes, type StagePipe, type StagePipes } from '../../node/exec/stage-pipes';
import { dieOf, StageSignals } from '../../node/exec/stage-signals';
import { mayMask, valuesToMask } from '../../node/masking/mask-values';
import { pipeMasked } from '../../node/masking/pipe-masked';
import { sigpipeOnReaderGone } from '../../node/masking/reader-gone';
import type { RunHistory, RunRecord } from '../../node/records/run-history';
import { descriptorShortage } from '../../node/profile/file-access';
import { notReady } from '../../node/vault/reader';
import type { CliContext } from '../context';
import { EXIT } from '../exit-codes';
import { isTerminal } from '../io';
import { isoNow } from '../../core/iso-time';
import { isVaultError, VaultError } from '../../core/errors';
import { stageEnv } from './exec-env';
import { endedBy, forwardSignals, runRecorder, type Recording } from './exec-stage';

/** Errors of the secret store that keep a stage from starting (recorded as a refused run). */
const STORE_REFUSALS = /^(KEYCHAIN_[A-Z_]+|VAULT_LOCKED|VAULT_CORRUPT|VAULT_NOT_FOUND)$/;

/** Arguments of `cpw-vault exec`. */
export interface ExecArgs {
  workflow: string;
  command: string[];
  history?: boolean;
  /** Keep other credentials' env vars inherited from the parent (removed by default). */
  inheritSecrets?: boolean;
  /** true: always mask; false: never; undefined: mask what does not go to a terminal. */
  mask?: boolean;
  /** More credentials for the stage besides the workflow's (custom ones: `deepl.api_key`), each under its env var(s). */
  with?: string[];
}

/**
 * Which of stdout / stderr get masked: --mask both, --no-mask neither, else
 * each one that is not a terminal (a terminal keeps its TTY). Never
 * /dev/null: nothing written there can be read back.
 */
function maskedStreams(mask: boolean | undefined): { out: boolean; err: boolean } {
  const masks = (fd: number) => (mask ?? !isTerminal(fd)) && !isDevNull(fd);
  return { out: masks(1), err: masks(2) };
}

/**
 * `cpw-vault exec --workflow W -- cmd args...`: runs the command with the
 * workflow's credentials (every alias) in its environment — never on its
 * command line — and without the env vars of any other credential the
 * parent had (unless --inherit-secrets). Adds the pipeline preferences
 * (CPW_AI_PROVIDER, CPW_SOURCE_LANGUAGE, CPW_COST_TRACKING). Masks stored
 * values in output that goes to a file or pipe (--mask / --no-mask).
 * Refuses to start (exit 3) when the workflow is not ready. Forwards
 * signals, returns the child's exit code (128+n when it died of signal n),
 * and records the run unless --no-history.
 */
export async function exec(args: ExecArgs, ctx: CliContext): Promise<number> {
  assertCommand(args.command);
  // Only the read side is needed (the light bundle runs exec too), unless --verify asks the providers.
  const vault = await ctx.reader();
  // The reader has started its keychain connection: one turn of the event loop sends the handshake and the first
  // calls, so the keychain answers them while the work below (the index, the preferences) runs.
  await new Promise((resolve) => setImmediate(resolve));
  const history = args.history === false ? undefined : await ctx.runs();
  const streams = maskedStreams(args.mask);
  // Made before the workflow is read: FIFOs (no addon: see stagePipes) have mkfifo run while the keychain answers.
  const signals = new StageSignals();
  const pipesMade = stagePipes({ ...streams, merged: streams.out && streams.err && sameFile(1, 2) }, signals);
  try {
    return await prepareAndRun(args, ctx, vault, history, streams, pipesMade, signals);
  } catch (err) {
    // A stage the secret store kept from starting (locked, unreachable, a damaged vault file) is a refused run too,
    // as one whose workflow is not ready: `runs` and the app's notices show it. Not a locked vault file on a terminal:
    // the full CLI then asks the passphrase and runs it.
    if (isVaultError(err) && STORE_REFUSALS.test(err.code) && !(err.code === 'VAULT_LOCKED' && ctx.io.stdinIsTTY)) {
      await recordRefused(history, args, []);
    }
    throw err;
  } finally {
    // Not taken by the stage (refused, failed before it started, nothing to mask): closed, its folder gone.
    (await pipesMade)?.discard();
    signals.stop();
  }
}

/** An empty program (`exec -- "$STAGE"` with STAGE unset) said "cannot start : ERR_INVALID_ARG_VALUE", exit 126, and was recorded. */
export function assertCommand(command: readonly string[]): void {
  if (!command[0]) throw new VaultError('INVALID_ARGUMENT', 'The command to run is empty: exec started nothing.', 'Give the stage after --, e.g. cpw-vault exec --workflow transcribe -- python3 06_whisperx_asr.py (a shell variable in its place may be unset).');
}

async function prepareAndRun(args: ExecArgs, ctx: CliContext, vault: Awaited<ReturnType<CliContext['reader']>>, history: RunHistory | undefined, streams: { out: boolean; err: boolean }, pipesMade: Promise<StagePipes | undefined>, signals: StageSignals): Promise<number> {
  const [program, ...rest] = args.command as [string, ...string[]];
  const credentials = vault.credentialCarriers();
  // One batch of the secret store: the workflow's credentials. The other stored secrets masking needs are read once
  // the stage first writes to a masked stream (below): the stage does not wait for them, nor pays for them when silent.
  const resolved = await vault.resolveWorkflow(args.workflow, { verify: true });
  const { status } = resolved;
  await ctx.readsSettled?.();
  if (!status.ready) {
    // Refused before anything started: recorded (the app notifies it), then the error with what is missing (exit 3).
    await recordRefused(history, args, status.missing.flatMap((m) => m.credentials));
    throw notReady(status);
  }
  const { vars, uses, carriers, child } = await stageEnv({ args, ctx, vault, resolved, credentials, refused: (ids) => recordRefused(history, args, ids) });
  const masked = (streams.out || streams.err) && mayMask(credentials, vars, ctx.io.env);
  // Asked at the first byte of a masked stream, once for both: a stage's output waits for the stored values (one round
  // trip of the secret store, or its deadline) and is then masked for them; a warning says what could not be read.
  // Said quietly: the stage runs by then, and a stderr that cannot take it (a full disk, its reader gone) crashed exec
  // there, the stage's output cut short and its run left interrupted.
  let asked: Promise<string[]> | undefined;
  let known = false;
  const warn = (m: string) => writeQuietly(ctx, `warning: ${m}\n`);
  const values = () => (asked ??= valuesToMask({ listCredentials: () => credentials, storedValues: (ids) => vault.storedValues(ids) }, vars, ctx.io.env, warn).finally(() => (known = true)));
  // Output read and waiting for them: written once they are in (the masker's turn, then one of the event loop's).
  const held = () => (asked && !known ? asked.then(() => new Promise((resolve) => setImmediate(resolve))) : undefined);
  const run = { workflow: args.workflow, program: stageName(program), credentials: uses, stripped: child.stripped, inherited: child.inherited, masked };
  const pipes = await pipesMade;
  if (!masked) pipes?.discard();
  // Named if the stage fails: it may have needed one (a stage that read OPENAI_API_KEY from the shell before exec removed it).
  const removed = child.stripped.flatMap((id) => (carriers.get(id) ?? []).filter((n) => ctx.io.env[n] !== undefined));
  // A signal that came while the pipes were made (their folder is removed synchronously) reaches exec's listener
  // first: exec ends by it, instead of starting the stage and passing it on.
  await afterPendingSignals();
  // The pipes' folders killed execs left in TMPDIR go while the stage runs (a readdir off the main thread, begun as the
  // stage is forked); exec ends once that is done, or soon after (see `settled`). Only by an exec that made its FIFOs
  // (one in 16 with the pool, every one without it): the scan, its threads and the wait cost an exec ~2.5 ms, and
  // such folders come only from an exec killed while it had one (made its FIFOs; the pool's claims go by fromPool).
  const removal = pipes?.made ? removeLeftoverPipes() : undefined;
  const code = await runChild(program, rest, child.env, { out: streams.out && masked, err: streams.err && masked, values, held, pipes: masked ? pipes : undefined }, signals, ctx, history && { history, run }, removed.length ? `note: exec removed ${removed.join(', ')} from the stage's environment: ${args.workflow} does not use ${child.stripped.join(', ')}. If the stage needs one: a workflow that uses it, or --inherit-secrets.\n` : undefined);
  await settled(removal);
  return code;
}

/** Records a run that never started (`runs` and the app's notices show it), with the credentials it lacked. */
async function recordRefused(history: RunHistory | undefined, args: ExecArgs, credentials: RunRecord['credentials']): Promise<void> {
  await history?.start({ workflow: args.workflow, program: stageName(args.command[0]!), credentials, status: 'refused' }, new Date());
}

/** A stage `exec --verify` kept from starting (not ready, a key rejected, a provider unreachable): recorded as exec records its own refusals. */
export async function recordVerifyRefusal(args: ExecArgs, ctx: CliContext, credentials: RunRecord['credentials']): Promise<void> {
  await recordRefused(args.history === false ? undefined : await ctx.runs(), args, credentials);
}

/** Writes to stderr, ignoring a stderr that cannot be written (the disk it goes to is full, say). */
function writeQuietly(ctx: CliContext, text: string): void {
  try {
    if (!process.stderr.listenerCount('error')) process.stderr.on('error', () => {});
    ctx.io.err(text);
  } catch {
    // nowhere left to say it; the exit code says it
  }
}

interface Masking {
  out: boolean;
  err: boolean;
  /** What the streams are masked for, asked at the first byte of either. */
  values: () => Promise<string[]>;
  /** Output read and held until `values` are in: settled once it is written (see StageSignals.stageEnded). */
  held: () => Promise<unknown> | undefined;
  /** Real pipes for the masked streams (Node's own are sockets, which `/dev/stdout` cannot open); none: Node's. */
  pipes: StagePipes | undefined;
}

/**
 * Runs the stage. Its run is recorded as it is forked (status running: one
 * line appended right before the fork, so an exec killed the instant after
 * it still leaves the run, which then turns interrupted) and again when it
 * ends; a stage that could not start is recorded as failed.
 */
async function runChild(program: string, rest: string[], env: Record<string, string>, masking: Masking, signals: StageSignals, ctx: CliContext, recording: Recording | undefined, onFailure?: string): Promise<number> {
  const recorder = runRecorder(recording, ctx);
  return new Promise((resolve) => {
    // The handlers go in before the stage starts: a signal sent the moment it runs (a loaded machine can pause this
    // process right after the fork) is queued for the event loop, then forwarded, instead of killing exec by default.
    // (A handler runs from the event loop, so `child` below is set by then.)
    const forwarding = forwardSignals(signals, ctx, () => child);
    recorder.begin();
    const child = forkStage(program, rest, env, masking);
    const output = maskedOutput(child, masking);
    const finish = (code: number, signal: NodeJS.Signals | null, drained: Promise<DrainFailures>) => {
      const ended = { finished_at: isoNow(), duration_ms: recorder.elapsed() };
      // A signal from now on ends exec at once (the stage can no longer get it), even as it writes the stage's output:
      // the run's end, known now, is written first (it showed as interrupted, ~1 Ctrl-C in 40 in a loop). Output read
      // is written as it is read; what the matcher holds back (it may be the start of a value whose rest is still
      // unread) and what waits for a slow reader are not: the signal asked exec to end, not to wait.
      const missed = forwarding.stop((dying) => recorder.endNow({ status: code === 0 ? 'succeeded' : 'failed', exit_code: code, signal, ...ended }, dying), masking.held, { code, died: signal });
      // Masked output is written in full (until the child's pipes close) before exec returns. The SIGPIPE is known once
      // it is drained: the reader may go away only as exec writes the stage's last bytes.
      void drained.then((failures) => resolve(afterStage(output.sigpipe.end({ code, signal }), failures, { program, ctx, onFailure, recorder, ended, missed })));
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      const short = descriptorShortage(err);
      const why = err.code === 'ENOENT' ? 'command not found' : short ? `${short.why}\nfix: ${short.fix}` : withoutControlChars(err.code ?? err.message);
      ctx.io.err(`error: cannot start ${stageName(program)}: ${why}\n`);
      finish(err.code === 'ENOENT' ? 127 : 126, null, Promise.resolve([]));
    });
    child.once('exit', (code, signal) => finish(code ?? 128 + (signal ? nodeOs().constants.signals[signal] : 0), signal, output.flows));
  });
}

/** What writing each of the stage's masked streams ended with: an error (a full disk) or nothing. */
type DrainFailures = ReadonlyArray<NodeJS.ErrnoException | null | undefined>;

/** Forks the stage: stdin inherited, each stream to its masking pipe, Node's pipe (masked) or exec's own. */
function forkStage(program: string, rest: string[], env: Record<string, string>, masking: Masking): StageProcess {
  const { pipes } = masking;
  const end = (masked: boolean, pipe: StagePipe | undefined) => (pipe ? pipe.child : masked ? 'pipe' : 'inherit');
  const stdio = ['inherit', end(masking.out, pipes?.out), end(masking.err, pipes?.err)] as const;
  let child: StageProcess;
  try {
    // Streams that are file descriptors (exec's own, or FIFOs), as they are on Linux: posix_spawn, where the addon is
    // built (a fork of this process costs ~20 ms); Node's spawn otherwise, and for pipes of its own.
    const fds = stdio.map((s, i) => (s === 'inherit' ? i : s));
    child = (fds.every((fd) => typeof fd === 'number') && spawnNative(program, rest, env, fds as [number, number, number])) || childProcess().spawn(program, rest, { stdio: [...stdio], env });
  } catch (err) {
    // Node throws at once, instead of emitting 'error' as for ENOENT or EACCES, where the program cannot even be looked
    // up (a path through a file: ENOTDIR; a link loop: ELOOP; a name too long; E2BIG): exec ended on an INTERNAL
    // error ("a bug"), exit 1, its run left interrupted. A child that never ran, and its 'error', as Node gives for ENOENT.
    const never = new (childProcess().ChildProcess)();
    process.nextTick(() => never.emit('error', err));
    child = never;
  }
  // The child has its copies of the write ends now: with ours closed, its exit (and its children's) ends the streams.
  pipes?.release();
  return child;
}

/** The stage's masked streams copied to exec's own (`flows`, settled once written), and the SIGPIPE a gone reader means. */
function maskedOutput(child: StageProcess, masking: Masking) {
  const { pipes } = masking;
  // A reader gone from a masked stream: the stage gets the SIGPIPE a direct pipe would have given it.
  const sigpipe = sigpipeOnReaderGone(child, !!pipes);
  // One pipe for both streams (`> log 2>&1`) is read once, into stdout (the same file as stderr).
  const outSource = pipes?.out?.ours ?? child.stdout;
  const errSource = pipes?.err && pipes.err === pipes.out ? undefined : (pipes?.err?.ours ?? child.stderr);
  const flows: Promise<DrainFailures> = Promise.all([outSource && pipeMasked(outSource, () => process.stdout, masking.values, sigpipe.gone), errSource && pipeMasked(errSource, () => process.stderr, masking.values, sigpipe.gone)]);
  return { sigpipe, flows };
}

/** What {@link afterStage} reports to and records with. */
interface StageEnd {
  program: string;
  ctx: CliContext;
  onFailure: string | undefined;
  recorder: ReturnType<typeof runRecorder>;
  ended: Pick<RunRecord, 'finished_at' | 'duration_ms'>;
  /** A signal passed on as the stage started that it answered with success: exec ends by it (see forwardSignals). */
  missed: NodeJS.Signals | undefined;
}

/** Once the output is drained: says and records how the stage ended, and ends exec as the stage did (or gives its exit code). */
function afterStage({ code, signal }: { code: number; signal: NodeJS.Signals | null }, failures: DrainFailures, { program, ctx, onFailure, recorder, ended, missed }: StageEnd): Promise<number> {
  // Output that could not be written (a full disk) is a failed run, even when the stage finished happily: without
  // masking the stage's own write would have failed. Said once, on stderr (it may be the stream that failed).
  const failed = failures.find((f) => !!f);
  if (failed) writeQuietly(ctx, `error: the output of ${stageName(program)} could not be written (${failed.code ?? 'write error'}): it is incomplete.\n`);
  const final = failed && code === 0 ? EXIT.failure : code;
  if (final !== 0 && !signal && onFailure) writeQuietly(ctx, onFailure);
  const end: Partial<RunRecord> = { status: final === 0 ? 'succeeded' : 'failed', exit_code: final, signal, ...ended };
  // exec is to die of a signal the stage answered with success: recorded so, as the shell sees it, not as a success.
  recorder.record(missed && !failed ? endedBy(end, missed) : end);
  // A signal that came meanwhile is handled first (the stage failing to start is quick): it ends exec.
  return recorder.written().then(afterPendingSignals).then(() => {
    // Everything is written and recorded: end as the stage did, so whoever waits for exec sees the same death. (A
    // signal the stage, gone already, could not get ended exec as it came, or as the stage's end was handled.) One it
    // answered with success as it started ends exec now too, its output written (a SIGPIPE, known since, comes first).
    const dies = signal ?? missed;
    if (dies && !failed) dieOf(dies);
    return final;
  });
}

/**
 * The stage's program as messages and the history name it: its base name, control characters (a terminal's escape
 * sequences) shown as `?`, a key in it redacted. An env assignment typed as the shell takes it (`exec --workflow W
 * HF_TOKEN=hf_... ./stage`) is the program here: not found, it was said and kept in runs.jsonl with its value.
 */
function stageName(program: string): string {
  // Whatever follows the `=` of an assignment is a value (a `/` in it included): one of no known shape that exec had
  // not read (a custom key, a new one being tried, any in a run refused as not ready) was kept whole. Hidden before the
  // base name is taken, and again after it (a key in the base name).
  const shown = redactProgram(program);
  // `/` has no base name: "cannot start : EACCES" named nothing.
  return redactProgram(withoutControlChars(basename(shown) || shown));
}
