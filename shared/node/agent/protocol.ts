/**
 * The unlock agent's protocol: one JSON document per line over a Unix
 * socket, one request at a time per connection, each answered by one line.
 *
 *   {"op":"hello"}                 -> {"ok":true,"pid":..,"recipient":"age1..","expires_at":"..","identity":"/path"}
 *   {"op":"decrypt","data":"<b64>"} -> {"ok":true,"text":".."}   (an age file encrypted to the vault's identity)
 *   {"op":"lock"}                  -> {"ok":true}                (the agent has stopped listening and exits)
 *   failures                       -> {"ok":false,"code":"VAULT_CORRUPT"|"VAULT_LOCKED"|"INVALID_ARGUMENT","why":".."}
 *                                     (VAULT_LOCKED: the agent is stopping; it adds its "pid")
 *
 * The agent never sends the identity: like ssh-agent, it performs the
 * operation (here: decrypt one age file) and keeps the key.
 */

/** What the agent calls itself (process.title: its /proc/<pid>/cmdline, what `pgrep -a` shows). */
export const AGENT_TITLE = 'cpw-vault-agent';

/** A request to the agent. */
export type AgentRequest = { op: 'hello' } | { op: 'decrypt'; data: string } | { op: 'lock' };

/** What `hello` answers. */
export interface AgentHello {
  ok: true;
  pid: number;
  recipient: string;
  expires_at: string;
  identity: string;
}

/** A refusal, with a code and a fixed reason text (never file content). */
export interface AgentFailure {
  ok: false;
  code: 'VAULT_CORRUPT' | 'VAULT_LOCKED' | 'INVALID_ARGUMENT';
  why: string;
  /** An agent that refuses because it is stopping (its time to live, its identity file changed or gone) gives its pid: lock waits for it to end. */
  pid?: number;
}

/** Any reply. */
export type AgentReply = AgentHello | { ok: true; text: string } | { ok: true } | AgentFailure;

/** Longest line either side accepts: a 16 MiB vault file in base64, plus room. */
export const MAX_LINE_BYTES = 24 * 1024 * 1024;

/** Bytes of unfinished lines several splitters may hold together (the agent's connections share one). */
export interface LineBudget {
  left: number;
}

/** A {@link lineSplitter}: feed it chunks; `release()` gives back what it holds to its budget (its stream has closed). */
export type LineSplitter = ((chunk: Buffer) => void) & { release(): void };

/**
 * Splits a byte stream into lines and hands each complete one to `onLine`.
 * Calls `onOverflow` (once) when a line grows past {@link MAX_LINE_BYTES}
 * ('line'), or past what is left of `budget`, shared with other splitters
 * ('budget': the others hold it, not this line).
 */
export function lineSplitter(onLine: (line: string) => void, onOverflow: (why: 'line' | 'budget') => void, budget: LineBudget = { left: Infinity }): LineSplitter {
  let pending: Buffer[] = [];
  let size = 0;
  let overflowed = false;
  const release = () => {
    budget.left += size;
    pending = [];
    size = 0;
  };
  const split = (chunk: Buffer) => {
    if (overflowed) return;
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, nl));
      const line = Buffer.concat(pending).toString('utf8');
      release();
      start = nl + 1;
      onLine(line);
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      size += chunk.length - start;
      budget.left -= chunk.length - start;
      if (size > MAX_LINE_BYTES || budget.left < 0) {
        const why = size > MAX_LINE_BYTES ? 'line' : 'budget';
        overflowed = true;
        release();
        onOverflow(why);
      }
    }
  };
  return Object.assign(split, { release });
}
