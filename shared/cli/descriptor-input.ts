import { createReadStream, fstatSync, readdirSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { isatty } from 'node:tty';
import { cancelledError, VaultError } from '../core/errors';
import { isSameFile } from '../node/migration/own-files';
import { descriptorFlags, descriptorTarget, openFilesLimit } from './descriptors';
import { runningInterrupt } from './signals';
import { untilAborted } from '../node/until-aborted';

/** What a descriptor option (`--passphrase-fd`, `--identity-fd`) reads, as its messages name it. */
export interface DescriptorInput {
  /** The option: `--passphrase-fd`. */
  option: string;
  /** What it gives: `the passphrase`. */
  what: string;
  /** The command as typed before its options, for the fix lines' examples (`cpw-vault import vault.age`); '' for none. */
  command: string;
  /** The file the examples open on the descriptor: `pass.txt`. */
  sample: string;
  /** Most bytes read; past them, refused with `tooLargeFix`. */
  maxBytes: number;
  tooLargeFix: string;
  /** On a terminal, the command asks for it with the input hidden: the fix for a descriptor that is one says so. */
  prompted?: boolean;
}

/** The file each descriptor read was open on (for a line that gives it again: `3< /run/secrets/x`), where it was a path. */
const sources = new Map<number, string>();

/** The file descriptor `fd` was open on when {@link readDescriptor} read it, where that was a path. */
export function descriptorSource(fd: number): string | undefined {
  return sources.get(fd);
}

/** Whether this process holds the write end of the pipe `fd` reads (a pipe of its own; a second read end, like bash's for `3< <(...)`, is not). */
function ownPipe(fd: number, target: string): boolean {
  try {
    return readdirSync('/proc/self/fd').some((other) => Number(other) !== fd && descriptorTarget(Number(other)) === target && ((descriptorFlags(Number(other)) ?? 0) & 3) === 1);
  } catch {
    return false;
  }
}

/**
 * Reads an open file descriptor the caller gave (`3< file`, a pipe from the caller) up to its end, at most
 * `input.maxBytes`; closes it (but stdin). Throws INVALID_ARGUMENT, naming `input.option` and an example, for a value
 * that is no descriptor number, stdout or stderr, one not open for reading (Node's own included), a pipe opened read-write.
 */
export async function readDescriptor(text: string, input: DescriptorInput): Promise<Buffer> {
  const example = (fd: number, from = input.sample) => `${input.command ? `${input.command} ` : ''}${input.option} ${fd} ${fd}< ${from}`;
  if (!/^\d+$/.test(text)) throw new VaultError('INVALID_ARGUMENT', `The ${input.option} value must be a file descriptor number, e.g. 3.`, `Example: ${example(3)}`);
  const fd = Number(text);
  // A number past the limit is a descriptor number all the same (`--identity-fd 99999` was told it was none): what is
  // wrong with it is that no shell could have opened it for this process.
  const limit = openFilesLimit();
  if (limit !== undefined && fd >= limit) {
    throw new VaultError('INVALID_ARGUMENT', `File descriptor ${text} is past this process's limit of ${limit} open files (ulimit -n): it cannot be open for cpw-vault to read.`, `Open it on a lower number, e.g.: ${example(3)}`);
  }
  const notOpen = new VaultError('INVALID_ARGUMENT', `File descriptor ${fd} is not open for cpw-vault to read.`, `Open it for cpw-vault, e.g.: ${example(fd)}`);
  if (fd === 1 || fd === 2) throw new VaultError('INVALID_ARGUMENT', `File descriptor ${fd} is ${fd === 1 ? 'stdout' : 'stderr'}, where cpw-vault writes.`, `Give ${input.what} on another one, e.g.: ${example(3)} (or 0 for stdin)`);
  let isPipe: boolean;
  let opened: ReturnType<typeof fstatSync>;
  try {
    opened = fstatSync(fd);
    isPipe = opened.isFIFO();
  } catch {
    throw notOpen;
  }
  // Not given by the caller: Node's own descriptors (its event loop's epoll and eventfds, its wake-up pipes) fill
  // the low numbers a caller did not open; reading one failed with an internal EBADF, or waited for ever on a pipe
  // of Node's. Node holds both ends of its pipes; a caller's (`3< <(pass show vault)`) has its writer elsewhere.
  const flags = descriptorFlags(fd);
  const target = descriptorTarget(fd);
  if (flags !== undefined && (flags & 3) === 1) throw notOpen; // write-only
  // `3<>fifo` (read-write, the shell's way to open a FIFO without waiting for a writer): this process then holds a
  // write end itself, so the end of the input never comes. The read waited for ever, and neither Ctrl-C nor
  // SIGTERM could end it (Node cannot exit while a pool thread is blocked in that read): only kill -9 did.
  if (isPipe && flags !== undefined && (flags & 3) === 2) {
    throw new VaultError('INVALID_ARGUMENT', `File descriptor ${fd} is a pipe opened for reading and writing (${fd}<>): ${input.what} is read to its end, which never comes while cpw-vault holds a write end itself.`, `Open it for reading only, e.g.: ${example(fd, 'FIFO')} (or ${fd}< ${input.sample})`);
  }
  // A terminal: what is typed or pasted there shows on the screen and stays in its scrollback (`--identity-fd 0` echoed
  // the whole AGE-SECRET-KEY as it was pasted), and it is read up to a Ctrl-D few would think of.
  if (isatty(fd)) {
    const fromFile = `give it from a file, e.g.: ${example(fd === 0 ? 3 : fd)}`;
    throw new VaultError('INVALID_ARGUMENT', `File descriptor ${fd} is a terminal: ${input.what} typed or pasted there would show on the screen.`, input.prompted ? `Leave out ${input.option}: on a terminal cpw-vault asks for ${input.what} with the input hidden. Or ${fromFile}` : `${fromFile[0]!.toUpperCase()}${fromFile.slice(1)}`);
  }
  if (target?.startsWith('anon_inode:') || (target?.startsWith('pipe:') && ownPipe(fd, target))) throw notOpen;
  // Only while the path still names the file read: one removed since the shell opened it reads '/x (deleted)' here, and
  // a line giving that path failed as it was pasted (a line without a path gives KEY_FILE to fill in).
  if (target?.startsWith('/') && isSameFile(target, `/proc/self/fd/${fd}`)) sources.set(fd, target);
  // A pipe or socket is read through the event loop, so a Ctrl-C (or SIGTERM) of the command running ends the read: read
  // in the thread pool, `team pull --identity-fd 3 3< <(pass show key)` with its writer stuck held the signal until the
  // writer ended, for ever if it never did (the pool's blocked read kept even the exit waiting). stdin too, through
  // process.stdin: read in the pool, `--passphrase-fd 0 < <(pass show vault)` failed EAGAIN before a writer that takes
  // its time (gpg asking) wrote, as the command had asked process.stdin.isTTY (echo-off), which made descriptor 0
  // non-blocking, or else held a Ctrl-C for as long as the writer. stdin is never destroyed: a cancel stops waiting
  // for it and the command ends, descriptor 0 left as it was (not free for the next file opened: a stage's stdin).
  const viaLoop = isPipe || opened.isSocket();
  const stream = fd === 0 && viaLoop ? process.stdin : viaLoop ? new Socket({ fd, readable: true, writable: false }) : createReadStream('', { fd, autoClose: fd > 2 });
  const interrupt = runningInterrupt();
  const cancel = () => void (stream === process.stdin ? stream.pause() : stream.destroy(cancelledError(interrupt?.reason)));
  if (interrupt?.aborted) cancel();
  else interrupt?.addEventListener('abort', cancel, { once: true });
  try {
    return await untilAborted(readAll(stream, fd, input, example(fd)), interrupt);
  } finally {
    interrupt?.removeEventListener('abort', cancel);
  }
}

/** `stream` (descriptor `fd`) to its end, at most `input.maxBytes`; stdin left open (see {@link readDescriptor}). */
async function readAll(stream: NodeJS.ReadableStream & Readable, fd: number, input: DescriptorInput, example: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream.iterator({ destroyOnReturn: stream !== process.stdin })) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size > input.maxBytes) throw new VaultError('INVALID_ARGUMENT', `File descriptor ${fd} gave over ${input.maxBytes} bytes.`, input.tooLargeFix);
    }
  } catch (err) {
    if (err instanceof VaultError) throw err;
    throw new VaultError('INVALID_ARGUMENT', `File descriptor ${fd} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'read error'}).`, `Open it for reading, e.g.: ${example}`);
  }
  return Buffer.concat(chunks);
}
