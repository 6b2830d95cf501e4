// With no profile, every read of it looks at the working directory's config/secrets.json (the deprecated fallback).
// doctor reads the profile per credential and per workflow: a run looked there ~57 times (strace: 57 lstats of the
// same path). A CLI command is one short run: it looks once. The app, which runs for days, still looks at every read.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { readSideSubject, runDoctor } from '../../shared/node/doctor';
import { openReader } from '../../shared/node/open-read';
import type { Caller } from '../../shared/core/views';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { makeTempHome, type TempHome } from '../helpers/temp';

/** Every path legacyAt() was asked about. */
const looked = vi.hoisted(() => [] as string[]);
vi.mock('../../shared/node/profile/legacy-file', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../shared/node/profile/legacy-file')>();
  return { ...actual, legacyAt: (path: string) => (looked.push(path), actual.legacyAt(path)) };
});
beforeEach(() => void (looked.length = 0));

/** doctor's read side, as `cpw-vault doctor` (caller 'cli') or the app builds it, in `t`; the warnings it gave. */
function open(t: TempHome, caller: Caller) {
  const warnings: string[] = [];
  const parts = openReader({ caller, cwd: t.cwd, homeDir: t.home, env: { HOME: t.home }, secrets: new MemorySecretStore(), warn: (m) => warnings.push(m) });
  return { ...parts, warnings };
}

describe('config/secrets.json is looked at once per CLI command', () => {
  it('doctor with no profile and nothing there: one look in the whole run, the report as before', async () => {
    const t = makeTempHome();
    const { reader, profile } = open(t, 'cli');
    const report = await runDoctor(readSideSubject(reader, profile));
    expect(report.profile.kind).toBe('none');
    expect(looked).toEqual([join(t.cwd, 'config', 'secrets.json')]);
  });

  it('doctor with a FIFO there: one look, passed over in one warning', async () => {
    const t = makeTempHome();
    mkdirSync(join(t.cwd, 'config'));
    execFileSync('mkfifo', ['-m', '600', join(t.cwd, 'config', 'secrets.json')]);
    const { reader, profile, warnings } = open(t, 'cli');
    await runDoctor(readSideSubject(reader, profile));
    expect(looked).toHaveLength(1);
    expect(warnings.filter((w) => w.includes('secrets.json'))).toEqual([`Ignoring ${join(t.cwd, 'config', 'secrets.json')}: it is a named pipe (FIFO), not a file to read keys from.`]);
  });

  it('the app (a long run) still finds a secrets file put there after its first read', async () => {
    const t = makeTempHome();
    const { profile } = open(t, 'app');
    expect(profile.readIfAny()).toBeUndefined();
    mkdirSync(join(t.cwd, 'config'));
    writeFileSync(join(t.cwd, 'config', 'secrets.json'), '{}', { mode: 0o600 });
    expect(profile.readIfAny()?.kind).toBe('legacy');
  });
});
