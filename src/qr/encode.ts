import { encodeQR, type ErrorCorrection } from 'qr';

import type { ErrorCorrectionLevel } from './capacity.js';

/** The modules of a QR symbol without its quiet zone, row by row; 1 is dark. */
export interface QrMatrix {
  /** Modules per side: 21 for version 1, up to 177 for version 40. */
  size: number;
  modules: Uint8Array;
}

const LIBRARY_LEVEL: Record<ErrorCorrectionLevel, ErrorCorrection> = {
  L: 'low',
  M: 'medium',
  Q: 'quartile',
  H: 'high',
};

/**
 * Encodes `text` as a QR symbol with paulmillr's `qr`, which picks the smallest version and
 * a single numeric, alphanumeric or byte (UTF-8) segment. Check capacity first with
 * `checkCapacity`, because the library's error is only "Capacity overflow".
 */
export function encodeMatrix(text: string, level: ErrorCorrectionLevel): QrMatrix {
  // The library needs a quiet zone of at least one module, so one is added here and dropped.
  const rows = encodeQR(text, 'raw', { ecc: LIBRARY_LEVEL[level], border: 1 });
  const size = rows.length - 2;
  const modules = new Uint8Array(size * size);

  for (let y = 0; y < size; y++) {
    const row = rows[y + 1]!;
    for (let x = 0; x < size; x++) {
      if (row[x + 1]) modules[y * size + x] = 1;
    }
  }
  return { size, modules };
}
