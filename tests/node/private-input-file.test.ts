// The reader of --passphrase-file and --identity-file: what its refusals say of the path it was given.
import { describe, expect, it } from 'vitest';
import { readPrivateInputFile } from '../../shared/node/private-input-file';

const FILE = { what: 'identity file', maxBytes: 65536, notRegularFix: 'Give a file written by age-keygen.', tooLargeFix: 'Give a file written by age-keygen.', unownedFix: () => 'Give a file of your own.' };

describe('readPrivateInputFile', () => {
  it('a path holding line breaks or an escape sequence (`--identity-file "$(cat key.txt)"`) is named on one line, "?" in their place', () => {
    const given = '# created: 2026-12-05\n# public key: age1xyz\n\u001b[31mred';
    let message = '';
    try {
      readPrivateInputFile(given, FILE);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('Cannot open the identity file # created: 2026-12-05?# public key: age1xyz??[31mred (ENOENT).');
  });
});
