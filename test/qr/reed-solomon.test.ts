import { describe, expect, it } from 'vitest';

import { errorCorrectionCodewords } from '../../src/qr/reed-solomon.js';
import { ECC_CODEWORDS_PER_BLOCK } from '../../src/qr/tables.js';

/** Multiplies in GF(256) with the field polynomial 0x11D by shift and add, without tables. */
function multiply(a: number, b: number): number {
  let product = 0;
  for (; b > 0; b >>= 1) {
    if (b & 1) product ^= a;
    a <<= 1;
    if (a & 0x100) a ^= 0x11d;
  }
  return product;
}

/**
 * Computes the error correction codewords by long division of data(x) * x^degree by the
 * generator (x - a^0)(x - a^1)...(x - a^(degree - 1)), highest power first.
 */
function referenceCodewords(data: Uint8Array, degree: number): number[] {
  let generator = [1];
  let root = 1;
  for (let i = 0; i < degree; i++) {
    const next = new Array<number>(generator.length + 1).fill(0);
    generator.forEach((coefficient, j) => {
      next[j] = next[j]! ^ coefficient;
      next[j + 1] = next[j + 1]! ^ multiply(coefficient, root);
    });
    generator = next;
    root = multiply(root, 2);
  }

  const remainder = [...data, ...new Array<number>(degree).fill(0)];
  for (let i = 0; i < data.length; i++) {
    const factor = remainder[i]!;
    for (let j = 0; j <= degree; j++) remainder[i + j] = remainder[i + j]! ^ multiply(generator[j]!, factor);
  }
  return remainder.slice(data.length);
}

const DEGREES = [...new Set(Object.values(ECC_CODEWORDS_PER_BLOCK).flatMap((degrees) => [...degrees]))].sort(
  (a, b) => a - b,
);

describe('errorCorrectionCodewords', () => {
  it('matches long division for every degree', () => {
    let seed = 1;
    for (const degree of DEGREES) {
      for (const length of [1, 2, 15, 27, 118, 122]) {
        const data = new Uint8Array(length).map(() => {
          seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
          return seed >>> 24;
        });
        const output = new Uint8Array(degree);
        errorCorrectionCodewords(data, 0, length, degree, output, 0, 1);

        expect([...output], `degree ${degree}, ${length} data codewords`).toEqual(referenceCodewords(data, degree));
      }
    }
  });

  it('reads a block and writes with a step', () => {
    const data = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff);
    const output = new Uint8Array(3 + 2 * 16).fill(0xaa);
    errorCorrectionCodewords(data, 10, 30, 16, output, 3, 2);

    const expected = referenceCodewords(data.subarray(10, 30), 16);
    expect([...output.subarray(3)].filter((_, i) => i % 2 === 0)).toEqual(expected);
    // The bytes between the written codewords keep their value.
    expect([...output.subarray(0, 3)]).toEqual([0xaa, 0xaa, 0xaa]);
    expect([...output.subarray(3)].filter((_, i) => i % 2 === 1)).toEqual(new Array(16).fill(0xaa));
  });

  it('rejects a degree past 32', () => {
    expect(() => errorCorrectionCodewords(new Uint8Array(4), 0, 4, 33, new Uint8Array(33), 0, 1)).toThrow(
      'error correction degree must be at most 32',
    );
  });
});
