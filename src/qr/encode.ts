import { maxByteSegment, type ErrorCorrectionLevel } from './capacity.js';
import { errorCorrectionCodewords } from './reed-solomon.js';
import {
  BitBuffer,
  segmentsBitLength,
  splitSegments,
  utf8EciSegment,
  versionClass,
  writeSegments,
  type Segment,
} from './segments.js';
import { buildSymbol } from './symbol.js';
import { dataCodewords, ECC_CODEWORDS_PER_BLOCK, ERROR_CORRECTION_BLOCKS, rawDataModules } from './tables.js';

/** The modules of a QR symbol without its quiet zone, row by row; 1 is dark. */
export interface QrMatrix {
  /** Modules per side: 21 for version 1, up to 177 for version 40. */
  size: number;
  modules: Uint8Array;
}

/** A QR symbol and how it was made. */
export interface QrSymbol extends QrMatrix {
  version: number;
  level: ErrorCorrectionLevel;
  mask: number;
  segments: Segment[];
}

/** Encoder options. */
export interface EncodeOptions {
  level: ErrorCorrectionLevel;
  /**
   * `auto` (the default) declares UTF-8 with ECI 26 when the text is not ASCII, so that readers
   * that assume ISO-8859-1 decode it right. `off` leaves the declaration out.
   */
  eci?: 'auto' | 'off';
  /** A mask pattern from 0 to 7; by default the one with the lowest penalty score. */
  mask?: number;
}

/** Raised when the text does not fit a version-40 symbol at the level. */
export class QrCapacityError extends RangeError {
  override readonly name = 'QrCapacityError';
  /** The text's length in UTF-8 bytes. */
  readonly bytes: number;
  /** The most UTF-8 bytes that fit at this level, as one byte segment. */
  readonly maxBytes: number;
  readonly level: ErrorCorrectionLevel;

  constructor(bytes: number, maxBytes: number, level: ErrorCorrectionLevel) {
    super(
      `QR code capacity exceeded: the data is ${bytes} bytes in UTF-8, and a code at error correction ` +
        `level ${level} holds at most ${maxBytes} bytes`,
    );
    this.bytes = bytes;
    this.maxBytes = maxBytes;
    this.level = level;
  }
}

const PAD_CODEWORDS = [0xec, 0x11];

/**
 * Encodes `text` as the smallest QR symbol that fits it at the given level: numeric and
 * alphanumeric segments where they are shorter, UTF-8 bytes elsewhere, never Kanji mode.
 * Throws `QrCapacityError` when no version fits, and `RangeError` for an invalid option.
 */
export function encodeQr(text: string, options: EncodeOptions): QrSymbol {
  const { level } = options;
  if (!(level in ERROR_CORRECTION_BLOCKS))
    throw new RangeError(`error correction level must be L, M, Q or H, got ${String(level)}`);
  if (options.mask !== undefined && !(Number.isInteger(options.mask) && options.mask >= 0 && options.mask <= 7)) {
    throw new RangeError(`mask must be a whole number from 0 to 7, got ${options.mask}`);
  }
  const eci = options.eci ?? 'auto';
  if (eci !== 'auto' && eci !== 'off') throw new RangeError(`eci must be auto or off, got ${String(eci)}`);

  const declareUtf8 = eci === 'auto' && !isAscii(text);
  // Segments per character-count class, split on first use: most texts need one class only.
  const plans: (Segment[] | undefined)[] = [undefined, undefined, undefined];
  const planFor = (classIndex: 0 | 1 | 2): Segment[] => {
    let segments = plans[classIndex];
    if (segments) return segments;
    segments = splitSegments(text, classIndex);
    if (declareUtf8) segments.unshift(utf8EciSegment());
    plans[classIndex] = segments;
    return segments;
  };

  for (let version = 1; version <= 40; version++) {
    const classIndex = versionClass(version);
    const segments = planFor(classIndex);
    const bits = segmentsBitLength(segments, classIndex);
    if (bits > dataCodewords(version, level) * 8) continue;

    const data = dataBytes(segments, classIndex, dataCodewords(version, level));
    const codewords = interleave(data, version, level);
    const symbol = buildSymbol(version, level, codewords, options.mask);
    return { ...symbol, version, level, segments };
  }

  const bytes = Buffer.byteLength(text, 'utf8');
  throw new QrCapacityError(bytes, maxByteSegment(level, declareUtf8), level);
}

/** Encodes `text` at `level` with the default options and returns its module matrix. */
export function encodeMatrix(text: string, level: ErrorCorrectionLevel): QrMatrix {
  const { size, modules } = encodeQr(text, { level });
  return { size, modules };
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Writes the segments, the terminator and the pad codewords that fill the data capacity (7.4.9, 7.4.10). */
function dataBytes(segments: readonly Segment[], classIndex: 0 | 1 | 2, capacity: number): Uint8Array {
  const buffer = new BitBuffer(capacity * 8);
  writeSegments(buffer, segments, classIndex);
  buffer.append(0, Math.min(4, capacity * 8 - buffer.length));
  buffer.append(0, (8 - (buffer.length % 8)) % 8);
  for (let pad = 0; buffer.length < capacity * 8; pad ^= 1) buffer.append(PAD_CODEWORDS[pad]!, 8);
  return buffer.bytes.subarray(0, capacity);
}

/**
 * Splits the data into the level's blocks, adds each block's error correction codewords and
 * interleaves them (7.5.2, 7.6). Blocks in the first group are one data codeword shorter.
 */
function interleave(data: Uint8Array, version: number, level: ErrorCorrectionLevel): Uint8Array {
  const blockCount = ERROR_CORRECTION_BLOCKS[level][version - 1]!;
  const eccLength = ECC_CODEWORDS_PER_BLOCK[level][version - 1]!;
  const totalCodewords = Math.floor(rawDataModules(version) / 8);
  const shortBlocks = blockCount - (totalCodewords % blockCount);
  const shortDataLength = Math.floor(totalCodewords / blockCount) - eccLength;

  const dataBlocks: Uint8Array[] = [];
  const eccBlocks: Uint8Array[] = [];
  let offset = 0;
  for (let block = 0; block < blockCount; block++) {
    const length = shortDataLength + (block < shortBlocks ? 0 : 1);
    const blockData = data.subarray(offset, offset + length);
    offset += length;
    dataBlocks.push(blockData);
    eccBlocks.push(errorCorrectionCodewords(blockData, eccLength));
  }

  const result = new Uint8Array(totalCodewords);
  let position = 0;
  for (let i = 0; i <= shortDataLength; i++) {
    for (const block of dataBlocks) if (i < block.length) result[position++] = block[i]!;
  }
  for (let i = 0; i < eccLength; i++) {
    for (const block of eccBlocks) result[position++] = block[i]!;
  }
  return result;
}
