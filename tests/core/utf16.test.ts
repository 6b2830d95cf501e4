// UTF-16 told from UTF-8 before decoding (Notepad's "Unicode", PowerShell's > and Out-File, Python's utf-16-le):
// without a mark it was found only when its first two characters were ASCII; a file starting "# Clé API" or
// "# 密钥" was "not UTF-8 text" with a Latin-1 conversion for the fix.
import { describe, expect, it } from 'vitest';
import { utf16Form } from '../../shared/core/utf16';

const LE = (s: string) => Buffer.from(s, 'utf16le');
const BE = (s: string) => Buffer.from(s, 'utf16le').swap16();
const ENV = 'HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz0123456789\n';

describe('utf16Form', () => {
  it.each(['é', 'Ö', '密钥', '🔑', 'Ж', '一'])('without a mark, starting with %s: found, in either byte order', (first) => {
    expect(utf16Form(LE(`${first} API key\n${ENV}`))).toEqual({ order: 'LE', marked: false });
    expect(utf16Form(LE(`${first}=1\n${ENV}`))).toEqual({ order: 'LE', marked: false });
    expect(utf16Form(BE(`${first}=1\n${ENV}`))).toEqual({ order: 'BE', marked: false });
  });

  it('with a mark, or ASCII first, as before; a file that is mostly Chinese comment with one key line too', () => {
    expect(utf16Form(Buffer.concat([Buffer.from([0xff, 0xfe]), LE(ENV)]))).toEqual({ order: 'LE', marked: true });
    expect(utf16Form(Buffer.concat([Buffer.from([0xfe, 0xff]), BE(ENV)]))).toEqual({ order: 'BE', marked: true });
    expect(utf16Form(LE(ENV))).toEqual({ order: 'LE', marked: false });
    expect(utf16Form(LE(`# ${'一二三四五六七八九十'.repeat(20)}\n${ENV}`))).toEqual({ order: 'LE', marked: false });
  });

  it('UTF-8 text (any script, with its mark), a stray NUL in it, and binary are not UTF-16', () => {
    expect(utf16Form(Buffer.from(`# Clé 密钥 🔑\n${ENV}`))).toBeUndefined();
    expect(utf16Form(Buffer.from(`\ufeff${ENV}`))).toBeUndefined();
    expect(utf16Form(Buffer.from(`# keys\n\0${ENV}`))).toBeUndefined();
    expect(utf16Form(Buffer.from([0x41, 0, 0, 0, 0x42, 0]))).toBeUndefined();
    expect(utf16Form(LE(`a\udc00b${ENV}`))).toBeUndefined();
  });
});
