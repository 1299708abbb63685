/**
 * QR code capacity. The limits are those of version 40, the largest symbol, from
 * ISO/IEC 18004:2015 Table 7.
 */
import { segmentsBitLength, splitSegments, utf8EciSegment } from './segments.js';
import { dataCodewords } from './tables.js';

/** Error correction level: L recovers about 7% of codewords, M 15%, Q 25%, H 30%. */
export type ErrorCorrectionLevel = 'L' | 'M' | 'Q' | 'H';

/** The single encoding mode that a whole text fits. */
export type EncodingMode = 'numeric' | 'alphanumeric' | 'byte';

const VERSION_40_CAPACITY: Record<Exclude<EncodingMode, 'byte'>, Record<ErrorCorrectionLevel, number>> = {
  numeric: { L: 7089, M: 5596, Q: 3993, H: 3057 },
  alphanumeric: { L: 4296, M: 3391, Q: 2420, H: 1852 },
};

const ALPHANUMERIC_CHARACTERS = new Set('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:');

/** Classifies a whole text: digits only, else the 45-character alphanumeric set, else bytes. */
export function detectMode(text: string): EncodingMode {
  let mode: EncodingMode = 'numeric';
  for (const character of text) {
    if (character >= '0' && character <= '9') continue;
    if (!ALPHANUMERIC_CHARACTERS.has(character)) return 'byte';
    mode = 'alphanumeric';
  }
  return mode;
}

/** The outcome of a capacity check, in the unit the limit is counted in. */
export interface CapacityCheck {
  fits: boolean;
  mode: EncodingMode;
  /** Characters for numeric and alphanumeric text, UTF-8 bytes otherwise. */
  length: number;
  /** The largest such text that fits a version-40 symbol at the level. */
  limit: number;
  unit: 'characters' | 'bytes';
}

/**
 * Checks whether `text` fits one QR code at `level`, counting exactly the bits that `encodeQr`
 * writes: mixed segments, and the UTF-8 ECI (12 bits) for non-ASCII text unless `eci` is `off`.
 */
export function checkCapacity(text: string, level: ErrorCorrectionLevel, eci: 'auto' | 'off' = 'auto'): CapacityCheck {
  const mode = detectMode(text);
  const declareUtf8 = eci === 'auto' && /[^\x00-\x7f]/.test(text);
  const segments = splitSegments(text, 2);
  const bits = segmentsBitLength(declareUtf8 ? [utf8EciSegment(), ...segments] : segments, 2);
  const fits = bits <= dataCodewords(40, level) * 8;

  if (mode === 'byte') {
    const length = Buffer.byteLength(text, 'utf8');
    return { fits, mode, length, limit: maxByteSegment(level, declareUtf8), unit: 'bytes' };
  }
  return { fits, mode, length: text.length, limit: VERSION_40_CAPACITY[mode][level], unit: 'characters' };
}

/** The maximum bytes one byte segment fits in a version-40 symbol, with or without the UTF-8 ECI. */
export function maxByteSegment(level: ErrorCorrectionLevel, withEci: boolean): number {
  const bits = dataCodewords(40, level) * 8 - (withEci ? 12 : 0) - 4 - 16;
  return Math.floor(bits / 8);
}
