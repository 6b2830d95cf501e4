// Found by an outside pass (h144): a 1 MiB .env of 500,000 entries left out made migrate's summary one stderr line
// naming every one (megabytes), with and without --remove-plaintext. Messages list names through listedNames.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { makeTempHome } from '../helpers/temp';

const HF = `hf_${'Many'.repeat(9)}`;

describe('migrate of a source with thousands of entries left out', () => {
  it('names the first few and how many in all, never each of them, with and without --remove-plaintext', async () => {
    const t = makeTempHome();
    const env = join(t.cwd, 'many.env');
    const empties = Array.from({ length: 5000 }, (_, i) => `EMPTY_${i}=`).join('\n');
    writeFileSync(env, `HF_TOKEN=${HF}\n${empties}\n`, { mode: 0o600 });
    for (const extra of [[], ['--remove-plaintext']]) {
      const r = await cli(t, ['migrate', '--from', env, '--yes', ...extra]);
      expect(r.stderr).toContain('5000 entries were not migrated');
      expect(r.stderr).toContain('(5000 in all)');
      expect(r.stderr).not.toContain('EMPTY_4999');
      expect(r.stderr.length).toBeLessThan(5000);
    }
  });
});
