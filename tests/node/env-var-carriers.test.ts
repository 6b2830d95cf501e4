// A custom credential without an env var name of its own (as the first versions stored them) carries SERVICE_KEY,
// unless another credential names that env var as its own. That check scanned every other credential each time:
// `list` of 10,000 such credentials took 11 s (O(n^2)). It is now a count made once per index read.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { carriedByAnother } from '../../shared/core/env-var-names';
import { openReader } from '../../shared/node/open-read';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { makeTempHome } from '../helpers/temp';

describe('carriedByAnother', () => {
  const metadata = { 'a.key': { env_var: 'B_KEY' }, 'b.key': {}, 'c.key': { env_var: 'C_KEY' }, 'd.key': { env_var: 'D_KEY' }, 'e.key': { env_var: 'D_KEY' } };

  it('counts the others, never the credential itself', () => {
    expect(carriedByAnother(metadata, 'b.key', 'B_KEY')).toBe(true); // a.key names it
    expect(carriedByAnother(metadata, 'c.key', 'C_KEY')).toBe(false); // only its own
    expect(carriedByAnother(metadata, 'd.key', 'D_KEY')).toBe(true); // e.key names it too
    expect(carriedByAnother(metadata, 'x.key', 'X_KEY')).toBe(false);
  });

  it('reads each entry once per metadata object, however often it is asked', () => {
    const n = 500;
    const plain: Record<string, { env_var?: string }> = {};
    for (let i = 0; i < n; i++) plain[`svc${i}.api_key`] = i % 2 ? {} : { env_var: `OTHER${i}` };
    let reads = 0;
    const counted = new Proxy(plain, { get: (t, k) => (reads++, Reflect.get(t, k)) });
    for (let i = 0; i < n; i++) carriedByAnother(counted, `svc${i}.api_key`, `SVC${i}_API_KEY`);
    expect(reads).toBeLessThanOrEqual(3 * n); // a scan per call read n * n = 250,000
  });
});

describe('a profile of many custom credentials stored without env var names (a first version)', () => {
  it('lists 20,000 of them, each with its SERVICE_KEY, and none where another credential names it', () => {
    const t = makeTempHome();
    const n = 20_000;
    const now = new Date().toISOString();
    const metadata: Record<string, object> = {};
    for (let i = 0; i < n; i++) metadata[`svc${i}.api_key`] = { created_at: now, updated_at: now, hint: '••••', storage: 'keychain', custom: true };
    metadata['named.key'] = { created_at: now, updated_at: now, hint: '••••', storage: 'keychain', custom: true, env_var: 'SVC7_API_KEY' };
    mkdirSync(join(t.home, '.cp-whisperx'), { recursive: true, mode: 0o700 });
    writeFileSync(t.profile, `${JSON.stringify({ version: '2.0', credentials: {}, credential_metadata: metadata })}\n`, { mode: 0o600 });
    const { reader } = openReader({ homeDir: t.home, cwd: t.cwd, env: {}, secrets: new MemorySecretStore(), caller: 'cli', warn: () => {} });
    // Before, this scan took minutes (4 x 10^8 steps); it ends in well under a second.
    const listed = new Map(reader.listCredentials().map((c) => [c.id, c.envVars]));
    expect(listed.get('svc3.api_key')).toEqual(['SVC3_API_KEY']);
    expect(listed.get('svc19999.api_key')).toEqual(['SVC19999_API_KEY']);
    expect(listed.get('svc7.api_key')).toEqual([]); // named.key carries SVC7_API_KEY
    expect(listed.get('named.key')).toEqual(['SVC7_API_KEY']);
  }, 15_000); // a bound for "it ends", 15x what it takes on a loaded machine: before, it took ~60 s
});
