// readProcFile reads a /proc file into a small buffer (readFileSync's 64 KiB chunks cost exec ~0.13 ms a file): it
// must still read to the end of one longer than that buffer, and say what readFileSync says.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { procStatFields, readProcFile } from '../../shared/node/builtins';

describe.runIf(process.platform === 'linux')('readProcFile', () => {
  it('reads a file longer than its first buffer whole (/proc/self/maps, status)', () => {
    for (const file of ['/proc/self/maps', '/proc/self/status']) {
      const text = readProcFile(file);
      expect(text.length).toBeGreaterThan(1024);
      // Both are re-made at each read; their first and last lines (the program's first mapping, the last status field)
      // stay, by their first word: a value may change between two reads (the context switches, on a loaded machine).
      const firstWords = (t: string) => [t.trimEnd().split('\n')[0], t.trimEnd().split('\n').at(-1)].map((l) => l!.split(/\s/)[0]);
      expect(firstWords(text)).toEqual(firstWords(readFileSync(file, 'latin1')));
    }
  });

  it('reads the stat fields and the boot id as readFileSync does', () => {
    expect(procStatFields('self')?.[19]).toBe(readFileSync('/proc/self/stat', 'latin1').split(') ')[1]!.split(' ')[19]);
    expect(readProcFile('/proc/sys/kernel/random/boot_id')).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'latin1'));
  });

  it('throws for a file that is not there (callers treat it as unknown)', () => {
    expect(() => readProcFile('/proc/self/no-such-file')).toThrow();
    expect(procStatFields(0x7ffffffe)).toBeUndefined();
  });
});
