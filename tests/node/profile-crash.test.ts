import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { chownSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { orphanTemps } from '../../shared/node/profile/temp-files';
import { ProfileStore } from '../../shared/node/profile/store';
import { fixture } from '../helpers/children';
import { makeTempHome } from '../helpers/temp';

/** A writer started, node and its bundle loaded, that waits for the end of its stdin before it writes. */
function startWriter(path: string): { child: ChildProcessByStdio<Writable, Readable, null>; closed: Promise<void> } {
  const child = spawn(process.execPath, [fixture('profile-writer'), path], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.on('error', () => {}); // one that died early: its close says so
  const closed = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => resolve());
  });
  return { child, closed };
}

/** Lets a started writer go, waits until it is writing, kills it with SIGKILL after `ms`. */
async function killWriterAfter(writer: ReturnType<typeof startWriter>, ms: number): Promise<void> {
  writer.child.stdout.once('data', () => setTimeout(() => writer.child.kill('SIGKILL'), ms));
  writer.child.stdin.end();
  await writer.closed;
}

describe('atomic writes under SIGKILL', () => {
  it('200 kills mid-write: the file always parses as a whole generation, mode 0600, and the next start removes every temp file', async () => {
    const t = makeTempHome();
    let lastGeneration = 0;
    let sawOrphans = 0;
    // The next writer starts while this one runs and its leftovers are checked: its start-up (node and its bundle),
    // most of each kill's time, overlaps them, and it writes nothing until it is let go.
    let next = startWriter(t.profile);
    onTestFinished(() => void next.child.kill('SIGKILL'));
    for (let i = 0; i < 200; i++) {
      const writer = next;
      next = startWriter(t.profile);
      await killWriterAfter(writer, Math.floor(Math.random() * 25));
      if (!existsSync(t.profile)) continue; // killed before its first rename
      const doc = JSON.parse(readFileSync(t.profile, 'utf8'));
      expect(doc.version).toBe('2.0');
      expect(doc.filler).toBe(String(doc.generation % 10).repeat(256 * 1024));
      expect(statSync(t.profile).mode & 0o777).toBe(0o600);
      lastGeneration = doc.generation;
      sawOrphans = Math.max(sawOrphans, orphanTemps(t.profile).length);
    }
    expect(lastGeneration).toBeGreaterThan(0);
    // The test only proves cleanup if some kill really landed mid-write.
    expect(sawOrphans).toBeGreaterThan(0);
    const store = new ProfileStore({ homeDir: t.home, cwd: t.cwd, env: {}, warn: () => {} });
    await store.recover();
    expect(orphanTemps(t.profile)).toEqual([]);
    expect(store.read().profile.version).toBe('2.0');
  }, 180_000);

  it('the temp files of the journal and of a backend switch\'s record (their writer killed mid-write) go at the next start too', async () => {
    const t = makeTempHome();
    const store = new ProfileStore({ homeDir: t.home, cwd: t.cwd, env: {}, warn: () => {} });
    await store.update((p) => p);
    const dir = dirname(t.profile);
    // What a `set` or a `backend use` killed inside its journal's or record's atomic write leaves: seen after kill -9
    // of `backend use file`, and never removed by any later command.
    for (const name of ['journal', 'backend-move']) writeFileSync(join(dir, `${name}.tmp-${'ab12'.repeat(6)}`), '{\n "id": "', { mode: 0o600 });
    await store.recover();
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('the temp files of an age vault and identity write killed mid-write go at the next start; a copy of the user\'s or another user\'s file stays', async () => {
    const t = makeTempHome();
    const store = new ProfileStore({ homeDir: t.home, cwd: t.cwd, env: {}, warn: () => {} });
    await store.update((p) => p);
    const tail = 'ab12'.repeat(6);
    const orphans = [`${t.profile}.vault.age.tmp-${tail}`, `${t.profile}.identity.age.tmp-${tail}`];
    for (const file of orphans) writeFileSync(file, 'age-encryption.org/v1 (cut short)', { mode: 0o600 });
    const kept = `${t.profile}.vault.age.2`;
    writeFileSync(kept, 'a copy the user keeps', { mode: 0o600 });
    const foreign = `${t.profile}.vault.age.tmp-${'cd34'.repeat(6)}`;
    writeFileSync(foreign, 'not ours', { mode: 0o600 });
    if (process.getuid?.() === 0) chownSync(foreign, 65534, 65534);
    await store.recover();
    expect(orphans.map((f) => existsSync(f))).toEqual([false, false]);
    expect([existsSync(kept), existsSync(foreign)]).toEqual([true, process.getuid?.() === 0]);
  });
});
