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
  const rowBytes = Math.ceil(width / 8);
  // Each scanline starts with its filter type byte, 0 (None).
  const lineLength = rowBytes + 1;
  const raw = Buffer.alloc(lineLength * width);

  // A light line: all bits set, with padding bits past the width left set as well.
  const lightLine = Buffer.alloc(lineLength, 0xff);
  lightLine[0] = 0;

  let offset = 0;
  for (let i = 0; i < margin * moduleSize; i++, offset += lineLength) lightLine.copy(raw, offset);

  const line = Buffer.alloc(lineLength);
  for (let y = 0; y < matrix.size; y++) {
    lightLine.copy(line);
    for (let x = 0; x < matrix.size; x++) {
      if (matrix.modules[y * matrix.size + x] === 0) continue;
      const start = (x + margin) * moduleSize;
      for (let pixel = start; pixel < start + moduleSize; pixel++) {
        line[1 + (pixel >> 3)]! &= ~(0x80 >> (pixel & 7));
      }
    }
    for (let i = 0; i < moduleSize; i++, offset += lineLength) line.copy(raw, offset);
  }
  for (let i = 0; i < margin * moduleSize; i++, offset += lineLength) lightLine.copy(raw, offset);

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
  chunks.push(chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0)));
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
