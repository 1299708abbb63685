import { describe, expect, it } from 'vitest';

import { checkCapacity, encodeMatrix, renderPng } from '../../src/qr/index.js';
import { decodeQrImage, decodeQrText } from '../support/qr-decoder.js';

/** Encodes `text` at level M, as the service does, and decodes the PNG with zxing. */
async function roundTrip(text: string): Promise<Buffer[]> {
  const png = renderPng(encodeMatrix(text, 'M'));
  const codes = await decodeQrImage(png);
  return codes.map((bytes) => Buffer.from(bytes));
}

// The encoder writes byte mode as UTF-8 without an ECI header, so a decoder guesses the character
// set. The tests compare the raw bytes, which do not depend on that guess.
const CORPUS: { name: string; text: string }[] = [
  { name: 'plain ASCII', text: 'Hello, world' },
  { name: 'reserved URL characters', text: 'https://example.com/a%20b/c+d?x=1&y=%2B2#frag' },
  { name: 'leading zeros', text: '000123' },
  { name: 'alphanumeric URL', text: 'HTTPS://EXAMPLE.COM/A-B' },
  { name: 'Latin-1 letter', text: 'Zürich' },
  { name: 'Chinese', text: '你好' },
  { name: 'Cyrillic payment line', text: 'ST00011|пр. Первомайский' },
  { name: 'Cyrillic sentence', text: 'Здравствуйте, добрый день!' },
  { name: 'single CJK character', text: '帅' },
  { name: 'emoji', text: 'QR 😀 👍🏽' },
];

describe('encodeMatrix corpus', () => {
  for (const { name, text } of CORPUS) {
    it(`decodes ${name} byte-identical`, async () => {
      const codes = await roundTrip(text);

      expect(codes).toHaveLength(1);
      expect(codes[0]!.toString('hex')).toBe(Buffer.from(text, 'utf8').toString('hex'));
    });
  }

  it('keeps URL characters literal', async () => {
    const url = 'https://example.com/a%20b/c+d?x=1&y=%2B2#frag';
    const decoded = (await roundTrip(url))[0]!.toString('utf8');

    expect(decoded).not.toContain('&amp;');
    expect(decoded).toContain('c+d');
    expect(decoded).toContain('%2B2');
    expect(decoded.endsWith('#frag')).toBe(true);
  });
});

describe('encodeMatrix limits', () => {
  it('largest byte text at M decodes', async () => {
    const text = 'x'.repeat(2331);
    expect(checkCapacity(text, 'M').fits).toBe(true);

    const matrix = encodeMatrix(text, 'M');
    expect(matrix.size).toBe(177);

    expect(await decodeQrText(renderPng(matrix))).toBe(text);
  });

  it('smallest symbol is version 1', () => {
    const matrix = encodeMatrix('1', 'M');

    expect(matrix.size).toBe(21);
    expect(matrix.modules).toHaveLength(21 * 21);
  });

  it('modules are 0 or 1', () => {
    const { modules } = encodeMatrix('https://example.com', 'M');

    expect(modules.every((module) => module === 0 || module === 1)).toBe(true);
  });

  it('finder pattern at top left', () => {
    const { size, modules } = encodeMatrix('https://example.com', 'M');
    const row = (y: number) => Array.from(modules.subarray(y * size, y * size + 8)).join('');

    // A finder pattern is a 7x7 dark ring around a 3x3 dark core, followed by a light separator.
    expect(row(0)).toBe('11111110');
    expect(row(1)).toBe('10000010');
    expect(row(3)).toBe('10111010');
    expect(row(6)).toBe('11111110');
  });
});
