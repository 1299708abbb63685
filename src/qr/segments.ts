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
  bytes: Uint8Array;
  length = 0;

  constructor(capacityBits = 256) {
    this.bytes = new Uint8Array(Math.ceil(capacityBits / 8));
  }

  /** Appends the low `bits` bits of `value`, most significant first. */
  append(value: number, bits: number): void {
    if (this.length + bits > this.bytes.length * 8) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, Math.ceil((this.length + bits) / 8)));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    if (bits === 8 && (this.length & 7) === 0) {
      this.bytes[this.length >> 3] = value;
      this.length += 8;
      return;
    }
    for (let bit = bits - 1; bit >= 0; bit--, this.length++) {
      if ((value >>> bit) & 1) this.bytes[this.length >> 3]! |= 0x80 >> (this.length & 7);
    }
  }
}

/** Maps a version to its character-count class: 0 for 1-9, 1 for 10-26, 2 for 27-40. */
export function versionClass(version: number): 0 | 1 | 2 {
  return version <= 9 ? 0 : version <= 26 ? 1 : 2;
}

const MODES = ['numeric', 'alphanumeric', 'byte'] as const;

/**
 * Splits `text` into segments for a version class, minimising the bit length with dynamic
 * programming over the three modes. Costs are counted in sixths of a bit, because a numeric
 * character takes 10/3 bits and an alphanumeric one 11/2.
 */
export function splitSegments(text: string, classIndex: 0 | 1 | 2): Segment[] {
  // Code points, their character class (0 digit, 1 alphanumeric, 2 other) and UTF-8 lengths.
  const length = text.length;
  const starts = new Uint32Array(length + 1);
  const classes = new Uint8Array(length);
  const utf8Lengths = new Uint8Array(length);
  let count = 0;
  let onlyBytes = true;
  for (let i = 0; i < length;) {
    const code = text.codePointAt(i)!;
    const units = code > 0xffff ? 2 : 1;
    starts[count] = i;
    const characterClass = code >= 0x30 && code <= 0x39 ? 0 : code < 128 && ALPHANUMERIC_VALUE[code]! >= 0 ? 1 : 2;
    classes[count] = characterClass;
    if (characterClass !== 2) onlyBytes = false;
    utf8Lengths[count] = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    count++;
    i += units;
  }
  starts[count] = length;
  if (count === 0) return [];
  if (onlyBytes) return [byteSegment(text)];

  const headerCost = [
    (4 + COUNT_BITS.numeric[classIndex]) * 6,
    (4 + COUNT_BITS.alphanumeric[classIndex]) * 6,
    (4 + COUNT_BITS.byte[classIndex]) * 6,
  ];

  // cost[i*3+m]: least cost of characters 0..i with character i in mode m; from[i*3+m]: previous mode.
  const cost = new Float64Array(count * 3).fill(Infinity);
  const from = new Int8Array(count * 3).fill(-1);
  for (let i = 0; i < count; i++) {
    for (let mode = classes[i]!; mode < 3; mode++) {
      const characterCost = mode === 0 ? 20 : mode === 1 ? 33 : 48 * utf8Lengths[i]!;
      if (i === 0) {
        cost[mode] = headerCost[mode]! + characterCost;
        continue;
      }
      let best = Infinity;
      let bestPrevious = -1;
      for (let previous = 0; previous < 3; previous++) {
        const total = cost[(i - 1) * 3 + previous]! + (previous === mode ? 0 : headerCost[mode]!);
        if (total < best) {
          best = total;
          bestPrevious = previous;
        }
      }
      cost[i * 3 + mode] = best + characterCost;
      from[i * 3 + mode] = bestPrevious;
    }
  }

  let mode = 0;
  for (let candidate = 1; candidate < 3; candidate++) {
    if (cost[(count - 1) * 3 + candidate]! < cost[(count - 1) * 3 + mode]!) mode = candidate;
  }
  const modes = new Int8Array(count);
  for (let i = count - 1; i >= 0; i--) {
    modes[i] = mode;
    mode = from[i * 3 + mode]!;
  }

  const segments: Segment[] = [];
  let first = 0;
  for (let i = 1; i <= count; i++) {
    if (i < count && modes[i] === modes[first]) continue;
    const segmentText = text.slice(starts[first], starts[i]);
    const segmentMode = MODES[modes[first]!]!;
    segments.push(
      segmentMode === 'byte'
        ? byteSegment(segmentText)
        : { mode: segmentMode, text: segmentText, bytes: EMPTY, count: i - first },
    );
    first = i;
  }
  return segments;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

function byteSegment(text: string): Segment {
  const bytes = encoder.encode(text);
  return { mode: 'byte', text, bytes, count: bytes.length };
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

    if (segment.mode === 'numeric') {
      for (let i = 0; i < segment.text.length; i += 3) {
        const group = segment.text.slice(i, i + 3);
        buffer.append(Number(group), group.length * 3 + 1);
      }
    } else if (segment.mode === 'alphanumeric') {
      for (let i = 0; i < segment.text.length; i += 2) {
        const first = ALPHANUMERIC_VALUE[segment.text.charCodeAt(i)]!;
        if (i + 1 < segment.text.length)
          buffer.append(first * 45 + ALPHANUMERIC_VALUE[segment.text.charCodeAt(i + 1)]!, 11);
        else buffer.append(first, 6);
      }
    } else {
      for (const byte of segment.bytes) buffer.append(byte, 8);
    }
  }
}
