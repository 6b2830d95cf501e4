// Owner records (lock file, journal transaction, run) are read back from
// files any version of cpw-vault, a container with another pid namespace, or
// a hand edit may have written. A record that cannot be read as an owner, or
// whose pid tells nothing when probed (0 and negatives address process
// groups, pid 1 is alive in every namespace, a fraction is refused by kill),
// is judged by its signs of life like one in another pid namespace: never
// probed, never kept for ever, and the lock error never tells the user to
// `kill 1` or `kill 0`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withFileLock } from '../../shared/node/profile/file-lock';
import { bootId, currentOwner, isCurrentProcess, ownerIsGone, ownerPlace, pidNamespace } from '../../shared/node/profile/owner';
import type { TxOwner } from '../../shared/core/journal';
import { collect, fixture } from '../helpers/children';
import { rejected } from '../helpers/errors';
import { makeTempHome } from '../helpers/temp';

const here = () => ({ host: hostname(), boot: bootId(), ...(pidNamespace() ? { pidns: pidNamespace() } : {}) });
/** Stands for a value 100,000 arrays deep (too deep for JSON.stringify): spliced into the file's text. */
const DEEP = '@deep@';
const deepJson = `${'['.repeat(100_000)}"x"${']'.repeat(100_000)}`;
const text = (o: object) => JSON.stringify(o).replace(`"${DEEP}"`, deepJson);

/** Owners no probe can judge, each with why. */
const hostile: Array<[string, Record<string, unknown>]> = [
  ['pid 1 of an older version in a container (no pidns)', { pid: 1, host: hostname(), boot: bootId() }],
  ['pid 0 (own process group)', { pid: 0, ...here() }],
  ['pid -1 (every process)', { pid: -1, ...here() }],
  ['a fractional pid', { pid: 1.5, ...here() }],
  ['a pid past 2^31', { pid: 2 ** 40, ...here() }],
  ['pidns a number', { pid: 999_999, host: hostname(), boot: bootId(), pidns: 4026531836 }],
  ['pidns an array', { pid: 999_999, host: hostname(), boot: bootId(), pidns: [pidNamespace()] }],
  ['pidns a huge string', { pid: 999_999, host: hostname(), boot: bootId(), pidns: 'p'.repeat(1 << 20) }],
  ['pidns 100k deep', { pid: 999_999, host: hostname(), boot: bootId(), pidns: DEEP }],
  ['host a number', { pid: 999_999, host: 7, boot: bootId() }],
  ['boot an object', { pid: 999_999, host: hostname(), boot: { id: bootId() } }],
  ['host missing', { pid: 999_999, boot: bootId() }],
  ['boot missing', { pid: 999_999, host: hostname() }],
];

describe('owner records that cannot be probed', () => {
  it.each(hostile)('%s: unseen, so judged by its signs of life only', (_why, owner) => {
    const o = JSON.parse(text(owner)) as TxOwner;
    expect(ownerPlace(o)).toBe('unseen');
    // A journal transaction: left for its hour, then abandoned (a damaged boot id used to count as an earlier boot: rolled forward at once).
    const now = Date.now();
    expect(ownerIsGone(o, now - 60_000, 3_600_000, now)).toBe(false);
    expect(ownerIsGone(o, now - 3_700_000, 3_600_000, now)).toBe(true);
    expect(isCurrentProcess(o)).toBe(false);
    expect(ownerIsGone(o, Number.NaN, 3_600_000, now)).toBe(true); // no readable time: no sign of life
  });

  it('this process is still itself, and a dead pid here is still gone at once', () => {
    const me = { pid: process.pid, ...here() };
    expect(ownerPlace(me)).toBe('here');
    expect(isCurrentProcess(me)).toBe(true);
    expect(ownerIsGone({ pid: 4_194_305, ...here() }, Date.now())).toBe(true); // past pid_max: no such process
  });

  it.each(hostile)('a lock file naming %s: waited for while fresh (no kill advice), taken over once stale', async (_why, owner) => {
    const t = makeTempHome();
    mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
    const lock = `${t.profile}.lock`;
    writeFileSync(lock, text({ ...owner, nonce: 'n1', since: '\u001b[31mred\u001b[0m'.repeat(40) }), { mode: 0o600 });
    const e = await rejected(withFileLock(t.profile, async () => 'got', { waitMs: 300 }));
    expect(e.code).toBe('PROFILE_LOCKED');
    expect(e.fix).not.toMatch(/ps -p|kill \d|kill -/);
    expect(e.fix).toContain('stop it where it runs');
    expect(e.message).not.toMatch(/[\u0000-\u001f]/);
    expect(e.message.length).toBeLessThan(400);
    const then = new Date(Date.now() - 20_000);
    utimesSync(lock, then, then);
    await expect(withFileLock(t.profile, async () => 'got', { waitMs: 300 })).resolves.toBe('got');
  });
});

describe('a pid namespace that kept the host\'s /proc (`unshare --pid --fork` without --mount-proc)', () => {
  const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['--pid', '--fork', 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

  it('a live run there is not judged by the host process its pid names in /proc (it was shown interrupted, and compacted so)', async (ctx) => {
    if (!canUnshare) return ctx.skip();
    const t = makeTempHome();
    mkdirSync(dirname(t.profile), { recursive: true, mode: 0o700 });
    const runsPath = join(dirname(t.profile), 'runs.jsonl');
    // A host process started now: the recorder in the namespace gets the same pid (ns_last_pid), for a run started a minute ago.
    const host = spawn('sleep', ['120'], { stdio: 'ignore' });
    try {
      const script = `echo ${host.pid! - 1} > /proc/sys/kernel/ns_last_pid; "$0" "$1" record "$2" & while [ ! -e "$2.recorded" ]; do sleep 0.05; done; "$0" "$1" list "$2"; kill $!`;
      const r = await collect(spawn('unshare', ['--pid', '--fork', 'sh', '-c', script, process.execPath, fixture('run-recorder'), runsPath], { stdio: ['pipe', 'pipe', 'pipe'] }), '');
      expect(r.stderr).toBe('');
      expect(readFileSync(`${runsPath}.recorded`, 'utf8')).toBe(String(host.pid)); // the pid the host's /proc shows as the new sleep
      expect(r.stdout.trim()).toBe('["running"]');
    } finally {
      host.kill('SIGKILL');
    }
  });
});

describe('this process as an owner', () => {
  // The host name comes from /proc (node:os cost exec ~0.3 ms to load): it must be the very string node:os gives, which
  // records written before, and by processes without /proc, hold; a record of this host judged another's is never probed.
  it('names this host exactly as node:os does, and a record of it is judged here', () => {
    const me = currentOwner();
    expect(me.host).toBe(hostname());
    expect(ownerPlace({ ...me })).toBe('here');
  });
});
