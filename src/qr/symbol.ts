/**
 * Places codewords into a QR symbol: function patterns, the data in its zigzag order, the mask
 * with the lowest penalty, and the format and version information (ISO/IEC 18004 7.7 to 7.10).
 */
import type { ErrorCorrectionLevel } from './capacity.js';
import { alignmentPositions, FORMAT_LEVEL_BITS, symbolSize } from './tables.js';

/** A symbol under construction: module values and which modules belong to function patterns. */
interface Grid {
  size: number;
  dark: Uint8Array;
  reserved: Uint8Array;
}

/** Mask conditions of Table 10: a module is inverted where the condition holds. */
const MASKS: readonly ((row: number, column: number) => boolean)[] = [
  (row, column) => (row + column) % 2 === 0,
  (row) => row % 2 === 0,
  (_row, column) => column % 3 === 0,
  (row, column) => (row + column) % 3 === 0,
  (row, column) => (Math.floor(row / 2) + Math.floor(column / 3)) % 2 === 0,
  (row, column) => ((row * column) % 2) + ((row * column) % 3) === 0,
  (row, column) => (((row * column) % 2) + ((row * column) % 3)) % 2 === 0,
  (row, column) => (((row + column) % 2) + ((row * column) % 3)) % 2 === 0,
];

const maskPlanes = new Map<number, Uint8Array[]>();

/** Returns the eight mask patterns of a symbol size as module planes, computed once per size. */
function masksFor(size: number): Uint8Array[] {
  let planes = maskPlanes.get(size);
  if (planes) return planes;
  planes = MASKS.map((condition) => {
    const plane = new Uint8Array(size * size);
    for (let row = 0; row < size; row++) {
      for (let column = 0; column < size; column++) plane[row * size + column] = condition(row, column) ? 1 : 0;
    }
    return plane;
  });
  maskPlanes.set(size, planes);
  return planes;
}

/** Builds the symbol of `version` around `codewords` (data and error correction, interleaved). */
export function buildSymbol(
  version: number,
  level: ErrorCorrectionLevel,
  codewords: Uint8Array,
  forcedMask?: number,
): { size: number; modules: Uint8Array; mask: number } {
  const size = symbolSize(version);
  const grid: Grid = { size, dark: new Uint8Array(size * size), reserved: new Uint8Array(size * size) };
  drawFunctionPatterns(grid, version);
  const dataModules = placeCodewords(grid, codewords);

  let bestMask = forcedMask ?? 0;
  if (forcedMask === undefined) {
    let bestPenalty = Infinity;
    for (let mask = 0; mask < 8; mask++) {
      const candidate = grid.dark.slice();
      applyMask(candidate, size, dataModules, mask);
      drawFormatBits(candidate, size, level, mask);
      const score = penalty(candidate, size);
      if (score < bestPenalty) {
        bestPenalty = score;
        bestMask = mask;
      }
    }
  }

  const modules = grid.dark;
  applyMask(modules, size, dataModules, bestMask);
  drawFormatBits(modules, size, level, bestMask);
  return { size, modules, mask: bestMask };
}

function set(grid: Grid, column: number, row: number, dark: boolean): void {
  grid.dark[row * grid.size + column] = dark ? 1 : 0;
  grid.reserved[row * grid.size + column] = 1;
}

function drawFunctionPatterns(grid: Grid, version: number): void {
  const size = grid.size;

  // Timing patterns first, so the finders and alignments drawn later overwrite their ends.
  for (let i = 0; i < size; i++) {
    set(grid, 6, i, i % 2 === 0);
    set(grid, i, 6, i % 2 === 0);
  }

  // Finder patterns with their separators, at three corners.
  for (const [centreColumn, centreRow] of [
    [3, 3],
    [size - 4, 3],
    [3, size - 4],
  ] as const) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const column = centreColumn + dx;
        const row = centreRow + dy;
        if (column < 0 || column >= size || row < 0 || row >= size) continue;
        const distance = Math.max(Math.abs(dx), Math.abs(dy));
        set(grid, column, row, distance !== 2 && distance !== 4);
      }
    }
  }

  // Alignment patterns, except where they would overlap a finder.
  const positions = alignmentPositions(version);
  const last = positions.length - 1;
  positions.forEach((row, i) => {
    positions.forEach((column, j) => {
      if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) return;
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) set(grid, column + dx, row + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
      }
    });
  });

  // Reserve the format areas (drawn per mask later) and the dark module.
  for (let i = 0; i < 9; i++) {
    reserve(grid, 8, i);
    reserve(grid, i, 8);
  }
  for (let i = 0; i < 8; i++) {
    reserve(grid, size - 1 - i, 8);
    reserve(grid, 8, size - 1 - i);
  }
  set(grid, 8, size - 8, true);

  if (version >= 7) drawVersionBits(grid, version);
}

function reserve(grid: Grid, column: number, row: number): void {
  grid.reserved[row * grid.size + column] = 1;
}

/** Draws the 18-bit version information, a (18,6) Golay code, in its two 6x3 blocks. */
function drawVersionBits(grid: Grid, version: number): void {
  let remainder = version;
  for (let i = 0; i < 12; i++) remainder = (remainder << 1) ^ ((remainder >>> 11) * 0x1f25);
  const bits = (version << 12) | remainder;

  for (let i = 0; i < 18; i++) {
    const dark = ((bits >>> i) & 1) === 1;
    const a = grid.size - 11 + (i % 3);
    const b = Math.floor(i / 3);
    set(grid, a, b, dark);
    set(grid, b, a, dark);
  }
}

/** Draws the 15-bit format information (level, mask, BCH(15,5), XOR 0x5412) in both copies. */
function drawFormatBits(modules: Uint8Array, size: number, level: ErrorCorrectionLevel, mask: number): void {
  const data = (FORMAT_LEVEL_BITS[level] << 3) | mask;
  let remainder = data;
  for (let i = 0; i < 10; i++) remainder = (remainder << 1) ^ ((remainder >>> 9) * 0x537);
  const bits = ((data << 10) | remainder) ^ 0x5412;
  const put = (column: number, row: number, bit: number) => {
    modules[row * size + column] = (bits >>> bit) & 1;
  };

  // The copy around the top-left finder.
  for (let i = 0; i <= 5; i++) put(8, i, i);
  put(8, 7, 6);
  put(8, 8, 7);
  put(7, 8, 8);
  for (let i = 9; i < 15; i++) put(14 - i, 8, i);

  // The copy split between the other two finders.
  for (let i = 0; i < 8; i++) put(size - 1 - i, 8, i);
  for (let i = 8; i < 15; i++) put(8, size - 15 + i, i);
  modules[(size - 8) * size + 8] = 1;
}

/** Places the codewords in the zigzag order of 7.7.3 and returns the indexes of data modules. */
function placeCodewords(grid: Grid, codewords: Uint8Array): Uint32Array {
  const size = grid.size;
  const positions = new Uint32Array(size * size);
  let placed = 0;
  let bit = 0;
  const totalBits = codewords.length * 8;

  for (let right = size - 1; right >= 1; right -= 2) {
    // The vertical timing pattern takes column 6, so the pairs left of it shift by one.
    if (right === 6) right = 5;
    for (let step = 0; step < size; step++) {
      const upward = ((right + 1) & 2) === 0;
      const row = upward ? size - 1 - step : step;
      for (let offset = 0; offset < 2; offset++) {
        const column = right - offset;
        const index = row * size + column;
        if (grid.reserved[index]) continue;
        // Remainder bits past the codewords stay light (0).
        if (bit < totalBits) grid.dark[index] = (codewords[bit >> 3]! >>> (7 - (bit & 7))) & 1;
        bit++;
        positions[placed++] = index;
      }
    }
  }
  return positions.subarray(0, placed);
}

function applyMask(modules: Uint8Array, size: number, dataModules: Uint32Array, mask: number): void {
  const plane = masksFor(size)[mask]!;
  for (let i = 0; i < dataModules.length; i++) {
    const index = dataModules[i]!;
    modules[index]! ^= plane[index]!;
  }
}

/** Scores a masked symbol with the four penalty rules of 7.8.3; the mask with the lowest score wins. */
function penalty(modules: Uint8Array, size: number): number {
  let score = 0;

  // Rules 1 and 3 along rows (stride 1) and columns (stride size).
  for (let line = 0; line < size; line++) {
    score += linePenalty(modules, line * size, 1, size);
    score += linePenalty(modules, line, size, size);
  }

  // Rule 2: 2x2 blocks of one colour.
  for (let row = 0; row < size - 1; row++) {
    const top = row * size;
    const bottom = top + size;
    for (let column = 0; column < size - 1; column++) {
      const value = modules[top + column]!;
      if (
        value === modules[top + column + 1] &&
        value === modules[bottom + column] &&
        value === modules[bottom + column + 1]
      ) {
        score += 3;
      }
    }
  }

  // Rule 4: the share of dark modules, 10 points per 5% away from half.
  let dark = 0;
  for (let i = 0; i < modules.length; i++) dark += modules[i]!;
  const total = size * size;
  score += Math.floor(Math.abs(dark * 20 - total * 10) / total) * 10;
  return score;
}

/**
 * Scores one row or column: rule 1, runs of five or more modules of one colour, and rule 3,
 * the 1:1:3:1:1 finder-like pattern with four light modules before or after it.
 */
function linePenalty(modules: Uint8Array, start: number, stride: number, length: number): number {
  let score = 0;
  let runColour = -1;
  let run = 0;
  let window = 0;
  for (let i = 0, index = start; i < length; i++, index += stride) {
    const value = modules[index]!;
    if (value === runColour) {
      run++;
      if (run === 5) score += 3;
      else if (run > 5) score += 1;
    } else {
      runColour = value;
      run = 1;
    }
    window = ((window << 1) | value) & 0x7ff;
    if (i >= 10 && (window === 0b10111010000 || window === 0b00001011101)) score += 40;
  }
  return score;
}
