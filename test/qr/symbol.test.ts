import { describe, expect, it } from 'vitest';

import { encodeQr, type ErrorCorrectionLevel } from '../../src/qr/index.js';
import { dataCodewords } from '../../src/qr/tables.js';

const LEVELS: ErrorCorrectionLevel[] = ['L', 'M', 'Q', 'H'];

/**
 * Scores a symbol module by module with the four penalty rules of ISO/IEC 18004 7.8.3, as a
 * reference for the bit-packed scoring in src/qr/symbol.ts. Rule 1: a run of L >= 5 modules of
 * one colour in a row or column scores L - 2. Rule 2: each 2x2 block of one colour scores 3.
 * Rule 3: each 1011101 with 0000 right before or right after it, inside a row or column, scores
 * 40. Rule 4: 10 points for each full 5% that the share of dark modules lies away from 50%.
 */
function referencePenalty(size: number, modules: Uint8Array): number {
  let score = 0;
  for (const transposed of [false, true]) {
    const at = (line: number, position: number) =>
      transposed ? modules[position * size + line]! : modules[line * size + position]!;
    for (let line = 0; line < size; line++) {
      let run = 1;
      for (let position = 1; position <= size; position++) {
        if (position < size && at(line, position) === at(line, position - 1)) {
          run++;
          continue;
        }
        if (run >= 5) score += run - 2;
        run = 1;
      }
      for (let start = 0; start + 11 <= size; start++) {
        let window = '';
        for (let i = 0; i < 11; i++) window += at(line, start + i);
        if (window === '10111010000') score += 40;
        if (window === '00001011101') score += 40;
      }
    }
  }

  for (let row = 0; row + 1 < size; row++) {
    for (let column = 0; column + 1 < size; column++) {
      const colour = modules[row * size + column];
      if (
        modules[row * size + column + 1] === colour &&
        modules[(row + 1) * size + column] === colour &&
        modules[(row + 1) * size + column + 1] === colour
      ) {
        score += 3;
      }
    }
  }

  let dark = 0;
  for (const module of modules) dark += module;
  const darkPercent = (dark * 100) / (size * size);
  return score + Math.floor(Math.abs(darkPercent - 50) / 5) * 10;
}

/** A small linear congruential generator, so that every run tests the same texts. */
function randomGenerator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

/** Mixes digits, capitals and other ASCII, so that segments of every mode occur. */
function randomText(random: () => number, length: number): string {
  const alphabets = ['0123456789', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:', 'abcdefghijklmnopqrstuvwxyz?=&_~'];
  let text = '';
  while (text.length < length) {
    const alphabet = alphabets[Math.floor(random() * alphabets.length)]!;
    const run = 1 + Math.floor(random() * 12);
    for (let i = 0; i < run && text.length < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
  }
  return text;
}

describe('mask selection', () => {
  it('matches the reference penalty at versions 1 to 40', () => {
    const random = randomGenerator(2024);
    for (let version = 1; version <= 40; version++) {
      const level = LEVELS[version % 4]!;
      // Nine tenths of the version's byte-mode capacity lands in this version or the one below.
      const countBits = version <= 9 ? 8 : 16;
      const length = Math.floor(((dataCodewords(version, level) * 8 - 4 - countBits) / 8) * 0.9);
      const text = randomText(random, Math.max(1, length));

      const scores = [0, 1, 2, 3, 4, 5, 6, 7].map((mask) => {
        const symbol = encodeQr(text, { level, mask });
        return referencePenalty(symbol.size, symbol.modules);
      });
      // Ties go to the lower mask number.
      const expected = scores.indexOf(Math.min(...scores));
      expect(encodeQr(text, { level }).mask, `version ${version} ${level}, scores ${scores.join(' ')}`).toBe(expected);
    }
  }, 60_000);

  it('matches the reference penalty on short texts', () => {
    const random = randomGenerator(7);
    for (let i = 0; i < 150; i++) {
      const level = LEVELS[i % 4]!;
      const text = randomText(random, 1 + Math.floor(random() * 120));

      const scores = [0, 1, 2, 3, 4, 5, 6, 7].map((mask) => {
        const symbol = encodeQr(text, { level, mask });
        return referencePenalty(symbol.size, symbol.modules);
      });
      const expected = scores.indexOf(Math.min(...scores));
      expect(encodeQr(text, { level }).mask, `${JSON.stringify(text)} ${level}, scores ${scores.join(' ')}`).toBe(
        expected,
      );
    }
  });

  it('keeps modules of a forced mask', () => {
    const text = 'https://example.com/images/a?i=123';
    const chosen = encodeQr(text, { level: 'M' });
    const forced = encodeQr(text, { level: 'M', mask: chosen.mask });

    expect(forced.modules).toEqual(chosen.modules);
  });
});
