import { describe, expect, it } from 'vitest';
import { Reader, Writer, marshal, parseSignature } from '../../shared/node/secrets/dbus/wire';

/** `values` read back from their marshalled bytes with `signature`. */
function roundTrip(signature: string, values: unknown[]): unknown[] {
  const bytes = marshal(signature, values);
  const r = new Reader(bytes, true);
  return parseSignature(signature).map((t) => r.read(t));
}

describe('the D-Bus wire format', () => {
  // The bytes the first implementation (Buffer's fill/writeUInt8/writeUInt32LE) wrote for the Secret Service's own
  // calls; the writer that puts bytes in by index must write the very same.
  it.each([
    ['sv', ['plain', ['s', '']], '05000000706c61696e000173000000000000000000'],
    ['ao', [['/a', '/org/freedesktop/secrets/collection/login/1']], '38000000020000002f6100002b0000002f6f72672f667265656465736b746f702f736563726574732f636f6c6c656374696f6e2f6c6f67696e2f3100'],
    ['yuiq', [255, 4294967295, -5, 65535], 'ff000000fffffffffbffffffffff'],
    ['a(yv)', [[[1, ['o', '/org/freedesktop/DBus']], [6, ['s', 'org.freedesktop.DBus']], [8, ['g', 'a{sv}']]]], '4b0000000000000001016f00150000002f6f72672f667265656465736b746f702f4442757300000006017300140000006f72672e667265656465736b746f702e44427573000000000801670005617b73767d00'],
    [
      'a{sv}(oayays)b',
      [[['org.freedesktop.Secret.Item.Label', ['s', 'cpw-vault/huggingface.token']], ['org.freedesktop.Secret.Item.Attributes', ['a{ss}', [['a', 'b']]]]], ['/org/freedesktop/secrets/session/s1', Buffer.alloc(0), Buffer.from('hf_ünïcødé', 'utf8'), 'text/plain; charset=utf8'], true],
      '9600000000000000210000006f72672e667265656465736b746f702e5365637265742e4974656d2e4c6162656c000173000000001b0000006370772d7661756c742f68756767696e67666163652e746f6b656e0000000000260000006f72672e667265656465736b746f702e5365637265742e4974656d2e417474726962757465730005617b73737d0000000e00000001000000610000000100000062000000230000002f6f72672f667265656465736b746f702f736563726574732f73657373696f6e2f733100000000000e00000068665fc3bc6ec3af63c3b864c3a9000018000000746578742f706c61696e3b20636861727365743d757466380000000001000000',
    ],
  ])('%s is written byte for byte as before', (signature, values, hex) => {
    expect(marshal(signature, values as unknown[]).toString('hex')).toBe(hex);
    expect(roundTrip(signature, values as unknown[])).toEqual(values);
  });

  it('reads back every u32 up to 2^32 - 1, and every byte, as written', () => {
    const values = [0, 1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xdeadbeef, 0xffffffff];
    expect(roundTrip('au', [values])).toEqual([values]);
    expect(roundTrip('ay', [Buffer.from([0, 1, 127, 128, 255])])).toEqual([Buffer.from([0, 1, 127, 128, 255])]);
    expect(roundTrip('(yyy)', [[0, 128, 255]])).toEqual([[0, 128, 255]]);
  });

  it('reads a big-endian message (a peer may send one)', () => {
    // u32 0x01020304, then the string "héllo" (6 bytes + NUL), then a byte.
    const bytes = Buffer.concat([Buffer.from([1, 2, 3, 4, 0, 0, 0, 6]), Buffer.from('héllo\0', 'utf8'), Buffer.from([0xff])]);
    const r = new Reader(bytes, false);
    expect(r.read(parseSignature('u')[0]!)).toBe(0x01020304);
    expect(r.read(parseSignature('s')[0]!)).toBe('héllo');
    expect(r.read(parseSignature('y')[0]!)).toBe(0xff);
    expect(new Reader(Buffer.from([0xff, 0xff, 0xff, 0xfe]), false).u32()).toBe(0xfffffffe);
  });

  it.each([
    ['y', 256], ['y', -1], ['y', 1.5], ['y', '1'], ['y', Number.NaN],
    ['u', 2 ** 32], ['u', -1], ['u', 0.5], ['u', Infinity], ['h', 2 ** 40],
  ])('refuses %s = %s (written by index, it would wrap)', (signature, value) => {
    expect(() => marshal(signature, [value])).toThrow(`value does not fit D-Bus type ${signature}`);
  });

  it('refuses a variant signature that is not ASCII or longer than 255', () => {
    expect(() => marshal('g', ['é'])).toThrow('value does not fit D-Bus type g');
    expect(() => marshal('g', ['s'.repeat(256)])).toThrow('value does not fit D-Bus type g');
    expect(roundTrip('g', ['s'.repeat(255)])).toEqual(['s'.repeat(255)]);
  });

  it('grows its buffer past 256 bytes, the padding zero', () => {
    const long = 'x'.repeat(1000);
    const bytes = marshal('ys', [7, long]);
    expect(bytes.length).toBe(4 + 4 + 1000 + 1);
    expect([...bytes.subarray(0, 4)]).toEqual([7, 0, 0, 0]);
    expect(roundTrip('ys', [7, long])).toEqual([7, long]);
    const w = new Writer();
    w.u8(1);
    w.align(8);
    expect([...w.done()]).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('parses any number of signatures, the same types each time (the first few are kept)', () => {
    for (let n = 1; n <= 100; n++) {
      const [t] = parseSignature(`(${'s'.repeat(n)})`);
      expect(t!.children).toHaveLength(n);
    }
    expect(parseSignature('a{sv}')).toEqual([{ code: 'a', children: [{ code: '{', children: [{ code: 's', children: [] }, { code: 'v', children: [] }] }] }]);
    expect(parseSignature('a{sv}')).toEqual(parseSignature('a{sv}'));
    expect(() => parseSignature('(s')).toThrow('unclosed container');
    expect(() => parseSignature('(s')).toThrow('unclosed container');
    expect(() => parseSignature('z')).toThrow('unknown type code z');
  });
});
