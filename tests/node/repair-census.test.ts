// The start-up repair while another writer's change runs: its count differs from the index because of that change,
// and it must not take a census of the namespace (one keychain call per item) behind it.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Transaction } from '../../shared/core/journal';
import { createVault } from '../../shared/node/open';
import { currentOwner } from '../../shared/node/profile/owner';
import { MemorySecretStore } from '../fakes/memory-secret-store';
import { makeTempHome } from '../helpers/temp';

describe('the start-up repair', () => {
  it('does not list the keychain while another live writer (a migration) has values stored and the index not yet committed', async () => {
    // From an outside pass: during a 10,000-key migrate, `list` and `set` sat for minutes in one Properties.Get per item.
    const t = makeTempHome();
    const secrets = new MemorySecretStore();
    const open = () => createVault({ homeDir: t.home, cwd: t.cwd, env: {}, secrets, caller: 'cli', warn: () => {} });
    await open().setCredential('tmdb', 'api_key', '0123456789abcdef0123456789abcdef');
    // The migration's state: its transaction journaled by a live process (the test runner's parent), values stored, no index yet.
    const ops = Array.from({ length: 50 }, (_, i) => ({ id: `svc${i}.api_key`, kind: 'set' as const }));
    const tx: Transaction = { id: 'cccccccccccc', owner: { ...currentOwner(), pid: process.ppid }, started_at: new Date().toISOString(), ops };
    writeFileSync(join(dirname(t.profile), 'journal'), JSON.stringify({ transactions: [tx] }), { mode: 0o600 });
    for (const op of ops) await secrets.set(op.id, `value-of-${op.id}`);
    let listed = 0;
    const list = secrets.list.bind(secrets);
    secrets.list = async () => (listed++, list());
    const vault = open();
    await vault.open();
    expect(listed).toBe(0);
    expect(vault.listCredentials().filter((c) => c.stored).map((c) => c.id)).toEqual(['tmdb.api_key']);
    // Its writer gone, the same start finishes its transaction (recovery), census or not.
    writeFileSync(join(dirname(t.profile), 'journal'), JSON.stringify({ transactions: [{ ...tx, owner: { ...tx.owner, pid: 2 ** 22 + 1 } }] }), { mode: 0o600 });
    const next = open();
    await next.open();
    expect(next.listCredentials().filter((c) => c.stored)).toHaveLength(51);
  });
});
