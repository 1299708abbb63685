import { describe, expect, it } from 'vitest';

import {
  checkCapacity,
  detectMode,
  encodeMatrix,
  maxByteSegment,
  type EncodingMode,
  type ErrorCorrectionLevel,
} from '../../src/qr/index.js';

// Version 40 capacities from ISO/IEC 18004:2015 Table 7.
const LIMITS: { level: ErrorCorrectionLevel; numeric: number; alphanumeric: number; byte: number }[] = [
  { level: 'L', numeric: 7089, alphanumeric: 4296, byte: 2953 },
  { level: 'M', numeric: 5596, alphanumeric: 3391, byte: 2331 },
  { level: 'Q', numeric: 3993, alphanumeric: 2420, byte: 1663 },
  { level: 'H', numeric: 3057, alphanumeric: 1852, byte: 1273 },
];

describe('detectMode', () => {
  const cases: { text: string; mode: EncodingMode }[] = [
    { text: '0123456789', mode: 'numeric' },
    { text: '000123', mode: 'numeric' },
    { text: 'HELLO WORLD', mode: 'alphanumeric' },
    { text: 'HTTPS://EXAMPLE.COM/A-B.C', mode: 'alphanumeric' },
    { text: ' $%*+-./:', mode: 'alphanumeric' },
    { text: '12AB', mode: 'alphanumeric' },
    { text: 'hello', mode: 'byte' },
    { text: 'HELLO!', mode: 'byte' },
    { text: 'https://example.com', mode: 'byte' },
    { text: '123é', mode: 'byte' },
    { text: '你好', mode: 'byte' },
    { text: '😀', mode: 'byte' },
  ];

  for (const { text, mode } of cases) {
    it(`detectMode ${JSON.stringify(text)} is ${mode}`, () => {
      expect(detectMode(text)).toBe(mode);
    });
  }
});

describe('checkCapacity', () => {
  for (const { level, byte } of LIMITS) {
    it(`byte limit at ${level}`, () => {
      const atLimit = checkCapacity('x'.repeat(byte), level);
      const overLimit = checkCapacity('x'.repeat(byte + 1), level);

      expect(atLimit.mode).toBe('byte');
      expect(atLimit.unit).toBe('bytes');
      expect(atLimit.limit).toBe(byte);
      expect(atLimit.fits).toBe(true);
      expect(overLimit.fits).toBe(false);
      expect(overLimit.length).toBe(byte + 1);
    });

    it(`UTF-8 bytes counted at ${level}`, () => {
      // Non-ASCII text carries the 12-bit UTF-8 ECI, which costs one byte of the limit.
      const limit = maxByteSegment(level, true);
      expect(limit).toBe(byte - 1);
      // 'é' is 2 bytes in UTF-8, so half the limit in characters already fills the symbol.
      const pairs = Math.floor(limit / 2);
      const filler = 'x'.repeat(limit - 2 * pairs);
      const atLimit = checkCapacity('é'.repeat(pairs) + filler, level);
      const overLimit = checkCapacity('é'.repeat(pairs + 1) + filler, level);

      expect(atLimit.length).toBe(limit);
      expect(atLimit.fits).toBe(true);
      expect(overLimit.length).toBe(limit + 2);
      expect('é'.repeat(pairs + 1).length).toBeLessThan(limit);
      expect(overLimit.fits).toBe(false);
    });

    it(`numeric limit at ${level}`, () => {
      const { numeric } = LIMITS.find((limits) => limits.level === level)!;
      const atLimit = checkCapacity('7'.repeat(numeric), level);
      const overLimit = checkCapacity('7'.repeat(numeric + 1), level);

      expect(atLimit.mode).toBe('numeric');
      expect(atLimit.unit).toBe('characters');
      expect(atLimit.fits).toBe(true);
      expect(overLimit.fits).toBe(false);
    });

    it(`alphanumeric limit at ${level}`, () => {
      const { alphanumeric } = LIMITS.find((limits) => limits.level === level)!;
      const atLimit = checkCapacity('A'.repeat(alphanumeric), level);
      const overLimit = checkCapacity('A'.repeat(alphanumeric + 1), level);

      expect(atLimit.mode).toBe('alphanumeric');
      expect(atLimit.unit).toBe('characters');
      expect(atLimit.fits).toBe(true);
      expect(overLimit.fits).toBe(false);
    });
  }

  it('4-byte emoji counted as bytes', () => {
    const check = checkCapacity('😀', 'M');

    expect(check.length).toBe(4);
  });
});

// The encoder picks its own mode and version, so these cases check the table above against it.
describe('checkCapacity agrees with encodeMatrix', () => {
  const texts: { name: string; text: (limits: (typeof LIMITS)[number]) => string }[] = [
    { name: 'byte', text: (limits) => 'x'.repeat(limits.byte) },
    { name: 'multi-byte', text: (limits) => 'é'.repeat(Math.floor(limits.byte / 2)) },
    { name: 'numeric', text: (limits) => '7'.repeat(limits.numeric) },
    { name: 'alphanumeric', text: (limits) => 'A'.repeat(limits.alphanumeric) },
  ];

  for (const limits of LIMITS) {
    for (const { name, text } of texts) {
      it(`${name} limit encodes at ${limits.level}`, () => {
        const atLimit = text(limits);

        expect(encodeMatrix(atLimit, limits.level).size).toBe(177);
      });

      it(`${name} over limit rejected at ${limits.level}`, () => {
        const atLimit = text(limits);
        const overLimit = atLimit + atLimit.slice(-1);

        expect(checkCapacity(overLimit, limits.level).fits).toBe(false);
        expect(() => encodeMatrix(overLimit, limits.level)).toThrow(/capacity/i);
      });
    }
  }
});
