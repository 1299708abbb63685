import { describe, expect, it } from 'vitest';

import { BitBuffer, segmentsBitLength, splitSegments } from '../../src/qr/segments.js';

/** Returns the first `length` bits of a buffer as a string of 0 and 1. */
function bitString(buffer: BitBuffer): string {
  let bits = '';
  for (let i = 0; i < buffer.length; i++) bits += (buffer.bytes[i >> 3]! >> (7 - (i & 7))) & 1;
  return bits;
}

describe('BitBuffer', () => {
  it('appendBytes matches append at every bit offset', () => {
    const bytes = Uint8Array.of(0x00, 0xff, 0xa5, 0x3c, 0x81, 0x7e);
    for (let offset = 0; offset < 8; offset++) {
      const byWhole = new BitBuffer(new Uint8Array(16));
      const byBits = new BitBuffer(new Uint8Array(16));
      byWhole.append(0b1011011, offset);
      byBits.append(0b1011011, offset);

      byWhole.appendBytes(bytes);
      for (const byte of bytes) byBits.append(byte, 8);

      expect(byWhole.length, `offset ${offset}`).toBe(byBits.length);
      expect(bitString(byWhole), `offset ${offset}`).toBe(bitString(byBits));
      // Bits past the end stay 0, as append requires.
      expect([...byWhole.bytes.subarray(Math.ceil(byWhole.length / 8))].every((byte) => byte === 0)).toBe(true);
    }
  });

  it('grows when the bytes are full', () => {
    const buffer = new BitBuffer(new Uint8Array(2));
    buffer.append(0b101, 3);
    buffer.appendBytes(Uint8Array.of(1, 2, 3, 4, 5));
    buffer.append(0x3ff, 10);

    expect(buffer.length).toBe(3 + 40 + 10);
    expect(bitString(buffer)).toBe(
      '101' + [1, 2, 3, 4, 5].map((byte) => byte.toString(2).padStart(8, '0')).join('') + '1111111111',
    );
  });
});

describe('splitSegments', () => {
  it('splits digits from text', () => {
    const segments = splitSegments(`https://example.com/images/${'a'.repeat(67)}?i=123`, 0);

    expect(segments.map((segment) => [segment.mode, segment.count])).toEqual([
      ['byte', 97],
      ['numeric', 3],
    ]);
  });

  it('counts surrogate pairs as one character', () => {
    const text = 'ab😀12345678901234😀\uD800x\uDC00';
    const segments = splitSegments(text, 1);

    expect(segments.map((segment) => segment.text).join('')).toBe(text);
    const encoder = new TextEncoder();
    for (const segment of segments) {
      if (segment.mode !== 'byte') continue;
      expect(Buffer.from(segment.bytes).toString('hex')).toBe(
        Buffer.from(encoder.encode(segment.text)).toString('hex'),
      );
      expect(segment.count).toBe(segment.bytes.length);
    }
    expect(segments.find((segment) => segment.mode === 'numeric')?.text).toBe('12345678901234');
  });

  it('keeps long texts out of the scratch arrays', () => {
    const text = `${'7'.repeat(9000)}x`;
    const segments = splitSegments(text, 2);

    expect(segments.map((segment) => [segment.mode, segment.count])).toEqual([
      ['numeric', 9000],
      ['byte', 1],
    ]);
    expect(segmentsBitLength(segments, 2)).toBe(4 + 14 + 30000 + 4 + 16 + 8);
    // A short text after a long one still splits from its own characters.
    expect(splitSegments('A1', 0).map((segment) => segment.mode)).toEqual(['alphanumeric']);
  });
});
