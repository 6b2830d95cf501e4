// A plan reads from the secret store only the targets it compares: an entry refused for its value (empty, too long, not
// text) is never stored. A .env of 5,000 empty lines read 5,000 keychain values first, and on a loaded machine the read
// went past the command's deadline: KEYCHAIN_TIMEOUT, nothing migrated (a fresh-clone CI run, migrate-many-entries).
import { describe, expect, it } from 'vitest';
import type { CredentialId } from '../../shared/core/credential';
import { parseJsonSource } from '../../shared/core/migration-sources';
import { planMigrationFor } from '../../shared/node/migration/apply';

describe('a migration plan reads what it compares, nothing more', () => {
  it('5,000 empty values, one too long, one not text: none of their targets read; the real key and an unknown one are', async () => {
    const entries: Record<string, unknown> = { hf_token: `hf_${'Plan'.repeat(9)}`, my_service_api_key: 'custom-value-1234', openai_api_key: 'x'.repeat(9000), tmdb_api_key: 42 };
    for (let i = 0; i < 5000; i++) entries[`svc${i}_api_key`] = '  ';
    const source = parseJsonSource('/nowhere/secrets.json', JSON.stringify(entries));
    const asked: CredentialId[][] = [];
    const { plan } = await planMigrationFor(source, {}, async (ids) => {
      asked.push(ids);
      return new Map(ids.map((id) => [id, undefined]));
    });
    expect(asked).toEqual([['huggingface.token', 'my_service.api_key']]);
    expect(plan.rows.filter((r) => r.action === 'invalid')).toHaveLength(5002);
  });
});
