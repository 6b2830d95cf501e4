import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MEMO_ENTRIES, stampMemo } from '../../electron/main/history-reads';
import { makeTempHome } from '../helpers/temp';

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
});
