/**
 * Places codewords into a QR symbol: function patterns, the data in its zigzag order, the mask
 * with the lowest penalty, and the format and version information (ISO/IEC 18004 7.7 to 7.10).
 *
 * Mask selection scores eight candidates per symbol, so it works on bit-packed streams. The row
 * stream contains the modules row after row with no gap between rows: module (row, column) is bit
 * row * size + column, and bit p sits in word p >>> 5 at 31 - (p & 31), so the stream reads from
 * the most significant bit of word 0 on. The column stream stores the transposed symbol the same
 * way. The penalty rules become shifts, ANDs and popcounts over whole words, and precomputed
 * masks of the window starts drop every window that would cross from one line into the next.
 * Everything that depends only on the version is built once per version and cached: the function
 * patterns, the zigzag order, the masks restricted to data modules, the window masks and the
 * scratch streams. The masks with format information are built once per version and level. No QR
 * library exposes its mask scoring for reuse, so this is written here.
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
  /** Number of 32-bit words that contain the size * size modules of one stream. */
  words: number;
  /** Function pattern modules (1 is dark) in the row stream and the column stream. */
  rows: Int32Array;
  columns: Int32Array;
  /**
   * Per data module in the zigzag placement order of 7.7.3, its bit index in the row stream and
   * then in the column stream.
   */
  placement: Uint16Array;
  /** Per mask, the modules that the mask inverts, restricted to data modules, in both streams. */
  maskRows: Int32Array[];
  maskColumns: Int32Array[];
  /** Per format bit, bits 0 to 14 in the copy around the top-left finder and then in the other copy. */
  formatRowBits: Uint16Array;
  formatColumnBits: Uint16Array;
  /** Per level used so far, each mask with the dark modules of its format information added. */
  levelMasks: Map<ErrorCorrectionLevel, LevelMasks>;
  /** The bits where a window of 5 or 11 modules starts and ends inside one line, in either stream. */
  fits5: Int32Array;
  fits11: Int32Array;
  /** The row-stream bits where a 2x2 block starts inside the symbol. */
  fitsBlock: Int32Array;
  /**
   * Scratch streams that each call overwrites: the placed function patterns and data, the row
   * stream of the mask being scored and its adjacent-equality words, and the module bytes that
   * `unpack` writes, viewed as 32-bit words.
   */
  placedRows: Int32Array;
  placedColumns: Int32Array;
  maskedRows: Int32Array;
  equal: Int32Array;
  unpacked: Uint32Array;
  unpackedBytes: Uint8Array;
}

/**
 * The eight masks of one level in both streams. XOR with the placed symbol gives the masked
 * symbol with its format information, because the format modules are light before masking.
 */
interface LevelMasks {
  rows: Int32Array[];
  columns: Int32Array[];
}

const templates = new Map<number, Template>();

/** Builds the symbol of `version` around `codewords` (data and error correction, interleaved). */
export function buildSymbol(
  version: number,
  level: ErrorCorrectionLevel,
  codewords: Uint8Array,
  forcedMask?: number,
): { size: number; modules: Uint8Array; mask: number } {
  const template = templateFor(version);
  const { size, words, placedRows, placedColumns, maskedRows } = template;

  // Place the codewords into copies of the function patterns. Remainder bits past the codewords
  // stay light (0). One turn of the loop writes the eight bits of a codeword: under Node.js 20
  // that took about a third fewer instructions than a turn per bit, because the optimised code
  // checks each typed array again on every turn.
  placedRows.set(template.rows);
  placedColumns.set(template.columns);
  const placement = template.placement;
  // The placement has 2 entries per data module, so 16 per codeword.
  const totalBytes = Math.min(codewords.length, placement.length >>> 4);
  for (let byte = 0; byte < totalBytes; byte++) {
    const value = codewords[byte]!;
    const at = byte * 16;
    placeBit(placement, placedRows, placedColumns, at, value >>> 7);
    placeBit(placement, placedRows, placedColumns, at + 2, (value >>> 6) & 1);
    placeBit(placement, placedRows, placedColumns, at + 4, (value >>> 5) & 1);
    placeBit(placement, placedRows, placedColumns, at + 6, (value >>> 4) & 1);
    placeBit(placement, placedRows, placedColumns, at + 8, (value >>> 3) & 1);
    placeBit(placement, placedRows, placedColumns, at + 10, (value >>> 2) & 1);
    placeBit(placement, placedRows, placedColumns, at + 12, (value >>> 1) & 1);
    placeBit(placement, placedRows, placedColumns, at + 14, value & 1);
  }

  const masks = levelMasksFor(template, level);
  let bestMask = forcedMask ?? 0;
  if (forcedMask === undefined) {
    let bestPenalty = Infinity;
    for (let mask = 0; mask < 8; mask++) {
      let score = linesPenalty(template, placedRows, masks.rows[mask]!, bestPenalty, true);
      if (score < bestPenalty) {
        score += linesPenalty(template, placedColumns, masks.columns[mask]!, bestPenalty - score, false);
      }
      if (score < bestPenalty) {
        bestPenalty = score;
        bestMask = mask;
      }
    }
  }

  const maskWords = masks.rows[bestMask]!;
  for (let word = 0; word < words; word++) maskedRows[word] = placedRows[word]! ^ maskWords[word]!;
  return { size, modules: unpack(template, maskedRows), mask: bestMask };
}

/**
 * Sets data bit `bit` (0 or 1) at its place in both streams: `placement[at]` is its row-stream
 * index and `placement[at + 1]` its column-stream index. `~index & 31` is 31 - (index & 31), the
 * bit of `index` in its word.
 */
function placeBit(placement: Uint16Array, rows: Int32Array, columns: Int32Array, at: number, bit: number): void {
  const rowIndex = placement[at]!;
  const columnIndex = placement[at + 1]!;
  rows[rowIndex >>> 5]! |= bit << (~rowIndex & 31);
  columns[columnIndex >>> 5]! |= bit << (~columnIndex & 31);
}

/** Returns the masks of `level`, building them on first use. */
function levelMasksFor(template: Template, level: ErrorCorrectionLevel): LevelMasks {
  let masks = template.levelMasks.get(level);
  if (masks) return masks;
  masks = { rows: [], columns: [] };
  for (let mask = 0; mask < 8; mask++) {
    const rows = template.maskRows[mask]!.slice();
    const columns = template.maskColumns[mask]!.slice();
    const bits = formatBits(level, mask);
    for (let i = 0; i < 30; i++) {
      if (((bits >>> (i % 15)) & 1) === 0) continue;
      const rowBit = template.formatRowBits[i]!;
      const columnBit = template.formatColumnBits[i]!;
      rows[rowBit >>> 5]! |= 1 << (~rowBit & 31);
      columns[columnBit >>> 5]! |= 1 << (~columnBit & 31);
    }
    masks.rows.push(rows);
    masks.columns.push(columns);
  }
  template.levelMasks.set(level, masks);
  return masks;
}

/**
 * MODULE_BYTES[2 * v] and [2 * v + 1] contain the bits of the byte v, most significant first, as
 * eight bytes of 0 or 1. They are written through a byte view, so copying the two words writes
 * the eight bytes in order whatever the platform's byte order.
 */
const MODULE_BYTES = new Uint32Array(512);
{
  const bytes = new Uint8Array(MODULE_BYTES.buffer);
  for (let value = 0; value < 256; value++) {
    for (let bit = 0; bit < 8; bit++) bytes[value * 8 + bit] = (value >>> (7 - bit)) & 1;
  }
}

/** Returns the modules of a row stream, one byte each, eight at a time by table lookup. */
function unpack(template: Template, rows: Int32Array): Uint8Array {
  const { size, words, unpacked, unpackedBytes } = template;
  for (let word = 0; word < words; word++) {
    const x = rows[word]!;
    for (let byte = 0; byte < 4; byte++) {
      const value = (x >>> (24 - 8 * byte)) & 0xff;
      unpacked[word * 8 + byte * 2] = MODULE_BYTES[value * 2]!;
      unpacked[word * 8 + byte * 2 + 1] = MODULE_BYTES[value * 2 + 1]!;
    }
  }
  return unpackedBytes.slice(0, size * size);
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

  const words = Math.ceil((size * size) / 32);
  // Rule 2 reads the row stream one line ahead, so streams carry spare zero words past the end.
  const length = words + (size >>> 5) + 2;
  const stream = () => new Int32Array(length);
  const rows = stream();
  const columns = stream();
  pack(size, (index) => dark[index] === 1, rows, columns);

  const isData = new Uint8Array(size * size);
  for (const index of dataModules) isData[index] = 1;
  const maskRows: Int32Array[] = [];
  const maskColumns: Int32Array[] = [];
  for (const condition of MASKS) {
    const maskRowWords = stream();
    const maskColumnWords = stream();
    pack(
      size,
      (index) => isData[index] === 1 && condition(Math.floor(index / size), index % size),
      maskRowWords,
      maskColumnWords,
    );
    maskRows.push(maskRowWords);
    maskColumns.push(maskColumnWords);
  }

  const placement = new Uint16Array(2 * dataModules.length);
  dataModules.forEach((index, i) => {
    placement[2 * i] = index;
    placement[2 * i + 1] = transposed(index, size);
  });

  const coordinates = formatCoordinates(size);
  const formatRowBits = new Uint16Array(30);
  const formatColumnBits = new Uint16Array(30);
  for (let i = 0; i < 30; i++) {
    const index = coordinates[2 * i + 1]! * size + coordinates[2 * i]!;
    formatRowBits[i] = index;
    formatColumnBits[i] = transposed(index, size);
  }

  const unpacked = new Uint32Array(words * 8);
  const template: Template = {
    size,
    words,
    rows,
    columns,
    placement,
    maskRows,
    maskColumns,
    formatRowBits,
    formatColumnBits,
    levelMasks: new Map(),
    fits5: windowStarts(size, length, size - 5, size - 1),
    fits11: windowStarts(size, length, size - 11, size - 1),
    fitsBlock: windowStarts(size, length, size - 2, size - 2),
    placedRows: stream(),
    placedColumns: stream(),
    maskedRows: stream(),
    equal: stream(),
    unpacked,
    unpackedBytes: new Uint8Array(unpacked.buffer),
  };
  templates.set(version, template);
  return template;
}

/** Maps a module's row-stream index to its column-stream index. */
function transposed(index: number, size: number): number {
  return (index % size) * size + Math.floor(index / size);
}

/** Packs the modules for which `isSet` returns true into a row stream and a column stream. */
function pack(size: number, isSet: (index: number) => boolean, rows: Int32Array, columns: Int32Array): void {
  for (let index = 0; index < size * size; index++) {
    if (!isSet(index)) continue;
    const column = transposed(index, size);
    rows[index >>> 5]! |= 1 << (~index & 31);
    columns[column >>> 5]! |= 1 << (~column & 31);
  }
}

/**
 * Sets the stream bits of the modules in lines 0 to `lastLine` at positions 0 to `lastPosition`
 * of their line: the starts of the windows or blocks that fit inside the symbol.
 */
function windowStarts(size: number, length: number, lastPosition: number, lastLine: number): Int32Array {
  const fits = new Int32Array(length);
  for (let line = 0; line <= lastLine; line++) {
    for (let position = 0; position <= lastPosition; position++) {
      const index = line * size + position;
      fits[index >>> 5]! |= 1 << (~index & 31);
    }
  }
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

/**
 * Returns the (column, row) pairs of the format modules of a symbol size. Entry i < 15 is bit i
 * in the copy around the top-left finder, and entry 15 + i is bit i in the copy split between the
 * other two finders.
 */
function formatCoordinates(size: number): Uint8Array {
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
 * Returns popcount(a) + 2 * popcount(b) with one final sum: the 4-bit counts of a and b add to
 * at most 4 + 2 * 4 = 12 per nibble, their byte sums to at most 24 and the total to at most 96,
 * so no count carries into its neighbour.
 */
function popcountPlusTwice(a: number, b: number): number {
  a = (a - ((a >>> 1) & 0x55555555)) | 0;
  a = ((a & 0x33333333) + ((a >>> 2) & 0x33333333)) | 0;
  b = (b - ((b >>> 1) & 0x55555555)) | 0;
  b = ((b & 0x33333333) + ((b >>> 2) & 0x33333333)) | 0;
  const nibbles = (a + (b << 1)) | 0;
  const bytes = ((nibbles & 0x0f0f0f0f) + ((nibbles >>> 4) & 0x0f0f0f0f)) | 0;
  return Math.imul(bytes, 0x01010101) >>> 24;
}

/**
 * Scores one stream of the symbol with the penalty rules of 7.8.3. The mask with the lowest sum
 * over both streams wins. The stream is `placed` XOR `mask`. Rules 1 and 3 apply to every line
 * of both streams. With `isRowStream`, rule 2 and rule 4, which count each module once, apply
 * too.
 *
 * Rule 1 gives a run of five or more modules of one colour 3 points plus 1 per module past five.
 * Rule 2 gives 3 points per 2x2 block of one colour. Rule 3 gives 40 points to each 1:1:3:1:1
 * finder-like pattern with four light modules before or after it inside the line. Rule 4 gives
 * 10 points per 5% that the share of dark modules lies away from half.
 *
 * Every rule adds points, so scoring stops once the sum reaches `bound` and returns that partial
 * sum: such a mask cannot win against the best so far, because ties go to the lower mask number.
 *
 * The loop runs from the last word to the first, so the values of word + 1, which the shifts
 * take their low bits from, are ready in the `next` variables.
 */
function linesPenalty(
  template: Template,
  placed: Int32Array,
  mask: Int32Array,
  bound: number,
  isRowStream: boolean,
): number {
  const { size, words, fits5, fits11, fitsBlock, maskedRows, equal: equalWords } = template;
  // Rule 2 compares each row with the next one, which starts `lineWords` words and `lineShift`
  // bits later. size is odd, so lineShift is never 0.
  const lineWords = size >>> 5;
  const lineShift = size & 31;
  let points = 0;
  let dark = 0;
  let nextX = 0;
  let nextEqual = 0;
  let nextEqual3 = 0;
  let nextRun = 0;
  let nextLight4 = 0;
  let nextFinder = 0;
  for (let word = words - 1; word >= 0; word--) {
    // Bit i of each value below is a fact about the modules from i on.
    const x = placed[word]! ^ mask[word]!;
    const shifted = (x << 1) | (nextX >>> 31); // module i + 1
    const equal = ~(x ^ shifted); // i and i + 1 share a colour
    const equal3 = equal & ((equal << 1) | (nextEqual >>> 31)); // i to i + 2 share a colour
    const equal3At2 = (equal3 << 2) | (nextEqual3 >>> 30); // i + 2 to i + 4 share a colour

    // Rule 1: i to i + 4 share a colour inside the line. A run of length L >= 5 sets L - 4
    // consecutive bits, and its penalty L - 2 is that count plus 2 for the run's last bit.
    const run = equal3 & equal3At2 & fits5[word]!;
    const last = run & ~((run << 1) | (nextRun >>> 31));
    points += popcountPlusTwice(run, last);

    // Rule 3: 1011101 starts at i when i is dark followed by light, i + 2 to i + 4 are dark, and
    // i + 5 is light followed by dark. Four light modules follow at i + 7 or precede at i - 4.
    const light4 = ~x & equal3 & ((equal << 2) | (nextEqual >>> 30));
    const darkAt2 = (x << 2) | (nextX >>> 30);
    const at5 = (x << 5) | (nextX >>> 27);
    const at6 = (x << 6) | (nextX >>> 26);
    const finder = x & ~shifted & darkAt2 & equal3At2 & ~at5 & at6;
    const lightAfter = (light4 << 7) | (nextLight4 >>> 25);
    const finderAfter = (finder << 4) | (nextFinder >>> 28);
    const found = ((finder & lightAfter) | (light4 & finderAfter)) & fits11[word]!;
    if (found !== 0) points += 40 * popcount(found);

    if (isRowStream) {
      // Rule 2: a block starts at i when modules i and i + 1 agree, the same pair in the next
      // row agrees, and module i agrees with the one below it. The words of the next row are
      // further on, so this loop has already stored them.
      maskedRows[word] = x;
      equalWords[word] = equal;
      const below = word + lineWords;
      const equalBelow = (equalWords[below]! << lineShift) | (equalWords[below + 1]! >>> (32 - lineShift));
      const rowBelow = (maskedRows[below]! << lineShift) | (maskedRows[below + 1]! >>> (32 - lineShift));
      const blocks = equal & equalBelow & ~(x ^ rowBelow) & fitsBlock[word]!;
      points += 3 * popcount(blocks);
      // Padding bits past the last module are 0, so they add nothing.
      dark += popcount(x);
    }
    if (points >= bound) return points;

    nextX = x;
    nextEqual = equal;
    nextEqual3 = equal3;
    nextRun = run;
    nextLight4 = light4;
    nextFinder = finder;
  }
  if (!isRowStream) return points;
  const total = size * size;
  return points + Math.floor(Math.abs(dark * 20 - total * 10) / total) * 10;
}
