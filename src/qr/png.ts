import { crc32, deflateSync } from 'node:zlib';

import { BLACK, isPureGrey, WHITE, type Rgba } from './colour.js';
import type { QrMatrix } from './encode.js';

/** Rendering options of the PNG writer. */
export interface PngOptions {
  /** Pixels per module, a whole number. Default 10, as the service qrmail replaces used. */
  moduleSize?: number;
  /** Quiet zone in modules on every side. Default 4, the minimum that ISO/IEC 18004 requires. */
  margin?: number;
  /** Colour of dark modules. Default opaque black. */
  dark?: Rgba;
  /** Colour of light modules and the quiet zone. Default opaque white; alpha 0 is transparent. */
  light?: Rgba;
}

/**
 * zlib level for the image data. For a version-6 code at 10 pixels per module (490 x 490), with
 * the Up filter on repeated lines, level 3 compressed it to 1,062 bytes in about 80 µs, level 4
 * to 882 bytes in about 190 µs and level 9 to 746 bytes in about 1.4 ms. These are estimates from
 * one loaded 2-core machine. Level 4 keeps the file smaller than the Python service's PNG
 * (docs/benchmarks.md compares them).
 */
const DEFLATE_LEVEL = 4;

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Renders a matrix as a 1-bit PNG: greyscale for black on white, otherwise a two-entry palette
 * (with a tRNS chunk when a colour has alpha).
 * It is written by hand because general PNG encoders write 8-bit RGBA, which is larger and slower
 * for a two-colour image. The format needs only three chunks over node:zlib.
 */
export function renderPng(matrix: QrMatrix, options: PngOptions = {}): Buffer {
  const moduleSize = options.moduleSize ?? 10;
  const margin = options.margin ?? 4;
  if (!Number.isInteger(moduleSize) || moduleSize < 1) {
    throw new RangeError(`moduleSize must be a whole number of pixels of at least 1, got ${moduleSize}`);
  }
  if (!Number.isInteger(margin) || margin < 0) {
    throw new RangeError(`margin must be a whole number of modules of at least 0, got ${margin}`);
  }

  const width = (matrix.size + 2 * margin) * moduleSize;
  const raw = scanlines(matrix, moduleSize, margin, width);
  const dark = options.dark ?? BLACK;
  const light = options.light ?? WHITE;
  const greyscale = isPureGrey(dark, light);

  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(width, 4);
  header[8] = 1; // bit depth
  header[9] = greyscale ? 0 : 3; // colour type: greyscale, or indexed colour
  // Bytes 10 to 12 stay 0: deflate compression, adaptive filtering, no interlace.

  const chunks = [SIGNATURE, chunk('IHDR', header)];
  if (!greyscale) {
    // Bit 0 is a dark module and bit 1 a light one, as in the greyscale image.
    chunks.push(chunk('PLTE', Buffer.from([dark.r, dark.g, dark.b, light.r, light.g, light.b])));
    if (dark.a < 255 || light.a < 255) chunks.push(chunk('tRNS', Buffer.from([dark.a, light.a])));
  }
  chunks.push(chunk('IDAT', deflateSync(raw, { level: DEFLATE_LEVEL })), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(chunks);
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * Builds the filtered image data: per line a filter type byte, then 1 bit per pixel, 1 for light.
 * A line that repeats the line above uses filter 2 (Up), so its bytes are all 0, which costs
 * deflate almost nothing. Each module row is drawn once, by whole bytes per run of dark modules.
 */
function scanlines(matrix: QrMatrix, moduleSize: number, margin: number, width: number): Buffer {
  const lineLength = Math.ceil(width / 8) + 1;
  // Buffer.alloc zero-fills, so a repeated line needs only its filter type byte.
  const raw = Buffer.alloc(lineLength * width);
  let offset = 0;
  const repeatLine = (count: number) => {
    for (let i = 0; i < count; i++, offset += lineLength) raw[offset] = 2;
  };
  // A light line: all bits set, with the padding bits past the width set as well.
  const lightLine = () => {
    raw.fill(0xff, offset + 1, offset + lineLength);
    offset += lineLength;
  };

  if (margin > 0) {
    lightLine();
    repeatLine(margin * moduleSize - 1);
  }
  const { size, modules } = matrix;
  for (let y = 0; y < size; y++) {
    const line = offset + 1;
    raw.fill(0xff, line, offset + lineLength);
    let x = 0;
    while (x < size) {
      if (modules[y * size + x] === 0) {
        x++;
        continue;
      }
      const start = x;
      while (x < size && modules[y * size + x] === 1) x++;
      clearBits(raw, line, (start + margin) * moduleSize, (x + margin) * moduleSize);
    }
    offset += lineLength;
    repeatLine(moduleSize - 1);
  }
  if (margin > 0) {
    lightLine();
    repeatLine(margin * moduleSize - 1);
  }
  return raw;
}

/** Clears pixels `from` (inclusive) to `to` (exclusive) of the line at `line`; bit 7 is the first pixel. */
function clearBits(raw: Buffer, line: number, from: number, to: number): void {
  const firstByte = from >> 3;
  const lastByte = (to - 1) >> 3;
  const head = 0xff >> (from & 7);
  const tail = (0xff << (7 - ((to - 1) & 7))) & 0xff;
  if (firstByte === lastByte) {
    raw[line + firstByte]! &= ~(head & tail);
    return;
  }
  raw[line + firstByte]! &= ~head;
  if (lastByte > firstByte + 1) raw.fill(0, line + firstByte + 1, line + lastByte);
  raw[line + lastByte]! &= ~tail;
}
