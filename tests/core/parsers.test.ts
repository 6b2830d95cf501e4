// Issue 12, "Parsers": linear .env parsing, bounded JSON depth, the last of
// a repeated key counts in both. Outcomes only; the parse times are in
// `npm run bench` (bench/parsers.mjs).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, overDeepAt, parseJson } from '../../shared/core/json';
import { nestsDeeper } from '../../shared/core/json-depth';
import { planMigration } from '../../shared/core/migration-plan';
import { MAX_SOURCE_BYTES, parseJsonSource } from '../../shared/core/migration-sources';
import { parseDotenv } from '../../shared/core/dotenv-source';
import { thrown } from '../helpers/errors';

const absent = () => 'absent' as const;

describe('.env parsing', () => {
  it('parses a 1 MiB worst-case line (spaces between the value and a #) to the exact value', () => {
    // The old /\s+#.*$/ retried at every space: this line took minutes.
    const line = `TMDB_API_KEY=x${' '.repeat(MAX_SOURCE_BYTES - 32)}y`;
    const parsed = parseDotenv('.env', line);
    expect(parsed.entries).toHaveLength(1);
    expect(parsed.entries[0]!.value).toBe(`x${' '.repeat(MAX_SOURCE_BYTES - 32)}y`);
  });

  it('parses 1 MiB of lines that each almost hold an inline comment', () => {
    const text = `A=x${' '.repeat(200)}y\n`.repeat(Math.floor(MAX_SOURCE_BYTES / 205));
    const parsed = parseDotenv('.env', text);
    expect(parsed.entries).toHaveLength(1);
    expect(parsed.duplicateKeys).toEqual(['A']);
  });

  it('keeps the forms it always read: export, quotes, escapes, inline comments, CRLF, invalid lines', () => {
    const parsed = parseDotenv('.env', [
      '# comment',
      'export HF_TOKEN=hf_plain # a comment',
      "TMDB_API_KEY='single # kept'",
      'OPENAI_API_KEY="dq \\"quoted\\" \\\\ \\n end" # c',
      'ANTHROPIC_API_KEY = spaced#not-a-comment\r',
      'not a line',
      '',
    ].join('\n'));
    expect(parsed.entries.map((e) => [e.sourceKey, e.value, e.problem])).toEqual([
      ['HF_TOKEN', 'hf_plain', undefined],
      ['TMDB_API_KEY', 'single # kept', undefined],
      // \" and \\ are escapes to python-dotenv, not to Node (which ends the value at \"): not taken.
      ['OPENAI_API_KEY', 'dq \\"quoted\\" \\\\ \n end', expect.stringContaining('the escape \\" inside double quotes')],
      // Node reads a comment from the #, python-dotenv does not: not taken.
      ['ANTHROPIC_API_KEY', 'spaced#not-a-comment', expect.stringContaining('a # in a value without quotes')],
      ['line 6', undefined, undefined],
    ]);
  });

  it('takes a quoted value only as python-dotenv and Node both read it; otherwise the row says why and nothing is taken', () => {
    // Checked against python-dotenv 1.0 and Node 20's --env-file on this machine.
    const lines = [
      'DB_PASSWORD="p4ss\\w0rd"', // a backslash before an ordinary character: kept by both (it was dropped: p4ssw0rd)
      'A_TOKEN="x\\$y"', // kept by both too
      'B_TOKEN="a\\tb"', // python: a tab; Node: backslash and t
      "C_TOKEN='a\\'b'", // python: a'b; Node: a\
      'D_TOKEN="abc"def', // python refuses the line; Node: abc
      'E_TOKEN="one line" # a comment',
    ];
    const rows = parseDotenv('.env', lines.join('\n')).entries.map((e) => [e.sourceKey, e.value, e.problem?.replace(/ \(.*|, which.*/, '')]);
    expect(rows).toEqual([
      ['DB_PASSWORD', 'p4ss\\w0rd', undefined],
      ['A_TOKEN', 'x\\$y', undefined],
      ['B_TOKEN', 'a\\tb', 'the escape \\t inside double quotes'],
      ['C_TOKEN', "a\\'b", "the escape \\' inside single quotes"],
      ['D_TOKEN', 'abc', 'text after the closing "'],
      ['E_TOKEN', 'one line', undefined],
    ]);
    const plan = planMigration(parseDotenv('.env', lines.join('\n')), absent, { includeUnknown: true });
    expect(plan.rows.map((r) => r.action)).toEqual(['unknown', 'unknown', 'invalid', 'invalid', 'invalid', 'unknown']);
  });

  it('a quoted value on several lines (a PEM key) is one invalid row, its lines no rows of their own; an unclosed quote is one too', () => {
    const text = [
      'GCP_PRIVATE_KEY="-----BEGIN PRIVATE KEY-----',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7',
      '-----END PRIVATE KEY-----"',
      'HF_TOKEN=hf_after',
      "SSH_KEY='-----BEGIN OPENSSH PRIVATE KEY-----",
      "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ'",
      'OPEN_TOKEN="never closed',
      'TMDB_API_KEY=tmdb_after',
    ].join('\n');
    const parsed = parseDotenv('.env', text);
    expect(parsed.entries.map((e) => [e.sourceKey, e.problem?.replace(/ \(.*/, '')])).toEqual([
      ['GCP_PRIVATE_KEY', 'a value on 3 lines'], ['HF_TOKEN', undefined], ['SSH_KEY', 'a value on 2 lines'], ['OPEN_TOKEN', 'no closing "'], ['TMDB_API_KEY', undefined],
    ]);
    const plan = planMigration(parsed, absent, { includeUnknown: true });
    expect(plan.rows.filter((r) => r.apply).map((r) => r.target)).toEqual(['huggingface.token', 'tmdb.api_key']);
    expect(JSON.stringify(plan)).not.toContain('MIIEvQ');
  });

  it('spaces kept inside quotes (or in JSON) are not trimmed away into another value: the row is invalid', () => {
    const plan = planMigration(parseDotenv('.env', "A_TOKEN='  sp ace  '\nB_TOKEN=\" lead\"\nC_TOKEN=  trimmed by every reader  "), absent, { includeUnknown: true });
    expect(plan.rows.map((r) => [r.sourceKey, r.action])).toEqual([['A_TOKEN', 'invalid'], ['B_TOKEN', 'invalid'], ['C_TOKEN', 'unknown']]);
    expect(plan.rows[0]!.reason).toContain('spaces or line breaks at the start or end');
    const json = planMigration(parseJsonSource('secrets.json', JSON.stringify({ hf_token: 'hf_abcdefghijklmnopqrstuvwxyz ', tmdb_api_key: 'tmdb_abcdefghijkl\n' })), absent);
    expect(json.rows.map((r) => r.action)).toEqual(['invalid', 'import']);
  });

  it('no-break and other Unicode spaces at a value\'s ends count as spaces: the row is invalid, never trimmed into another key', () => {
    for (const v of ['sk-abcdefghijklmnopqrstuvwxyz0123456789\u00a0', '\u00a0sk-abcdefghijklmnopqrstuvwxyz0123', 'x-abcdefghijklmnop\u3000', 'x-abcdefghijklmnop\ufeff', 'x-abcdefghijklmnop\u2028']) {
      const dotenv = planMigration(parseDotenv('.env', `OPENAI_API_KEY="${v}"`), absent);
      const json = planMigration(parseJsonSource('secrets.json', JSON.stringify({ openai_api_key: v })), absent);
      expect([dotenv.rows[0]!.action, json.rows[0]!.action], JSON.stringify(v)).toEqual(['invalid', 'invalid']);
    }
  });

  it('unquoted values the readers read differently, and ${...} anywhere, are not taken; a file read as a shell script refuses $ and backticks', () => {
    const text = ['DB_PASSWORD=abc#123', 'K1=#abc', 'API_SECRET=x${HOME}y', "S_TOKEN='x${HOME}'", 'TMDB_API_KEY=`0123456789abcdef0123456789abcdef`', 'PLAIN_TOKEN=a$b\\c', 'OK_TOKEN=abc #comment'].join('\n');
    const rows = parseDotenv('.env', text).entries.map((e) => [e.sourceKey, e.problem?.replace(/,.*/, '')]);
    expect(rows).toEqual([
      ['DB_PASSWORD', 'a # in a value without quotes'], ['K1', 'a # in a value without quotes'], ['API_SECRET', '${...}'], ['S_TOKEN', '${...}'],
      ['TMDB_API_KEY', 'backticks around the value'], ['PLAIN_TOKEN', undefined], ['OK_TOKEN', undefined],
    ]);
    const shell = parseDotenv('.envrc', ['export HF_TOKEN="$(cat ~/.hf_token_file_abc123)"', 'export TMDB_API_KEY=$TMDB_FROM_PASS_0123456789abcdef', "export A_TOKEN='lit$eral'", 'export B_TOKEN=plain_abcdef'].join('\n'), { shell: true });
    expect(shell.entries.map((e) => [e.sourceKey, !!e.problem])).toEqual([['HF_TOKEN', true], ['TMDB_API_KEY', true], ['A_TOKEN', false], ['B_TOKEN', false]]);
  });

  it('a name cpw-vault does not take (1KEY) that opens a quote the readers read on: its lines are no rows of their own', () => {
    const parsed = parseDotenv('.env', 'HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz123451\n1KEY="abc\nDB_PASSWORD=s3cr3t\n"\nTMDB_API_KEY=tmdb_after');
    expect(parsed.entries.map((e) => e.sourceKey)).toEqual(['HF_TOKEN', 'line 2', 'TMDB_API_KEY']);
  });

  it('70,000 names given twice, and 1 MiB of key-like comments, parse in one pass (includes() made them quadratic)', () => {
    const twice = Array.from({ length: 70_000 }, (_, i) => `K${i.toString(16)}=`).join('\n');
    expect(parseDotenv('.env', `${twice}\n${twice}`).duplicateKeys).toHaveLength(70_000);
    const comments = Array.from({ length: 30_000 }, (_, i) => `# ${'0'.repeat(24)}a${i}`).join('\n');
    expect(parseDotenv('.env', comments).commentedKeys).toHaveLength(30_000);
  });

  it('1 MiB of quotes opened and never closed, or closed a line later, parses in one pass', () => {
    // A's search for its closing quote runs to the end once; each B line's ' closes the one before.
    const unclosed = parseDotenv('.env', `A_TOKEN="x\n${"B_TOKEN='y\n".repeat(90_000)}C_TOKEN=z`);
    expect(unclosed.entries.map((e) => [e.sourceKey, e.problem?.replace(/ \(.*/, '')])).toEqual([['A_TOKEN', 'no closing "'], ['B_TOKEN', 'a value on 2 lines'], ['C_TOKEN', undefined]]);
    const pairs = 'A_TOKEN="x\n"\n'.repeat(80_000);
    expect(parseDotenv('.env', pairs).entries).toHaveLength(1);
  });

  it('a name given twice: the last one counts (as the plan note says), listed once as a duplicate', () => {
    const parsed = parseDotenv('.env', 'TMDB_API_KEY=first\nHF_TOKEN=hf_x\nTMDB_API_KEY=second\nTMDB_API_KEY=third\n');
    expect(parsed.entries.map((e) => [e.sourceKey, e.value])).toEqual([['TMDB_API_KEY', 'third'], ['HF_TOKEN', 'hf_x']]);
    expect(parsed.duplicateKeys).toEqual(['TMDB_API_KEY']);
    const plan = planMigration(parsed, absent);
    expect(plan.rows.filter((r) => r.target === 'tmdb.api_key')).toHaveLength(1);
    expect(plan.rows.find((r) => r.target === 'tmdb.api_key')!.action).toBe('import');
  });
});

describe('JSON depth', () => {
  it('100,000 [ is a clear error with line and column, not a stack overflow', () => {
    const r = parseJson('['.repeat(100_000));
    expect(r).toMatchObject({ ok: false, line: 1, column: MAX_JSON_DEPTH + 1 });
    expect(!r.ok && r.reason).toContain(`deeper than ${MAX_JSON_DEPTH}`);
  });

  it('a deep but well-formed document is refused the same way; brackets inside strings do not count', () => {
    const deep = `{"a": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(parseJson(deep).ok).toBe(false);
    expect(overDeepAt(`{"a": "${'['.repeat(100_000)}\\"{{{"}`)).toBe(-1);
    expect(overDeepAt(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).toBe(-1);
  });

  it('the walk of a parsed document (what every profile read runs) agrees with the text scan, at the limit too', () => {
    // Arrays and objects mixed, empty and not, a bracket inside a string, at depths around the limit.
    const nested = (depth: number, kinds: readonly boolean[]): string => {
      let text = '"[{\\\\ \\" ]"';
      for (let i = depth - 1; i >= 0; i--) text = kinds[i % kinds.length] ? `[1, ${text}, {}]` : `{"k${i}": ${text}, "e": []}`;
      return text;
    };
    fc.assert(fc.property(fc.integer({ min: 1, max: MAX_JSON_DEPTH + 3 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), (depth, kinds) => {
      const text = nested(depth, kinds);
      expect(nestsDeeper(JSON.parse(text))).toBe(overDeepAt(text) >= 0);
      // The innermost container holds an empty one ([] or {}): one level more than `depth`.
      expect(nestsDeeper(JSON.parse(text))).toBe(depth + 1 > MAX_JSON_DEPTH);
    }), { numRuns: 300 });
    expect(nestsDeeper(JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`))).toBe(true);
    expect(nestsDeeper('[[[')).toBe(false);
  });

  it('a migration source nested 100,000 deep is refused as an invalid source (INVALID_ARGUMENT), never INTERNAL', () => {
    const err = thrown(() => parseJsonSource('deep.json', '{"a":'.repeat(100_000)));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain('nested deeper than');
  });
});

describe('duplicate JSON keys', () => {
  it('the last one counts, and is listed', () => {
    const parsed = parseJsonSource('secrets.json', '{"tmdb_api_key": "first", "tmdb_api_key": "second"}');
    expect(parsed.entries.map((e) => [e.sourceKey, e.value])).toEqual([['tmdb_api_key', 'second']]);
    expect(parsed.duplicateKeys).toEqual(['tmdb_api_key']);
  });
});
