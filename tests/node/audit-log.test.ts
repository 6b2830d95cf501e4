// A profile in a folder other users can write (--profile PATH in a 1777 folder, supported): another user (uid 65534)
// plants files at the names of the audit log's rotated generations (<profile>.audit.log.1 … .3). The listing read
// them with readFileSync, following links and without bound: a link to their file put forged events in the victim's
// audit trail, and a FIFO blocked `vault.auditEvents()` (the app's Activity screen) for ever. Tests run as root, so
// the kernel's owner checks do not help: every refusal here is cpw-vault's.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lchownSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, truncateSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { AuditLog } from '../../shared/node/records/audit-log';
import { makeTempHome } from '../helpers/temp';

const OTHER = 65534; // nobody
const FORGED = `${JSON.stringify({ ts: '2026-12-01T00:00:00Z', event: 'credential_deleted', credential: 'huggingface.token', caller: 'cli' })}\n`;

/** A folder like /tmp (root's, 1777) holding the profile's audit log, with two events of ours in it. */
async function sharedLog(options: { maxBytes?: number } = {}) {
  const t = makeTempHome();
  const shared = join(t.root, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  const path = join(shared, 'p.profile.audit.log');
  const warnings: string[] = [];
  const log = new AuditLog(path, { ...options, warn: (m) => warnings.push(m) });
  await log.append({ event: 'credential_set', caller: 'cli', credential: 'huggingface.token' }, new Date('2026-11-01T00:00:00Z'));
  await log.append({ event: 'credential_read', caller: 'cli', credential: 'huggingface.token' }, new Date('2026-11-02T00:00:00Z'));
  return { t, shared, path, log, warnings };
}

/** The other user's file of forged events, in their own folder (0644, theirs). */
function forgedFile(root: string): string {
  const dir = join(root, 'other-home');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'forged');
  writeFileSync(file, FORGED);
  chmodSync(file, 0o644);
  chownSync(file, OTHER, OTHER);
  return file;
}

function plantLink(target: string, name: string): void {
  symlinkSync(target, name);
  lchownSync(name, OTHER, OTHER);
}

function plantFifo(name: string): void {
  expect(spawnSync('mkfifo', ['-m', '666', name]).status).toBe(0);
  lchownSync(name, OTHER, OTHER);
}

/**
 * The planter's writer: opens `fifo` after 3 s and writes the forged events. A listing that opened the FIFO waits
 * for it and then reads them (it fails, slow and forged, instead of hanging the test run); one that never reads it
 * leaves the writer waiting, ended with the test.
 */
function writeLater(ctx: TestContext, fifo: string): void {
  const child = spawn('sh', ['-c', `sleep 3; printf '%s' '${FORGED.trim()}' > '${fifo}'`], { stdio: 'ignore' });
  ctx.onTestFinished(() => {
    child.kill('SIGKILL');
  });
}

/** list(), and how long it took. */
function timedList(log: AuditLog) {
  const started = Date.now();
  const events = log.list();
  return { events: events.map((e) => [e.ts, e.event]), ms: Date.now() - started };
}

const OURS = [
  ['2026-11-02T00:00:00.000Z', 'credential_read'],
  ['2026-11-01T00:00:00.000Z', 'credential_set'],
];

describe('rotated audit-log names planted by another user in a shared folder', () => {
  it('a link at .audit.log.1 to their forged events: not followed, none listed, said once; its target untouched', async () => {
    const { t, path, log, warnings } = await sharedLog();
    const forged = forgedFile(t.root);
    plantLink(forged, `${path}.1`);
    expect(log.list().map((e) => [e.ts, e.event])).toEqual(OURS);
    expect(log.list()).toHaveLength(2);
    expect(warnings).toEqual([expect.stringContaining(`${path}.1 is a symbolic link; refusing to follow it.`)]);
    expect(warnings[0]).toContain('Its events are left out of the audit trail.');
    expect(readFileSync(forged, 'utf8')).toBe(FORGED);
    expect(statSync(forged).mode & 0o777).toBe(0o644);
  });

  it('a FIFO at .audit.log.2: the listing answers at once, without its writer\'s events', async (ctx) => {
    const { path, log, warnings } = await sharedLog();
    plantFifo(`${path}.2`);
    writeLater(ctx, `${path}.2`);
    const { events, ms } = timedList(log);
    expect(events).toEqual(OURS);
    expect(ms).toBeLessThan(2000);
    expect(warnings).toEqual([expect.stringContaining(`${path}.2 is not a regular file.`)]);
  });

  it('another user\'s file, a file others can write, and one past the size bound: none is read', async () => {
    const { path, log, warnings } = await sharedLog();
    writeFileSync(`${path}.1`, FORGED, { mode: 0o600 });
    chownSync(`${path}.1`, OTHER, OTHER);
    writeFileSync(`${path}.2`, FORGED);
    chmodSync(`${path}.2`, 0o666); // ours, but anyone may have written it
    // Ours and private, but far past what a rotated generation holds (sparse: 17 MiB of nothing, then a line).
    writeFileSync(`${path}.3`, '', { mode: 0o600 });
    truncateSync(`${path}.3`, 17 * 1024 * 1024);
    appendFileSync(`${path}.3`, FORGED);
    expect(log.list().map((e) => [e.ts, e.event])).toEqual(OURS);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain(`${path}.1 belongs to another user (uid ${OTHER}); refusing to trust it.`);
    expect(warnings[1]).toContain(`${path}.2 can be modified by other users (mode 0666); refusing to trust it.`);
    expect(warnings[2]).toMatch(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\.3 is \\d+ bytes, over the \\d+-byte limit\\.`));
  });

  it('a first generation the log cannot be renamed onto (another user\'s folder there) stops no event: the log grows past its limit, said once', async () => {
    const { path, log, warnings } = await sharedLog({ maxBytes: 300 });
    mkdirSync(`${path}.1`);
    writeFileSync(join(`${path}.1`, 'theirs'), 'x');
    chownSync(`${path}.1`, OTHER, OTHER);
    for (let i = 0; i < 4; i++) await log.append({ event: 'credential_read', caller: 'cli', credential: 'tmdb.api_key' }, new Date(Date.UTC(2026, 10, 3 + i)));
    expect(log.list().map((e) => e.ts)).toContain('2026-11-06T00:00:00.000Z');
    expect(log.list()).toHaveLength(6);
    expect(warnings.filter((w) => w.includes('is not rotated and grows past its limit'))).toHaveLength(1);
  });

  it('rotation never moves a planted link or FIFO into the trail, nor follows one; the trail stays ours', async (ctx) => {
    const { t, path, log, warnings } = await sharedLog({ maxBytes: 400 });
    const forged = forgedFile(t.root);
    plantLink(forged, `${path}.2`);
    plantFifo(`${path}.3`);
    writeLater(ctx, `${path}.3`);
    // 2 lines of ours (~210 bytes), then 3 more (~100 each): one rotation, at the second.
    for (let i = 0; i < 3; i++) await log.append({ event: 'credential_read', caller: 'cli', credential: 'tmdb.api_key' }, new Date(Date.UTC(2026, 10, 3 + i)));
    // The planted entries are where they were planted: none was renamed to another generation's name.
    expect(readlinkSync(`${path}.2`)).toBe(forged);
    expect(lstatSync(`${path}.3`).isFIFO()).toBe(true);
    const { events, ms } = timedList(log);
    expect(ms).toBeLessThan(2000);
    expect(events.map(([, event]) => event)).not.toContain('credential_deleted');
    expect(events[0]).toEqual(['2026-11-05T00:00:00.000Z', 'credential_read']);
    for (const own of [path, `${path}.1`]) expect([lstatSync(own).isFile(), lstatSync(own).uid, lstatSync(own).mode & 0o777]).toEqual([true, 0, 0o600]);
    expect(readFileSync(forged, 'utf8')).toBe(FORGED);
    expect(warnings.join('\n')).toContain(`${path}.2 is a symbolic link`);
  });
});
