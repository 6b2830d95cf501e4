import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MEMO_ENTRIES, runsReader, stampMemo } from '../../electron/main/history-reads';
import type { RunRecord } from '../../shared/core/records';
import { makeTempHome } from '../helpers/temp';
import { setupMain } from './main-setup';

describe("main's memo of history and audit reads", () => {
  it('keeps at most MEMO_ENTRIES filters: a page sending made-up ones in a loop no longer grows main without end', () => {
    const file = join(makeTempHome().root, 'audit.log');
    writeFileSync(file, 'x\n');
    const memo = stampMemo(() => file);
    const reads: string[] = [];
    const read = (key: string) => memo(key, () => (reads.push(key), [key]));
    for (let i = 0; i < 1000; i++) read(`list:credential_read:made-up-${i}`);
    expect(reads).toHaveLength(1000);
    // The newest are kept (no read), the oldest went.
    read('list:credential_read:made-up-999');
    read(`list:credential_read:made-up-${1000 - MEMO_ENTRIES}`);
    expect(reads).toHaveLength(1000);
    read('list:credential_read:made-up-0');
    expect(reads).toHaveLength(1001);
  });

  it('a credential filter spelled "undefined" and no filter are two lists: the events are all still listed after it', async () => {
    const s = await setupMain();
    await s.value('credentialsSet', { service: 'tmdb', key: 'api_key', value: '0123456789abcdef0123456789abcdef' });
    expect(await s.value('auditList', { credential: 'undefined', offset: 0, limit: 10 })).toMatchObject({ total: 0 });
    expect(await s.value('auditList', { offset: 0, limit: 10 })).toMatchObject({ total: 1 });
    expect(await s.value('auditList', { event: 'credential_set', credential: 'undefined', offset: 0, limit: 10 })).toMatchObject({ total: 0 });
    expect(await s.value('auditList', { event: 'credential_set', offset: 0, limit: 10 })).toMatchObject({ total: 1 });
  });

  it('a workflow filter spelled "undefined" and no filter are two lists of runs', () => {
    const path = join(makeTempHome().root, 'runs.jsonl');
    writeFileSync(path, 'x\n');
    const all = [{ workflow: 'subtitle' }] as unknown as RunRecord[];
    const runs = {
      path,
      stats: () => ({ by_status: { pending: 0, running: 0 } }),
      list: (filter: { workflow?: string } = {}) => all.filter((r) => !filter.workflow || r.workflow === filter.workflow),
    } as unknown as Parameters<typeof runsReader>[0];
    const read = runsReader(runs);
    expect(read.list({ workflow: 'undefined' })).toEqual([]);
    expect(read.list({})).toEqual(all);
  });
});
