/**
 * The D-Bus wire format (https://dbus.freedesktop.org/doc/dbus-specification.html,
 * "Message Protocol"): marshalling and unmarshalling of values by signature.
 *
 * Why not a library: the JavaScript D-Bus clients on npm (dbus-next,
 * @homebridge/dbus-native) cost 20-25 ms of start-up (measured: they load an
 * XML parser, streams and a 64-bit integer library), which would make every
 * `cpw-vault get` slower than the keytar floor it is measured against. The
 * Secret Service needs a handful of signatures; this file implements the
 * general rules (alignment, both byte orders, all basic and container types)
 * in one place and is tested against the real dbus-daemon and gnome-keyring.
 *
 * JavaScript values: s/o/g strings; y/n/q/i/u/h/d numbers; b booleans; x/t
 * bigints; `ay` a Buffer; other arrays JS arrays; a dict `a{kv}` an array of
 * [key, value] pairs; a struct an array of its fields; a variant a
 * [signature, value] pair.
 */

import { BASIC_ALIGN, SIGNATURE, parseSignature, signatureOf, type DbusType } from './signature';

export { parseSignature, type DbusType } from './signature';

/** Builds a little-endian message buffer; offsets (and so alignment) count from its start. */
export class Writer {
  private buf = Buffer.alloc(256);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  // The bytes of the common types go in by index: Buffer's methods (fill, writeUInt8, writeUInt32LE) check their
  // arguments in JavaScript and leave 64-160 bytes of heap a call, ~7 KB a message.
  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    this.ensure(pad);
    for (let i = 0; i < pad; i++) this.buf[this.length++] = 0;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** `v`, an integer 0-255. */
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  /** `v`, an integer 0 to 2^32 - 1. */
  u32(v: number): void {
    this.align(4);
    this.ensure(4);
    this.patchU32(this.length, v);
    this.length += 4;
  }

  /** Overwrites a u32 written earlier (array lengths, body length). */
  patchU32(at: number, v: number): void {
    const b = this.buf;
    b[at] = v;
    b[at + 1] = v >>> 8;
    b[at + 2] = v >>> 16;
    b[at + 3] = v >>> 24;
  }

  write(t: DbusType, value: unknown): void {
    this.align(BASIC_ALIGN[t.code]!);
    // No closure for the error (`misfit`): one made for every value written left heap behind even when nothing failed.
    switch (t.code) {
      case 'y': return this.u8(int(value, t, 0, 0xff));
      case 'b': return this.u32(value ? 1 : 0);
      case 'n': case 'q': {
        this.ensure(2);
        if (t.code === 'n') this.buf.writeInt16LE(num(value, t), this.length);
        else this.buf.writeUInt16LE(num(value, t), this.length);
        this.length += 2;
        return;
      }
      case 'i': this.ensure(4); this.buf.writeInt32LE(num(value, t), this.length); this.length += 4; return;
      case 'u': case 'h': return this.u32(int(value, t, 0, 0xffffffff));
      case 'x': case 't': {
        if (typeof value !== 'bigint') throw misfit(t);
        this.ensure(8);
        if (t.code === 'x') this.buf.writeBigInt64LE(value, this.length);
        else this.buf.writeBigUInt64LE(value, this.length);
        this.length += 8;
        return;
      }
      case 'd': this.ensure(8); this.buf.writeDoubleLE(num(value, t), this.length); this.length += 8; return;
      case 's': case 'o': {
        if (typeof value !== 'string') throw misfit(t);
        const n = Buffer.byteLength(value, 'utf8');
        this.u32(n);
        this.ensure(n + 1);
        this.length += this.buf.write(value, this.length, n, 'utf8');
        return this.u8(0);
      }
      case 'g': {
        if (typeof value !== 'string') throw misfit(t);
        if (value.length > 255) throw misfit(t);
        this.u8(value.length);
        this.ensure(value.length + 1);
        for (let i = 0; i < value.length; i++) {
          const c = value.charCodeAt(i);
          if (c > 0x7e) throw misfit(t); // type codes are ASCII
          this.buf[this.length++] = c;
        }
        return this.u8(0);
      }
      case 'v': {
        if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string') throw misfit(t);
        const [inner] = parseSignature(value[0]);
        if (!inner) throw misfit(t);
        this.write(SIGNATURE, value[0]);
        return this.write(inner, value[1]);
      }
      case '(': case '{': {
        if (!Array.isArray(value) || value.length !== t.children.length) throw misfit(t);
        for (let i = 0; i < t.children.length; i++) this.write(t.children[i]!, value[i]);
        return;
      }
      case 'a': {
        const elem = t.children[0]!;
        this.u32(0);
        const lengthAt = this.length - 4;
        this.align(BASIC_ALIGN[elem.code]!); // padding before the first element is not counted
        const start = this.length;
        if (elem.code === 'y' && Buffer.isBuffer(value)) this.bytes(value);
        else {
          if (!Array.isArray(value)) throw misfit(t);
          for (const item of value) this.write(elem, item);
        }
        this.patchU32(lengthAt, this.length - start);
        return;
      }
    }
    throw misfit(t);
  }

  /** The bytes written so far. */
  done(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function num(v: unknown, t: DbusType): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw misfit(t);
  return v;
}

/** `v` when it is an integer from `min` to `max` (its bytes are written by index, which would wrap one outside). */
function int(v: unknown, t: DbusType, min: number, max: number): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw misfit(t);
  return v as number;
}

function misfit(t: DbusType): Error {
  return new Error(`value does not fit D-Bus type ${signatureOf(t)}`);
}

/** Reads values from a received message; `base` is the message start, for alignment. */
export class Reader {
  offset: number;

  constructor(private readonly buf: Buffer, private readonly little: boolean, offset = 0, private readonly base = 0) {
    this.offset = offset;
  }

  private align(n: number): void {
    const rel = this.offset - this.base;
    this.offset += (n - (rel % n)) % n;
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new Error('D-Bus message truncated');
  }

  /** By index, as the Writer writes (Buffer's readUInt32LE left 64 bytes of heap a call). */
  u32(): number {
    this.align(4);
    this.need(4);
    const b = this.buf;
    const at = this.offset;
    this.offset += 4;
    return this.little ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000 : b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
  }

  read(t: DbusType): unknown {
    this.align(BASIC_ALIGN[t.code]!);
    const b = this.buf;
    const le = this.little;
    const at = this.offset;
    switch (t.code) {
      case 'y': this.need(1); this.offset += 1; return b[at];
      case 'b': return this.u32() !== 0;
      case 'n': this.need(2); this.offset += 2; return le ? b.readInt16LE(at) : b.readInt16BE(at);
      case 'q': this.need(2); this.offset += 2; return le ? b.readUInt16LE(at) : b.readUInt16BE(at);
      case 'i': this.need(4); this.offset += 4; return le ? b.readInt32LE(at) : b.readInt32BE(at);
      case 'u': case 'h': return this.u32();
      case 'x': this.need(8); this.offset += 8; return le ? b.readBigInt64LE(at) : b.readBigInt64BE(at);
      case 't': this.need(8); this.offset += 8; return le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
      case 'd': this.need(8); this.offset += 8; return le ? b.readDoubleLE(at) : b.readDoubleBE(at);
      case 's': case 'o': {
        const n = this.u32();
        this.need(n + 1);
        const s = b.toString('utf8', this.offset, this.offset + n);
        this.offset += n + 1;
        return s;
      }
      case 'g': {
        this.need(1);
        const n = b[this.offset]!;
        this.need(n + 2);
        // latin1, not ascii (which drops the high bit: 0xf3 read as 's'): a byte past ASCII is no type code.
        const s = b.toString('latin1', this.offset + 1, this.offset + 1 + n);
        this.offset += n + 2;
        return s;
      }
      case 'v': {
        const sig = this.read(SIGNATURE) as string;
        const [inner] = parseSignature(sig);
        if (!inner) throw new Error('empty variant signature');
        return [sig, this.read(inner)];
      }
      case '(': case '{': {
        const out: unknown[] = [];
        for (let i = 0; i < t.children.length; i++) out.push(this.read(t.children[i]!));
        return out;
      }
      case 'a': {
        const n = this.u32();
        const elem = t.children[0]!;
        this.align(BASIC_ALIGN[elem.code]!);
        const end = this.offset + n;
        this.need(n);
        if (elem.code === 'y') {
          this.offset = end;
          return Buffer.from(b.subarray(end - n, end));
        }
        const out: unknown[] = [];
        while (this.offset < end) out.push(this.read(elem));
        return out;
      }
    }
    throw new Error(`unknown type code ${t.code}`);
  }
}

/** Marshals `values` with `signature` from offset 0 (a message body). */
export function marshal(signature: string, values: readonly unknown[]): Buffer {
  const types = parseSignature(signature);
  if (types.length !== values.length) throw new Error(`signature ${signature} needs ${types.length} values, got ${values.length}`);
  const w = new Writer();
  for (let i = 0; i < types.length; i++) w.write(types[i]!, values[i]);
  return w.done();
}
