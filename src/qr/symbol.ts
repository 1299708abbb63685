/**
 * Places codewords into a QR symbol: function patterns, the data in its zigzag order, the mask
 * with the lowest penalty, and the format and version information (ISO/IEC 18004 7.7 to 7.10).
 *
 * Mask selection scores eight candidates per symbol, so it works on bit-packed lines. Each row,
 * and each column of a transposed copy, is a run of 32-bit words with module 0 in the most
 * significant bit of word 0. The penalty rules become shifts, ANDs and popcounts over whole words
 * instead of loops over modules. Everything that depends only on the version (the
 * function patterns, the zigzag order and the masks restricted to data modules) is built once per
 * version and cached. No QR library exposes its mask scoring for reuse, so this is written here.
 */
import type { ErrorCorrectionLevel } from './capacity.js';
import { alignmentPositions, FORMAT_LEVEL_BITS, symbolSize } from './tables.js';

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

/** The parts of a symbol that depend only on its version, built once per version. */
interface Template {
  size: number;
  /** 32-bit words per packed line. */
  words: number;
  /** Function pattern modules; 1 is dark. */
  dark: Uint8Array;
  /** Indexes (row * size + column) of the data modules, in the zigzag placement order of 7.7.3. */
  dataModules: Uint32Array;
  /** Per data module in placement order, its word in the packed rows and columns and its bit there. */
  rowWord: Uint32Array;
  rowBit: Int32Array;
  columnWord: Uint32Array;
  columnBit: Int32Array;
  /** Function pattern modules packed by row and, transposed, by column. */
  rows: Int32Array;
  columns: Int32Array;
  /** Per mask, the modules that the mask inverts, restricted to data modules, packed both ways. */
  maskRows: Int32Array[];
  maskColumns: Int32Array[];
  /** Per word of a line, the bits where a window of 2, 5 or 11 modules fits inside the line. */
  fits2: Int32Array;
  fits5: Int32Array;
  fits11: Int32Array;
}

const templates = new Map<number, Template>();

/** Scratch words of one line for rule 3; a line has at most 6 words (177 modules). */
const FINDER_WORDS = new Int32Array(6);
const LIGHT_WORDS = new Int32Array(6);

/** Builds the symbol of `version` around `codewords` (data and error correction, interleaved). */
export function buildSymbol(
  version: number,
  level: ErrorCorrectionLevel,
  codewords: Uint8Array,
  forcedMask?: number,
): { size: number; modules: Uint8Array; mask: number } {
  const template = templateFor(version);
  const { size, words, dataModules } = template;

  // Place the codewords into packed copies of the function patterns. Remainder bits past the
  // codewords stay light (0).
  const rows = template.rows.slice();
  const columns = template.columns.slice();
  const { rowWord, rowBit, columnWord, columnBit } = template;
  const totalBits = Math.min(codewords.length * 8, dataModules.length);
  for (let bit = 0; bit < totalBits; bit++) {
    if (((codewords[bit >> 3]! >>> (7 - (bit & 7))) & 1) === 0) continue;
    rows[rowWord[bit]!]! |= rowBit[bit]!;
    columns[columnWord[bit]!]! |= columnBit[bit]!;
  }

  const candidateRows = new Int32Array(rows.length);
  const candidateColumns = new Int32Array(columns.length);
  let bestMask = forcedMask ?? 0;
  if (forcedMask === undefined) {
    let bestPenalty = Infinity;
    for (let mask = 0; mask < 8; mask++) {
      applyMask(template, rows, columns, candidateRows, candidateColumns, level, mask);
      const score = penalty(template, candidateRows, candidateColumns, bestPenalty);
      if (score < bestPenalty) {
        bestPenalty = score;
        bestMask = mask;
      }
    }
  }

  applyMask(template, rows, columns, candidateRows, candidateColumns, level, bestMask);
  const modules = new Uint8Array(size * size);
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      modules[row * size + column] = (candidateRows[row * words + (column >> 5)]! >>> (31 - (column & 31))) & 1;
    }
  }
  return { size, modules, mask: bestMask };
}

/** Writes the masked symbol with the format information of `mask` into the candidate arrays. */
function applyMask(
  template: Template,
  rows: Int32Array,
  columns: Int32Array,
  candidateRows: Int32Array,
  candidateColumns: Int32Array,
  level: ErrorCorrectionLevel,
  mask: number,
): void {
  const maskRows = template.maskRows[mask]!;
  const maskColumns = template.maskColumns[mask]!;
  for (let i = 0; i < rows.length; i++) {
    candidateRows[i] = rows[i]! ^ maskRows[i]!;
    candidateColumns[i] = columns[i]! ^ maskColumns[i]!;
  }
  // The format modules are light in the template, so setting the dark ones is enough.
  const { size, words } = template;
  const bits = formatBits(level, mask);
  const coordinates = formatCoordinates(size);
  for (let i = 0; i < 30; i++) {
    if (((bits >>> (i % 15)) & 1) === 0) continue;
    const column = coordinates[2 * i]!;
    const row = coordinates[2 * i + 1]!;
    candidateRows[row * words + (column >> 5)]! |= 1 << (31 - (column & 31));
    candidateColumns[column * words + (row >> 5)]! |= 1 << (31 - (row & 31));
  }
}

/** Returns the cached template of a version, building it on first use. */
function templateFor(version: number): Template {
  const cached = templates.get(version);
  if (cached) return cached;

  const size = symbolSize(version);
  const dark = new Uint8Array(size * size);
  const reserved = new Uint8Array(size * size);
  drawFunctionPatterns(size, version, dark, reserved);
  const dataModules = zigzagOrder(size, reserved);

  const words = Math.ceil(size / 32);
  const rows = new Int32Array(size * words);
  const columns = new Int32Array(size * words);
  pack(size, words, (index) => dark[index] === 1, rows, columns);

  const isData = new Uint8Array(size * size);
  for (const index of dataModules) isData[index] = 1;
  const maskRows: Int32Array[] = [];
  const maskColumns: Int32Array[] = [];
  for (const condition of MASKS) {
    const maskRowWords = new Int32Array(size * words);
    const maskColumnWords = new Int32Array(size * words);
    pack(
      size,
      words,
      (index) => isData[index] === 1 && condition(Math.floor(index / size), index % size),
      maskRowWords,
      maskColumnWords,
    );
    maskRows.push(maskRowWords);
    maskColumns.push(maskColumnWords);
  }

  const rowWord = new Uint32Array(dataModules.length);
  const rowBit = new Int32Array(dataModules.length);
  const columnWord = new Uint32Array(dataModules.length);
  const columnBit = new Int32Array(dataModules.length);
  dataModules.forEach((index, i) => {
    const row = Math.floor(index / size);
    const column = index % size;
    rowWord[i] = row * words + (column >> 5);
    rowBit[i] = 1 << (31 - (column & 31));
    columnWord[i] = column * words + (row >> 5);
    columnBit[i] = 1 << (31 - (row & 31));
  });

  const template: Template = {
    size,
    words,
    dark,
    dataModules,
    rowWord,
    rowBit,
    columnWord,
    columnBit,
    rows,
    columns,
    maskRows,
    maskColumns,
    fits2: windowStarts(size, words, 2),
    fits5: windowStarts(size, words, 5),
    fits11: windowStarts(size, words, 11),
  };
  templates.set(version, template);
  return template;
}

/** Packs the modules for which `isSet` returns true into row words and transposed column words. */
function pack(
  size: number,
  words: number,
  isSet: (index: number) => boolean,
  rows: Int32Array,
  columns: Int32Array,
): void {
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      if (!isSet(row * size + column)) continue;
      rows[row * words + (column >> 5)]! |= 1 << (31 - (column & 31));
      columns[column * words + (row >> 5)]! |= 1 << (31 - (row & 31));
    }
  }
}

/** Sets, per word of a line, the bits of the positions where a window of `length` modules starts inside the line. */
function windowStarts(size: number, words: number, length: number): Int32Array {
  const fits = new Int32Array(words);
  for (let position = 0; position + length <= size; position++) fits[position >> 5]! |= 1 << (31 - (position & 31));
  return fits;
}

function drawFunctionPatterns(size: number, version: number, dark: Uint8Array, reserved: Uint8Array): void {
  const set = (column: number, row: number, isDark: boolean) => {
    dark[row * size + column] = isDark ? 1 : 0;
    reserved[row * size + column] = 1;
  };

  // Timing patterns first, so the finders and alignments drawn later overwrite their ends.
  for (let i = 0; i < size; i++) {
    set(6, i, i % 2 === 0);
    set(i, 6, i % 2 === 0);
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
        set(column, row, distance !== 2 && distance !== 4);
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
        for (let dx = -2; dx <= 2; dx++) set(column + dx, row + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
      }
    });
  });

  // Reserve the format areas (drawn per mask later, light until then) and the dark module.
  for (let i = 0; i < 9; i++) {
    reserved[i * size + 8] = 1;
    reserved[8 * size + i] = 1;
  }
  for (let i = 0; i < 8; i++) {
    reserved[8 * size + size - 1 - i] = 1;
    reserved[(size - 1 - i) * size + 8] = 1;
  }
  set(8, size - 8, true);

  if (version >= 7) {
    // The 18-bit version information, a (18,6) Golay code, in its two 6x3 blocks.
    let remainder = version;
    for (let i = 0; i < 12; i++) remainder = (remainder << 1) ^ ((remainder >>> 11) * 0x1f25);
    const bits = (version << 12) | remainder;
    for (let i = 0; i < 18; i++) {
      const isDark = ((bits >>> i) & 1) === 1;
      const a = size - 11 + (i % 3);
      const b = Math.floor(i / 3);
      set(a, b, isDark);
      set(b, a, isDark);
    }
  }
}

/** Computes the 15-bit format information: level, mask, BCH(15,5) remainder, XOR 0x5412. */
function formatBits(level: ErrorCorrectionLevel, mask: number): number {
  const data = (FORMAT_LEVEL_BITS[level] << 3) | mask;
  let remainder = data;
  for (let i = 0; i < 10; i++) remainder = (remainder << 1) ^ ((remainder >>> 9) * 0x537);
  return ((data << 10) | remainder) ^ 0x5412;
}

const formatCoordinateCache = new Map<number, Uint8Array>();

/**
 * Returns the (column, row) pairs of the format modules of a symbol size. Entry i < 15 is bit i
 * in the copy around the top-left finder, and entry 15 + i is bit i in the copy split between the
 * other two finders.
 */
function formatCoordinates(size: number): Uint8Array {
  const cached = formatCoordinateCache.get(size);
  if (cached) return cached;
  const coordinates = new Uint8Array(60);
  const put = (entry: number, column: number, row: number) => {
    coordinates[2 * entry] = column;
    coordinates[2 * entry + 1] = row;
  };

  for (let i = 0; i <= 5; i++) put(i, 8, i);
  put(6, 8, 7);
  put(7, 8, 8);
  put(8, 7, 8);
  for (let i = 9; i < 15; i++) put(i, 14 - i, 8);

  for (let i = 0; i < 8; i++) put(15 + i, size - 1 - i, 8);
  for (let i = 8; i < 15; i++) put(15 + i, 8, size - 15 + i);
  formatCoordinateCache.set(size, coordinates);
  return coordinates;
}

/** Returns the indexes of the modules outside function patterns in the zigzag order of 7.7.3. */
function zigzagOrder(size: number, reserved: Uint8Array): Uint32Array {
  const positions = new Uint32Array(size * size);
  let placed = 0;
  for (let right = size - 1; right >= 1; right -= 2) {
    // The vertical timing pattern takes column 6, so the pairs left of it shift by one.
    if (right === 6) right = 5;
    for (let step = 0; step < size; step++) {
      const upward = ((right + 1) & 2) === 0;
      const row = upward ? size - 1 - step : step;
      for (let offset = 0; offset < 2; offset++) {
        const index = row * size + right - offset;
        if (!reserved[index]) positions[placed++] = index;
      }
    }
  }
  return positions.slice(0, placed);
}

/** Counts the set bits of a 32-bit word. Every step stays a 32-bit integer, so V8 keeps it unboxed. */
function popcount(value: number): number {
  value = (value - ((value >>> 1) & 0x55555555)) | 0;
  value = ((value & 0x33333333) + ((value >>> 2) & 0x33333333)) | 0;
  return Math.imul((value + (value >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/**
 * Scores a masked symbol with the four penalty rules of 7.8.3; the mask with the lowest score
 * wins. Rules 1 and 3 apply to rows and columns, rules 2 and 4 to the rows alone. Every rule adds
 * points, so scoring stops once the sum reaches `bound`, the best score so far, and returns that
 * partial sum: such a mask cannot win, because ties go to the lower mask number.
 */
function penalty(template: Template, rows: Int32Array, columns: Int32Array, bound: number): number {
  const { size, words, fits2 } = template;

  // Rule 4: the share of dark modules, 10 points per 5% away from half. Padding bits are 0.
  let dark = 0;
  for (let i = 0; i < rows.length; i++) dark += popcount(rows[i]!);
  const total = size * size;
  let score = Math.floor(Math.abs(dark * 20 - total * 10) / total) * 10;

  score += linesPenalty(template, rows);
  if (score >= bound) return score;
  score += linesPenalty(template, columns);
  if (score >= bound) return score;

  // Rule 2: 3 points per 2x2 block of one colour. A block starts at column i of a row pair when
  // the two rows agree at i and at i + 1 and the top row agrees with itself from i to i + 1.
  let blocks = 0;
  for (let row = 0; row + 1 < size; row++) {
    const top = row * words;
    const bottom = top + words;
    for (let word = 0; word < words; word++) {
      const a = rows[top + word]!;
      const b = rows[bottom + word]!;
      const nextA = word + 1 < words ? rows[top + word + 1]! : 0;
      const nextB = word + 1 < words ? rows[bottom + word + 1]! : 0;
      const differ = a ^ b;
      const differNext = (differ << 1) | ((nextA ^ nextB) >>> 31);
      const topDiffers = a ^ ((a << 1) | (nextA >>> 31));
      blocks += popcount(~(differ | differNext | topDiffers) & fits2[word]!);
    }
  }
  return score + blocks * 3;
}

/**
 * Scores every packed line with rules 1 and 3. Rule 1 gives a run of five or more modules of one
 * colour 3 points plus 1 per module past five. Rule 3 gives 40 points to each 1:1:3:1:1
 * finder-like pattern with four light modules before or after it inside the line.
 */
function linesPenalty(template: Template, lines: Int32Array): number {
  const { size, words, fits5, fits11 } = template;
  const finders = FINDER_WORDS;
  const lights = LIGHT_WORDS;
  let runModules = 0;
  let runs = 0;
  let patterns = 0;
  for (let line = 0; line < size; line++) {
    const start = line * words;
    let previousRun5 = 0;
    for (let word = 0; word < words; word++) {
      // Bit i of sN is module i + N of the line, taken across the word boundary.
      const x = lines[start + word]!;
      const next = word + 1 < words ? lines[start + word + 1]! : 0;
      const s1 = (x << 1) | (next >>> 31);
      const s2 = (x << 2) | (next >>> 30);
      const s3 = (x << 3) | (next >>> 29);
      const s4 = (x << 4) | (next >>> 28);

      // Rule 1: bit i is set when modules i to i + 4 share a colour. A run of length L >= 5 sets
      // L - 4 consecutive bits, and its penalty L - 2 is that count plus 2 for the run's first bit.
      const run5 = ~((x ^ s1) | (x ^ s2) | (x ^ s3) | (x ^ s4)) & fits5[word]!;
      const firsts = run5 & ~((run5 >>> 1) | (previousRun5 << 31));
      runModules += popcount(run5);
      runs += popcount(firsts);
      previousRun5 = run5;

      // For rule 3: modules i to i + 6 are 1011101, and modules i to i + 3 are light.
      const s5 = (x << 5) | (next >>> 27);
      const s6 = (x << 6) | (next >>> 26);
      finders[word] = x & ~s1 & s2 & s3 & s4 & ~s5 & s6;
      lights[word] = ~(x | s1 | s2 | s3);
    }

    // Rule 3: 1011101 with four light modules after it (finder at i, light at i + 7), or before
    // it (light at i, finder at i + 4), starting at module i.
    for (let word = 0; word < words; word++) {
      const finder = finders[word]!;
      const light = lights[word]!;
      const nextFinder = word + 1 < words ? finders[word + 1]! : 0;
      const nextLight = word + 1 < words ? lights[word + 1]! : 0;
      const lightAfter = (light << 7) | (nextLight >>> 25);
      const finderAfter = (finder << 4) | (nextFinder >>> 28);
      patterns += popcount(finder & lightAfter & fits11[word]!) + popcount(light & finderAfter & fits11[word]!);
    }
  }
  return runModules + 2 * runs + 40 * patterns;
}
