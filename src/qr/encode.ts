import { maxByteSegment, type ErrorCorrectionLevel } from './capacity.js';
import { errorCorrectionCodewords } from './reed-solomon.js';
import {
  BitBuffer,
  isAscii,
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
  const { level, mask: forcedMask } = options;
  if (!(level in ERROR_CORRECTION_BLOCKS))
    throw new RangeError(`error correction level must be L, M, Q or H, got ${String(level)}`);
  if (forcedMask !== undefined && !(Number.isInteger(forcedMask) && forcedMask >= 0 && forcedMask <= 7)) {
    throw new RangeError(`mask must be a whole number from 0 to 7, got ${forcedMask}`);
  }
  const eci = options.eci ?? 'auto';
  if (eci !== 'auto' && eci !== 'off') throw new RangeError(`eci must be auto or off, got ${String(eci)}`);

  const declareUtf8 = eci === 'auto' && !isAscii(text);
  // Versions only grow, so each character-count class is split once, on first use. Most texts
  // need one class only.
  let segments: Segment[] = [];
  let plannedClass = -1;
  for (let version = 1; version <= 40; version++) {
    const classIndex = versionClass(version);
    if (classIndex !== plannedClass) {
      segments = splitSegments(text, classIndex);
      if (declareUtf8) segments.unshift(utf8EciSegment());
      plannedClass = classIndex;
    }
    const capacity = dataCodewords(version, level);
    if (segmentsBitLength(segments, classIndex) > capacity * 8) continue;

    const data = dataBytes(segments, classIndex, capacity);
    const codewords = interleave(data, version, level);
    const { size, modules, mask } = buildSymbol(version, level, codewords, forcedMask);
    return { size, modules, mask, version, level, segments };
  }

  const bytes = Buffer.byteLength(text, 'utf8');
  throw new QrCapacityError(bytes, maxByteSegment(level, declareUtf8), level);
}

/** Encodes `text` at `level` with the default options and returns its module matrix. */
export function encodeMatrix(text: string, level: ErrorCorrectionLevel): QrMatrix {
  const { size, modules } = encodeQr(text, { level });
  return { size, modules };
}

/**
 * Scratch for the data codewords and the interleaved codewords of the symbol being encoded, reused
 * because allocating typed arrays costs more than filling them. Version 40 has the most codewords.
 */
const MAX_CODEWORDS = Math.floor(rawDataModules(40) / 8);
const dataScratch = new Uint8Array(MAX_CODEWORDS);
const codewordScratch = new Uint8Array(MAX_CODEWORDS);

/**
 * Writes the segments, the terminator and the pad codewords that fill the data capacity (7.4.9,
 * 7.4.10). The caller has checked that the segments fit. Returns the scratch array, whose first
 * `capacity` bytes are valid until the next call.
 */
function dataBytes(segments: readonly Segment[], classIndex: 0 | 1 | 2, capacity: number): Uint8Array {
  dataScratch.fill(0, 0, capacity);
  const buffer = new BitBuffer(dataScratch);
  writeSegments(buffer, segments, classIndex);
  buffer.append(0, Math.min(4, capacity * 8 - buffer.length));
  buffer.append(0, (8 - (buffer.length % 8)) % 8);
  for (let pad = 0; buffer.length < capacity * 8; pad ^= 1) buffer.append(PAD_CODEWORDS[pad]!, 8);
  return buffer.bytes;
}

/**
 * Splits the data into the level's blocks, adds each block's error correction codewords and
 * interleaves them (7.5.2, 7.6). Blocks in the first group are one data codeword shorter.
 * Returns a view of the scratch array that stays valid until the next call.
 */
function interleave(data: Uint8Array, version: number, level: ErrorCorrectionLevel): Uint8Array {
  const blockCount = ERROR_CORRECTION_BLOCKS[level][version - 1]!;
  const eccLength = ECC_CODEWORDS_PER_BLOCK[level][version - 1]!;
  const totalCodewords = Math.floor(rawDataModules(version) / 8);
  const shortBlocks = blockCount - (totalCodewords % blockCount);
  const shortDataLength = Math.floor(totalCodewords / blockCount) - eccLength;
  const dataLength = totalCodewords - blockCount * eccLength;

  // Codeword i of block b goes to i * blockCount + b. Only the long blocks have a codeword at
  // i = shortDataLength, so those take the places after all the shorter rows. The error
  // correction codewords follow all the data in the same order.
  const result = codewordScratch;
  let offset = 0;
  for (let block = 0; block < blockCount; block++) {
    for (let i = 0; i < shortDataLength; i++) result[i * blockCount + block] = data[offset + i]!;
    let length = shortDataLength;
    if (block >= shortBlocks) {
      result[shortDataLength * blockCount + block - shortBlocks] = data[offset + shortDataLength]!;
      length++;
    }
    errorCorrectionCodewords(data, offset, offset + length, eccLength, result, dataLength + block, blockCount);
    offset += length;
  }
  return result.subarray(0, totalCodewords);
}
