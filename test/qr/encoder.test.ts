import { _BYTES, _ECC_BLOCKS, _WORDS_PER_BLOCK } from 'qr';
import { describe, expect, it } from 'vitest';

import { encodeQr, maxByteSegment, QrCapacityError, renderPng, type ErrorCorrectionLevel } from '../../src/qr/index.js';
import {
  dataCodewords,
  ECC_CODEWORDS_PER_BLOCK,
  ERROR_CORRECTION_BLOCKS,
  rawDataModules,
} from '../../src/qr/tables.js';
import { decodeQrImage } from '../support/qr-decoder.js';
import { zbarDecode } from '../support/zbar.js';

const LEVELS: ErrorCorrectionLevel[] = ['L', 'M', 'Q', 'H'];
const LIBRARY_LEVEL = { L: 'low', M: 'medium', Q: 'quartile', H: 'high' } as const;

/** Decodes with both decoders and returns their bytes. */
async function decodeBoth(png: Uint8Array): Promise<{ zxing: Buffer[]; zbar: Buffer }> {
  const zxing = (await decodeQrImage(png)).map((bytes) => Buffer.from(bytes));
  return { zxing, zbar: zbarDecode(png) };
}

describe('encoder tables', () => {
  it('match paulmillr/qr for every version', () => {
    for (const level of LEVELS) {
      for (let version = 1; version <= 40; version++) {
        const library = LIBRARY_LEVEL[level];
        expect(ECC_CODEWORDS_PER_BLOCK[level][version - 1], `${level}${version}`).toBe(
          _WORDS_PER_BLOCK[library][version - 1],
        );
        expect(ERROR_CORRECTION_BLOCKS[level][version - 1], `${level}${version}`).toBe(
          _ECC_BLOCKS[library][version - 1],
        );
      }
    }
  });

  it('count the raw codewords of Table 1', () => {
    for (let version = 1; version <= 40; version++) {
      expect(Math.floor(rawDataModules(version) / 8), `version ${version}`).toBe(_BYTES[version - 1]);
    }
  });

  it('give the version-40 byte capacities', () => {
    const expected = { L: 2953, M: 2331, Q: 1663, H: 1273 };
    for (const level of LEVELS) expect(maxByteSegment(level, false)).toBe(expected[level]);
  });
});

describe('encodeQr at every version', () => {
  // The largest ASCII byte-mode text of each version and level, and one byte more.
  for (const level of LEVELS) {
    it(`fills versions 1 to 40 at ${level}`, async () => {
      for (let version = 1; version <= 40; version++) {
        const countBits = version <= 9 ? 8 : 16;
        const capacity = Math.floor((dataCodewords(version, level) * 8 - 4 - countBits) / 8);
        const text = 'q'.repeat(capacity);

        const symbol = encodeQr(text, { level });
        expect(symbol.version, `${level}${version}`).toBe(version);
        expect(symbol.size).toBe(version * 4 + 17);
        const { zxing, zbar } = await decodeBoth(renderPng(symbol, { moduleSize: 2 }));
        expect(
          zxing.map((bytes) => bytes.toString('latin1')),
          `${level}${version} zxing`,
        ).toEqual([text]);
        expect(zbar.toString('latin1'), `${level}${version} zbar`).toBe(text);

        if (version < 40) expect(encodeQr(`${text}q`, { level }).version, `${level}${version} + 1`).toBe(version + 1);
      }
    }, 60_000);
  }

  for (const level of LEVELS) {
    it(`rejects one byte past version 40 at ${level}`, () => {
      const limit = maxByteSegment(level, false);
      expect(encodeQr('q'.repeat(limit), { level }).version).toBe(40);

      const overflow = () => encodeQr('q'.repeat(limit + 1), { level });
      expect(overflow).toThrow(QrCapacityError);
      expect(overflow).toThrow(`holds at most ${limit} bytes`);
    });
  }
});

describe('encodeQr segments', () => {
  it('uses numeric mode for a digit run', () => {
    const symbol = encodeQr(`https://example.com/order/${'1234567890'.repeat(4)}`, { level: 'M' });

    expect(symbol.segments.map((segment) => segment.mode)).toEqual(['byte', 'numeric']);
  });

  it('makes a smaller code than bytes alone', () => {
    const numeric = encodeQr('0'.repeat(80), { level: 'M' });
    const bytes = encodeQr('o'.repeat(80), { level: 'M' });

    expect(numeric.segments.map((segment) => segment.mode)).toEqual(['numeric']);
    expect(numeric.version).toBeLessThan(bytes.version);
  });

  it('never uses Kanji mode', () => {
    for (const text of ['帅', '日本語のテキスト', 'АБВГД']) {
      const modes = encodeQr(text, { level: 'M' }).segments.map((segment) => segment.mode);
      expect(modes).toEqual(['eci', 'byte']);
    }
  });

  it('declares UTF-8 only for non-ASCII text', () => {
    expect(encodeQr('https://example.com/', { level: 'M' }).segments[0]!.mode).toBe('byte');
    expect(encodeQr('Zürich', { level: 'M' }).segments[0]).toMatchObject({ mode: 'eci', count: 26 });
    expect(encodeQr('Zürich', { level: 'M', eci: 'off' }).segments.map((segment) => segment.mode)).toEqual(['byte']);
  });

  it('decodes ECI and plain UTF-8 alike', async () => {
    for (const eci of ['auto', 'off'] as const) {
      const text = 'Здравствуйте, добрый день! 你好 😀';
      const png = renderPng(encodeQr(text, { level: 'Q', eci }));

      const { zxing, zbar } = await decodeBoth(png);
      expect(zxing, eci).toEqual([Buffer.from(text, 'utf8')]);
      expect(zbar, eci).toEqual(Buffer.from(text, 'utf8'));
    }
  });

  it('honours every mask', async () => {
    for (let mask = 0; mask < 8; mask++) {
      const symbol = encodeQr('https://example.com/mask', { level: 'H', mask });
      expect(symbol.mask).toBe(mask);
      expect((await decodeBoth(renderPng(symbol))).zbar.toString()).toBe('https://example.com/mask');
    }
  });

  it('rejects options it cannot honour', () => {
    expect(() => encodeQr('x', { level: 'X' as ErrorCorrectionLevel })).toThrow(RangeError);
    expect(() => encodeQr('x', { level: 'M', mask: 8 })).toThrow('mask must be a whole number from 0 to 7');
    expect(() => encodeQr('x', { level: 'M', eci: 'on' as 'auto' })).toThrow('eci must be auto or off');
  });
});
