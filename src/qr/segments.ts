/**
 * Splits a text into numeric, alphanumeric and byte (UTF-8) segments so that the bit stream is
 * as short as the standard's modes allow, and writes the segments as bits (ISO/IEC 18004 7.4).
 * Kanji mode is never used, so a text's bytes are always its UTF-8 bytes.
 */

/** An encoding mode with its 4-bit mode indicator. */
export type SegmentMode = 'numeric' | 'alphanumeric' | 'byte' | 'eci';

const MODE_INDICATOR: Record<SegmentMode, number> = {
  numeric: 0b0001,
  alphanumeric: 0b0010,
  byte: 0b0100,
  eci: 0b0111,
};

/** Bits of the character count indicator for versions 1-9, 10-26 and 27-40 (Table 3). */
const COUNT_BITS: Record<Exclude<SegmentMode, 'eci'>, readonly [number, number, number]> = {
  numeric: [10, 12, 14],
  alphanumeric: [9, 11, 13],
  byte: [8, 16, 16],
};

const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const ALPHANUMERIC_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHANUMERIC.length; i++) ALPHANUMERIC_VALUE[ALPHANUMERIC.charCodeAt(i)] = i;

/** The ECI designator of UTF-8 (ISO/IEC 18004 Annex and the AIM ECI register). */
export const UTF8_ECI = 26;

/** One segment of the data: its mode, its characters (bytes in byte mode) and what it counts. */
export interface Segment {
  mode: SegmentMode;
  /** The segment's content: digits or alphanumeric characters as text, UTF-8 bytes in byte mode. */
  text: string;
  bytes: Uint8Array;
  /** The character count indicator's value: characters, or bytes in byte mode. */
  count: number;
}

/** Growable big-endian bit buffer. */
export class BitBuffer {
  /** The bits written so far, most significant bit first. The bits past `length` are 0. */
  bytes: Uint8Array;
  length = 0;

  /** Starts empty on `bytes`, which must be all 0, and replaces them with a larger copy when full. */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** Appends the low `bits` bits of `value`, most significant first. */
  append(value: number, bits: number): void {
    if (this.length + bits > this.bytes.length * 8) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, Math.ceil((this.length + bits) / 8)));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    // Fill the current byte from its first free bit, then the next, until all bits are written.
    let length = this.length;
    while (bits > 0) {
      const free = 8 - (length & 7);
      const written = bits < free ? bits : free;
      bits -= written;
      const chunk = (value >>> bits) & ((1 << written) - 1);
      this.bytes[length >>> 3]! |= chunk << (free - written);
      length += written;
    }
    this.length = length;
  }

  /**
   * Appends whole bytes: each one fills the rest of the current byte and the start of the next,
   * so the loop writes one byte past the end and needs that byte to exist.
   */
  appendBytes(bytes: Uint8Array): void {
    const needed = (this.length >>> 3) + bytes.length + 1;
    if (needed > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, needed));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    const target = this.bytes;
    const offset = this.length & 7;
    let at = this.length >>> 3;
    for (let i = 0; i < bytes.length; i++, at++) {
      const byte = bytes[i]!;
      target[at]! |= byte >>> offset;
      // A Uint8Array keeps the low 8 bits of a stored value, so with offset 0 this writes 0.
      target[at + 1] = byte << (8 - offset);
    }
    this.length += bytes.length * 8;
  }
}

/** Maps a version to its character-count class: 0 for 1-9, 1 for 10-26, 2 for 27-40. */
export function versionClass(version: number): 0 | 1 | 2 {
  return version <= 9 ? 0 : version <= 26 ? 1 : 2;
}

const MODES = ['numeric', 'alphanumeric', 'byte'] as const;

/** Working arrays of `splitSegments` for one text, indexed by code point. */
interface SplitScratch {
  /**
   * The character class in bits 0 and 1 (0 a digit, 1 another alphanumeric character, 2
   * anything else) and the UTF-8 length from bit 2 on.
   */
  characters: Uint8Array;
  /** from[i*3+m]: the mode of code point i - 1 on the cheapest path that puts code point i in mode m. */
  from: Int8Array;
  modes: Int8Array;
}

/**
 * Arrays reused across calls, because allocating typed arrays costs more than splitting a short
 * text. They grow up to SCRATCH_LIMIT code points; longer texts, which never fit a symbol, get
 * arrays of their own so that the cache stays small.
 */
let scratch = splitScratch(256);
const SCRATCH_LIMIT = 8192;

function splitScratch(capacity: number): SplitScratch {
  return {
    characters: new Uint8Array(capacity),
    from: new Int8Array(capacity * 3),
    modes: new Int8Array(capacity),
  };
}

function scratchFor(length: number): SplitScratch {
  if (length <= scratch.characters.length) return scratch;
  if (length > SCRATCH_LIMIT) return splitScratch(length);
  scratch = splitScratch(Math.min(SCRATCH_LIMIT, Math.max(length, scratch.characters.length * 2)));
  return scratch;
}

/**
 * Splits `text` into segments for a version class, minimising the bit length with dynamic
 * programming over the three modes. Costs are counted in sixths of a bit, because a numeric
 * character takes 10/3 bits and an alphanumeric one 11/2. On equal costs the lower mode number
 * wins: numeric before alphanumeric before byte.
 */
export function splitSegments(text: string, classIndex: 0 | 1 | 2): Segment[] {
  const length = text.length;
  const { characters, from, modes } = scratchFor(length);
  let count = 0;
  let onlyBytes = true;
  for (let i = 0; i < length; i++) {
    // Read a code point as codePointAt does: a lone surrogate stands for itself.
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = ((code - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
        i++;
      }
    }
    const characterClass = code >= 0x30 && code <= 0x39 ? 0 : code < 128 && ALPHANUMERIC_VALUE[code]! >= 0 ? 1 : 2;
    if (characterClass !== 2) onlyBytes = false;
    let utf8Length = 4;
    if (code < 0x80) utf8Length = 1;
    else if (code < 0x800) utf8Length = 2;
    else if (code < 0x10000) utf8Length = 3;
    characters[count++] = characterClass | (utf8Length << 2);
  }
  if (count === 0) return [];
  if (onlyBytes) return [byteSegment(text)];

  const headerCost0 = (4 + COUNT_BITS.numeric[classIndex]) * 6;
  const headerCost1 = (4 + COUNT_BITS.alphanumeric[classIndex]) * 6;
  const headerCost2 = (4 + COUNT_BITS.byte[classIndex]) * 6;

  // costM: least cost of the code points so far with the last one in mode M, Infinity where
  // mode M cannot hold it. A step to mode M costs M's header unless the previous code point was
  // in mode M too.
  const firstClass = characters[0]! & 3;
  let cost0 = firstClass === 0 ? headerCost0 + 20 : Infinity;
  let cost1 = firstClass <= 1 ? headerCost1 + 33 : Infinity;
  let cost2 = headerCost2 + 48 * (characters[0]! >>> 2);
  from[0] = from[1] = from[2] = -1;
  for (let i = 1; i < count; i++) {
    const characterClass = characters[i]! & 3;
    const byteCost = 48 * (characters[i]! >>> 2);
    if (characterClass === 2 && cost0 === Infinity && cost1 === Infinity) {
      // Inside a run of characters that only byte mode holds, the cheapest path stays in byte mode.
      cost2 += byteCost;
      from[i * 3] = from[i * 3 + 1] = -1;
      from[i * 3 + 2] = 2;
      continue;
    }
    let next0 = Infinity;
    let next1 = Infinity;
    from[i * 3] = from[i * 3 + 1] = -1;
    if (characterClass === 0) {
      next0 = Math.min(cost0, cost1 + headerCost0, cost2 + headerCost0) + 20;
      from[i * 3] = cheapest(cost0, cost1 + headerCost0, cost2 + headerCost0);
    }
    if (characterClass <= 1) {
      next1 = Math.min(cost0 + headerCost1, cost1, cost2 + headerCost1) + 33;
      from[i * 3 + 1] = cheapest(cost0 + headerCost1, cost1, cost2 + headerCost1);
    }
    const next2 = Math.min(cost0 + headerCost2, cost1 + headerCost2, cost2) + byteCost;
    from[i * 3 + 2] = cheapest(cost0 + headerCost2, cost1 + headerCost2, cost2);
    cost0 = next0;
    cost1 = next1;
    cost2 = next2;
  }

  let mode: number = cheapest(cost0, cost1, cost2);
  for (let i = count - 1; i >= 0; i--) {
    modes[i] = mode;
    mode = from[i * 3 + mode]!;
  }

  // Cut the text where the mode changes. A code point of 4 UTF-8 bytes is a surrogate pair, two
  // UTF-16 code units, and every other code point is one unit.
  const segments: Segment[] = [];
  let first = 0;
  let firstUnit = 0;
  let unit = 0;
  for (let i = 0; i <= count; i++) {
    if (i < count && modes[i] === modes[first]) {
      unit += characters[i]! >>> 2 === 4 ? 2 : 1;
      continue;
    }
    const segmentText = text.slice(firstUnit, unit);
    const segmentMode = MODES[modes[first]!]!;
    segments.push(
      segmentMode === 'byte'
        ? byteSegment(segmentText)
        : { mode: segmentMode, text: segmentText, bytes: EMPTY, count: i - first },
    );
    first = i;
    firstUnit = unit;
    if (i < count) unit += characters[i]! >>> 2 === 4 ? 2 : 1;
  }
  return segments;
}

/** Returns 0, 1 or 2 for the least of three costs. On a tie the lower number wins. */
function cheapest(cost0: number, cost1: number, cost2: number): 0 | 1 | 2 {
  if (cost1 < cost0) return cost2 < cost1 ? 2 : 1;
  return cost2 < cost0 ? 2 : 0;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

function byteSegment(text: string): Segment {
  const bytes = encoder.encode(text);
  return { mode: 'byte', text, bytes, count: bytes.length };
}

/** Checks whether every UTF-16 code unit of `text` is below 0x80. */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Returns the ECI segment that declares the byte segments after it to be UTF-8. */
export function utf8EciSegment(): Segment {
  return { mode: 'eci', text: '', bytes: new Uint8Array(0), count: UTF8_ECI };
}

/** Counts the bits of `segments` in a version class, or Infinity when a count overflows its field. */
export function segmentsBitLength(segments: readonly Segment[], classIndex: 0 | 1 | 2): number {
  let bits = 0;
  for (const segment of segments) {
    if (segment.mode === 'eci') {
      bits += 4 + 8;
      continue;
    }
    const countBits = COUNT_BITS[segment.mode][classIndex];
    if (segment.count >= 1 << countBits) return Infinity;
    bits += 4 + countBits + payloadBits(segment);
  }
  return bits;
}

function payloadBits(segment: Segment): number {
  if (segment.mode === 'numeric') return Math.floor(segment.count / 3) * 10 + [0, 4, 7][segment.count % 3]!;
  if (segment.mode === 'alphanumeric') return Math.floor(segment.count / 2) * 11 + (segment.count % 2) * 6;
  return segment.count * 8;
}

/** Writes `segments` into `buffer` for a version class. */
export function writeSegments(buffer: BitBuffer, segments: readonly Segment[], classIndex: 0 | 1 | 2): void {
  for (const segment of segments) {
    buffer.append(MODE_INDICATOR[segment.mode], 4);
    if (segment.mode === 'eci') {
      // Designators below 128 take one byte whose top bit is 0.
      buffer.append(segment.count, 8);
      continue;
    }
    buffer.append(segment.count, COUNT_BITS[segment.mode][classIndex]);

    const { text, bytes } = segment;
    if (segment.mode === 'numeric') {
      // Groups of three digits take 10 bits, and a last group of one or two digits takes 4 or 7.
      for (let i = 0; i < text.length; i += 3) {
        const digits = Math.min(3, text.length - i);
        let value = 0;
        for (let j = i; j < i + digits; j++) value = value * 10 + text.charCodeAt(j) - 0x30;
        buffer.append(value, digits * 3 + 1);
      }
    } else if (segment.mode === 'alphanumeric') {
      for (let i = 0; i < text.length; i += 2) {
        const first = ALPHANUMERIC_VALUE[text.charCodeAt(i)]!;
        if (i + 1 < text.length) buffer.append(first * 45 + ALPHANUMERIC_VALUE[text.charCodeAt(i + 1)]!, 11);
        else buffer.append(first, 6);
      }
    } else {
      buffer.appendBytes(bytes);
    }
  }
}
