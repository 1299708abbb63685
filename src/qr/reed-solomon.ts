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
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!;
}

const generators = new Map<number, Uint8Array>();

/** Returns the generator polynomial of `degree`, highest power first without its leading 1. */
function generator(degree: number): Uint8Array {
  let polynomial = generators.get(degree);
  if (polynomial) return polynomial;

  polynomial = new Uint8Array(degree);
  polynomial[degree - 1] = 1;
  // Multiply (x - a^0)(x - a^1)...(x - a^(degree-1)).
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      polynomial[j] = multiply(polynomial[j]!, root) ^ (j + 1 < degree ? polynomial[j + 1]! : 0);
    }
    root = multiply(root, 2);
  }
  generators.set(degree, polynomial);
  return polynomial;
}

const generatorLogs = new Map<number, Uint16Array>();

/** Returns the logarithms of the generator's coefficients, ZERO_LOG for a zero coefficient. */
function generatorLog(degree: number): Uint16Array {
  let logs = generatorLogs.get(degree);
  if (logs) return logs;
  logs = Uint16Array.from(generator(degree), (coefficient) => LOG[coefficient]!);
  generatorLogs.set(degree, logs);
  return logs;
}

/** Computes the `degree` error correction codewords of one block of data codewords. */
export function errorCorrectionCodewords(data: Uint8Array, degree: number): Uint8Array {
  const divisor = generatorLog(degree);
  const remainder = new Uint8Array(degree);
  const last = degree - 1;
  for (let j = 0; j < data.length; j++) {
    // Shift the remainder one codeword left and subtract factor times the generator, in one pass.
    const factorLog = LOG[data[j]! ^ remainder[0]!]!;
    for (let i = 0; i < last; i++) remainder[i] = remainder[i + 1]! ^ EXP[factorLog + divisor[i]!]!;
    remainder[last] = EXP[factorLog + divisor[last]!]!;
  }
  return remainder;
}
