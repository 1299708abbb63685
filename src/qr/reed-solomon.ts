/**
 * Reed-Solomon error correction over GF(256) with the QR code's field polynomial
 * x^8 + x^4 + x^3 + x^2 + 1 (0x11D), as ISO/IEC 18004 section 7.5.2 specifies.
 */

// EXP is doubled so that the sum of two logarithms needs no modulo. Entries from 510 on stay 0:
// ZERO_LOG, the logarithm given to 0, points there, so a product with 0 is 0 without a branch.
const ZERO_LOG = 512;
const EXP = new Uint8Array(2 * ZERO_LOG + 1);
const LOG = new Uint16Array(256);

{
  let value = 1;
  for (let power = 0; power < 255; power++) {
    EXP[power] = value;
    LOG[value] = power;
    value <<= 1;
    if (value & 0x100) value ^= 0x11d;
  }
  for (let power = 255; power < 510; power++) EXP[power] = EXP[power - 255]!;
  LOG[0] = ZERO_LOG;
}

function multiply(a: number, b: number): number {
  return EXP[LOG[a]! + LOG[b]!]!;
}

/** Returns the generator polynomial of `degree`, highest power first without its leading 1. */
function generator(degree: number): Uint8Array {
  const polynomial = new Uint8Array(degree);
  polynomial[degree - 1] = 1;
  // Multiply (x - a^0)(x - a^1)...(x - a^(degree-1)).
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      polynomial[j] = multiply(polynomial[j]!, root) ^ (j + 1 < degree ? polynomial[j + 1]! : 0);
    }
    root = multiply(root, 2);
  }
  return polynomial;
}

/**
 * Per degree, the generator's coefficients multiplied by every factor from 0 to 255, packed four
 * to a 32-bit word with the highest power in the top byte. Row f, 8 words from index 8 * f, is
 * f times the generator, and words past the degree contain 0. With these rows each step of the
 * division updates four remainder codewords per XOR instead of one. QR codes use degrees up to 30,
 * which fit 8 words.
 */
const productTables = new Map<number, Int32Array>();

function productTable(degree: number): Int32Array {
  let table = productTables.get(degree);
  if (table) return table;

  const polynomial = generator(degree);
  table = new Int32Array(256 * 8);
  for (let factor = 0; factor < 256; factor++) {
    for (let i = 0; i < degree; i++) {
      table[factor * 8 + (i >>> 2)]! |= multiply(factor, polynomial[i]!) << (24 - 8 * (i & 3));
    }
  }
  productTables.set(degree, table);
  return table;
}

/**
 * Computes the `degree` error correction codewords (at most 32) of the data codewords
 * `data[start]` to `data[end - 1]` and writes codeword i to `output[outputStart + i * outputStep]`,
 * so that a caller can interleave blocks without a copy.
 */
export function errorCorrectionCodewords(
  data: Uint8Array,
  start: number,
  end: number,
  degree: number,
  output: Uint8Array,
  outputStart: number,
  outputStep: number,
): void {
  if (degree > 32) throw new RangeError(`error correction degree must be at most 32, got ${degree}`);
  const table = productTable(degree);
  // The remainder, packed like the table rows, stays in eight locals: r0 is its first four codewords.
  let r0 = 0;
  let r1 = 0;
  let r2 = 0;
  let r3 = 0;
  let r4 = 0;
  let r5 = 0;
  let r6 = 0;
  let r7 = 0;
  for (let j = start; j < end; j++) {
    // Shift the remainder one codeword left and subtract factor times the generator.
    const row = (data[j]! ^ (r0 >>> 24)) * 8;
    r0 = ((r0 << 8) | (r1 >>> 24)) ^ table[row]!;
    r1 = ((r1 << 8) | (r2 >>> 24)) ^ table[row + 1]!;
    r2 = ((r2 << 8) | (r3 >>> 24)) ^ table[row + 2]!;
    r3 = ((r3 << 8) | (r4 >>> 24)) ^ table[row + 3]!;
    r4 = ((r4 << 8) | (r5 >>> 24)) ^ table[row + 4]!;
    r5 = ((r5 << 8) | (r6 >>> 24)) ^ table[row + 5]!;
    r6 = ((r6 << 8) | (r7 >>> 24)) ^ table[row + 6]!;
    r7 = (r7 << 8) ^ table[row + 7]!;
  }
  const words = [r0, r1, r2, r3, r4, r5, r6, r7];
  for (let i = 0; i < degree; i++) {
    output[outputStart + i * outputStep] = words[i >>> 2]! >>> (24 - 8 * (i & 3));
  }
}
