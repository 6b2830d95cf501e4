#!/usr/bin/env node
// Draws the cpw-vault icon (a keyhole in a rounded square, on an indigo to
// violet gradient, with a waveform through the key) and writes build/icon.png
// (1024 px) and build/icons/<n>x<n>.png for Linux. No image library: signed
// distance shapes, 4x4 supersampling, and a small PNG encoder over zlib.
// Run by hand when the design changes; the PNGs are committed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** Encodes RGBA pixels (Uint8Array, size*size*4) as a PNG. */
export function encodePng(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) Buffer.from(rgba.buffer, y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

// Shapes in a 0..1 square. Negative distance = inside.
const roundedSquare = (x, y) => {
  const r = 0.22, h = 0.5 - 0.04;
  const qx = Math.abs(x - 0.5) - (h - r), qy = Math.abs(y - 0.5) - (h - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};
const keyhole = (x, y) => {
  const circle = Math.hypot(x - 0.5, y - 0.4) - 0.13;
  // A trapezoid from the circle down: half-width 0.055 at the top, 0.1 at the bottom.
  const t = (y - 0.42) / (0.74 - 0.42);
  const half = 0.055 + 0.045 * Math.min(Math.max(t, 0), 1);
  const stem = Math.max(Math.abs(x - 0.5) - half, 0.42 - y, y - 0.74);
  return Math.min(circle, stem);
};
const waveform = (x, y) => {
  // Five bars across the lower part, heights of a spoken word.
  const bars = [0.05, 0.09, 0.13, 0.09, 0.05];
  let d = Infinity;
  bars.forEach((h, i) => {
    const cx = 0.26 + i * 0.12;
    if (Math.abs(cx - 0.5) < 0.01) return; // the keyhole stands in for the middle bar
    d = Math.min(d, Math.max(Math.abs(x - cx) - 0.022, Math.abs(y - 0.6) - h));
  });
  return d;
};

function pixel(x, y) {
  if (roundedSquare(x, y) > 0) return [0, 0, 0, 0];
  if (keyhole(x, y) < 0) return [255, 255, 255, 255];
  if (waveform(x, y) < 0) return [255, 255, 255, 150];
  const t = (x + y) / 2; // indigo #3446c4 -> violet #7b3fe4
  return [Math.round(0x34 + (0x7b - 0x34) * t), Math.round(0x46 + (0x3f - 0x46) * t), Math.round(0xc4 + (0xe4 - 0xc4) * t), 255];
}

/** Renders the icon at `size` px with 4x4 supersampling. */
export function renderIcon(size) {
  const out = new Uint8Array(size * size * 4);
  const S = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const [r, g, b, a] = pixel((px + (sx + 0.5) / S) / size, (py + (sy + 0.5) / S) / size);
          acc[0] += r * a; acc[1] += g * a; acc[2] += b * a; acc[3] += a;
        }
      }
      const i = (py * size + px) * 4;
      const alpha = acc[3] / (S * S);
      out[i] = acc[3] ? Math.round(acc[0] / acc[3]) : 0;
      out[i + 1] = acc[3] ? Math.round(acc[1] / acc[3]) : 0;
      out[i + 2] = acc[3] ? Math.round(acc[2] / acc[3]) : 0;
      out[i + 3] = Math.round(alpha);
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(join(root, 'build/icons'), { recursive: true });
  writeFileSync(join(root, 'build/icon.png'), encodePng(1024, renderIcon(1024)));
  for (const size of [16, 32, 48, 64, 128, 256, 512]) writeFileSync(join(root, `build/icons/${size}x${size}.png`), encodePng(size, renderIcon(size)));
  console.log('wrote build/icon.png and build/icons/*.png');
}
