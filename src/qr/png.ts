import { promisify } from 'node:util';
import { constants, crc32, deflate, deflateSync } from 'node:zlib';

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
 * zlib settings for the image data. For a version-6 code at 10 pixels per module (490 x 490), with
 * the Up filter on repeated lines, level 3 compressed it to 1,062 bytes in about 80 µs, level 4
 * to 882 bytes in about 190 µs and level 9 to 746 bytes in about 1.4 ms. These are estimates from
 * one loaded 2-core machine. Level 4 keeps the file smaller than the Python service's PNG
 * (docs/benchmarks.md compares them). The filtered strategy, which zlib documents for data from
 * PNG filters, took the same time as the default and made the largest PNG of the 900 benchmark
 * URLs 986 bytes instead of 1,000 (Node.js 20.20, its bundled zlib).
 */
const DEFLATE_OPTIONS = { level: 4, strategy: constants.Z_FILTERED };

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/**
 * Renders a matrix as a 1-bit PNG: greyscale for black on white, otherwise a two-entry palette
 * (with a tRNS chunk when a colour has alpha).
 * It is written by hand because general PNG encoders write 8-bit RGBA, which is larger and slower
 * for a two-colour image. The format needs only three chunks over node:zlib.
 */
export function renderPng(matrix: QrMatrix, options: PngOptions = {}): Buffer {
  const { moduleSize, margin, width } = layoutOf(matrix, options);
  return assemblePng(width, deflateSync(scanlines(matrix, moduleSize, margin, width), DEFLATE_OPTIONS), options);
}

const deflateAsync = promisify(deflate);

/**
 * Renders the same PNG as `renderPng`, with the compression in libuv's thread pool, so that a
 * server's event loop handles other requests meanwhile.
 */
export async function renderPngAsync(matrix: QrMatrix, options: PngOptions = {}): Promise<Buffer> {
  const { moduleSize, margin, width } = layoutOf(matrix, options);
  // The image data goes to another thread, so it is copied out of the buffer that the next call reuses.
  const raw = scanlines(matrix, moduleSize, margin, width).slice();
  return assemblePng(width, await deflateAsync(raw, DEFLATE_OPTIONS), options);
}

function layoutOf(matrix: QrMatrix, options: PngOptions): { moduleSize: number; margin: number; width: number } {
  const moduleSize = options.moduleSize ?? 10;
  const margin = options.margin ?? 4;
  if (!Number.isInteger(moduleSize) || moduleSize < 1) {
    throw new RangeError(`moduleSize must be a whole number of pixels of at least 1, got ${moduleSize}`);
  }
  if (!Number.isInteger(margin) || margin < 0) {
    throw new RangeError(`margin must be a whole number of modules of at least 0, got ${margin}`);
  }
  return { moduleSize, margin, width: (matrix.size + 2 * margin) * moduleSize };
}

/** Writes the PNG file around the compressed image data. */
function assemblePng(width: number, image: Uint8Array, options: PngOptions): Buffer {
  const dark = options.dark ?? BLACK;
  const light = options.light ?? WHITE;
  const greyscale = isPureGrey(dark, light);
  const transparent = !greyscale && (dark.a < 255 || light.a < 255);

  // One buffer for the whole file: each chunk is its data plus 12 bytes of length, type and CRC.
  const length =
    SIGNATURE.length + (12 + 13) + (greyscale ? 0 : 12 + 6) + (transparent ? 12 + 2 : 0) + (12 + image.length) + 12;
  const png = Buffer.allocUnsafe(length);
  png.set(SIGNATURE, 0);
  let offset = SIGNATURE.length;

  let data = beginChunk(png, offset, IHDR, 13);
  writeUint32(png, data, width);
  writeUint32(png, data + 4, width);
  png[data + 8] = 1; // bit depth
  png[data + 9] = greyscale ? 0 : 3; // colour type: greyscale, or indexed colour
  png[data + 10] = 0; // deflate compression
  png[data + 11] = 0; // adaptive filtering
  png[data + 12] = 0; // no interlace
  offset = endChunk(png, offset, 13);

  if (!greyscale) {
    // Entry 0 is the dark colour and entry 1 the light one, as bit values in the greyscale image.
    data = beginChunk(png, offset, PLTE, 6);
    png.set([dark.r, dark.g, dark.b, light.r, light.g, light.b], data);
    offset = endChunk(png, offset, 6);
    if (transparent) {
      data = beginChunk(png, offset, TRNS, 2);
      png[data] = dark.a;
      png[data + 1] = light.a;
      offset = endChunk(png, offset, 2);
    }
  }

  data = beginChunk(png, offset, IDAT, image.length);
  png.set(image, data);
  offset = endChunk(png, offset, image.length);
  beginChunk(png, offset, IEND, 0);
  endChunk(png, offset, 0);
  return png;
}

/** Chunk types as 32-bit numbers: their four ASCII letters, first letter in the top byte. */
const IHDR = 0x49484452;
const PLTE = 0x504c5445;
const TRNS = 0x74524e53;
const IDAT = 0x49444154;
const IEND = 0x49454e44;

/** Writes a chunk's length and type at `offset` and returns where its data starts. */
function beginChunk(png: Buffer, offset: number, type: number, length: number): number {
  writeUint32(png, offset, length);
  writeUint32(png, offset + 4, type);
  return offset + 8;
}

/** Writes the CRC of the chunk at `offset`, over its type and data, and returns where the next chunk starts. */
function endChunk(png: Buffer, offset: number, length: number): number {
  const end = offset + 8 + length;
  writeUint32(png, end, crc32(png.subarray(offset + 4, end)));
  return end + 4;
}

/** Writes a 32-bit unsigned integer, most significant byte first, as PNG stores every number. */
function writeUint32(png: Buffer, at: number, value: number): void {
  png[at] = value >>> 24;
  png[at + 1] = value >>> 16;
  png[at + 2] = value >>> 8;
  png[at + 3] = value;
}

/**
 * Scratch for the filtered image data, reused across calls because deflateSync has read it by the
 * time renderPng returns. Images larger than SCRATCH_LIMIT bytes of data get an array of their
 * own, so that one large image does not keep its memory for good.
 */
let scratch = new Uint8Array(64 * 1024);
const SCRATCH_LIMIT = 1 << 20;

/**
 * The layout (symbol size, module size, margin) whose image the scratch holds. The lines that
 * copy the line above are all 0 past their filter byte, and a call writes only filter bytes
 * there, so a call with the same layout, the usual case in a service, skips clearing the scratch.
 */
let scratchLayout = '';

/**
 * Builds the filtered image data: per line a filter type byte, then 1 bit per pixel, 1 for light.
 * A line that repeats the line above uses filter 2 (Up), so its bytes are all 0, which costs
 * deflate almost nothing. Each module row is drawn once, by whole bytes per run of dark modules.
 */
function scanlines(matrix: QrMatrix, moduleSize: number, margin: number, width: number): Uint8Array {
  const lineLength = Math.ceil(width / 8) + 1;
  const length = lineLength * width;
  // A repeated line needs only its filter type byte on top of zeros.
  let raw: Uint8Array;
  if (length > SCRATCH_LIMIT) {
    raw = new Uint8Array(length);
  } else {
    const layout = `${matrix.size} ${moduleSize} ${margin}`;
    if (scratch.length < length) {
      scratch = new Uint8Array(length);
    } else if (layout !== scratchLayout) {
      scratch.fill(0, 0, length);
    }
    scratchLayout = layout;
    raw = scratch.subarray(0, length);
  }

  let offset = 0;
  if (margin > 0) offset = quietZone(raw, offset, lineLength, margin * moduleSize);
  const { size, modules } = matrix;
  for (let y = 0; y < size; y++) {
    // A light line with the padding bits past the width set as well, then the dark runs cleared.
    const line = offset + 1;
    raw.fill(0xff, line, offset + lineLength);
    const rowStart = y * size;
    let x = 0;
    while (x < size) {
      if (modules[rowStart + x] === 0) {
        x++;
        continue;
      }
      const start = x;
      while (x < size && modules[rowStart + x] === 1) x++;
      clearBits(raw, line, (start + margin) * moduleSize, (x + margin) * moduleSize);
    }
    offset = repeatLine(raw, offset + lineLength, lineLength, moduleSize - 1);
  }
  if (margin > 0) quietZone(raw, offset, lineLength, margin * moduleSize);
  return raw;
}

/** Writes `lines` light lines from `offset` and returns the offset after them. */
function quietZone(raw: Uint8Array, offset: number, lineLength: number, lines: number): number {
  raw.fill(0xff, offset + 1, offset + lineLength);
  return repeatLine(raw, offset + lineLength, lineLength, lines - 1);
}

/** Marks `count` lines from `offset` as copies of the line above and returns the offset after them. */
function repeatLine(raw: Uint8Array, offset: number, lineLength: number, count: number): number {
  for (let i = 0; i < count; i++, offset += lineLength) raw[offset] = 2;
  return offset;
}

/** Clears pixels `from` (inclusive) to `to` (exclusive) of the line at `line`; bit 7 is the first pixel. */
function clearBits(raw: Uint8Array, line: number, from: number, to: number): void {
  const firstByte = line + (from >> 3);
  const lastByte = line + ((to - 1) >> 3);
  const head = 0xff >> (from & 7);
  const tail = (0xff << (7 - ((to - 1) & 7))) & 0xff;
  if (firstByte === lastByte) {
    raw[firstByte]! &= ~(head & tail);
    return;
  }
  raw[firstByte]! &= ~head;
  for (let i = firstByte + 1; i < lastByte; i++) raw[i] = 0;
  raw[lastByte]! &= ~tail;
}
