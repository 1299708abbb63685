/**
 * QR code capacity for the encoding mode that the encoder picks. The limits are those of
 * version 40, the largest symbol, from ISO/IEC 18004:2015 Table 7.
 */

/** Error correction level: L recovers about 7% of codewords, M 15%, Q 25%, H 30%. */
export type ErrorCorrectionLevel = 'L' | 'M' | 'Q' | 'H';

/** The single-segment encoding mode that the encoder picks for a text. */
export type EncodingMode = 'numeric' | 'alphanumeric' | 'byte';

const VERSION_40_CAPACITY: Record<EncodingMode, Record<ErrorCorrectionLevel, number>> = {
  numeric: { L: 7089, M: 5596, Q: 3993, H: 3057 },
  alphanumeric: { L: 4296, M: 3391, Q: 2420, H: 1852 },
  byte: { L: 2953, M: 2331, Q: 1663, H: 1273 },
};

const ALPHANUMERIC_CHARACTERS = new Set('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:');

/** Picks the mode the way the encoder does: digits only, then the 45-character set, else bytes. */
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
  /** Characters for numeric and alphanumeric mode, UTF-8 bytes for byte mode. */
  length: number;
  limit: number;
  unit: 'characters' | 'bytes';
}

/** Checks whether `text` fits one QR code at `level`, counting UTF-8 bytes in byte mode. */
export function checkCapacity(text: string, level: ErrorCorrectionLevel): CapacityCheck {
  const mode = detectMode(text);
  const limit = VERSION_40_CAPACITY[mode][level];

  if (mode === 'byte') {
    const length = Buffer.byteLength(text, 'utf8');
    return { fits: length <= limit, mode, length, limit, unit: 'bytes' };
  }
  return { fits: text.length <= limit, mode, length: text.length, limit, unit: 'characters' };
}
